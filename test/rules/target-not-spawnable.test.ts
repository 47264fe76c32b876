// target-not-spawnable, both sides: reported at the target (or the function submitted to a pool)
// that is not an exported module-level function; silent on the twins that export it. Under the
// shim the buggy programs fail at start() or at the submit (the runtime cannot locate the
// function for the child), the twins complete.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertFailsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'target-not-spawnable');

const CASES: { name: string; bad: string; good: string; anchor: [string, string]; why: RegExp; error: RegExp }[] = [
  { name: 'an arrow in a variable that is not exported', bad: 'bad-arrow.ts', good: 'good-arrow.ts', anchor: ['bad-arrow.ts', 'work, args'],
    why: /work is an arrow function in a variable that is not exported/, error: /cannot start a process: the Process target 'work' cannot be sent to the child/ },
  { name: 'closures made in a loop', bad: 'bad-closure-loop.ts', good: 'good-closure-loop.ts', anchor: ['bad-closure-loop.ts', '() => console.log'],
    why: /inline arrow function/, error: /cannot start a process: the Process target/ },
  { name: 'a method submitted to a pool', bad: 'bad-pool-method.ts', good: 'good-pool-method.ts', anchor: ['bad-pool-method.ts', 'pricing.withTax'],
    why: /withTax is a method: a function submitted to a pool/, error: /cannot submit to the pool/ },
  { name: 'a target another file does not export', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: ['bad-two-files/launcher.ts', 'index, args'],
    why: /index is not exported from its module/, error: /cannot start a process: the Process target 'index'/ },
];

describe('target-not-spawnable', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the target, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['target-not-spawnable']);
      assert.equal(findings[0]!.severity, 'error');
      assert.equal(at(findings[0]!), where(path.join(DIR, c.anchor[0]), c.anchor[1]));
      assert.match(findings[0]!.message, c.why);
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the buggy program fails with the shim's error, the twin completes`, async () => {
      await assertFailsAndTwinCompletes(bad, good, c.error, true);
    });
  }
});
