// pool-join-before-close, both sides: each buggy fixture is reported at join() and its fixed twin
// is silent; under the shim the buggy program fails with "Pool is still running" and the twin
// completes. The quick fix (close() before join()) removes the finding and the fixed program runs.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import {
  applyFix, assertAnchor, assertCompleted, assertFailed, COMPLETE_MS, edited, findingsOf, rulesOf, runText,
} from '../helpers/rule-cases';

const ID = 'pool-join-before-close';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'join() with no close() at all', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'pool.join()', message: /before pool.close\(\) or terminate\(\)/ },
  { name: 'a helper joins; close() runs only on one branch', bad: 'bad-branch-helper.ts', good: 'good-branch-helper.ts', anchor: 'pool.join()', message: /on some path/ },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at join(), silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.anchor);
      assert.match(f.message, c.message);
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program fails with "Pool is still running", the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), COMPLETE_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertFailed(b, /Pool is still running/, c.bad);
      assert.notEqual(b.code, 0);
      assertCompleted(g, c.good);
    });

    it(`${c.name}: the quick fix inserts pool.close() before the join and removes the finding`, () => {
      const fix = findingsOf(at(c.bad))[0]!.fixes![0]!;
      assert.equal(fix.title, 'Call pool.close() before pool.join()');
      const fixed = applyFix(fix);
      assert.match(fixed.get(at(c.bad))!, /\n(\s+)pool\.close\(\);\n\1await pool\.join\(\);/);
      assert.deepEqual(rulesOf(at(c.bad), fixed), []);
    });
  }

  it('the fixed programs complete under the shim', async () => {
    const runs = CASES.map((c) => runText(at(c.bad), applyFix(findingsOf(at(c.bad))[0]!.fixes![0]!).get(at(c.bad))!, COMPLETE_MS));
    const results = await Promise.all(runs);
    results.forEach((r, i) => assertCompleted(r, `fixed ${CASES[i]!.bad}`));
  });

  it('terminate() before join() is enough', () => {
    const file = at('bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, '  await pool.join();', '  await pool.terminate();\n  await pool.join();')), []);
  });

  it('is silent when the pool is handed to code that may close it', () => {
    const file = at('bad-direct.ts');
    const overlay = edited(file, '  await pool.join();', "  new (await import('node:events')).EventEmitter().emit('pool', pool);\n  await pool.join();");
    assert.ok(!rulesOf(file, overlay).includes(ID));
  });
});
