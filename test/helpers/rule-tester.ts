// Shared by the rule tests: analyze a fixture program (optionally with edited text), find where
// a needle sits in it, and run the buggy program and its fixed twin under the shim (ground truth).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding, Location, TextEdit } from '../../common/model';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { applyEdits } from './edits';
import { ROOT } from './paths';
import { runProgram, type RunResult } from './run-program';
import { positionOf } from './source';

export const RULE_FIXTURES = path.join(ROOT, 'test/fixtures/rules');

/**
 * The findings of one entry file, analyzed as the CLI does; with `text`, that is the unsaved text
 * of `textFile` (the entry itself, or another module of its program).
 */
export function findingsOf(file: string, text?: string, textFile = file): Finding[] {
  return analyzeFixture(file, text === undefined ? undefined : new Map([[path.resolve(textFile), text]]));
}

/** The findings of one entry file, with unsaved texts by absolute file name. */
export function analyzeFixture(file: string, overlay?: ReadonlyMap<string, string>): Finding[] {
  return analyzeFiles([file], { rootDir: ROOT, ...(overlay ? { overlay } : {}) }).findings;
}

export function rulesOf(file: string, text?: string): string[] {
  return findingsOf(file, text).map((f) => f.rule);
}

/** `file:line:column` (1-based) of a finding or related location, or of the n-th occurrence of a needle in a fixture. */
export function at(f: { loc: Location }): string {
  return `${f.loc.file}:${f.loc.range.start.line + 1}:${f.loc.range.start.character + 1}`;
}

export function where(file: string, needle: string, occurrence = 1): string {
  const p = positionOf(file, needle, occurrence);
  return `${path.relative(ROOT, file).split(path.sep).join('/')}:${p.line + 1}:${p.character + 1}`;
}

/** Applies a fix's edits to the one file they touch and returns the new text. */
export function applyFix(file: string, edits: readonly TextEdit[]): string {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  assert.ok(edits.length > 0, 'the fix has edits');
  for (const e of edits) assert.equal(e.file, rel, 'the fix edits the fixture');
  return applyEdits(fs.readFileSync(file, 'utf8'), edits);
}

/**
 * Runs a program text from a temporary file beside the fixture (so it resolves the shim the same
 * way), then removes it.
 */
export async function runText(beside: string, text: string, hangAfterMs: number): Promise<RunResult> {
  const tmp = path.join(path.dirname(beside), `.fixed-${process.pid}-${path.basename(beside)}`);
  fs.writeFileSync(tmp, text);
  try {
    return await runProgram(tmp, hangAfterMs);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Hang checks wait this long; programs that must finish get up to COMPLETE_MS. */
export const HANG_MS = 7000;
export const COMPLETE_MS = 30_000;

/** Blocking rules: the buggy program is still running after HANG_MS, the twin exits 0. */
export async function assertHangsAndTwinCompletes(bad: string, good: string): Promise<void> {
  const [b, g] = await Promise.all([runProgram(bad, HANG_MS), runProgram(good, COMPLETE_MS)]);
  assert.equal(b.outcome, 'hung', `the buggy program exited (code ${b.code}): ${b.stdout}\n${b.stderr}`);
  assert.equal(g.outcome, 'exited', 'the fixed twin finished');
  assert.equal(g.code, 0, g.stderr);
}

/**
 * Lifecycle rules: the buggy program ends with the shim's error on stderr (and, when `failCode`,
 * a non-zero exit code); the twin exits 0 without it.
 */
export async function assertFailsAndTwinCompletes(bad: string, good: string, error: RegExp, failCode: boolean): Promise<void> {
  const [b, g] = await Promise.all([runProgram(bad, COMPLETE_MS), runProgram(good, COMPLETE_MS)]);
  assert.equal(b.outcome, 'exited', 'the buggy program ended');
  assert.match(b.stderr, error, `the buggy program's stderr: ${b.stderr}`);
  if (failCode) assert.notEqual(b.code, 0, 'the buggy program failed');
  assert.equal(g.outcome, 'exited', 'the fixed twin finished');
  assert.equal(g.code, 0, g.stderr);
  assert.doesNotMatch(g.stderr, error);
}

/**
 * Races: the program with the lock always prints the exact result (twice), and the racy one
 * loses updates in at least one of a few runs (each run's printed number is read with `result`).
 */
export async function assertRacyLosesAndTwinExact(bad: string, good: string, result: RegExp | ((stdout: string) => number), exact: number, runs = 3): Promise<void> {
  const read = (stdout: string): number => {
    if (typeof result === 'function') return result(stdout);
    const m = result.exec(stdout);
    assert.ok(m, `the program printed its result: ${stdout}`);
    return Number(m[1]);
  };
  for (let i = 0; i < 2; i++) {
    const g = await runProgram(good, COMPLETE_MS);
    assert.equal(g.outcome, 'exited');
    assert.equal(g.code, 0, g.stderr);
    assert.equal(read(g.stdout), exact, 'the locked twin is exact');
  }
  const seen: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = await runProgram(bad, COMPLETE_MS);
    assert.equal(b.outcome, 'exited');
    assert.equal(b.code, 0, b.stderr);
    seen.push(read(b.stdout));
    if (seen.at(-1) !== exact) return;
  }
  assert.fail(`the racy program never lost an update in ${runs} runs (results ${seen.join(', ')})`);
}
