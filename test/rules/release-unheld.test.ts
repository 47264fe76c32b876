// release-unheld, both sides: reported at a release() some path reaches without holding the lock,
// silent on the fixed twins (including one whose release sits under the same condition as its
// acquire). Under the shim the buggy programs fail with the shim's error, the twins complete.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertFailsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'release-unheld');

interface Case {
  name: string;
  bad: string;
  good: string;
  anchor: [string, number];
  error: RegExp;
  /** Whether main passes the child's failure on as its own exit code. */
  failCode: boolean;
}

const CASES: Case[] = [
  { name: 'released twice', bad: 'bad-twice.ts', good: 'good-twice.ts', anchor: ['lock.release()', 2], error: /release unlocked lock/, failCode: true },
  { name: 'acquired on one branch, released on both', bad: 'bad-conditional.ts', good: 'good-conditional.ts', anchor: ['lock.release()', 1], error: /release unlocked lock/, failCode: true },
  { name: 'a helper throws before the acquire, the finally releases (RLock)', bad: 'bad-finally-helper.ts', good: 'good-finally-helper.ts', anchor: ['lock.release()', 1], error: /cannot release un-acquired lock/, failCode: false },
];

describe('release-unheld', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the release, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['release-unheld']);
      assert.equal(findings[0]!.severity, 'error');
      assert.equal(at(findings[0]!), where(bad, c.anchor[0], c.anchor[1]));
      assert.ok(findings[0]!.nodes.some((n) => n.startsWith('lock:')));
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the buggy program fails with the shim's error, the twin completes`, async () => {
      await assertFailsAndTwinCompletes(bad, good, c.error, c.failCode);
    });
  }
});
