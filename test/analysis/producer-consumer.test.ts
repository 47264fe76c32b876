// The analysis on the two producer/consumer examples: the extracted topology, and the
// missing-sentinel finding on the broken twin only.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { isTopologyModel, type TopologyModel } from '../../common/model';
import { BROKEN_EXAMPLE, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { positionOf } from '../helpers/source';

function analyze(file: string): TopologyModel {
  return analyzeFiles([file], { rootDir: ROOT });
}

function summary(model: TopologyModel) {
  const label = new Map(model.nodes.map((n) => [n.id, n.label]));
  return {
    nodes: model.nodes.map((n) => `${n.kind}:${n.label}${n.multiplicity !== undefined ? `×${n.multiplicity}` : ''}`).sort(),
    edges: model.edges.map((e) => `${e.kind} ${label.get(e.from)}->${label.get(e.to)} ${e.count}`).sort(),
  };
}

for (const [name, file] of [['good', GOOD_EXAMPLE], ['broken', BROKEN_EXAMPLE]] as const) {
  describe(`topology of the ${name} producer/consumer example`, () => {
    const model = analyze(file);

    it('is a valid model', () => {
      assert.ok(isTopologyModel(model));
    });

    it('has main, 3 producers, 2 consumers and one queue', () => {
      assert.deepEqual(summary(model).nodes, [
        'process:consumer×2', 'process:main', 'process:producer×3', 'queue:q',
      ]);
      const q = model.nodes.find((n) => n.kind === 'queue')!;
      assert.equal(q.variant, 'Queue');
      assert.equal(q.maxsize, 0);
      assert.deepEqual(q.loc.range.start, positionOf(file, 'new Queue'));
      assert.equal(q.loc.file, `examples/${file.split('/').pop()}`);
    });

    it('has spawn, join, put and get edges with their counts', () => {
      const expected = [
        'get q->consumer loop',
        'join main->consumer 1',
        'join main->producer 1',
        'put producer->q 10',
        'spawn main->consumer 1',
        'spawn main->producer 1',
      ];
      if (name === 'good') expected.push('put main->q 2');
      assert.deepEqual(summary(model).edges, expected.sort());
    });

    it('keeps a source location on every edge', () => {
      const put = model.edges.find((e) => e.kind === 'put' && e.from.startsWith('proc:producer'))!;
      assert.deepEqual(put.locs.map((l) => l.range.start), [positionOf(file, 'q.put(`')]);
      const get = model.edges.find((e) => e.kind === 'get')!;
      assert.equal(get.blocking, true);
      assert.deepEqual(get.locs.map((l) => l.range.start), [positionOf(file, 'q.get()')]);
    });
  });
}

describe('missing-sentinel on the producer/consumer examples', () => {
  it('is silent on the example that puts one sentinel per consumer', () => {
    assert.deepEqual(analyze(GOOD_EXAMPLE).findings, []);
  });

  it('reports the consumers of the broken twin at their get() call', () => {
    const model = analyze(BROKEN_EXAMPLE);
    assert.equal(model.findings.length, 1);
    const [f] = model.findings;
    assert.equal(f!.rule, 'missing-sentinel');
    assert.equal(f!.severity, 'error');
    assert.match(f!.message, /^2 consumers wait for a null sentinel on q, but none is ever put/);
    assert.deepEqual(f!.loc.range.start, positionOf(BROKEN_EXAMPLE, 'q.get()'));
    assert.deepEqual(f!.related.map((r) => r.loc.range.start), [positionOf(BROKEN_EXAMPLE, 'q.put(`')]);
    const consumer = model.nodes.find((n) => n.label === 'consumer')!;
    const queue = model.nodes.find((n) => n.kind === 'queue')!;
    assert.deepEqual(f!.nodes.sort(), [consumer.id, queue.id].sort());
    assert.deepEqual(f!.edges, [model.edges.find((e) => e.kind === 'get')!.id]);
  });

  it('counts sentinels against consumers: one sentinel for two consumers is still short', () => {
    const model = analyzeFiles([BROKEN_EXAMPLE], {
      rootDir: ROOT,
      overlay: new Map([[BROKEN_EXAMPLE, oneSentinel()]]),
    });
    assert.equal(model.findings.length, 1);
    assert.match(model.findings[0]!.message, /2 consumers wait for a null sentinel on q, but only 1 can be put/);
  });
});

/** The broken twin with a single sentinel put after joining the producers. */
function oneSentinel(): string {
  const text = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
  const anchor = 'for (const c of consumers) await c.join();';
  assert.ok(text.includes(anchor), 'the broken example joins its consumers');
  return text.replace(anchor, `await q.put(null);\n  ${anchor}`);
}
