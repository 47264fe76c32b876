// lock-not-released, both sides: reported at the acquire whose release an exit skips (a warning,
// with the exit related) or that no path releases (an error); silent on the fixed twins. Under
// the shim the buggy programs hang (the process ends holding the lock, and the next acquire waits
// forever), the twins complete. The quick fixes (try/finally, withLock) remove the finding, and
// the program they produce completes under the shim.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  assertCompleted, COMPLETE_MS, describeRule, findingsOf, fixedText, fixture, HANG_MS, runText, withText, type RuleCase, type Site,
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
  // The amount (500) is a constant the analysis follows into the helper: the throw is taken on
  // every path, so no path releases the lock (an error, not a warning).
  leak('a throw in a helper', 'bad-helper-throw.ts', 'good-helper-throw.ts', 'error', ['bad-helper-throw.ts', 'lock.acquire()'], 'throw new Error', BOTH_FIXES),
  // withLock would turn the break into a syntax error: only try/finally is offered.
  leak('a break in a loop', 'bad-loop-break.ts', 'good-loop-break.ts', 'warning', ['bad-loop-break.ts', 'lock.acquire()'], 'break;', ['Release lock in a finally block']),
  leak('never released, across two files', 'bad-never-two-files/main.ts', 'good-never-two-files/main.ts', 'error', ['bad-never-two-files/setup.ts', 'lock.acquire()'], undefined, BOTH_FIXES),
];

describeRule(ID, CASES, () => {
  describe('held to the end by main once every user of it has ended', () => {
    const good = fixture(ID, 'good-drain-at-end.ts');

    it('is not a leak: silent, and the program completes under the shim', async () => {
      assert.deepEqual(findingsOf(good).map((f) => `${f.rule}: ${f.message}`), []);
      const r = await runText(good, fs.readFileSync(good, 'utf8'), COMPLETE_MS);
      assertCompleted(r, 'the drain');
      assert.match(r.stdout, /drained: every slot is free/);
    });

    it('is a leak when an uploader is still running or starts after it: reported, and the program hangs', async () => {
      const text = fs.readFileSync(good, 'utf8');
      const late = text.replace('  for (let i = 0; i < SLOTS; i++) await slots.acquire();\n', '  for (let i = 0; i < SLOTS; i++) await slots.acquire();\n  const late = new Process({ target: uploader, args: [4, slots] });\n  late.start();\n  await late.join();\n');
      assert.notEqual(late, text);
      assert.deepEqual(findingsOf(good, withText(good, late)).map((f) => f.rule).filter((r) => r === ID), [ID]);
      const running = text.replace('  for (const u of uploaders) await u.join();\n  for (let i = 0; i < SLOTS; i++) await slots.acquire();\n', '  for (let i = 0; i < SLOTS; i++) await slots.acquire();\n  for (const u of uploaders) await u.join();\n');
      assert.notEqual(running, text);
      assert.deepEqual(findingsOf(good, withText(good, running)).map((f) => f.rule).filter((r) => r === ID), [ID]);
      const r = await runText(good, late, HANG_MS, true);
      assert.equal(r.outcome, 'hung', `the program with a late uploader: ${r.stdout}${r.stderr}`);
    });
  });

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
