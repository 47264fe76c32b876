// Running programs under the shim as a user does (`node --import tsx <program>`), each leading its
// own process group so that a test can see and end every process a program started: the ground
// truth of the rule tests (does the buggy program hang, fail, lose updates?) and the way the shim's
// own tests run their scenario programs.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface RunOptions {
  args?: string[];
  /** Where it runs; default the program's folder. */
  cwd?: string;
  /** Default: this process's environment without NODE_OPTIONS (the test runner's are not the program's). */
  env?: NodeJS.ProcessEnv;
}

export interface Started {
  child: ChildProcess;
  /** Also the process group id: the program leads its own group. */
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Settles once the program has exited and its output is read to the end. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startProgram(file: string, opts: RunOptions = {}): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...(opts.args ?? [])], {
    cwd: opts.cwd ?? path.dirname(file), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? { ...process.env, NODE_OPTIONS: '' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

export interface RunResult {
  /** `hung`: still running after `hangAfterMs` (then its whole group was killed). */
  outcome: 'exited' | 'hung';
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  pid: number;
}

export interface RunToEndOptions extends RunOptions {
  /** How long to wait before calling it hung and killing its group. */
  hangAfterMs?: number;
  /**
   * Kill what is left of its process group once the program exits (default): no child outlives a
   * test. False for tests that check the program leaves nothing behind by itself.
   */
  cleanup?: boolean;
}

/** Runs a program and waits at most `hangAfterMs` (default 8 s) for it to exit. */
export function runProgram(file: string, opts: RunToEndOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const p = startProgram(file, opts);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    killGroup(p.pid, 'SIGKILL');
  }, opts.hangAfterMs ?? 8000);
  p.child.on('exit', () => {
    if (hung) return;
    // The program is done; make sure nothing of its group lingers (its output then ends too).
    if (opts.cleanup !== false) {
      clearTimeout(timer);
      killGroup(p.pid, 'SIGKILL');
    }
  });
  return p.exited.then(({ code, signal }) => {
    clearTimeout(timer);
    return { outcome: hung ? 'hung' : 'exited', code, signal, stdout: p.stdout(), stderr: p.stderr(), ms: Date.now() - started, pid: p.pid };
  });
}

/** Sends a signal to a whole process group; nothing when it is gone already. */
export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}
