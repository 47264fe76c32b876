// The rule tester: a rule's tests are a table of cases, each a buggy program and its fixed twin
// (test/fixtures/rules/<id>/bad-*, good-*), where the finding is anchored, which sites it relates,
// and what the shim does when the buggy program really runs (it hangs, fails with the shim's
// error, loses updates…; with its deadlock detector off, as under Python) while the twin
// completes. `describeRule` turns the table into tests: the analysis reports exactly this rule on
// the buggy program, at the anchor, with the related sites, and nothing on the twin; and the
// ground truth under the shim agrees. A rule's test file then
// holds its table and its genuinely special cases, for which the helpers below analyze fixtures
// (optionally with edited text), locate needles, apply quick fixes and run edited programs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { FixData, Finding, Location, Severity, TopologyModel } from '../../common/model';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { RULES } from '../../server/src/analysis/rule-registry';
import { applyEdits } from './edits';
import { ROOT } from './paths';
import { runProgram, type RunResult } from './run-program';
import { positionOf } from './source';

export const RULE_FIXTURES = path.join(ROOT, 'test/fixtures/rules');

/** Hang checks wait this long; programs that must finish get up to COMPLETE_MS. */
export const HANG_MS = 7000;
export const COMPLETE_MS = 30_000;

// ---- Analysis ---------------------------------------------------------------------------------

/** Unsaved texts by absolute file name, analyzed instead of the files on disk. */
export type Overlay = ReadonlyMap<string, string>;

/** The model of one entry file, analyzed as the CLI does. */
export function modelOf(file: string, overlay?: Overlay): TopologyModel {
  return analyzeFiles([file], { rootDir: ROOT, ...(overlay ? { overlay } : {}) });
}

export function findingsOf(file: string, overlay?: Overlay): Finding[] {
  return modelOf(file, overlay).findings;
}

export function rulesOf(file: string, overlay?: Overlay): string[] {
  return findingsOf(file, overlay).map((f) => f.rule);
}

/** `file` with `find` replaced by `replace` (which must occur), as an overlay. */
export function edited(file: string, find: string, replace: string): Map<string, string> {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes(find), `'${find}' is in ${file}`);
  return new Map([[file, text.replace(find, replace)]]);
}

/** `file` with the whole text `text`, as an overlay. */
export function withText(file: string, text: string): Map<string, string> {
  return new Map([[path.resolve(file), text]]);
}

// ---- Locations ------------------------------------------------------------------------------------

/** `file:line:column` (1-based) of a finding or related location. */
export function at(f: { loc: Location }): string {
  return `${f.loc.file}:${f.loc.range.start.line + 1}:${f.loc.range.start.character + 1}`;
}

/** `file:line:column` (1-based) of the n-th occurrence of a needle in a file. */
export function where(file: string, needle: string, occurrence = 1): string {
  const p = positionOf(file, needle, occurrence);
  return `${path.relative(ROOT, file).split(path.sep).join('/')}:${p.line + 1}:${p.character + 1}`;
}

// ---- Running programs -------------------------------------------------------------------------------

/**
 * The environment of a ground-truth run of a program that must hang: the test runner's, without
 * its NODE_OPTIONS, and with the shim's deadlock detector switched off (PT_MP_DEADLOCK=hang,
 * Python's behaviour), so that "it hangs" stays a fact about the program, not about the detector
 * (test/runtime/detector-suite.test.ts checks the detector on the same programs).
 */
export const GROUND_TRUTH_ENV: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', PT_MP_DEADLOCK: 'hang' };

/**
 * Every other run (twins, races, programs that fail or end) keeps the detector on, as users run
 * it: the run then also proves the detector reports nothing on a program that does not deadlock.
 */
export const DETECTOR_ENV: NodeJS.ProcessEnv = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.PT_MP_DEADLOCK;
  return env;
})();

/** Runs a program that must hang, detector off (see GROUND_TRUTH_ENV); waits at most `hangAfterMs`. */
export function runGroundTruth(file: string, hangAfterMs: number): Promise<RunResult> {
  return runProgram(file, { hangAfterMs, env: GROUND_TRUTH_ENV });
}

