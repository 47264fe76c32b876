// release-unheld, both sides: reported at a release() some path reaches without holding the lock,
// or a Condition's wait()/notifyAll() reached without its lock, silent on the fixed twins
// (including one whose release sits under the same condition as its acquire). Under the shim the buggy programs fail with the shim's error, the twins complete.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase } from '../helpers/rule-tester';

const CASES: RuleCase[] = [
  { name: 'released twice', bad: 'bad-twice.ts', good: 'good-twice.ts', anchor: ['bad-twice.ts', 'lock.release()', 2], node: /^lock:/,
    verdict: { fails: /release unlocked lock/, exitCode: true } },
  { name: 'acquired on one branch, released on both', bad: 'bad-conditional.ts', good: 'good-conditional.ts', anchor: 'lock.release()', node: /^lock:/,
    verdict: { fails: /release unlocked lock/, exitCode: true } },
  // Main does not pass the child's failure on as its own exit code here.
  { name: 'a helper throws before the acquire, the finally releases (RLock)', bad: 'bad-finally-helper.ts', good: 'good-finally-helper.ts', anchor: 'lock.release()', node: /^lock:/,
    verdict: { fails: /cannot release un-acquired lock/, exitCode: false } },
  { name: 'a BoundedSemaphore slot given back in the catch before a retry and again in the finally', bad: 'bad-bounded-retry.ts', good: 'good-bounded-retry.ts', anchor: ['bad-bounded-retry.ts', 'slots.release()', 3], node: /^semaphore:slots@/,
    verdict: { fails: /Semaphore released too many times/, exitCode: true } },
  { name: "a Condition's wait() in a class method that never takes the condition's lock", bad: 'bad-condition-wait.ts', good: 'good-condition-wait.ts', anchor: 'this.cond.wait(0.5)', node: /^condition:cond@/,
    verdict: { fails: /cannot wait on un-acquired lock/, exitCode: true } },
  { name: 'notifyAll() after the withLock that set the value it announces', bad: 'bad-notify-outside.ts', good: 'good-notify-outside.ts', anchor: 'cond.notifyAll()', node: /^condition:cond@/,
    verdict: { fails: /cannot notify on un-acquired lock/, exitCode: true } },
  // Main takes the same lock, but only after it joined the releasing process: it cannot be the hold
  // the release frees.
  { name: 'acquired for some jobs, released after each; main takes the lock after the join', bad: 'bad-drain-after-join.ts', good: 'good-drain-after-join.ts', anchor: 'toner.release()', node: /^lock:toner@/,
    related: [{ at: 'toner.acquire()', message: /not on every path/ }],
    verdict: { fails: /release unlocked lock/, exitCode: true } },
  // The child takes the lock too, but main's release comes before it is started: it cannot be the
  // holder.
  { name: 'a helper that always releases, called by main before the child that also locks is started', bad: 'bad-release-before-start.ts', good: 'good-release-before-start.ts', anchor: 'lock.release()', node: /^lock:/,
    verdict: { fails: /release unlocked lock/, exitCode: true } },
];

describeRule('release-unheld', CASES, () => {
  it('silent when main may hold the lock while the process releases it (a Lock may be released by any process)', () => {
    const bad = fixture('release-unheld', 'bad-drain-after-join.ts');
    const during = edited(bad, '  await s.join();\n  const pages = await toner.withLock(() => printed.get());', '  const pages = await toner.withLock(() => printed.get());\n  await s.join();');
    assert.deepEqual(rulesOf(bad, during), []);
  });

  it('silent when another instance of the releasing process may hold it', () => {
    const bad = fixture('release-unheld', 'bad-drain-after-join.ts');
    const two = edited(bad, "  s.start();\n  await s.join();", "  const t = new Process({ target: spooler, args: [JOBS, toner, printed] });\n  s.start();\n  t.start();\n  await s.join();\n  await t.join();");
    assert.deepEqual(rulesOf(bad, two).filter((r) => r === 'release-unheld'), []);
  });
});
