// unsendable-value, both sides: reported at the argument or the value put/sent that structured
// clone cannot copy (a function, an object holding one, a Process object) or that arrives without
// the methods its receiver calls (a class instance); silent on the twins that send plain data.
// Under the shim the send fails (or, for the class instance, the receiver's method call), the
// twins complete.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertFailsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'unsendable-value');

const CASES: { name: string; bad: string; good: string; anchor: [string, string]; what: RegExp; error: RegExp; failCode: boolean }[] = [
  { name: 'a function in a Process\'s args', bad: 'bad-function-arg.ts', good: 'good-function-arg.ts', anchor: ['bad-function-arg.ts', 'euros, [1'],
    what: /args\[0\] of render is a function/, error: /cannot send args\[0\]: the function 'euros'/, failCode: true },
  { name: 'an object with a callback put on a queue by a helper', bad: 'bad-queue-helper.ts', good: 'good-queue-helper.ts', anchor: ['bad-queue-helper.ts', 'job);'],
    what: /whose onDone is a function/, error: /cannot send the queue item\.onDone/, failCode: true },
  { name: 'a class instance whose methods the child calls', bad: 'bad-class-instance.ts', good: 'good-class-instance.ts', anchor: ['bad-class-instance.ts', 'new Account(20)'],
    what: /instance of the class Account/, error: /account\.deposit is not a function/, failCode: false },
  { name: 'a Process object sent through a pipe by another file', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: ['bad-two-files/status.ts', 'worker);'],
    what: /a Process object/, error: /a Process object can only be used by the process that created it/, failCode: true },
];

describe('unsendable-value', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the value, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['unsendable-value']);
      assert.equal(findings[0]!.severity, 'error');
      assert.equal(at(findings[0]!), where(path.join(DIR, c.anchor[0]), c.anchor[1]));
      assert.match(findings[0]!.message, c.what);
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the buggy program fails under the shim, the twin completes`, async () => {
      await assertFailsAndTwinCompletes(bad, good, c.error, c.failCode);
    });
  }
});
