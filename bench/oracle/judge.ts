// Compares three accounts of one program: what the generator says it does, what the shim did in
// real runs, and what the analysis reports. Only what the runs prove is claimed:
// - blocking rules: a program that hung in some run needs a blocking finding (else a MISS); a
//   blocking finding on a program that never hung in its runs is a SUSPECTED FALSE ALARM;
// - run-time errors (lifecycle misuse): an error a run showed needs its rule's finding; such a
//   finding on a program whose runs never showed that error is a suspected false alarm;
// - races: a run whose printed result lost updates needs `unsynchronized-update`; that finding on
//   a program the generator built with every update under one lock (and whose runs never lost one)
//   is a suspected false alarm; otherwise it is "unconfirmed";
// - other findings (hygiene the runs cannot see) are listed, not judged.
// The generator's own claim is checked against the runs too: it must be right.
import { familyOf, type AnalysisResult } from './analysis';
import type { Program, RunObservation } from './types';

/**
 * Run-time errors of the shim that witness a rule (Python's messages, shim-api.md), with one
 * message of each as the shim prints it (for judging without runs, `assumedRuns`).
 */
export const RUNTIME_ERRORS: readonly { rule: string; pattern: RegExp; sample: string }[] = [
  { rule: 'start-twice', pattern: /cannot start a process twice/, sample: 'ProcessError: cannot start a process twice' },
  { rule: 'join-unstarted', pattern: /can only join a started process/, sample: 'ProcessError: can only join a started process' },
  { rule: 'daemon-has-children', pattern: /daemonic processes are not allowed to have children/, sample: 'ProcessError: daemonic processes are not allowed to have children' },
  { rule: 'pool-join-before-close', pattern: /Pool is still running/, sample: 'ProcessError: Pool is still running' },
  { rule: 'use-after-close', pattern: /Queue \S+ is closed|handle is closed|Pool not running|has shut down/, sample: 'ProcessError: Queue 1.a:1 is closed\nProcessError: Pool not running\nProcessError: the manager hosting this dict proxy has shut down' },
  { rule: 'wrong-pipe-end', pattern: /connection is (?:read|write)-only/, sample: 'ProcessError: connection is read-only\nProcessError: connection is write-only' },
  { rule: 'task-done-excess', pattern: /task_done\(\) called too many times/, sample: 'ProcessError: task_done() called too many times' },
  { rule: 'release-unheld', pattern: /release unlocked lock|released too many times|cannot (?:release|wait|notify) on un-acquired lock|cannot release un-acquired lock/, sample: 'ProcessError: release unlocked lock\nProcessError: cannot wait on un-acquired lock' },
  { rule: 'unguarded-start', pattern: /bootstrapping phase/, sample: 'ProcessError: \n  An attempt has been made to start a new process before the\n  current process has finished its bootstrapping phase.' },
  { rule: 'target-not-spawnable', pattern: /cannot be sent to the child|found no function exported/, sample: "ProcessError: cannot start a process: the target 'f' cannot be sent to the child" },
  { rule: 'unsendable-value', pattern: /cannot be copied to another process/, sample: 'ProcessError: cannot send args[0]: a function cannot be copied to another process' },
];
const RUNTIME_RULES = new Set(RUNTIME_ERRORS.map((e) => e.rule));
export const RACE_RULES = new Set(['unsynchronized-update', 'shared-file-race']);

export type BlockingVerdict = 'found' | 'miss' | 'false-alarm' | 'clean' | 'inconclusive';
export type RuleVerdict = 'found' | 'miss' | 'false-alarm';
export type RaceVerdict = 'found' | 'miss' | 'false-alarm' | 'unconfirmed' | 'clean';

export interface Observed {
  runs: number;
  hung: number;
  timeouts: number;
  /** Rules witnessed by a run-time error in some run. */
  errorRules: string[];
  /** Some exited run printed a result other than the exact one (lost updates). */
  lost: boolean;
}

export interface Judgement {
  observed: Observed;
  generator: { agrees: boolean; why?: string };
  blocking: BlockingVerdict;
  /** Rules of the blocking findings. */
  blockingRules: string[];
  runtime: { rule: string; verdict: RuleVerdict }[];
  race: RaceVerdict;
  /** Findings the runs cannot judge (hygiene), by rule. */
  other: string[];
  /** How a finding was confirmed beyond plain runs (steered replay, controlled runs; issue 14). */
  confirmations?: { rule: string; result: string }[];
}

