// lock-order-inversion, both sides: one finding per cycle, anchored at the inner acquire of one
// process with every other acquire of the cycle related; silent on the fixed twins (one order, or
// a common gate lock). Under the shim the buggy programs deadlock (each process pauses while
// holding its first lock, so both get it), and the twins complete.
import assert from 'node:assert/strict';
import { describeRule, type RuleCase, type Site } from '../helpers/rule-tester';

/** One finding for the cycle: anchored at `anchor`, every other acquire related, both locks its nodes. */
const cycle = (name: string, bad: string, good: string, anchor: Site, related: Site[]): RuleCase => ({
  name, bad, good, anchor, related: related.map((at) => ({ at })), verdict: { hangs: true },
  check: (findings) => assert.equal(findings[0]!.nodes.filter((n) => n.startsWith('lock:')).length, 2, 'both locks are the finding\'s nodes'),
});

const CASES: RuleCase[] = [
  cycle('two targets take two locks in opposite orders', 'bad-direct.ts', 'good-direct.ts', ['bad-direct.ts', 'audit.acquire()', 1],
    [['bad-direct.ts', 'accounts.acquire()', 1], ['bad-direct.ts', 'audit.acquire()', 2], ['bad-direct.ts', 'accounts.acquire()', 2]]),
  cycle('one target, accounts passed in swapped order (withLock)', 'bad-swapped-args.ts', 'good-swapped-args.ts', ['bad-swapped-args.ts', 'to.withLock(', 1],
    [['bad-swapped-args.ts', 'from.withLock(', 1]]),
  cycle('workers started in a loop, through a helper', 'bad-helper-loop.ts', 'good-helper-loop.ts', ['bad-helper-loop.ts', 'second.acquire()', 1],
    [['bad-helper-loop.ts', 'first.acquire()', 1]]),
  cycle('across two files', 'bad-two-files/main.ts', 'good-two-files/main.ts', ['bad-two-files/inventory.ts', 'warehouse.acquire()', 1],
    [['bad-two-files/inventory.ts', 'shelf.acquire()', 1], ['bad-two-files/main.ts', 'warehouse.acquire()', 1], ['bad-two-files/main.ts', 'shelf.acquire()', 1]]),
  cycle('a token through a queue orders the two only when it is handed over after the locks are released', 'bad-token-held.ts', 'good-token-held.ts',
    ['bad-token-held.ts', 'ledger.acquire()', 1], [['bad-token-held.ts', 'journal.acquire()', 1], ['bad-token-held.ts', 'ledger.acquire()', 2], ['bad-token-held.ts', 'journal.acquire()', 2]]),
];

describeRule('lock-order-inversion', CASES);
