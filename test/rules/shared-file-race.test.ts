// shared-file-race, both sides: reported (a warning) at the write of a file that processes running
// together read then write without one common lock (a constant path, a path made once and passed
// in args, or load/save helpers in another module); silent on the twins that hold a lock from the
// read to the write. Under the shim the racy programs lose updates (more seats sold, more tickets
// bought, fewer units taken off than picked) in some run, and the locked twins are always exact.
// The model has a `file` node for the path, with read and write edges.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { EXAMPLES, ROOT } from '../helpers/paths';
import { assertRacyLosesAndTwinExact, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'shared-file-race');
const count = (line: RegExp) => (stdout: string): number => stdout.split('\n').filter((l) => line.test(l)).length;

const CASES: { name: string; bad: string; good: string; write: [string, string]; read: [string, string]; result: RegExp | ((s: string) => number); exact: number; runs: number }[] = [
  { name: 'a constant path read and written by sellers made with Array.from', bad: path.join(DIR, 'bad-constant-path.ts'), good: path.join(DIR, 'good-constant-path.ts'),
    write: [path.join(DIR, 'bad-constant-path.ts'), 'writeFileSync(DB, JSON.stringify({ seats: db'], read: [path.join(DIR, 'bad-constant-path.ts'), 'readFileSync(DB'],
    result: count(/^sold a seat$/), exact: 2, runs: 3 },
  { name: 'load/save helpers in another module', bad: path.join(DIR, 'bad-two-files/main.ts'), good: path.join(DIR, 'good-two-files/main.ts'),
    write: [path.join(DIR, 'bad-two-files/store.ts'), 'fs.writeFileSync('], read: [path.join(DIR, 'bad-two-files/store.ts'), 'fs.readFileSync('],
    result: /units left (\d+)/, exact: 90, runs: 3 },
  { name: 'the ticket office example: a temporary path passed in args, read through a helper', bad: path.join(EXAMPLES, 'ticket-office.ts'), good: path.join(EXAMPLES, 'ticket-office-locked.ts'),
    write: [path.join(EXAMPLES, 'ticket-office.ts'), 'fs.writeFileSync(db, JSON'], read: [path.join(EXAMPLES, 'ticket-office.ts'), 'fs.readFileSync('],
    result: count(/bought a ticket$/), exact: 1, runs: 5 },
];

describe('shared-file-race', () => {
  for (const c of CASES) {
    it(`${c.name}: reported at the write, silent on the twin`, () => {
      const findings = findingsOf(c.bad);
      assert.deepEqual(findings.map((f) => f.rule), ['shared-file-race']);
      const f = findings[0]!;
      assert.equal(f.severity, 'warning');
      assert.equal(at(f), where(c.write[0], c.write[1]));
      assert.equal(at(f.related[0]!), where(c.read[0], c.read[1]), 'the read is related');
      assert.ok(f.nodes.some((n) => n.startsWith('file:')), 'the file is among the nodes');
      assert.deepEqual(rulesOf(c.good), []);
    });

    it(`${c.name}: the racy program loses updates under the shim, the locked twin is exact`, async () => {
      await assertRacyLosesAndTwinExact(c.bad, c.good, c.result, c.exact, c.runs);
    });
  }

  it('the model has one file node per path, with read and write edges from the processes', () => {
    const model = analyzeFiles([path.join(DIR, 'bad-constant-path.ts')], { rootDir: ROOT });
    const files = model.nodes.filter((n) => n.kind === 'file');
    assert.deepEqual(files.map((n) => n.label), ['bad-constant-path.seats.json']);
    const id = files[0]!.id;
    const edges = model.edges.filter((e) => e.from === id || e.to === id).map((e) => `${e.kind} ${e.from === id ? 'file->' + e.to.split('@')[0] : e.from.split('@')[0] + '->file'}`).sort();
    assert.deepEqual(edges, ['read file->proc:seller', 'write proc:main->file', 'write proc:seller->file']);
  });
});