function exactOf(p: Program): Record<string, number> | undefined {
  if (p.expect.effect === 'completes') return p.expect.results;
  if (p.expect.effect === 'lost-update') return p.expect.exact;
  return undefined;
}

function differs(results: Record<string, number>, exact: Record<string, number>): string | undefined {
  for (const [k, v] of Object.entries(exact)) {
    if (results[k] !== v) return `${k} = ${results[k] ?? 'missing'}, expected ${v}`;
  }
  return undefined;
}

export function observe(p: Program, runs: readonly RunObservation[]): Observed {
  const exact = exactOf(p);
  const errorRules = new Set<string>();
  let lost = false;
  for (const r of runs) {
    const text = r.stderrTail + '\n' + r.errors.join('\n');
    for (const e of RUNTIME_ERRORS) if (e.pattern.test(text)) errorRules.add(e.rule);
    if (r.outcome === 'exited' && r.code === 0 && r.errors.length === 0 && exact && differs(r.results, exact)) lost = true;
  }
  return {
    runs: runs.length,
    hung: runs.filter((r) => r.outcome === 'hung' || r.outcome === 'deadlock').length,
    timeouts: runs.filter((r) => r.outcome === 'timeout').length,
    errorRules: [...errorRules].sort(),
    lost,
  };
}

/** Does the shim do what the generator said? */
export function generatorAgrees(p: Program, runs: readonly RunObservation[]): { agrees: boolean; why?: string } {
  const hung = runs.filter((r) => r.outcome === 'hung' || r.outcome === 'deadlock').length;
  const e = p.expect;
  const describe = (r: RunObservation) => `${r.outcome}${r.code !== null ? ` (exit ${r.code})` : ''}${r.errors.length ? `: ${r.errors[0]}` : ''}`;
  switch (e.effect) {
    case 'hangs':
      if (e.certainty === 'always' && hung < runs.length) return { agrees: false, why: `expected every run to hang; ${runs.map(describe).join('; ')}` };
      if (hung === 0) return { agrees: false, why: `expected a hang in ${runs.length} run(s); ${runs.map(describe).join('; ')}` };
      return { agrees: true };
    case 'error': {
      const re = new RegExp(e.message);
      for (const r of runs) {
        if (r.outcome !== 'exited') return { agrees: false, why: `expected the error /${e.message}/; ${describe(r)}` };
        if (!re.test(r.stderrTail) && !r.errors.some((x) => re.test(x))) return { agrees: false, why: `expected the error /${e.message}/; ${describe(r)}` };
      }
      return { agrees: true };
    }
    case 'completes':
      for (const r of runs) {
        if (r.outcome !== 'exited' || r.code !== 0 || r.errors.length > 0) return { agrees: false, why: `expected to complete; ${describe(r)}` };
        const d = e.results ? differs(r.results, e.results) : undefined;
        if (d) return { agrees: false, why: `expected exact results; ${d}` };
      }
      return { agrees: true };
    case 'lost-update': {
      let lost = false;
      for (const r of runs) {
        if (r.outcome !== 'exited' || r.code !== 0 || r.errors.length > 0) return { agrees: false, why: `expected to complete (with lost updates); ${describe(r)}` };
        if (differs(r.results, e.exact)) lost = true;
      }
      return lost ? { agrees: true } : { agrees: false, why: `no update was lost in ${runs.length} run(s)` };
    }
  }
}

/**
 * The runs the generator's claim stands for, to judge a program without running it (the
 * explainer, `--no-run`). Trustworthy exactly as far as the generator is right: the seeded test
 * and every benchmark run check that against the shim.
 */
