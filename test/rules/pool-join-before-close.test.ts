// pool-join-before-close, both sides: each buggy fixture is reported at join() and its fixed twin
// is silent; under the shim the buggy program fails with "Pool is still running" and the twin
// completes. The quick fix (close() before join()) removes the finding and the fixed program runs.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  applyFix, assertCompleted, COMPLETE_MS, describeRule, edited, findingsOf, fixture, rulesOf, runText, type RuleCase,
} from '../helpers/rule-tester';

const ID = 'pool-join-before-close';
const fails = { fails: /Pool is still running/, exitCode: true };

const CASES: RuleCase[] = [
  { name: 'join() with no close() at all', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'pool.join()',
    message: /before pool.close\(\) or terminate\(\)/, graph: true, verdict: fails },
  { name: 'a helper joins; close() runs only on one branch', bad: 'bad-branch-helper.ts', good: 'good-branch-helper.ts', anchor: 'pool.join()',
    message: /on some path/, graph: true, verdict: fails },
];

describeRule(ID, CASES, () => {
  for (const c of CASES) {
    const bad = fixture(ID, c.bad);
    it(`${c.name}: the quick fix inserts pool.close() before the join and removes the finding`, () => {
      const fix = findingsOf(bad)[0]!.fixes![0]!;
      assert.equal(fix.title, 'Call pool.close() before pool.join()');
      const fixed = applyFix(fix);
      assert.match(fixed.get(bad)!, /\n(\s+)pool\.close\(\);\n\1await pool\.join\(\);/);
      assert.deepEqual(rulesOf(bad, fixed), []);
    });
  }

  it('the fixed programs complete under the shim', async () => {
    const bads = CASES.map((c) => fixture(ID, c.bad));
    const results = await Promise.all(bads.map((bad) => runText(bad, applyFix(findingsOf(bad)[0]!.fixes![0]!).get(bad)!, COMPLETE_MS)));
    results.forEach((r, i) => assertCompleted(r, `fixed ${CASES[i]!.bad}`));
  });

  it('terminate() before join() is enough', () => {
    const file = fixture(ID, 'bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, '  await pool.join();', '  await pool.terminate();\n  await pool.join();')), []);
  });

  it('is silent when the pool is handed to code that may close it', () => {
    const file = fixture(ID, 'bad-direct.ts');
    const overlay = edited(file, '  await pool.join();', "  new (await import('node:events')).EventEmitter().emit('pool', pool);\n  await pool.join();");
    assert.ok(!rulesOf(file, overlay).includes(ID));
  });
});
