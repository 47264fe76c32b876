// double-acquire, both sides: the analyzer reports each buggy program at the second acquire (the
// first one related) and is silent on its fixed twin; under the shim the buggy one hangs (the
// process waits for itself) and the twin completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertHangsAndTwinCompletes, at, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'double-acquire');

interface Case {
  name: string;
  bad: string;
  good: string;
  /** The file, needle and occurrence of the second acquire, and of the first. */
  second: [string, string, number];
  first: [string, string, number];
}

const CASES: Case[] = [
  { name: 'a Lock acquired twice in a row', bad: 'bad-direct.ts', good: 'good-direct.ts',
    second: ['bad-direct.ts', 'lock.acquire()', 2], first: ['bad-direct.ts', 'lock.acquire()', 1] },
  { name: 'a helper takes the lock its caller holds', bad: 'bad-helper.ts', good: 'good-helper.ts',
    second: ['bad-helper.ts', 'lock.withLock(', 1], first: ['bad-helper.ts', 'lock.acquire()', 1] },
  { name: 'a continue skips the release in a loop', bad: 'bad-loop.ts', good: 'good-loop.ts',
    second: ['bad-loop.ts', 'lock.acquire()', 1], first: ['bad-loop.ts', 'lock.acquire()', 1] },
  { name: 'a Semaphore(2) asked for a third unit', bad: 'bad-semaphore.ts', good: 'good-semaphore.ts',
    second: ['bad-semaphore.ts', 'slots.acquire()', 3], first: ['bad-semaphore.ts', 'slots.acquire()', 1] },
  { name: 'across two files', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts',
    second: ['bad-two-files/ledger.ts', 'lock.acquire()', 1], first: ['bad-two-files/main.ts', 'lock.acquire()', 1] },
];

describe('double-acquire', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the second acquire, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['double-acquire']);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assert.equal(at(f), where(path.join(DIR, c.second[0]), c.second[1], c.second[2]));
      assert.deepEqual(f.related.map((r) => at(r)), [where(path.join(DIR, c.first[0]), c.first[1], c.first[2])]);
      assert.ok(f.nodes.some((n) => n.startsWith('lock:') || n.startsWith('semaphore:')), 'the lock is among the finding\'s nodes');
      assert.ok(f.edges.length > 0, 'the acquire edges are among the finding\'s edges');
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the buggy program hangs under the shim, the twin completes`, async () => {
      await assertHangsAndTwinCompletes(bad, good);
    });
  }
});