export function assumedRuns(p: Program): RunObservation[] {
  const base = { code: 0, ms: 0, errors: [] as string[], results: {} as Record<string, number>, stderrTail: '' };
  const e = p.expect;
  switch (e.effect) {
    case 'completes':
      return [{ ...base, outcome: 'exited', results: { ...(e.results ?? {}) } }];
    case 'hangs':
      return [{ ...base, outcome: 'hung', code: null }];
    case 'error': {
      const re = new RegExp(e.message);
      const sample = RUNTIME_ERRORS.find((x) => x.sample.split('\n').some((l) => re.test(l)))?.sample ?? `ProcessError: ${e.message}`;
      const line = sample.split('\n').find((l) => re.test(l)) ?? sample;
      return [{ ...base, outcome: 'exited', code: 1, errors: [line], stderrTail: line }];
    }
    case 'lost-update': {
      const [k, v] = Object.entries(e.exact)[0]!;
      return [{ ...base, outcome: 'exited', results: { ...e.exact, [k]: v - 1 } }];
    }
  }
}

export function judge(p: Program, runs: readonly RunObservation[], a: AnalysisResult): Judgement {
  const observed = observe(p, runs);
  const blockingRules = [...new Set(a.findings.filter((f) => f.family === 'blocking').map((f) => f.rule))].sort();
  let blocking: BlockingVerdict;
  if (observed.hung > 0) blocking = blockingRules.length > 0 ? 'found' : 'miss';
  else if (observed.timeouts > 0) blocking = 'inconclusive';
  else blocking = blockingRules.length > 0 ? 'false-alarm' : 'clean';

  const reported = new Set(a.findings.map((f) => f.rule));
  const runtime: { rule: string; verdict: RuleVerdict }[] = [];
  for (const rule of observed.errorRules) runtime.push({ rule, verdict: reported.has(rule) ? 'found' : 'miss' });
  for (const rule of reported) {
    if (RUNTIME_RULES.has(rule) && !observed.errorRules.includes(rule)) runtime.push({ rule, verdict: 'false-alarm' });
  }

  const raceFinding = [...reported].some((r) => RACE_RULES.has(r));
  let race: RaceVerdict;
  if (observed.lost && p.expect.effect === 'lost-update') race = raceFinding ? 'found' : 'miss';
  else if (!raceFinding) race = 'clean';
  else if (p.expect.effect === 'completes' && !observed.lost) race = 'false-alarm';
  else race = 'unconfirmed';

  const other = [...reported].filter((r) => familyOf(r) !== 'blocking' && !RUNTIME_RULES.has(r) && !RACE_RULES.has(r)).sort();
  return { observed, generator: generatorAgrees(p, runs), blocking, blockingRules, runtime, race, other };
}

export interface RunPolicy {
  /** Runs every program gets. */
  runs: number;
  /** Most runs a program gets when the first ones leave a question open. */
  maxRuns: number;
}

/**
 * Whether one more run would settle something: a hang the generator calls likely, a lost update
 * expected or reported, a blocking or race finding not yet backed by a run (a suspected false
 * alarm needs N quiet runs). A program that already hung needs no more runs to prove it can.
 */
export function wantsAnotherRun(p: Program, a: AnalysisResult, runs: readonly RunObservation[], policy: RunPolicy): boolean {
  if (runs.length < policy.runs) return true;
  if (runs.length >= policy.maxRuns) return false;
  const o = observe(p, runs);
  if (o.hung > 0) return false;
  if (o.timeouts > 0) return false;
  if (p.expect.effect === 'hangs' && p.expect.certainty === 'likely') return true;
  if (p.expect.effect === 'lost-update' && !o.lost) return true;
  if (a.findings.some((f) => f.family === 'blocking')) return true;
  if (a.findings.some((f) => RACE_RULES.has(f.rule)) && !o.lost) return true;
  return false;
}

/**
 * The analysis's disagreements with the runs, one string each: `miss:blocking`, `miss:<rule>`
 * (a run-time error), `miss:race`, `false-alarm:<rule>`, `false-alarm:race`.
 */
export function disagreements(j: Judgement): string[] {
  const out: string[] = [];
  if (j.blocking === 'miss') out.push('miss:blocking');
  if (j.blocking === 'false-alarm') out.push(...j.blockingRules.map((r) => `false-alarm:${r}`));
  for (const r of j.runtime) if (r.verdict !== 'found') out.push(`${r.verdict}:${r.rule}`);
  if (j.race === 'miss') out.push('miss:race');
  if (j.race === 'false-alarm') out.push('false-alarm:race');
  return out.sort();
}
