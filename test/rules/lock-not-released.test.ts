// lock-not-released, both sides: reported at the acquire whose release an exit skips (a warning,
// with the exit related) or that no path releases (an error); silent on the fixed twins. Under
// the shim the buggy programs hang (the process ends holding the lock, and the next acquire waits
// forever), the twins complete. The quick fixes (try/finally, withLock) remove the finding, and
// the program they produce completes under the shim.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertCompleted, COMPLETE_MS, describeRule, findingsOf, fixedText, fixture, runText, withText, type RuleCase, type Site,
} from '../helpers/rule-tester';

const ID = 'lock-not-released';

interface Case extends RuleCase {
  anchor: [string, string];
  /** The titles of the quick fixes offered. */
  fixes: string[];
}

const BOTH_FIXES = ['Release lock in a finally block', 'Convert to lock.withLock(…)'];

function leak(name: string, bad: string, good: string, severity: 'warning' | 'error', anchor: [string, string], exit: Site | undefined, fixes: string[]): Case {
  return {
    name, bad, good, severity, anchor, fixes, verdict: { hangs: true },
    ...(exit ? { related: [{ at: exit }] } : {}),
    check: (findings) => assert.deepEqual((findings[0]!.fixes ?? []).map((x) => x.title), fixes),
  };
}

const CASES: Case[] = [
  leak('an early return', 'bad-early-return.ts', 'good-early-return.ts', 'warning', ['bad-early-return.ts', 'lock.acquire()'], 'return;', BOTH_FIXES),
  leak('a throw in a helper', 'bad-helper-throw.ts', 'good-helper-throw.ts', 'warning', ['bad-helper-throw.ts', 'lock.acquire()'], 'throw new Error', BOTH_FIXES),
  // withLock would turn the break into a syntax error: only try/finally is offered.
  leak('a break in a loop', 'bad-loop-break.ts', 'good-loop-break.ts', 'warning', ['bad-loop-break.ts', 'lock.acquire()'], 'break;', ['Release lock in a finally block']),
  leak('never released, across two files', 'bad-never-two-files/main.ts', 'good-never-two-files/main.ts', 'error', ['bad-never-two-files/setup.ts', 'lock.acquire()'], undefined, BOTH_FIXES),
];

describeRule(ID, CASES, () => {
  describe('quick fixes', () => {
    for (const c of CASES) {
      const bad = fixture(ID, c.bad);
      const anchorFile = fixture(ID, c.anchor[0]);
      c.fixes.forEach((title, i) => {
        it(`${c.name}: "${title}" removes the finding`, () => {
          const f = findingsOf(bad).find((x) => x.rule === ID)!;
          const fixed = fixedText(f.fixes![i]!, anchorFile);
          if (title.startsWith('Release')) assert.match(fixed, /\} finally \{\n\s+await lock\.release\(\);\n\s+\}/);
          else assert.match(fixed, /await lock\.withLock\(async \(\) => \{/);
          // The fixed module, analyzed as part of the same program.
          const after = findingsOf(bad, withText(anchorFile, fixed));
          assert.deepEqual(after.filter((x) => x.rule === ID || x.rule === 'release-unheld'), []);
        });
      });
    }

    it('the try/finally fix of the early return makes a program that completes under the shim', async () => {
      const bad = fixture(ID, 'bad-early-return.ts');
      const f = findingsOf(bad).find((x) => x.rule === ID)!;
      const r = await runText(bad, fixedText(f.fixes![0]!, bad), COMPLETE_MS);
      assertCompleted(r, 'the fixed program');
      assert.match(r.stdout, /packed 3 items/);
    });
  });
});
