// process-not-joined, both sides: reported (a warning) at the start of a non-daemon process no
// code joins; silent on the twins that join. Under the shim main's code of the buggy program ends
// while the child still runs, never seeing its exit code (null), and the program then waits for
// the child at exit (its output comes after main's last line); the twins see exit code 0 first.
// The quick fix (`await p.join()` at the end of the starting scope, all of a loop's processes
// after the loop) removes the finding.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runProgram } from '../helpers/run-program';
import { applyFix, at, COMPLETE_MS, findingsOf, RULE_FIXTURES, rulesOf, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'process-not-joined');

const CASES: { name: string; bad: string; good: string; anchor: [string, string]; unjoined: RegExp; joined: RegExp; fix?: RegExp }[] = [
  { name: 'started and dropped', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: ['bad-direct.ts', 'p.start()'],
    unjoined: /main done, exitcode=null\n[\s\S]*report sent/, joined: /report sent\n[\s\S]*main done, exitcode=0/, fix: /\n {2}await p\.join\(\);\n\}/ },
  { name: 'started in a loop', bad: 'bad-loop.ts', good: 'good-loop.ts', anchor: ['bad-loop.ts', 'u.start()'],
    unjoined: /main done, exitcodes=,\n[\s\S]*uploaded/, joined: /uploaded[\s\S]*main done, exitcodes=0,0/, fix: /\n {2}for \(const u of uploaders\) await u\.join\(\);\n\}/ },
  { name: 'started by a helper in another file', bad: 'bad-two-files/main.ts', good: 'good-two-files/main.ts', anchor: ['bad-two-files/backup.ts', 'p.start()'],
    unjoined: /main done, exitcode=null\n[\s\S]*backed up/, joined: /backed up\n[\s\S]*main done, exitcode=0/ },
];

describe('process-not-joined', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the start, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['process-not-joined']);
      assert.equal(findings[0]!.severity, 'warning');
      assert.equal(at(findings[0]!), where(path.join(DIR, c.anchor[0]), c.anchor[1]));
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: under the shim main ends without the child's exit code and waits for it at exit`, async () => {
      const [b, g] = await Promise.all([runProgram(bad, COMPLETE_MS), runProgram(good, COMPLETE_MS)]);
      assert.equal(b.outcome, 'exited');
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, c.unjoined);
      assert.equal(g.outcome, 'exited');
      assert.equal(g.code, 0, g.stderr);
      assert.match(g.stdout, c.joined);
    });

    if (c.fix) {
      const fix = c.fix;
      it(`${c.name}: the quick fix joins at the end of the starting scope and removes the finding`, () => {
        const f = findingsOf(bad)[0]!;
        assert.match(f.fixes?.[0]?.title ?? '', /^Join /);
        const fixed = applyFix(bad, f.fixes![0]!.edits);
        assert.match(fixed, fix);
        assert.deepEqual(findingsOf(bad, fixed).map((x) => x.rule), []);
      });
    } else {
      it(`${c.name}: no quick fix where the starting scope cannot await`, () => {
        assert.equal(findingsOf(bad)[0]!.fixes, undefined);
      });
    }
  }
});