/** Runs a program that must not deadlock, detector on; asserts the detector reported nothing. */
export async function runDetected(file: string, hangAfterMs: number): Promise<RunResult> {
  const r = await runProgram(file, { hangAfterMs, env: DETECTOR_ENV });
  assert.doesNotMatch(r.stderr, /DeadlockError/, `the detector reported a deadlock on ${path.relative(ROOT, file)}: ${r.stderr.slice(0, 3000)}`);
  return r;
}

// ---- Quick fixes and edited programs ---------------------------------------------------------------

/** The texts of the files a fix edits, after the fix (absolute path -> text). */
export function applyFix(fix: FixData): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fix.edits) {
    const abs = path.join(ROOT, e.file);
    out.set(abs, applyEdits(out.get(abs) ?? fs.readFileSync(abs, 'utf8'), [e]));
  }
  return out;
}

/** The text of `file` after a fix that must edit that file only. */
export function fixedText(fix: FixData, file: string): string {
  const fixed = applyFix(fix);
  assert.deepEqual([...fixed.keys()], [path.resolve(file)], 'the fix edits this file only');
  return fixed.get(path.resolve(file))!;
}

/**
 * Runs a program text from a temporary file beside `beside` (so it resolves the shim the same
 * way), then removes it: with the detector on (no report allowed), or off when it `hangs`.
 */
export async function runText(beside: string, text: string, hangAfterMs: number, hangs = false): Promise<RunResult> {
  const tmp = path.join(path.dirname(beside), `.fixed-${process.pid}-${path.basename(beside)}`);
  fs.writeFileSync(tmp, text);
  try {
    return await (hangs ? runGroundTruth : runDetected)(tmp, hangAfterMs);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

// ---- Ground truth under the shim ---------------------------------------------------------------------

export function assertHung(r: RunResult, what: string): void {
  assert.equal(r.outcome, 'hung', `${what} exited (code ${r.code}): ${r.stdout}\n${r.stderr}`);
}

export function assertCompleted(r: RunResult, what: string): void {
  assert.equal(r.outcome, 'exited', `${what} did not finish in time`);
  assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
}

/** Blocking rules: the buggy program is still running after HANG_MS, the twin exits 0. */
export async function assertHangsAndTwinCompletes(bad: string, good: string): Promise<void> {
  const [b, g] = await Promise.all([runGroundTruth(bad, HANG_MS), runDetected(good, COMPLETE_MS)]);
  assertHung(b, 'the buggy program');
  assertCompleted(g, 'the fixed twin');
}

/**
 * Lifecycle rules: the buggy program ends with the shim's error on stderr (and, when `failCode`,
 * a non-zero exit code); the twin exits 0 without it.
 */
export async function assertFailsAndTwinCompletes(bad: string, good: string, error: RegExp, failCode: boolean): Promise<void> {
  const [b, g] = await Promise.all([runDetected(bad, COMPLETE_MS), runDetected(good, COMPLETE_MS)]);
  assert.equal(b.outcome, 'exited', 'the buggy program ended');
  assert.match(b.stderr, error, `the buggy program's stderr: ${b.stderr}`);
  if (failCode) assert.notEqual(b.code, 0, 'the buggy program failed');
  assertCompleted(g, 'the fixed twin');
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
    const g = await runDetected(good, COMPLETE_MS);
    assertCompleted(g, 'the locked twin');
    assert.equal(read(g.stdout), exact, 'the locked twin is exact');
  }
  const seen: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = await runDetected(bad, COMPLETE_MS);
    assertCompleted(b, 'the racy program');
    seen.push(read(b.stdout));
    if (seen.at(-1) !== exact) return;
  }
  assert.fail(`the racy program never lost an update in ${runs} runs (results ${seen.join(', ')})`);
}

// ---- The table ---------------------------------------------------------------------------------------

