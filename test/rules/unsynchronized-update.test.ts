// unsynchronized-update, both sides: reported (a warning) at the write of a read-modify-write on a
// shared Value, manager dict key, Namespace attribute or SharedArray element that processes running together do
// without one common lock; silent on the twins that hold a lock from the read to the write.
// Under the shim the racy programs lose updates (a pause between read and write makes overlaps
// all but certain; a few runs are allowed), and the locked twins are always exact.
import { describeRule, type RuleCase } from '../helpers/rule-tester';

const SHARED = /^(value|dict|array):/;

const CASES: RuleCase[] = [
  { name: 'a Value decremented by four workers (seed 002)', bad: 'bad-value.ts', good: 'good-value.ts',
    anchor: 'counter.set(', related: [{ at: 'counter.get()' }], node: SHARED, verdict: { races: /final count (\d+)/, exact: 0 } },
  { name: 'a manager dict key bumped through a helper by workers made in a loop', bad: 'bad-dict-helper.ts', good: 'good-dict-helper.ts',
    anchor: "tally.set('yes'", related: [{ at: "tally.get('yes')" }], node: SHARED, verdict: { races: /yes votes (\d+)/, exact: 20 } },
  { name: 'a SharedArray element, by a child and main, across two files', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts',
    anchor: ['bad-two-files/stats.ts', 'hits.set(0'], related: [{ at: ['bad-two-files/stats.ts', 'hits.get(0)'] }], node: SHARED,
    verdict: { races: /hits (\d+)/, exact: 40 } },
  { name: 'main signals an event before its own updates, not after (the event orders only what comes before set())', bad: 'bad-signal-first.ts', good: 'good-signal-after.ts',
    anchor: 'balance.set(b - 1', related: [{ at: 'balance.get()' }], node: SHARED, verdict: { races: /balance (-?\d+)/, exact: 80 } },
  { name: 'a manager Namespace attribute totalled by downloaders', bad: 'bad-namespace.ts', good: 'good-namespace.ts',
    anchor: "meter.set('bytes'", related: [{ at: "meter.get('bytes')" }], node: /^namespace:/, message: /meter\.bytes/,
    verdict: { races: /downloaded (\d+) bytes/, exact: 6144 } },
];

describeRule('unsynchronized-update', CASES);
