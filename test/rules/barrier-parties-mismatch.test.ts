// barrier-parties-mismatch, both sides: each buggy fixture is reported at the barrier's wait()
// (the constructor related) and its fixed twin is silent; under the shim the buggy program hangs
// and the twin completes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase } from '../helpers/rule-tester';

const ID = 'barrier-parties-mismatch';

const CASES: RuleCase[] = [
  { name: 'two workers from a map for a barrier of three', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'gate.wait()',
    message: [/only 2 processes/, /needs 3 parties/], related: [{ at: 'new Barrier(3)' }], graph: true, verdict: { hangs: true } },
  { name: 'main and one helper through a sync() helper for a barrier of three', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'b.wait()',
    message: [/only 2 processes \(helper, main\)/, /needs 3 parties/], related: [{ at: 'new Barrier(3)' }], graph: true, verdict: { hangs: true } },
];

describeRule(ID, CASES, () => {
  const direct = fixture(ID, 'bad-direct.ts');

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
