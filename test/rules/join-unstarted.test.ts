// join-unstarted, both sides: reported at a join() some path reaches before the process is
// started, silent on the fixed twins (one joins under the same condition it starts). Under the
// shim the buggy programs fail with "can only join a started process", the twins complete.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertFailsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'join-unstarted');

const CASES: { name: string; bad: string; good: string; anchor: string }[] = [
  { name: 'started on one branch only', bad: 'bad-conditional.ts', good: 'good-conditional.ts', anchor: 'p.join()' },
  { name: 'a helper starts only the first of two', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'w.join()' },
  { name: 'made in another file, never started', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: 'indexer.join()' },
];

describe('join-unstarted', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the join, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['join-unstarted']);
      assert.equal(findings[0]!.severity, 'error');
      assert.equal(at(findings[0]!), where(bad, c.anchor));
      assert.ok(findings[0]!.nodes.some((n) => n.startsWith('proc:')));
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the buggy program fails with the shim's error, the twin completes`, async () => {
      await assertFailsAndTwinCompletes(bad, good, /can only join a started process/, true);
    });
  }
});
