// lock-not-released, both sides: reported at the acquire whose release an exit skips (a warning,
// with the exit related) or that no path releases (an error); silent on the fixed twins. Under
// the shim the buggy programs hang (the process ends holding the lock, and the next acquire waits
// forever), the twins complete. The quick fixes (try/finally, withLock) remove the finding, and
// the program they produce completes under the shim.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { applyFix, assertHangsAndTwinCompletes, at, COMPLETE_MS, findingsOf, RULE_FIXTURES, rulesOf, runText, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'lock-not-released');

interface Case {
  name: string;
  bad: string;
  good: string;
  severity: 'warning' | 'error';
  anchor: [string, string];
  /** The exit that skips the release, for warnings. */
  exit?: [string, string];
  fixes: string[];
}

const CASES: Case[] = [
  { name: 'an early return', bad: 'bad-early-return.ts', good: 'good-early-return.ts', severity: 'warning',
    anchor: ['bad-early-return.ts', 'lock.acquire()'], exit: ['bad-early-return.ts', 'return;'],
    fixes: ['Release lock in a finally block', 'Convert to lock.withLock(…)'] },
  { name: 'a throw in a helper', bad: 'bad-helper-throw.ts', good: 'good-helper-throw.ts', severity: 'warning',
    anchor: ['bad-helper-throw.ts', 'lock.acquire()'], exit: ['bad-helper-throw.ts', 'throw new Error'],
    fixes: ['Release lock in a finally block', 'Convert to lock.withLock(…)'] },
  { name: 'a break in a loop', bad: 'bad-loop-break.ts', good: 'good-loop-break.ts', severity: 'warning',
    anchor: ['bad-loop-break.ts', 'lock.acquire()'], exit: ['bad-loop-break.ts', 'break;'],
    // withLock would turn the break into a syntax error: only try/finally is offered.
    fixes: ['Release lock in a finally block'] },
  { name: 'never released, across two files', bad: 'bad-never-two-files/main.ts', good: 'good-never-two-files/main.ts', severity: 'error',
    anchor: ['bad-never-two-files/setup.ts', 'lock.acquire()'],
    fixes: ['Release lock in a finally block', 'Convert to lock.withLock(…)'] },
];

describe('lock-not-released', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the acquire (${c.severity}), silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['lock-not-released']);
      const f = findings[0]!;
      assert.equal(f.severity, c.severity);
      assert.equal(at(f), where(path.join(DIR, c.anchor[0]), c.anchor[1]));
      if (c.exit) assert.equal(at(f.related[0]!), where(path.join(DIR, c.exit[0]), c.exit[1]), 'the exit that skips the release is related');
      assert.deepEqual((f.fixes ?? []).map((x) => x.title), c.fixes);
      const onTwin = rulesOf(good);
      assert.deepEqual(onTwin.filter((r) => r === 'lock-not-released'), []);
      // The twin completes under the shim (next test): any finding on it is a false positive.
      assert.deepEqual(onTwin, [], `no rule reports the fixed twin ${c.good}`);
    });

    it(`${c.name}: the buggy program hangs under the shim, the twin completes`, async () => {
      await assertHangsAndTwinCompletes(bad, good);
    });
  }

  describe('quick fixes', () => {
    for (const c of CASES) {
      const anchorFile = path.join(DIR, c.anchor[0]);
      c.fixes.forEach((title, i) => {
        it(`${c.name}: "${title}" removes the finding`, () => {
          const f = findingsOf(path.join(DIR, c.bad)).find((x) => x.rule === 'lock-not-released')!;
          const fixed = applyFix(anchorFile, f.fixes![i]!.edits);
          if (title.startsWith('Release')) assert.match(fixed, /\} finally \{\n\s+await lock\.release\(\);\n\s+\}/);
          else assert.match(fixed, /await lock\.withLock\(async \(\) => \{/);
          // The fixed module, analyzed as part of the same program.
          const after = findingsOf(path.join(DIR, c.bad), fixed, anchorFile);
          assert.deepEqual(after.filter((x) => x.rule === 'lock-not-released' || x.rule === 'release-unheld'), []);
        });
      });
    }

    it('the try/finally fix of the early return makes a program that completes under the shim', async () => {
      const bad = path.join(DIR, 'bad-early-return.ts');
      const f = findingsOf(bad).find((x) => x.rule === 'lock-not-released')!;
      const r = await runText(bad, applyFix(bad, f.fixes![0]!.edits), COMPLETE_MS);
      assert.equal(r.outcome, 'exited');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /packed 3 items/);
    });
  });
});

