// lock-order-inversion, both sides: one finding per cycle, anchored at the inner acquire of one
// process with every other acquire of the cycle related; silent on the fixed twins (one order, or
// a common gate lock). Under the shim the buggy programs deadlock (each process pauses while
// holding its first lock, so both get it), and the twins complete.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertHangsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'lock-order-inversion');

interface Case {
  name: string;
  bad: string;
  good: string;
  /** [file, needle, occurrence] of the anchor and of each related acquire. */
  anchor: [string, string, number];
  related: [string, string, number][];
}

const CASES: Case[] = [
  { name: 'two targets take two locks in opposite orders', bad: 'bad-direct.ts', good: 'good-direct.ts',
    anchor: ['bad-direct.ts', 'audit.acquire()', 1],
    related: [['bad-direct.ts', 'accounts.acquire()', 1], ['bad-direct.ts', 'audit.acquire()', 2], ['bad-direct.ts', 'accounts.acquire()', 2]] },
  { name: 'one target, accounts passed in swapped order (withLock)', bad: 'bad-swapped-args.ts', good: 'good-swapped-args.ts',
    anchor: ['bad-swapped-args.ts', 'to.withLock(', 1],
    related: [['bad-swapped-args.ts', 'from.withLock(', 1]] },
  { name: 'workers started in a loop, through a helper', bad: 'bad-helper-loop.ts', good: 'good-helper-loop.ts',
    anchor: ['bad-helper-loop.ts', 'second.acquire()', 1],
    related: [['bad-helper-loop.ts', 'first.acquire()', 1]] },
  { name: 'across two files', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts',
    anchor: ['bad-two-files/inventory.ts', 'warehouse.acquire()', 1],
    related: [['bad-two-files/inventory.ts', 'shelf.acquire()', 1], ['bad-two-files/main.ts', 'warehouse.acquire()', 1], ['bad-two-files/main.ts', 'shelf.acquire()', 1]] },
];

describe('lock-order-inversion', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: one finding for the cycle, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['lock-order-inversion']);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assert.equal(at(f), where(path.join(DIR, c.anchor[0]), c.anchor[1], c.anchor[2]));
      const related = new Set(f.related.map(at));
      for (const [file, needle, n] of c.related) assert.ok(related.has(where(path.join(DIR, file), needle, n)), `${needle} (#${n}) is related`);
      assert.equal(f.nodes.filter((n) => n.startsWith('lock:')).length, 2, 'both locks are the finding\'s nodes');
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the buggy program deadlocks under the shim, the twin completes`, async () => {
      await assertHangsAndTwinCompletes(bad, good);
    });
  }
});
