// unsynchronized-update, both sides: reported (a warning) at the write of a read-modify-write on a
// shared Value, manager dict key or SharedArray element that processes running together do
// without one common lock; silent on the twins that hold a lock from the read to the write.
// Under the shim the racy programs lose updates (a pause between read and write makes overlaps
// all but certain; a few runs are allowed), and the locked twins are always exact.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertRacyLosesAndTwinExact, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'unsynchronized-update');

const CASES: { name: string; bad: string; good: string; write: [string, string]; read: [string, string]; result: RegExp; exact: number }[] = [
  { name: 'a Value decremented by four workers (seed 002)', bad: 'bad-value.ts', good: 'good-value.ts',
    write: ['bad-value.ts', 'counter.set('], read: ['bad-value.ts', 'counter.get()'], result: /final count (\d+)/, exact: 0 },
  { name: 'a manager dict key bumped through a helper by workers made in a loop', bad: 'bad-dict-helper.ts', good: 'good-dict-helper.ts',
    write: ['bad-dict-helper.ts', "tally.set('yes'"], read: ['bad-dict-helper.ts', "tally.get('yes')"], result: /yes votes (\d+)/, exact: 20 },
  { name: 'a SharedArray element, by a child and main, across two files', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts',
    write: ['bad-two-files/stats.ts', 'hits.set(0'], read: ['bad-two-files/stats.ts', 'hits.get(0)'], result: /hits (\d+)/, exact: 40 },
];

describe('unsynchronized-update', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the write, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['unsynchronized-update']);
      const f = findings[0]!;
      assert.equal(f.severity, 'warning');
      assert.equal(at(f), where(path.join(DIR, c.write[0]), c.write[1]));
      assert.equal(at(f.related[0]!), where(path.join(DIR, c.read[0]), c.read[1]), 'the read is related');
      assert.ok(f.nodes.some((n) => /^(value|dict|array):/.test(n)), 'the shared object is among the nodes');
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the racy program loses updates under the shim, the locked twin is exact`, async () => {
      await assertRacyLosesAndTwinExact(bad, good, c.result, c.exact);
    });
  }
});
