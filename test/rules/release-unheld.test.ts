// release-unheld, both sides: reported at a release() some path reaches without holding the lock,
// silent on the fixed twins (including one whose release sits under the same condition as its
// acquire). Under the shim the buggy programs fail with the shim's error, the twins complete.
import { describeRule, type RuleCase } from '../helpers/rule-tester';

const CASES: RuleCase[] = [
  { name: 'released twice', bad: 'bad-twice.ts', good: 'good-twice.ts', anchor: ['bad-twice.ts', 'lock.release()', 2], node: /^lock:/,
    verdict: { fails: /release unlocked lock/, exitCode: true } },
  { name: 'acquired on one branch, released on both', bad: 'bad-conditional.ts', good: 'good-conditional.ts', anchor: 'lock.release()', node: /^lock:/,
    verdict: { fails: /release unlocked lock/, exitCode: true } },
  // Main does not pass the child's failure on as its own exit code here.
  { name: 'a helper throws before the acquire, the finally releases (RLock)', bad: 'bad-finally-helper.ts', good: 'good-finally-helper.ts', anchor: 'lock.release()', node: /^lock:/,
    verdict: { fails: /cannot release un-acquired lock/, exitCode: false } },
];

describeRule('release-unheld', CASES);
