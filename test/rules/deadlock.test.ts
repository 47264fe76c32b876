// deadlock, both sides: the model checker reports each communication deadlock with a trace and is
// silent on the fixed twin; under the shim the buggy program really hangs and the twin completes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { BROKEN_EXAMPLE, ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { positionOf } from '../helpers/source';

const DIR = path.join(ROOT, 'test/fixtures/rules/deadlock');
/** Shapes beyond the seeds, each with the call the finding must be anchored at. */
const SHAPES: [string, string, string][] = [
  ['both ends of a pipe recv first', 'pipe-both-recv', 'conn.recv()'],
  ['a join on a child that waits for a message sent after the join', 'join-before-send', 'q.get()'],
  ['a producer blocked on a full queue whose consumer waits for the lock the producer holds', 'full-queue-lock', 'lock.acquire()'],
  ['a three-process cycle', 'three-cycle', 'inbox.get()'],
  ['a condition notified only before anyone waits', 'notify-before-wait', 'cond.wait()'],
  ['four identical workers, the first holding the lock main needs to reply', 'replicated-workers', 'replies.get()'],
  ['a pool of two workers for three tasks that meet at a barrier of three', 'pool-barrier', 'b.wait()'],
  ['pool tasks waiting for an event main sets after reading their results', 'pool-event', 'go.wait()'],
];

function analyze(file: string, text?: string) {
  return analyzeFiles([file], { rootDir: ROOT, ...(text ? { overlay: new Map([[file, text]]) } : {}) });
}

describe('deadlock', () => {
  for (const [name, base, anchor] of SHAPES) {
    const bad = path.join(DIR, `bad-${base}.ts`);
    const good = path.join(DIR, `good-${base}.ts`);

    it(`${name}: reported with a trace, silent on the twin`, () => {
      const model = analyze(bad);
      assert.ok(model.findings.length >= 1, 'a finding');
      for (const f of model.findings) assert.equal(f.rule, 'deadlock');
      const anchors = model.findings.flatMap((f) => [f.loc, ...f.related.map((r) => r.loc)]).map((l) => l.range.start);
      assert.ok(anchors.some((p) => p.line === positionOf(bad, anchor).line), `a blocked operation at ${anchor}`);
      const f = model.findings[0]!;
      assert.ok(f.trace && f.trace.length > 0, 'the trace that reaches the deadlock');
      for (const step of f.trace) {
        assert.ok(model.nodes.some((n) => n.id === step.process), `trace step names a process of the model: ${step.process}`);
        assert.equal(step.loc.file, path.relative(ROOT, bad));
      }
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1, 'the graph can highlight it');
      assert.deepEqual(analyze(good).findings, []);
    });

    it(`${name}: the buggy program hangs under the shim, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(bad, 6000), runProgram(good, 30_000)]);
      assert.equal(b.outcome, 'hung', `the buggy program exited (${b.code}): ${b.stderr}`);
      assert.equal(g.outcome, 'exited', 'the fixed twin finished');
      assert.equal(g.code, 0, g.stderr);
    });
  }

  it('stays silent where a more specific rule explains the same wait (missing-sentinel)', () => {
    assert.deepEqual(analyze(BROKEN_EXAMPLE).findings.map((f) => f.rule), ['missing-sentinel']);
  });

  it('N consumers and N-1 sentinels: missing-sentinel, not deadlock', () => {
    const file = path.join(ROOT, 'test/fixtures/rules/missing-sentinel/bad-helper-loop.ts');
    assert.deepEqual(analyze(file).findings.map((f) => f.rule), ['missing-sentinel']);
  });

  it('says so when the state budget runs out instead of claiming safety', () => {
    const file = path.join(DIR, 'bad-three-cycle.ts');
    const model = analyzeFiles([file], { rootDir: ROOT, stateBudget: 3 });
    assert.deepEqual(model.findings, []);
    assert.ok(model.notes?.some((n) => /budget/.test(n)), JSON.stringify(model.notes));
  });

  it('stays silent when unknown code could wake the waiter', () => {
    const bad = path.join(DIR, 'bad-join-before-send.ts');
    const text = fs.readFileSync(bad, 'utf8').replace('await p.join();', "eval('q.put(\"go\")');\n  await p.join();");
    assert.deepEqual(analyze(bad, text).findings, []);
  });
});
