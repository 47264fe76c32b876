// join-unstarted, both sides: reported at a join() some path reaches before the process is
// started, silent on the fixed twins (one joins under the same condition it starts). Under the
// shim the buggy programs fail with "can only join a started process", the twins complete.
import { describeRule, type RuleCase } from '../helpers/rule-tester';

const fails = { fails: /can only join a started process/, exitCode: true };

const CASES: RuleCase[] = [
  { name: 'started on one branch only', bad: 'bad-conditional.ts', good: 'good-conditional.ts', anchor: 'p.join()', node: /^proc:/, verdict: fails },
  { name: 'a helper starts only the first of two', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'w.join()', node: /^proc:/, verdict: fails },
  { name: 'made in another file, never started', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: 'indexer.join()', node: /^proc:/, verdict: fails },
];

describeRule('join-unstarted', CASES);
