// start-twice, both sides: reported at the start() that can run a second time on the same process
// object (the first start related), silent on the twins that make a new process per run. Under
// the shim the buggy programs fail with "cannot start a process twice", the twins complete.
import { describeRule, type RuleCase, type Site } from '../helpers/rule-tester';

const twice = (name: string, bad: string, good: string, second: Site, first: Site): RuleCase => ({
  name, bad, good, anchor: second, related: [{ at: first }], relatedCount: 1, verdict: { fails: /cannot start a process twice/, exitCode: true },
});

const CASES: RuleCase[] = [
  twice('restarted after join', 'bad-restart.ts', 'good-restart.ts', ['bad-restart.ts', 'p.start()', 2], ['bad-restart.ts', 'p.start()', 1]),
  twice('started in every round of a loop', 'bad-loop.ts', 'good-loop.ts', 'poller.start()', 'poller.start()'),
  twice('a helper in another file started twice', 'bad-two-files/main.ts', 'good-two-files/main.ts', ['bad-two-files/service.ts', 'p.start()'], ['bad-two-files/service.ts', 'p.start()']),
];

describeRule('start-twice', CASES);
