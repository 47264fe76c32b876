// unsendable-value, both sides: reported at the argument or the value put/sent that structured
// clone cannot copy (a function, an object holding one, a Process object) or that arrives without
// the methods its receiver calls (a class instance); silent on the twins that send plain data.
// Under the shim the send fails (or, for the class instance, the receiver's method call), the
// twins complete.
import { describeRule, type RuleCase } from '../helpers/rule-tester';

const CASES: RuleCase[] = [
  { name: 'a function in a Process\'s args', bad: 'bad-function-arg.ts', good: 'good-function-arg.ts', anchor: 'euros, [1',
    message: /args\[0\] of render is a function/, verdict: { fails: /cannot send args\[0\]: the function 'euros'/, exitCode: true } },
  { name: 'an object with a callback put on a queue by a helper', bad: 'bad-queue-helper.ts', good: 'good-queue-helper.ts', anchor: 'job);',
    message: /whose onDone is a function/, verdict: { fails: /cannot send the queue item\.onDone/, exitCode: true } },
  { name: 'a class instance whose methods the child calls', bad: 'bad-class-instance.ts', good: 'good-class-instance.ts', anchor: 'new Account(20)',
    message: /instance of the class Account/, verdict: { fails: /account\.deposit is not a function/, exitCode: false } },
  { name: 'a Process object sent through a pipe by another file', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: ['bad-two-files/status.ts', 'worker);'],
    message: /a Process object/, verdict: { fails: /a Process object can only be used by the process that created it/, exitCode: true } },
  { name: 'records with a hook made by map() and put as they are', bad: 'bad-jobs-from-map.ts', good: 'good-jobs-from-map.ts', anchor: 'job);',
    message: /an object whose onDone is a function/, verdict: { fails: /cannot send the queue item\.onDone/, exitCode: true } },
];

describeRule('unsendable-value', CASES);
