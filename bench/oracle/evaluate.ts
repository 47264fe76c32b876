// The oracle's pipeline for a list of programs: write each under a work folder, analyze each in
// process, run each under the shim (a few at once, more runs where a question is open), and judge.
// Used by the benchmark's command line (main.ts) and by the seeded test sample.
//
// Where issue 14 plugs in: `Oracle` is how a program is run. Today `plainRuns` runs it as a user
// would; a controlled-scheduling oracle (`process-topology run --explore N`, seeded, reproducible)
// can replace it without touching the judge. `Confirmer` takes a blocking finding the runs did not
// reproduce and tries to steer a run along the finding's trace (`run --reproduce`): a confirmed
// trace turns a suspected false alarm into a found bug, a divergence backs the false alarm.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeEntry, type AnalysisResult, type OracleFinding } from './analysis';
import type { Explanation } from './explain';
import { assumedRuns, judge, wantsAnotherRun, type Judgement, type RunPolicy } from './judge';
import { DEFAULT_LIMITS, mapLimit, runOnce, writeProgram, type RunLimits } from './run';
import type { Program, RunObservation } from './types';

export interface Oracle {
  name: string;
  /** One run of the program at `entry`; `attempt` counts from 0 (a seed for controlled runs). */
  run(entry: string, attempt: number, program: Program): Promise<RunObservation>;
}

export interface Confirmer {
  name: string;
  /** 'reproduced': a run followed the finding to the predicted state; 'diverged': it could not. */
  confirm(entry: string, finding: OracleFinding, program: Program): Promise<'reproduced' | 'diverged' | 'unsupported'>;
}

/**
 * No run at all: the generator's claim stands for the runs (fast, for iterating on the analysis;
 * never for the figures of record).
 */
export const generatorClaims: Oracle = {
  name: "generator's claims (no runs)",
  run: async (_entry, _attempt, program) => assumedRuns(program)[0]!,
};

export function plainRuns(limits: RunLimits = DEFAULT_LIMITS): Oracle {
  return {
    name: 'plain runs',
    run: async (entry) => {
      const { stdout: _o, stderr: _e, ...obs } = await runOnce(entry, limits);
      return obs;
    },
  };
}

export interface EvaluateOptions {
  /** Folder the programs are written under (one subfolder each). */
  workDir: string;
  concurrency: number;
  policy: RunPolicy;
  oracle?: Oracle;
  confirmer?: Confirmer;
  /** Remove each program's folder once judged. */
  clean?: boolean;
  /** Called after each program is judged. */
  progress?: (done: number, total: number, r: ProgramResult) => void;
}

export interface ProgramResult {
  program: Program;
  analysis: AnalysisResult;
  runs: RunObservation[];
  judgement: Judgement;
  /** Why each disagreement happens (explain.ts), when asked for. */
  explanations?: Explanation[];
}

export async function evaluate(programs: readonly Program[], opts: EvaluateOptions): Promise<ProgramResult[]> {
  const oracle = opts.oracle ?? plainRuns();
  fs.mkdirSync(opts.workDir, { recursive: true });
  const entries = programs.map((p) => writeProgram(p, path.join(opts.workDir, p.id)));
  // The analysis first (in this process, one at a time): the run policy depends on its findings.
  const analyses = entries.map((e) => analyzeEntry(e));
  let done = 0;
  return mapLimit(programs, opts.concurrency, async (p, i) => {
    const entry = entries[i]!;
    const a = analyses[i]!;
    const runs: RunObservation[] = [];
    if (oracle === generatorClaims) runs.push(await oracle.run(entry, 0, p));
    else while (wantsAnotherRun(p, a, runs, opts.policy)) runs.push(await oracle.run(entry, runs.length, p));
    const judgement = judge(p, runs, a);
    if (opts.confirmer && judgement.blocking === 'false-alarm') {
      judgement.confirmations = [];
      for (const f of a.findings.filter((x) => x.family === 'blocking')) {
        judgement.confirmations.push({ rule: f.rule, result: await opts.confirmer.confirm(entry, f, p) });
      }
    }
    if (opts.clean) fs.rmSync(path.dirname(entry), { recursive: true, force: true });
    const result = { program: p, analysis: a, runs, judgement };
    opts.progress?.(++done, programs.length, result);
    return result;
  });
}
