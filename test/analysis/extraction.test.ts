// Golden tests of the extraction: for each fixture program, the model's nodes (kind, label,
// multiplicity, role, location line) and edges (kind, ends, count, blocking, location lines) match
// the expected file beside it. UPDATE_GOLDEN=1 rewrites the expected files (review the diff!).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { isTopologyModel, type TopologyModel } from '../../common/model';
import { EXAMPLES, ROOT } from '../helpers/paths';

const FIXTURES = path.join(ROOT, 'test/fixtures/extraction');

/** A readable, order-independent digest of a model. */
function digest(model: TopologyModel) {
  return {
    nodes: model.nodes.map((n) => ({
      id: n.id, kind: n.kind, label: n.label,
      ...(n.role ? { role: n.role } : {}), ...(n.multiplicity !== undefined ? { multiplicity: n.multiplicity } : {}),
      ...(n.variant ? { variant: n.variant } : {}), ...(n.maxsize !== undefined ? { maxsize: n.maxsize } : {}),
      ...(n.daemon ? { daemon: true } : {}), ...(n.duplex !== undefined ? { duplex: n.duplex } : {}),
      at: `${n.loc.file}:${n.loc.range.start.line + 1}`,
    })).sort((a, b) => a.id.localeCompare(b.id)),
    edges: model.edges.map((e) => ({
      edge: `${e.kind} ${e.from} -> ${e.to}${e.end ? ` (${e.end})` : ''}`,
      count: e.count, ...(e.blocking ? { blocking: true } : {}),
      at: e.locs.map((l) => `${l.file}:${l.range.start.line + 1}`),
    })).sort((a, b) => a.edge.localeCompare(b.edge)),
    findings: model.findings.map((f) => `${f.rule} ${f.loc.file}:${f.loc.range.start.line + 1}`),
  };
}

const cases: [string, string][] = [
  ...fs.readdirSync(FIXTURES).filter((f) => /\.(ts|cjs|js)$/.test(f)).map((f): [string, string] => [f, path.join(FIXTURES, f)]),
  ...fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory())
    .map((d): [string, string] => [d.name, path.join(FIXTURES, d.name, 'main.ts')]),
  // Every runnable example is a golden too.
  ...fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')).map((f): [string, string] => [`examples/${f}`, path.join(EXAMPLES, f)]),
  // A module no entry reaches, analyzed on its own: its exported target with unknown inputs.
  ['multi-file/worker.ts alone', path.join(FIXTURES, 'multi-file', 'worker.ts')],
];

describe('extraction golden models', () => {
  for (const [name, entry] of cases) {
    it(name, () => {
      const model = analyzeFiles([entry], { rootDir: ROOT });
      assert.ok(isTopologyModel(model), 'a valid model');
      const expectedFile = path.join(FIXTURES, 'expected', `${name.replace(/[/. ]/g, '_')}.json`);
      const actual = digest(model);
      if (process.env.UPDATE_GOLDEN) {
        fs.mkdirSync(path.dirname(expectedFile), { recursive: true });
        fs.writeFileSync(expectedFile, JSON.stringify(actual, null, 2) + '\n');
      }
      assert.deepEqual(actual, JSON.parse(fs.readFileSync(expectedFile, 'utf8')));
    });
  }
});

describe('stable ids', () => {
  it('survive edits that do not touch a declaration, and follow a renamed one', () => {
    const file = path.join(EXAMPLES, 'producer-consumer.ts');
    const text = fs.readFileSync(file, 'utf8');
    const ids = (t: string) => {
      const m = analyzeFiles([file], { rootDir: ROOT, overlay: new Map([[file, t]]) });
      return { nodes: m.nodes.map((n) => n.id).sort(), edges: m.edges.map((e) => e.id).sort() };
    };
    const before = ids(text);
    // Lines added above every declaration, and an edit inside a target's body.
    const edited = `// a comment\n\n${text}`.replace('console.log(`${process.pid} ate ${item}`);', 'console.log(`ate ${item}`); // edited');
    assert.deepEqual(ids(edited), before);
    const renamed = ids(text.replaceAll(/\bq\b(?=[.,)\]:])/g, 'jobs').replace('const q =', 'const jobs ='));
    assert.ok(renamed.nodes.some((id) => id.startsWith('queue:jobs@')), renamed.nodes.join(', '));
    assert.ok(!renamed.nodes.some((id) => id.startsWith('queue:q@')));
  });
});