/** A place in a fixture: a needle in the buggy program, or [file, needle, occurrence] (file relative to the rule's fixtures, or absolute). */
export type Site = string | [file: string, needle: string, occurrence?: number];

/** What the shim does with the buggy program, and with its twin. */
export type Verdict =
  /** The buggy program is still running after HANG_MS; the twin exits 0. */
  | { hangs: true }
  /** The buggy program ends with this error on stderr (and a non-zero exit code with `exitCode`); the twin exits 0 without it. */
  | { fails: RegExp; exitCode: boolean }
  /** The racy program loses updates in one of `runs` runs (its result read from stdout); the locked twin always prints `exact`. */
  | { races: RegExp | ((stdout: string) => number); exact: number; runs?: number }
  /** Anything else, checked on both runs (the buggy one waited for `badMs`, default COMPLETE_MS). */
  | { says: string; check: (bad: RunResult, good: RunResult) => void; badMs?: number };

export interface RuleCase {
  name: string;
  /** The buggy program and its fixed twin: relative to the rule's fixtures, or absolute. */
  bad: string;
  good: string;
  /** Where the finding is anchored (absent: anywhere; see `several`). */
  anchor?: Site;
  /** Default: the rule's default severity. */
  severity?: Severity;
  /** What the message says. */
  message?: RegExp | RegExp[];
  /** Related sites the finding must have (each found among its related locations), by place and/or message. */
  related?: { at?: Site; message?: RegExp }[];
  /** Exactly this many related locations. */
  relatedCount?: number;
  /** Every related location's message matches this. */
  everyRelated?: RegExp;
  /** A node of the finding matches this (the graph can highlight it). */
  node?: RegExp;
  /** At least two nodes and an edge (a process and the object it waits on, and the operation). */
  graph?: true;
  /** One or more findings, all of this rule (the checker may report a state several ways); default exactly one. */
  several?: true;
  /** Further checks of the findings and the model. */
  check?: (findings: Finding[], model: TopologyModel) => void;
  verdict: Verdict;
}

/**
 * A wait that nothing can end (a get nobody feeds, an event nobody sets, a condition nobody
 * notifies): reported at the wait with the object's creation related; the buggy program hangs.
 */
export function waitsForever(name: string, bad: string, good: string, wait: Site): RuleCase {
  return { name, bad, good, anchor: wait, related: [{ message: /created here/ }], graph: true, verdict: { hangs: true } };
}

/** A case's fixture files, absolute. */
export function fixture(id: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(RULE_FIXTURES, id, file);
}

function siteOf(id: string, bad: string, s: Site): string {
  if (typeof s === 'string') return where(bad, s);
  return where(fixture(id, s[0]), s[1], s[2] ?? 1);
}

function verdictTitle(v: Verdict): string {
  if ('hangs' in v) return 'the buggy program hangs under the shim, the twin completes';
  if ('fails' in v) return 'the buggy program fails with the shim\'s error, the twin completes';
  if ('races' in v) return 'the racy program loses updates under the shim, the locked twin is exact';
  return v.says;
}

async function assertVerdict(v: Verdict, bad: string, good: string): Promise<void> {
  if ('hangs' in v) return assertHangsAndTwinCompletes(bad, good);
  if ('fails' in v) return assertFailsAndTwinCompletes(bad, good, v.fails, v.exitCode);
  if ('races' in v) return assertRacyLosesAndTwinExact(bad, good, v.races, v.exact, v.runs);
  const [b, g] = await Promise.all([runDetected(bad, v.badMs ?? COMPLETE_MS), runDetected(good, COMPLETE_MS)]);
  v.check(b, g);
}

