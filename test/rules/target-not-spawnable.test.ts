// target-not-spawnable, both sides: reported at the target (or the function submitted to a pool)
// that is not an exported module-level function; silent on the twins that export it. Under the
// shim the buggy programs fail at start() or at the submit (the runtime cannot locate the
// function for the child), the twins complete.
import { describeRule, type RuleCase } from '../helpers/rule-tester';

const CASES: RuleCase[] = [
  { name: 'an arrow in a variable that is not exported', bad: 'bad-arrow.ts', good: 'good-arrow.ts', anchor: 'work, args',
    message: /work is an arrow function in a variable that is not exported/,
    verdict: { fails: /cannot start a process: the Process target 'work' cannot be sent to the child/, exitCode: true } },
  { name: 'closures made in a loop', bad: 'bad-closure-loop.ts', good: 'good-closure-loop.ts', anchor: '() => console.log',
    message: /inline arrow function/, verdict: { fails: /cannot start a process: the Process target/, exitCode: true } },
  { name: 'a method submitted to a pool', bad: 'bad-pool-method.ts', good: 'good-pool-method.ts', anchor: 'pricing.withTax',
    message: /withTax is a method: a function submitted to a pool/, verdict: { fails: /cannot submit to the pool/, exitCode: true } },
  { name: 'a target another file does not export', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: ['bad-two-files/launcher.ts', 'index, args'],
    message: /index is not exported from its module/, verdict: { fails: /cannot start a process: the Process target 'index'/, exitCode: true } },
];

describeRule('target-not-spawnable', CASES);
