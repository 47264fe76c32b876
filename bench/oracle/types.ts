// What the oracle's generator hands to the runner and the judge: a program (its files, the axes it
// was varied along) and the effect the generator knows it must have under the shim. The runner's
// observations and the judge's verdicts are typed here too, so the report and the JSON output share
// one vocabulary.

/** What running the program must do, as the generator built it. */
export type Expect =
  /** Exits 0 with no error; `results` (printed as `RESULT name value`) are exact when given. */
  | { effect: 'completes'; results?: Record<string, number> }
  /**
   * Never finishes. `always`: every run hangs (the program's own synchronisation forces it);
   * `likely`: it needs an interleaving that the program makes very probable (a pause inside a
   * critical section), so some of a few runs hang.
   */
  | { effect: 'hangs'; certainty: 'always' | 'likely' }
  /** Ends with the shim's error (in main's or a child's stderr) matching `message`. */
  | { effect: 'error'; message: string }
  /**
   * Exits 0, and in some of a few runs a result differs from what every update would give
   * (`exact`): updates were lost.
   */
  | { effect: 'lost-update'; exact: Record<string, number> };

/** A bug the generator injected, and the rule of rules.md that names it. */
export interface Bug {
  kind: string;
  rule: string;
  /** One line on what is wrong, for the report and the disagreement list. */
  note: string;
}

export interface ProgramFile {
  /** Relative to the program's folder; the entry is `main.ts`. */
  path: string;
  text: string;
}

export interface Program {
  /** `s<seed>-<index>` plus `-bug` / `-ok`. */
  id: string;
  seed: number;
  index: number;
  scenario: string;
  variant: 'correct' | 'bug';
  bug?: Bug;
  expect: Expect;
  /** `axis:value` pairs: the report counts programs, hangs, misses and false alarms by each. */
  features: string[];
  files: ProgramFile[];
  /** Child processes a run starts at most (the runner's budget), main not counted. */
  processes: number;
  /** The ways of writing drawn (axis -> values taken, and the plainest one): what the explainer varies. */
  axes: Record<string, { values: string[]; plain: string }>;
}

export const ENTRY = 'main.ts';

/** One run of a program under the shim. */
export interface RunObservation {
  /**
   * `exited`: the main process ended by itself. `hung`: still running and every process of the
   * program idle (no CPU) for the idle window. `deadlock`: the shim's run-time detector (issue 14)
   * reported a deadlock and ended the program. `timeout`: still busy at the hard limit (neither).
   */
  outcome: 'exited' | 'hung' | 'deadlock' | 'timeout';
  code: number | null;
  ms: number;
  /** The shim's error messages seen on stderr (main's or a child's). */
  errors: string[];
  /** `RESULT name value` lines of stdout. */
  results: Record<string, number>;
  /** The end of stderr, for the report of a surprising run. */
  stderrTail: string;
}