/** Checks one case's findings on the buggy program and on its twin. */
export function assertCase(id: string, c: RuleCase): void {
  const bad = fixture(id, c.bad);
  const model = modelOf(bad);
  const findings = model.findings;
  if (c.several) {
    assert.ok(findings.length >= 1, 'a finding');
    for (const f of findings) assert.equal(f.rule, id);
  } else {
    assert.deepEqual(findings.map((f) => f.rule), [id]);
  }
  const f = findings[0]!;
  assert.equal(f.severity, c.severity ?? RULES.get(id)!.severity);
  if (c.anchor !== undefined) assert.equal(at(f), siteOf(id, bad, c.anchor));
  for (const m of [c.message ?? []].flat()) assert.match(f.message, m);
  for (const r of c.related ?? []) {
    const place = r.at === undefined ? undefined : siteOf(id, bad, r.at);
    assert.ok(f.related.some((x) => (place === undefined || at(x) === place) && (r.message === undefined || r.message.test(x.message))),
      `related ${place ?? ''} ${r.message ?? ''} among ${f.related.map((x) => `${at(x)} ${x.message}`).join('; ')}`);
  }
  if (c.relatedCount !== undefined) assert.equal(f.related.length, c.relatedCount, 'related locations');
  if (c.everyRelated) assert.ok(f.related.length > 0 && f.related.every((r) => c.everyRelated!.test(r.message)));
  if (c.node) assert.ok(f.nodes.some((n) => c.node!.test(n)), `a node matches ${c.node}: ${f.nodes.join(', ')}`);
  if (c.graph) assert.ok(f.nodes.length >= 2 && f.edges.length >= 1, 'the finding points at the graph');
  c.check?.(findings, model);
  // The twin completes under the shim: any finding on it is a false positive.
  assert.deepEqual(rulesOf(fixture(id, c.good)), [], `no rule reports the fixed twin ${c.good}`);
}

/**
 * A `// process-topology-disable-next-line <id> -- reason` comment on the line before the first
 * finding's anchor silences it: nothing else is reported on the program then.
 */
export function assertSuppressed(id: string, file: string): void {
  const before = findingsOf(file);
  assert.equal(before[0]?.rule, id);
  const f = before[0]!;
  const abs = path.join(ROOT, f.loc.file);
  const line = f.loc.range.start.line;
  const lines = fs.readFileSync(abs, 'utf8').split('\n');
  const indent = /^\s*/.exec(lines[line]!)![0];
  lines.splice(line, 0, `${indent}// process-topology-disable-next-line ${id} -- checked by hand`);
  const after = findingsOf(file, withText(abs, lines.join('\n')));
  assert.deepEqual(after.filter((x) => x.rule !== id || (x.loc.file === f.loc.file && x.loc.range.start.line === line + 1)).map(at), [],
    'the suppressed finding is gone, and the comment is used');
  if (before.every((x) => x.rule === id) && before.length === 1) assert.deepEqual(after, []);
}

/**
 * The tests of a rule from its table: per case, the findings on the buggy program and its twin,
 * and the ground truth under the shim; then `more` (the rule's special cases) in the same suite.
 */
export function describeRule(id: string, cases: readonly RuleCase[], more?: () => void): void {
  assert.ok(RULES.has(id), `${id} is a registered rule`);
  describe(id, () => {
    for (const c of cases) {
      it(`${c.name}: reported${c.anchor !== undefined ? ' at the anchor' : ''}, silent on the twin`, () => assertCase(id, c));
    }
    // The ground truth: proving a hang is waiting (HANG_MS) while the processes sit blocked, so
    // those cases run three at a time; lost updates need the machine's own interleavings and run
    // one at a time.
    for (const races of [false, true]) {
      const group = cases.filter((c) => ('races' in c.verdict) === races);
      if (group.length === 0) continue;
      describe(races ? `${id}: lost updates under the shim` : `${id}: ground truth under the shim`, { concurrency: races ? 1 : 3 }, () => {
        for (const c of group) it(`${c.name}: ${verdictTitle(c.verdict)}`, () => assertVerdict(c.verdict, fixture(id, c.bad), fixture(id, c.good)));
      });
    }
    const first = cases[0];
    if (first) it(`${first.name}: a disable-next-line comment with a reason silences it (docs/rules/${id}.md)`, () => assertSuppressed(id, fixture(id, first.bad)));
    more?.();
  });
}
