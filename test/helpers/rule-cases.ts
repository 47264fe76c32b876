// Helpers for the rule tests: analyze a fixture (optionally with edited text), apply a finding's
// quick fix, and run a program under the shim with the verdict a rule claims (hangs, fails with the
// shim's error, or completes). The overlay-based variants of rule-fixtures.ts, whose analysis,
// bounded waits and program runs they share.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FixData, Finding } from '../../common/model';
import { applyEdits } from './edits';
import { ROOT } from './paths';
import type { RunResult } from './run-program';
import { analyzeFixture } from './rule-tester';
import { positionOf } from './source';

export { COMPLETE_MS, HANG_MS, runText } from './rule-tester';

export function findingsOf(file: string, overlay?: ReadonlyMap<string, string>): Finding[] {
  return analyzeFixture(file, overlay);
}

export function rulesOf(file: string, overlay?: ReadonlyMap<string, string>): string[] {
  return findingsOf(file, overlay).map((f) => f.rule);
}

/** `file` with `find` replaced by `replace` (which must occur), as an overlay for the analysis. */
export function edited(file: string, find: string, replace: string): Map<string, string> {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes(find), `'${find}' is in ${file}`);
  return new Map([[file, text.replace(find, replace)]]);
}

/** Asserts a finding is anchored at the first occurrence of `needle` in `file`. */
export function assertAnchor(f: Finding, file: string, needle: string, occurrence = 1): void {
  assert.equal(f.loc.file, path.relative(ROOT, file).split(path.sep).join('/'));
  assert.deepEqual(f.loc.range.start, positionOf(file, needle, occurrence));
}

/** The texts of the files a fix edits, after the fix (absolute path -> text). */
export function applyFix(fix: FixData): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fix.edits) {
    const abs = path.join(ROOT, e.file);
    out.set(abs, applyEdits(out.get(abs) ?? fs.readFileSync(abs, 'utf8'), [e]));
  }
  return out;
}

export function assertHung(r: RunResult, what: string): void {
  assert.equal(r.outcome, 'hung', `${what} exited (code ${r.code}): ${r.stderr}`);
}

export function assertCompleted(r: RunResult, what: string): void {
  assert.equal(r.outcome, 'exited', `${what} did not finish in time`);
  assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
}

/** The program ended with the shim's error (in its own or a child's stderr). */
export function assertFailed(r: RunResult, message: RegExp, what: string): void {
  assert.equal(r.outcome, 'exited', `${what} did not end`);
  assert.match(r.stderr, message, `${what}: stderr is ${r.stderr}`);
}
