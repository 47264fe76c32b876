// daemon-has-children, both sides: reported at the start() or Pool constructor a daemon process
// runs (its creation related), silent on the non-daemon twins. Under the shim the daemon fails
// with "daemonic processes are not allowed to have children" (on its stderr; main itself goes on),
// the twins complete.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertFailsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'daemon-has-children');

const CASES: { name: string; bad: string; good: string; anchor: [string, string]; daemon: [string, string] }[] = [
  { name: 'a daemon starts a process', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: ['bad-direct.ts', 'w.start()'], daemon: ['bad-direct.ts', 'new Process({ target: supervise'] },
  { name: 'a daemon makes a Pool', bad: 'bad-pool.ts', good: 'good-pool.ts', anchor: ['bad-pool.ts', 'new Pool(2)'], daemon: ['bad-pool.ts', 'new Process({ target: crunch'] },
  { name: 'daemons in a loop call a helper in another file', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts',
    anchor: ['bad-two-files/tasks.ts', 'p.start()'], daemon: ['bad-two-files/main.ts', 'new Process({ target: heartbeat'] },
];

describe('daemon-has-children', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the inner start, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['daemon-has-children']);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assert.equal(at(f), where(path.join(DIR, c.anchor[0]), c.anchor[1]));
      assert.deepEqual(f.related.map(at), [where(path.join(DIR, c.daemon[0]), c.daemon[1])]);
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the daemon fails with the shim's error, the twin completes`, async () => {
      await assertFailsAndTwinCompletes(bad, good, /daemonic processes are not allowed to have children/, false);
    });
  }
});
