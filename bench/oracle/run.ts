// Runs generated programs for real under the shim (as their compiled copy, the JavaScript the
// children of a program run through tsx run too; through tsx where there is none) and says what happened: exited (with its code, the shim's errors on stderr and the RESULT lines of
// stdout), or hung. A hang is decided by watching the program's whole process group in /proc: once
// every process of it has used (next to) no CPU for a few consecutive windows, printed nothing, and
// none started or ended, nothing can move again (the generated programs wait on nothing but each
// other and short timers). That is far quicker than a long fixed timeout on a loaded machine, and
// does not take a slow start for a hang. A program still busy at the hard limit is a `timeout`,
// never counted as a hang.
//
// Issue 14's run-time detector will end a deadlocked program itself with a report: `deadlock` is
// that outcome (recognised by DEADLOCK_REPORT on stderr) and counts as a hang. Controlled
// scheduling and steered replay plug in as other `Oracle`s (see judge.ts).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchArgs } from '../../test/helpers/run-program';
import { ENTRY, type Program, type RunObservation } from './types';

export interface RunLimits {
  /** No hang is decided before this (the processes' own start-up). */
  minMs: number;
  /** Length of one idle window. */
  windowMs: number;
  /** Consecutive idle windows that make a hang. */
  idleWindows: number;
  /** CPU ticks (1/100 s) the whole group may use in a window and still be idle. */
  idleTicks: number;
  /** Hard limit: a program still busy then is a `timeout`. */
  maxMs: number;
}

export const DEFAULT_LIMITS: RunLimits = { minMs: 2500, windowMs: 1000, idleWindows: 3, idleTicks: 2, maxMs: 90_000 };

/** How the shim's run-time deadlock detector (issue 14) announces itself on stderr. */
export const DEADLOCK_REPORT = /\bDeadlockError\b/;

/** Writes a program's files (and a package.json that makes them ES modules) under `dir`. */
export function writeProgram(program: Program, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  for (const f of program.files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), f.text);
  }
  return path.join(dir, ENTRY);
}

interface Sample {
  ticks: Map<number, number>;
}

/** One scan of /proc for the processes of each watched group: pid -> utime + stime. */
function scanGroups(groups: ReadonlySet<number>): Map<number, Sample> {
  const out = new Map<number, Sample>();
  for (const g of groups) out.set(g, { ticks: new Map() });
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(rest[2]);
    const sample = out.get(pgrp);
    if (!sample) continue;
    sample.ticks.set(Number(e), Number(rest[11]) + Number(rest[12]));
  }
  return out;
}

/**
 * One sampler for all running programs: a single /proc scan per window, shared, so watching
 * several programs at once costs one scan.
 */
class GroupSampler {
  readonly #watchers = new Map<number, (s: Sample) => void>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly windowMs: number) {}

  watch(pgid: number, onSample: (s: Sample) => void): () => void {
    this.#watchers.set(pgid, onSample);
    if (!this.#timer) this.#timer = setInterval(() => this.#tick(), this.windowMs);
    return () => {
      this.#watchers.delete(pgid);
      if (this.#watchers.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  #tick(): void {
    const samples = scanGroups(new Set(this.#watchers.keys()));
    for (const [g, s] of samples) this.#watchers.get(g)?.(s);
  }
}

const samplers = new Map<number, GroupSampler>();

function samplerFor(windowMs: number): GroupSampler {
  let s = samplers.get(windowMs);
  if (!s) samplers.set(windowMs, (s = new GroupSampler(windowMs)));
  return s;
}

const ERROR_LINE = /^(?:Uncaught )?([A-Z][A-Za-z]*Error): (.*)$/gm;
const RESULT_LINE = /^RESULT (\S+) (-?\d+(?:\.\d+)?)\s*$/gm;

export function parseOutput(stdout: string, stderr: string): { errors: string[]; results: Record<string, number> } {
  const errors: string[] = [];
  for (const m of stderr.matchAll(ERROR_LINE)) {
    const line = `${m[1]}: ${m[2]!.trim() || stderr.slice(m.index! + m[0].length).trim().split('\n')[0]}`;
    if (!errors.includes(line)) errors.push(line);
  }
  const results: Record<string, number> = {};
  for (const m of stdout.matchAll(RESULT_LINE)) results[m[1]!] = Number(m[2]);
  return { errors, results };
}

/** Runs the entry once; resolves when it exits, or hangs (then its whole group is killed). */
export function runOnce(entry: string, limits: RunLimits = DEFAULT_LIMITS): Promise<RunObservation & { stderr: string; stdout: string }> {
  const started = Date.now();
  // Its compiled copy where it has one (the JavaScript its children run too), else through tsx.
  const child = spawn(process.execPath, launchArgs(entry), {
    cwd: path.dirname(entry),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stdout = '';
  let stderr = '';
  let outBytes = 0;
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); outBytes += d.length; });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); outBytes += d.length; });
  const pgid = child.pid!;
  return new Promise((resolve) => {
    let verdict: 'hung' | 'timeout' | undefined;
    let last: Sample | undefined;
    let lastBytes = -1;
    let idle = 0;
    const kill = () => {
      try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
    };
    const stop = samplerFor(limits.windowMs).watch(pgid, (s) => {
      const elapsed = Date.now() - started;
      if (elapsed >= limits.maxMs) {
        verdict = 'timeout';
        kill();
        return;
      }
      const prev = last;
      last = s;
      const bytes = outBytes;
      const quietOut = bytes === lastBytes;
      lastBytes = bytes;
      if (!prev || elapsed < limits.minMs) return;
      let same = prev.ticks.size === s.ticks.size;
      let used = 0;
      for (const [pid, t] of s.ticks) {
        const before = prev.ticks.get(pid);
        if (before === undefined) { same = false; break; }
        used += t - before;
      }
      idle = same && quietOut && used <= limits.idleTicks ? idle + 1 : 0;
      if (idle >= limits.idleWindows) {
        verdict = 'hung';
        kill();
      }
    });
    child.on('exit', (code) => {
      stop();
      // The program is done (or was killed): nothing of its group may linger.
      kill();
      const ms = Date.now() - started;
      // Let the pipes deliver what the processes wrote last.
      setTimeout(() => {
        const { errors, results } = parseOutput(stdout, stderr);
        const outcome = verdict ?? (DEADLOCK_REPORT.test(stderr) ? 'deadlock' : 'exited');
        resolve({ outcome, code: verdict ? null : code, ms, errors, results, stderrTail: stderr.slice(-1500), stderr, stdout });
      }, 50);
    });
  });
}

/** Runs async tasks with at most `limit` at once, in order of the list. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
