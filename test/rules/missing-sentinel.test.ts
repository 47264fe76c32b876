// missing-sentinel, both sides: the analyzer reports each buggy program and stays silent on its
// fixed twin, and under the shim the buggy one really hangs while the twin completes.
import { BROKEN_EXAMPLE, GOOD_EXAMPLE } from '../helpers/paths';
import { describeRule, type RuleCase } from '../helpers/rule-tester';

const CASES: RuleCase[] = [
  { name: 'no sentinel at all (the example)', bad: BROKEN_EXAMPLE, good: GOOD_EXAMPLE, verdict: { hangs: true } },
  { name: 'three consumers from a helper loop, two sentinels', bad: 'bad-helper-loop.ts', good: 'good-helper-loop.ts', verdict: { hangs: true } },
];

describeRule('missing-sentinel', CASES);
