// Running programs under the shim, each leading its own process group so that a test can see and
// end every process a program started: the ground truth of the rule tests (does the buggy program
// hang, fail, lose updates?) and the way the shim's own tests run their scenario programs.
//
// A program runs as its compiled copy (`node --enable-source-maps <copy>.mjs`): the copy the shim
// makes for the children of a program run through tsx (shim/src/child-build.ts), so the main
// process runs the same JavaScript its children do, with errors and reports naming the .ts sources.
// tsx would cost each run's main process ~0.35 s of CPU (a third of a small program's run), and the
// suite runs programs over a thousand times. Where the copy cannot stand for the sources (CommonJS,
// code that reads its own location), or with `via: 'tsx'` (tests of the tsx path itself), the
// program runs as `node --import tsx <program>`, as a user types it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { programCopy } from '../../shim/src/child-build';
import { ROOT } from './paths';

/** How a program's main process starts: its compiled copy where it can (default), or through tsx. */
export type Via = 'compiled' | 'tsx';

const TSX_PACKAGE = path.join(ROOT, 'node_modules', 'tsx', 'package.json');

/** Whether node loads `file` as an ES module (.mts, or .ts under a package.json of "type": "module"). */
function isEsm(file: string): boolean {
  if (/\.[mc]js$|\.[mc]ts$/.test(file)) return /\.m[jt]s$/.test(file);
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: string }).type === 'module';
    } catch {
      if (path.dirname(dir) === dir) return false;
    }
  }
}

/** The node arguments that run `file`: its compiled copy, or the file through tsx. */
export function launchArgs(file: string, via: Via = 'compiled'): string[] {
  const abs = path.resolve(file);
  const copy = via === 'compiled' && isEsm(abs) ? programCopy(abs, TSX_PACKAGE) : null;
  return copy ? ['--enable-source-maps', fileURLToPath(copy.main)] : ['--import', 'tsx', abs];
}

export interface RunOptions {
  args?: string[];
  /** Where it runs; default the program's folder. */
  cwd?: string;
  /** Default: this process's environment without NODE_OPTIONS (the test runner's are not the program's). */
  env?: NodeJS.ProcessEnv;
  /** Default: its compiled copy where it can. */
  via?: Via;
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
  const child = spawn(process.execPath, [...launchArgs(file, opts.via), ...(opts.args ?? [])], {
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
