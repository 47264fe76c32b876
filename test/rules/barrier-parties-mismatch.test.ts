// barrier-parties-mismatch, both sides: each buggy fixture is reported at the barrier's wait()
// (the constructor related) and its fixed twin is silent; under the shim the buggy program hangs
// and the twin completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, assertHung, COMPLETE_MS, edited, findingsOf, HANG_MS, rulesOf } from '../helpers/rule-cases';
import { positionOf } from '../helpers/source';

const ID = 'barrier-parties-mismatch';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'two workers from a map for a barrier of three', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'gate.wait()', ctor: 'new Barrier(3)', count: /only 2 processes/ },
  { name: 'main and one helper through a sync() helper for a barrier of three', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'b.wait()', ctor: 'new Barrier(3)', count: /only 2 processes \(helper, main\)/ },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at wait(), silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.anchor);
      assert.match(f.message, c.count);
      assert.match(f.message, /needs 3 parties/);
      assert.deepEqual(f.related[0]!.loc.range.start, positionOf(at(c.bad), c.ctor));
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program hangs under the shim, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), HANG_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertHung(b, c.bad);
      assertCompleted(g, c.good);
    });
  }

  const direct = at('bad-direct.ts');

  it('is silent when the barrier has a timeout (it breaks instead of hanging)', () => {
    assert.deepEqual(rulesOf(direct, edited(direct, 'new Barrier(3)', 'new Barrier(3, null, 2)')).filter((r) => r === ID), []);
  });

  it('is silent when the number of processes is unknown', () => {
    assert.ok(!rulesOf(direct, edited(direct, '[1, 2].map(', 'process.argv.slice(2).map(Number).map(')).includes(ID));
  });

  it('is silent when the barrier can be aborted', () => {
    assert.ok(!rulesOf(direct, edited(direct, '  for (const w of workers) await w.join();', '  await gate.abort();\n  for (const w of workers) await w.join();')).includes(ID));
  });
});
