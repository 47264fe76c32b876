// Helpers of the runtime tests: run a program under the shim with the runtime's switches (the
// deadlock detector's mode, a report file, a trace), read the reports it wrote, and run many
// programs at once, a few at a time (the machine has 2 cores and other tests run beside).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RuntimeReport } from '@process-topology/multiprocessing';
import { DIST, ROOT } from '../helpers/paths';
import { launchArgs, type Via } from '../helpers/run-program';

export const RUNTIME_FIXTURES = path.join(ROOT, 'test/runtime/fixtures');

export interface Outcome {
  outcome: 'exited' | 'killed';
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The reports the program's main process wrote (PT_MP_REPORT_FILE), oldest first. */
  reports: RuntimeReport[];
}

export interface RunOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Kill the program's whole process group after this long. */
  limitMs?: number;
  cwd?: string;
  /** Written to its stdin after `stdinAfterMs` (stdin stays open until then). */
  stdin?: string;
  stdinAfterMs?: number;
  /** Called with all of stdout so far, at each chunk (e.g. to act once it printed a port), and its pid. */
  onStdout?: (all: string, pid: number) => void;
  /** Called with the main process's pid (also its process group's) once it is started. */
  onSpawn?: (pid: number) => void;
  /**
   * How the main process starts: its compiled copy (default, see test/helpers/run-program.ts),
   * `node --import tsx` (`tsx`), or the tsx command (`tsx-command`: `npx tsx file`, which runs node
   * as its child).
   */
  via?: Via | 'tsx-command';
}

const TSX_COMMAND = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

let runs = 0;

/** Runs a program (see `via`) with the shim's runtime switches; waits at most `limitMs`. */
export function run(file: string, opts: RunOptions = {}): Promise<Outcome> {
  const reportFile = path.join(os.tmpdir(), `pt-rt-report-${process.pid}-${++runs}.jsonl`);
  const started = Date.now();
  const how = opts.via === 'tsx-command' ? [TSX_COMMAND, file] : launchArgs(file, opts.via);
  const child = spawn(process.execPath, [...how, ...(opts.args ?? [])], {
    cwd: opts.cwd ?? path.dirname(file),
    detached: true,
    stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', PT_MP_DEADLOCK: 'raise', PT_MP_REPORT_FILE: reportFile, ...opts.env },
  });
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    opts.onStdout?.(stdout, child.pid!);
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let feed: NodeJS.Timeout | undefined;
  if (opts.stdin !== undefined) {
    child.stdin!.on('error', () => {});
    feed = setTimeout(() => child.stdin!.end(opts.stdin), opts.stdinAfterMs ?? 0);
  }
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      kill(child.pid!);
    }, opts.limitMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(feed);
      kill(child.pid!);
      let reports: RuntimeReport[] = [];
      try {
        reports = fs.readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RuntimeReport);
      } catch {
        // none written
      }
      fs.rmSync(reportFile, { force: true });
      resolve({ outcome: killed ? 'killed' : 'exited', code, signal, stdout, stderr, ms: Date.now() - started, reports });
    });
  });
}

function kill(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/** Runs the built command line (dist/cli.js, or `bundle`: dist/runner.js, the editor's) in `cwd` to its end. */
export function cli(args: string[], cwd: string, bundle: 'cli.js' | 'runner.js' = 'cli.js'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(DIST, bundle), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `jobs` at most `limit` at a time; results in the jobs' order. */
export async function pooled<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const k = next++;
      out[k] = await jobs[k]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

/** A blocked call as a test states it: who (MainProcess or the target's name), the op, file:line. */
export function blockedCalls(r: RuntimeReport): string[] {
  const out: string[] = [];
  for (const p of r.processes) {
    if (p.state !== 'blocked') continue;
    const who = p.role === 'main' ? 'MainProcess' : (p.target ?? p.name);
    for (const w of p.waits) out.push(`${who} ${w.op} ${w.loc ? `${w.loc.file}:${w.loc.range.start.line + 1}` : '?'}`);
  }
  return out.sort();
}

/** The 1-based line of the `occurrence`-th `needle` in `file`. */
export function lineOf(file: string, needle: string, occurrence = 1): number {
  const text = fs.readFileSync(file, 'utf8');
  let at = -1;
  for (let k = 0; k < occurrence; k++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' (${occurrence}) is not in ${file}`);
  }
  return text.slice(0, at).split('\n').length;
}
