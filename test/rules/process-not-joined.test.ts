// process-not-joined, both sides: reported (a warning) at the start of a non-daemon process no
// code joins; silent on the twins that join. Under the shim main's code of the buggy program ends
// while the child still runs, never seeing its exit code (null), and the program then waits for
// the child at exit (its output comes after main's last line); the twins see exit code 0 first.
// The quick fix (`await p.join()` at the end of the starting scope, all of a loop's processes
// after the loop) removes the finding.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertCompleted, describeRule, findingsOf, fixedText, fixture, withText, type RuleCase, type Verdict } from '../helpers/rule-tester';

const ID = 'process-not-joined';

/** What main prints of its child: without the join (bad) and with it (good). */
const order = (unjoined: RegExp, joined: RegExp): Verdict => ({
  says: 'under the shim main ends without the child\'s exit code and waits for it at exit',
  check: (b, g) => {
    assertCompleted(b, 'the buggy program');
    assert.match(b.stdout, unjoined);
    assertCompleted(g, 'the fixed twin');
    assert.match(g.stdout, joined);
  },
});

const CASES: (RuleCase & { fix?: RegExp })[] = [
  { name: 'started and dropped', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'p.start()',
    verdict: order(/main done, exitcode=null\n[\s\S]*report sent/, /report sent\n[\s\S]*main done, exitcode=0/), fix: /\n {2}await p\.join\(\);\n\}/ },
  { name: 'started in a loop', bad: 'bad-loop.ts', good: 'good-loop.ts', anchor: 'u.start()',
    verdict: order(/main done, exitcodes=,\n[\s\S]*uploaded/, /uploaded[\s\S]*main done, exitcodes=0,0/), fix: /\n {2}for \(const u of uploaders\) await u\.join\(\);\n\}/ },
  { name: 'started by a helper in another file', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: ['bad-two-files/backup.ts', 'p.start()'],
    verdict: order(/main done, exitcode=null\n[\s\S]*backed up/, /backed up\n[\s\S]*main done, exitcode=0/) },
];

describeRule(ID, CASES, () => {
  for (const c of CASES) {
    const bad = fixture(ID, c.bad);
    const fix = c.fix;
    if (fix) {
      it(`${c.name}: the quick fix joins at the end of the starting scope and removes the finding`, () => {
        const f = findingsOf(bad)[0]!;
        assert.match(f.fixes?.[0]?.title ?? '', /^Join /);
        const fixed = fixedText(f.fixes![0]!, bad);
        assert.match(fixed, fix);
        assert.deepEqual(findingsOf(bad, withText(bad, fixed)).map((x) => x.rule), []);
      });
    } else {
      it(`${c.name}: no quick fix where the starting scope cannot await`, () => {
        assert.equal(findingsOf(bad)[0]!.fixes, undefined);
      });
    }
  }
});
