// daemon-has-children, both sides: reported at the start() or Pool constructor a daemon process
// runs (its creation related), silent on the non-daemon twins. Under the shim the daemon fails
// with "daemonic processes are not allowed to have children" (on its stderr; main itself goes on),
// the twins complete.
import { describeRule, type RuleCase } from '../helpers/rule-tester';

const fails = { fails: /daemonic processes are not allowed to have children/, exitCode: false };

const CASES: RuleCase[] = [
  { name: 'a daemon starts a process', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'w.start()',
    related: [{ at: 'new Process({ target: supervise' }], relatedCount: 1, verdict: fails },
  { name: 'a daemon makes a Pool', bad: 'bad-pool.ts', good: 'good-pool.ts', anchor: 'new Pool(2)',
    related: [{ at: 'new Process({ target: crunch' }], relatedCount: 1, verdict: fails },
  { name: 'daemons in a loop call a helper in another file', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: ['bad-two-files/tasks.ts', 'p.start()'],
    related: [{ at: 'new Process({ target: heartbeat' }], relatedCount: 1, verdict: fails },
];

describeRule('daemon-has-children', CASES);
