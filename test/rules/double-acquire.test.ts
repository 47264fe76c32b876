// double-acquire, both sides: the analyzer reports each buggy program at the second acquire (the
// first one related) and is silent on its fixed twin; under the shim the buggy one hangs (the
// process waits for itself) and the twin completes.
import { describeRule, type RuleCase } from '../helpers/rule-tester';

/** The second acquire is the anchor, the first the one related location; the lock is a node. */
const twice = (name: string, bad: string, good: string, second: [string, string, number], first: [string, string, number]): RuleCase => ({
  name, bad, good, anchor: second, related: [{ at: first }], relatedCount: 1, node: /^(lock|semaphore):/, graph: true, verdict: { hangs: true },
});

const CASES: RuleCase[] = [
  twice('a Lock acquired twice in a row', 'bad-direct.ts', 'good-direct.ts', ['bad-direct.ts', 'lock.acquire()', 2], ['bad-direct.ts', 'lock.acquire()', 1]),
  twice('a helper takes the lock its caller holds', 'bad-helper.ts', 'good-helper.ts', ['bad-helper.ts', 'lock.withLock(', 1], ['bad-helper.ts', 'lock.acquire()', 1]),
  twice('a continue skips the release in a loop', 'bad-loop.ts', 'good-loop.ts', ['bad-loop.ts', 'lock.acquire()', 1], ['bad-loop.ts', 'lock.acquire()', 1]),
  twice('a Semaphore(2) asked for a third unit', 'bad-semaphore.ts', 'good-semaphore.ts', ['bad-semaphore.ts', 'slots.acquire()', 3], ['bad-semaphore.ts', 'slots.acquire()', 1]),
  twice('across two files', 'bad-two-files/main.ts', 'good-two-files/main.ts', ['bad-two-files/ledger.ts', 'lock.acquire()', 1], ['bad-two-files/main.ts', 'lock.acquire()', 1]),
];

describeRule('double-acquire', CASES);
