// start-twice, both sides: reported at the start() that can run a second time on the same process
// object (the first start related), silent on the twins that make a new process per run. Under
// the shim the buggy programs fail with "cannot start a process twice", the twins complete.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertFailsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'start-twice');

const CASES: { name: string; bad: string; good: string; second: [string, string, number]; first: [string, string, number] }[] = [
  { name: 'restarted after join', bad: 'bad-restart.ts', good: 'good-restart.ts', second: ['bad-restart.ts', 'p.start()', 2], first: ['bad-restart.ts', 'p.start()', 1] },
  { name: 'started in every round of a loop', bad: 'bad-loop.ts', good: 'good-loop.ts', second: ['bad-loop.ts', 'poller.start()', 1], first: ['bad-loop.ts', 'poller.start()', 1] },
  { name: 'a helper in another file started twice', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', second: ['bad-two-files/service.ts', 'p.start()', 1], first: ['bad-two-files/service.ts', 'p.start()', 1] },
];

describe('start-twice', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the second start, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['start-twice']);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assert.equal(at(f), where(path.join(DIR, c.second[0]), c.second[1], c.second[2]));
      assert.deepEqual(f.related.map(at), [where(path.join(DIR, c.first[0]), c.first[1], c.first[2])]);
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the buggy program fails with the shim's error, the twin completes`, async () => {
      await assertFailsAndTwinCompletes(bad, good, /cannot start a process twice/, true);
    });
  }
});
