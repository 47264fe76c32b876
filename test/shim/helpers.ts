// Running the shim's programs as a user does (`node --import tsx <program>` from the repo root),
// each in its own process group so a test can see and end every process a program started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/paths';

export const FIXTURES = path.join(ROOT, 'test', 'shim', 'fixtures');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Started {
  child: ChildProcess;
  /** Also the process group id: the program leads its own group. */
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

/** `env`: extra environment variables (PT_MP_DEADLOCK=hang keeps a deadlocked program waiting). */
export function startProgram(file: string, args: string[] = [], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

export interface Run extends Exit {
  pid: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run a program to its end; one that outlives `limit` seconds is killed (whole group) and fails. */
export async function runProgram(file: string, args: string[] = [], limit = 60): Promise<Run> {
  const t0 = Date.now();
  const p = startProgram(file, args);
  const timer = setTimeout(() => killGroup(p.pid, 'SIGKILL'), limit * 1000);
  const exit = await p.exited;
  clearTimeout(timer);
  const run = { ...exit, pid: p.pid, stdout: p.stdout(), stderr: p.stderr(), seconds: (Date.now() - t0) / 1000 };
  if (Date.now() - t0 >= limit * 1000) throw new Error(`${file} ${args.join(' ')} still ran after ${limit} s:\n${run.stderr}`);
  return run;
}

/** The JSON a fixture program printed on its "RESULT " line. */
export function result<T = Record<string, unknown>>(stdout: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line in:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
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

/** Poll `pred` until it holds; fail after `seconds`. */
export async function waitUntil(pred: () => boolean, seconds: number, what: string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves true if `p` settles within `seconds`, false otherwise. */
export function settlesWithin(p: Promise<unknown>, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), seconds * 1000)));
  return Promise.race([p.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
