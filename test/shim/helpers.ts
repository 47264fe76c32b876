// Running the shim's programs from the repo root (as their compiled copies, or through tsx: see
// test/helpers/run-program.ts), each in its own process group so a test can see and end every
// process a program started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/paths';
import { runProgram, startProgram, type RunResult, type Started, type Via } from '../helpers/run-program';
import { until } from '../helpers/until';

export { killGroup, type RunResult } from '../helpers/run-program';

export const FIXTURES = path.join(ROOT, 'test', 'shim', 'fixtures');

/**
 * Runs a scenario program from the repo root to its end and returns what it printed; one that
 * outlives `limit` seconds is killed (whole group) and fails the test. Unlike the rule tests' runs,
 * what the program leaves behind is not cleaned up here: some tests check that nothing is left.
 */
export async function runToEnd(file: string, args: string[] = [], limit = 60): Promise<RunResult> {
  const run = await runProgram(file, { args, cwd: ROOT, env: process.env, hangAfterMs: limit * 1000, cleanup: false });
  if (run.outcome === 'hung') throw new Error(`${file} ${args.join(' ')} still ran after ${limit} s:\n${run.stderr}`);
  return run;
}

/**
 * Starts a scenario program from the repo root (see runToEnd). `env`: extra environment variables
 * (PT_MP_DEADLOCK=hang keeps a deadlocked program waiting, as under Python).
 */
export function startCase(file: string, args: string[] = [], env: Record<string, string> = {}, via?: Via): Started {
  return startProgram(file, { args, cwd: ROOT, env: { ...process.env, ...env }, ...(via ? { via } : {}) });
}

/** The JSON a fixture program printed on its "RESULT " line. */
export function result<T = Record<string, unknown>>(stdout: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line in:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** Runs one named case of a case file to its end (bounded by `limit` seconds); the case must exit 0. */
export async function runCaseOf<T = Record<string, unknown>>(file: string, name: string, limit = 60): Promise<{ run: RunResult; out: T }> {
  const run = await runToEnd(file, [name], limit);
  assert.equal(run.code, 0, `case ${name} failed:\n${run.stderr}`);
  return { run, out: result<T>(run.stdout) };
}

/** What a case records of an error it caught: its class name and message (and more, per file). */
/**
 * A case runner that runs each case of `file` once, however many tests read it; a case whose
 * program fails fails every test that reads it.
 */
export function casesOnce(file: string, limit = 120): <T>(name: string) => Promise<T> {
  const runs = new Map<string, Promise<unknown>>();
  return <T>(name: string): Promise<T> => {
    let run = runs.get(name);
    if (!run) {
      run = runToEnd(file, [name], limit).then((r) => {
        assert.equal(r.code, 0, `case ${name} failed:\n${r.stderr}`);
        return result(r.stdout);
      });
      runs.set(name, run);
    }
    return run as Promise<T>;
  };
}

export interface CaughtError {
  name: string;
  message: string;
  seconds?: number;
}

/**
 * Asserts that a case caught the error `name` with `message` (exact, or a pattern); with `x`, that
 * it came after about `x` seconds (a timeout).
 */
export function assertCaught(f: CaughtError | null | undefined, name: string, message: string | RegExp, x?: number): void {
  assert.ok(f, `expected ${name}: ${String(message)}`);
  assert.equal(f.name, name);
  if (typeof message === 'string') assert.equal(f.message, message);
  else assert.match(f.message, message);
  if (x !== undefined) {
    assert.ok(f.seconds !== undefined && f.seconds >= x - 0.1 && f.seconds < x + 1, `${name} after ${f.seconds} s, expected about ${x} s`);
  }
}

/** Processes alive (zombies do not count) and their process group, from /proc or `ps`. */
function processTable(): { pid: number; pgid: number }[] {
  if (fs.existsSync('/proc/self/stat')) {
    const rows: { pid: number; pgid: number }[] = [];
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the last ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && state !== 'X') rows.push({ pid: Number(name), pgid: Number(pgrp) });
    }
    return rows;
  }
  const ps = spawnSync('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return ps.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, , stat]) => !stat!.startsWith('Z'))
    .map(([pid, pgid]) => ({ pid: Number(pid), pgid: Number(pgid) }));
}

export function groupMembers(pgid: number): number[] {
  return processTable()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

export function isRunning(pid: number): boolean {
  return processTable().some((p) => p.pid === pid);
}

/** Polls `pred` (every 25 ms) until it holds; fails after `seconds`. */
export async function waitUntil(pred: () => boolean, seconds: number, what: string): Promise<void> {
  await until(what, () => (pred() ? true : undefined), seconds * 1000, 25);
}

/** Resolves true if `p` settles within `seconds`, false otherwise. */
export function settlesWithin(p: Promise<unknown>, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), seconds * 1000)));
  return Promise.race([p.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
