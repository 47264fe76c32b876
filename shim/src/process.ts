// `Process` and the module-level process functions. Start semantics follow Python's *spawn*: a
// real OS process runs `node [same flags] dist/child.js`, re-imports the main module (with
// isMainProcess() false) and calls the target, located by module and export name, with copies of
// the arguments. A subclass overriding run() is sent the same way: its class by export name, its
// own fields by value (the child rebuilds it without calling the constructor, like unpickling).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterSeconds } from './clock';
import { ProcessError } from './errors';
import { locateTarget } from './locate';
import { internalTimer, shimChild } from './activity';
import { hold, hubAddress, hubDrained, installRootExitHook, internalRole, noteExit, runtime, type Boot, type ChildHandle, type Loader } from './runtime';
import { currentSite, LazySite, type Site } from './site';
import { sendEvent, siteNumber, tracing } from './trace';
import { noteLocalStep, waitLocal } from './waits';
import { encode, kNotSendable } from './serialize';
import { CHILD_SEGMENT_FD, segmentForChild } from './native';
import { compiledProgram, covers } from './child-build';

const CHILD_ENTRY = path.join(__dirname, 'child.js');

const BOOTSTRAP_ERROR = `
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.

        This probably means that the main module starts processes at its
        top level: a child process re-imports the main module, so that code
        must run only in the main process:

            if (isMainProcess()) {
                ...
            }`;

/** Any function; targets are called with the arguments given to the Process. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyArgs = any[];

export interface ProcessOptions<A extends unknown[] = AnyArgs> {
  /** A module-level function exported from its module (it may be async). */
  target?: (...args: A) => unknown;
  args?: A;
  /** Passed as one extra, last argument (an object) when it has any keys. */
  kwargs?: Record<string, unknown>;
  name?: string;
  /** Defaults to the creating process's flag (false in the main process). */
  daemon?: boolean;
}

type Role = 'child' | 'current' | 'parent';

interface State {
  role: Role;
  target: ((...args: unknown[]) => unknown) | undefined;
  args: unknown[];
  kwargs: Record<string, unknown>;
  name: string;
  daemon: boolean;
  identity: number[];
  started: boolean;
  pid: number | null;
  exitcode: number | null;
  closed: boolean;
  child: ChildProcess | null;
  exited: Promise<void> | null;
  /** Where the Process object was made (the user's `new Process(...)`). */
  site: LazySite | null;
}

// Internal state lives beside the object, so a subclass instance's own fields are only the user's
// (they are what is sent to the child).
const states = new WeakMap<Process, State>();

function rawState(p: Process): State {
  const s = states.get(p);
  if (!s) throw new ProcessError('the Process constructor was not called (a subclass constructor must call super())');
  return s;
}

function stateOf(p: Process): State {
  const s = rawState(p);
  if (s.closed) throw new ProcessError('process object is closed');
  return s;
}

function childState(p: Process, verb: string): State {
  const s = stateOf(p);
  if (s.role !== 'child') throw new ProcessError(`can only ${verb} a child process`);
  if (!s.started) throw new ProcessError(`can only ${verb} a started process`);
  return s;
}

function signal(p: Process, sig: NodeJS.Signals): void {
  const s = childState(p, 'terminate');
  if (s.exitcode === null) s.child?.kill(sig);
}

/**
 * The parent's Node flags (tsx's loader among them, so the child can import .ts modules), minus
 * those that must not be repeated: an inspector port held twice, code to evaluate instead of the
 * bootstrap, a watcher or a test runner of its own.
 */
const DROPPED_FLAG = /^(--inspect(-brk|-port|-wait)?|--eval|--print|--input-type|--watch(-[\w-]+)?|--test(-[\w-]+)?)(=|$)/;
const FLAG_WITH_VALUE = ['-e', '--eval', '-p', '--print', '--input-type'];
/** Flags that load code before the program (their value is a module). */
const PRELOAD_FLAG = /^(--import|--require|-r|--loader|--experimental-loader)(=|$)/;

interface Launch {
  execArgv: string[];
  loader: Loader | null;
}

let launch: Launch | null = null;

/**
 * How children start. When the only preloads are tsx's (`--import tsx`, the tsx CLI's flags,
 * `--require tsx/cjs`), they are left out of the child's flags and the child registers the same
 * tsx hooks itself, once its own (compiled) modules are loaded: they then skip tsx's per-file
 * work, and tsx's ES loader is set up through its API instead of as an --import preload.
 */
function childLaunch(): Launch {
  if (launch) return launch;
  // The parent's flags in their order; a preload is [flag, value].
  const flags: (string | [string, string])[] = [];
  const preloads: { flag: string; value: string }[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (FLAG_WITH_VALUE.includes(a)) {
      i++; // skip its value too
      continue;
    }
    if (DROPPED_FLAG.test(a)) continue;
    const m = PRELOAD_FLAG.exec(a);
    const value = m ? (m[2] === '=' ? a.slice(m[1]!.length + 1) : args[i + 1]) : undefined;
    if (m && value !== undefined) {
      if (m[2] !== '=') i++;
      flags.push([m[1]!, value]);
      preloads.push({ flag: m[1]!, value });
      continue;
    }
    flags.push(a);
  }
  const argv = (withPreloads: boolean) => flags.flatMap((f) => (typeof f === 'string' ? [f] : withPreloads ? f : []));
  // A child that registered tsx itself passes the same on (its own flags no longer name it).
  if (runtime.loader) return (launch = { execArgv: argv(true), loader: runtime.loader });
  const loader = tsxLoader(preloads);
  launch = { execArgv: argv(loader === null), loader };
  return launch;
}

/** The tsx hooks to register in the child, when every preload is tsx's own; else null. */
function tsxLoader(preloads: { flag: string; value: string }[]): Loader | null {
  if (preloads.length === 0) return null;
  if (/(^|\s)(--import|--require|-r|--loader|--experimental-loader)\b/.test(process.env.NODE_OPTIONS ?? '')) return null;
  let root: string | null = null;
  let esm = false;
  let cjs = false;
  for (const { flag, value } of preloads) {
    if (flag === '--loader' || flag === '--experimental-loader') return null;
    let file: string;
    try {
      file = value.startsWith('file:')
        ? fileURLToPath(value)
        : Module.createRequire(path.join(process.cwd(), 'noop.js')).resolve(value);
    } catch {
      return null;
    }
    const pkg = tsxRoot(file);
    if (!pkg || (root !== null && pkg !== root)) return null;
    root = pkg;
    const rel = path.relative(pkg, file).split(path.sep).join('/');
    if (flag === '--import' && rel === 'dist/loader.mjs') esm = cjs = true;
    else if (flag === '--import' && rel === 'dist/esm/index.mjs') esm = true;
    else if (flag !== '--import' && (rel === 'dist/cjs/index.cjs' || rel === 'dist/preflight.cjs')) cjs = true;
    else return null;
  }
  if (!root) return null;
  try {
    const req = Module.createRequire(path.join(root, 'package.json'));
    return {
      esmApi: esm ? req.resolve('tsx/esm/api') : null,
      esmHooks: esm ? pathToFileURL(req.resolve('tsx/esm')).href : null,
      loader: esm ? pathToFileURL(req.resolve('tsx')).href : null,
      cjsApi: cjs ? req.resolve('tsx/cjs/api') : null,
    };
  } catch {
    return null;
  }
}

/** The directory of the tsx package holding `file`, or null. */
function tsxRoot(file: string): string | null {
  for (let dir = path.dirname(file); ; ) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name !== undefined) return pkg.name === 'tsx' ? dir : null;
    } catch {
      // no package.json here
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * On Linux, children start through util-linux's `setpriv --pdeathsig SIGKILL`: the kernel kills a
 * child when its parent dies, even while the child runs a long synchronous loop (its event loop
 * would only notice the lost IPC channel once the loop ends). The first start() checks that this
 * setpriv runs with that option (util-linux 2.33 and later) and leaves the answer in the
 * environment (PT_MP_SETPRIV, a path or empty), which children inherit.
 */
let setprivPath: string | null | undefined;

function setpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux' || process.env.PT_MP_NO_PDEATHSIG) return null;
  const known = process.env.PT_MP_SETPRIV;
  if (known !== undefined) return (setprivPath = known || null);
  for (const dir of ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (!dir) continue;
    const candidate = path.join(dir, 'setpriv');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
    } catch {
      continue; // not here
    }
    const check = spawnSync(candidate, ['--pdeathsig', 'SIGKILL', '--', 'true'], { stdio: 'ignore', timeout: 5000 });
    if (check.status === 0) setprivPath = candidate;
    break;
  }
  process.env.PT_MP_SETPRIV = setprivPath ?? '';
  return setprivPath;
}

/**
 * Told when this process starts a child (its pid, and where start() was called) and when a child
 * ends: controlled scheduling waits for a starting process, steered replay counts a start step.
 */
export const spawnHooks = {
  /** A child started: its pid, where start() was called, and where the Process was made. */
  spawned: [] as ((pid: number, start: Site | null, made: Site | null) => void)[],
  exited: [] as ((pid: number) => void)[],
};

/** Give up waiting for the hub to read a dead child's connection after this long (it never takes it). */
const DRAIN_LIMIT_MS = 2000;

/** The names of the classes between `cls` and Process (a subclass's, its bases'), or undefined. */
function subclassesOf(cls: Function): string[] | undefined {
  if (cls === Process) return undefined;
  const names: string[] = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Process && names.length < 16; c = Object.getPrototypeOf(c)) {
    if (c.name) names.push(c.name);
  }
  return names;
}

export class Process<A extends unknown[] = AnyArgs> implements ChildHandle {
  constructor(options: ProcessOptions<A> = {}) {
    const identity = [...runtime.identity, ++runtime.processCounter];
    states.set(this, {
      role: 'child',
      target: options.target as State['target'],
      args: [...(options.args ?? [])],
      kwargs: { ...options.kwargs },
      name: options.name ?? `${new.target.name}-${identity.join(':')}`,
      daemon: options.daemon ?? runtime.daemon,
      identity,
      started: false,
      pid: null,
      exitcode: null,
      closed: false,
      child: null,
      exited: null,
      site: new LazySite(Process, subclassesOf(new.target)),
    });
  }

  /** What the child process executes: calls the target. Subclasses may override it. */
  run(): unknown {
    const s = rawState(this);
    if (!s.target) return undefined;
    return s.target(...s.args, ...(Object.keys(s.kwargs).length > 0 ? [s.kwargs] : []));
  }

  /** Launch the child process; returns once it is spawned, not once run() begins. */
  start(): void {
    const s = stateOf(this);
    if (s.role !== 'child' || s.started) throw new ProcessError('cannot start a process twice');
    if (runtime.daemon) throw new ProcessError('daemonic processes are not allowed to have children');
    if (runtime.bootstrapping) throw new ProcessError(BOOTSTRAP_ERROR);
    if (s.target !== undefined && typeof s.target !== 'function') {
      throw new TypeError(`Process target must be a function, not ${typeof s.target}`);
    }
    const subclassRun = this.run !== Process.prototype.run;
    const cls = this.constructor as new () => Process;
    const startSite = currentSite();
    const boot: Boot = {
      t: 'pt-mp-boot',
      main: runtime.main,
      identity: s.identity,
      name: s.name,
      daemon: s.daemon,
      parent: { pid: process.pid, name: runtime.name },
      cls: subclassRun ? locateTarget(cls, 'Process subclass', runtime.main?.file ?? null) : null,
      target: s.target ? locateTarget(s.target, 'Process target', runtime.main?.file ?? null) : null,
      state: subclassRun ? encode({ ...this }, `the ${cls.name} object`) : null,
      args: encode(s.args, 'args'),
      kwargs: encode(s.kwargs, 'kwargs'),
      hub: hubAddress(), // last: the root starts serving only once the rest could be prepared
      loader: null,
      shm: false,
      compiled: null,
      info: {
        role: (s.target && internalRole(s.target)) ?? 'child',
        target: s.target ? s.target.name || null : subclassRun ? `${cls.name}.run` : null,
        site: s.site?.get() ?? null,
        start: startSite,
      },
    };

    const { execArgv, loader } = childLaunch();
    boot.loader = loader;
    // Through tsx: the child imports a compiled copy of the program, without tsx (child-build.ts).
    const tsxFile = loader?.esmApi ?? loader?.cjsApi ?? null;
    const compiled = loader ? compiledProgram(runtime.main, tsxFile) : null;
    if (compiled && covers(compiled, boot.target) && covers(compiled, boot.cls)) boot.compiled = compiled;
    // The run's shared memory (native.ts) goes to the child as its descriptor 4.
    const shmFd = segmentForChild();
    boot.shm = shmFd !== null;
    const stdio: ('inherit' | 'ipc' | number)[] = ['inherit', 'inherit', 'inherit', 'ipc'];
    if (shmFd !== null) stdio[CHILD_SEGMENT_FD] = shmFd;
    const guard = setpriv();
    const argv = [...execArgv, CHILD_ENTRY];
    const child = guard
      ? spawn(guard, ['--pdeathsig', 'SIGKILL', '--', process.execPath, ...argv], { stdio, serialization: 'advanced' })
      : spawn(process.execPath, argv, { stdio, serialization: 'advanced' });
    s.started = true;
    s.child = child;
    s.pid = child.pid ?? null;
    if (tracing && child.pid !== undefined) {
      sendEvent({
        e: 'proc', pid: child.pid, name: s.name, parent: process.pid, role: boot.info.role, target: boot.info.target,
        daemon: s.daemon, site: siteNumber(boot.info.site), start: siteNumber(startSite), ident: s.identity,
      });
    }
    shimChild(child.pid, true, (child as unknown as { channel?: { fd?: number } }).channel?.fd);
    if (child.pid !== undefined) for (const f of spawnHooks.spawned) f(child.pid, startSite, boot.info.site);
    s.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, sig) => {
        const exitcode = code ?? -(sig ? os.constants.signals[sig] : 0);
        shimChild(child.pid, false, (child as unknown as { channel?: { fd?: number } }).channel?.fd);
        noteExit(child.pid ?? null, s.name, exitcode);
        if (tracing) sendEvent({ e: 'exit', pid: child.pid ?? null, code: exitcode });
        if (child.pid !== undefined) for (const f of spawnHooks.exited) f(child.pid);
        // What the child posted to the hub before it ended counts as done once join() returns:
        // wait until the hub has read its connection to the end.
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<void>((r) => {
          timer = internalTimer(setTimeout(r, DRAIN_LIMIT_MS));
          timer.unref();
        });
        const drained = child.pid === undefined ? Promise.resolve() : hubDrained(child.pid).catch(() => {});
        void Promise.race([drained, limit]).then(() => {
          clearTimeout(timer);
          s.exitcode = exitcode;
          runtime.children.delete(this);
          resolve();
        });
      });
      child.on('error', (err) => {
        if (child.pid !== undefined) return; // e.g. a signal that could not be sent; 'exit' reports the end
        process.stderr.write(`Process ${s.name}: cannot spawn: ${err.message}\n`);
        s.exitcode = 1;
        runtime.children.delete(this);
        resolve();
      });
    });
    child.send(boot, () => {}); // a child that died before reading it is reported by 'exit'
    child.unref();
    child.channel?.unref();
    runtime.children.add(this);
    installRootExitHook();
  }

  /** Wait until the process ends, or for at most `timeout` seconds. Always resolves to undefined. */
  async join(timeout?: number): Promise<void> {
    return joinChild(this, timeout, false);
  }

  /** The exit handler's join (not the user's: see runtime.finalizeChildren). */
  joinAtExit(): Promise<void> {
    return joinChild(this, undefined, true);
  }

  isAlive(): boolean {
    const s = stateOf(this);
    if (s.role === 'current') return true;
    if (s.role === 'parent') {
      try {
        process.kill(s.pid!, 0);
        return true;
      } catch {
        return false;
      }
    }
    return s.started && s.exitcode === null;
  }

  /** SIGTERM; does not wait (join afterwards). exitcode becomes -15. */
  terminate(): void {
    signal(this, 'SIGTERM');
  }

  /** SIGKILL; exitcode becomes -9. */
  kill(): void {
    signal(this, 'SIGKILL');
  }

  close(): void {
    const s = rawState(this);
    if (s.closed) return;
    if (s.role === 'child' && s.started && s.exitcode === null) {
      throw new ProcessError(
        'Cannot close a process while it is still running. You should first call join() or terminate().',
      );
    }
    s.closed = true;
    runtime.children.delete(this);
  }

  get pid(): number | null {
    return stateOf(this).pid;
  }

  get ident(): number | null {
    return this.pid;
  }

  get exitcode(): number | null {
    return stateOf(this).exitcode;
  }

  get name(): string {
    return rawState(this).name;
  }

  set name(value: string) {
    if (typeof value !== 'string') throw new ProcessError('name must be a string');
    rawState(this).name = value;
    if (rawState(this).role === 'current') runtime.name = value;
  }

  get daemon(): boolean {
    return rawState(this).daemon;
  }

  set daemon(value: boolean) {
    const s = rawState(this);
    if (s.started) throw new ProcessError('process has already started');
    s.daemon = Boolean(value);
  }

  /** A Process object stays with the process that made it (it cannot be put in args or a queue). */
  get [kNotSendable](): string {
    return 'a Process object can only be used by the process that created it';
  }

  toString(): string {
    const s = rawState(this);
    const status = s.closed ? 'closed' : !s.started ? 'initial' : s.exitcode === null ? 'started' : 'stopped';
    const code = s.exitcode === null || s.exitcode === 0 ? '' : ` exitcode=${s.exitcode}`;
    return `<${this.constructor.name} name='${s.name}'${s.pid === null ? '' : ` pid=${s.pid}`} ${status}${code}${s.daemon ? ' daemon' : ''}>`;
  }
}

async function joinChild(p: Process, timeout: number | undefined | null, internal: boolean): Promise<void> {
  const s = childState(p, 'join');
  if (s.exitcode !== null) {
    // Done without a wait: still a step of the program's own (steered replay counts it).
    if (!internal) noteLocalStep('join');
    return;
  }
  const release = hold();
  let cancel: (() => void) | undefined;
  const seconds = timeout === undefined || timeout === null ? undefined : Math.max(0, timeout);
  try {
    const ended = new Promise<void>((resolve) => {
      void s.exited!.then(resolve);
      if (seconds !== undefined) cancel = afterSeconds(seconds, resolve);
    });
    await waitLocal('join', { kind: 'process', name: s.name, ...(s.pid !== null ? { pid: s.pid } : {}) }, ended, seconds, internal);
  } finally {
    cancel?.();
    release();
  }
}

function selfState(role: Role, pid: number, name: string, daemon: boolean): State {
  return {
    role, target: undefined, args: [], kwargs: {}, name, daemon, identity: runtime.identity,
    started: true, pid, exitcode: null, closed: false, child: null, exited: null, site: null,
  };
}

let current: Process | null = null;

/** The Process object of the running process ('MainProcess' in the main program). */
export function currentProcess(): Process {
  if (!current) {
    current = Object.create(Process.prototype) as Process;
    states.set(current, selfState('current', process.pid, runtime.name, runtime.daemon));
  }
  return current;
}

/**
 * In a child (child.ts): build this process's own Process object, as the parent described it,
 * and make it currentProcess(). `cls` is the Process subclass and `fields` its instance's fields.
 */
export function adoptCurrentProcess(
  target: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
  cls: unknown,
  fields: unknown,
): Process {
  const proto = typeof cls === 'function' ? (cls as { prototype: object }).prototype : Process.prototype;
  const me = Object.assign(Object.create(proto) as Process, fields ?? {});
  const s = selfState('current', process.pid, runtime.name, runtime.daemon);
  s.target = typeof target === 'function' ? (target as State['target']) : undefined;
  s.args = args;
  s.kwargs = kwargs;
  states.set(me, s);
  current = me;
  return me;
}

/** The parent's Process object in a child; null in the main process. */
export function parentProcess(): Process | null {
  if (!runtime.parent) return null;
  const p = Object.create(Process.prototype) as Process;
  states.set(p, selfState('parent', runtime.parent.pid, runtime.parent.name, false));
  return p;
}

/** The live children of this process. */
export function activeChildren(): Process[] {
  return [...runtime.children].filter((c) => c.isAlive()) as Process[];
}

export function cpuCount(): number {
  const n = os.cpus().length;
  if (!n) throw new ProcessError('cannot determine number of cpus');
  return n;
}

/** Python's `if __name__ == '__main__'`: true only in the root program, false in every child. */
export function isMainProcess(): boolean {
  return !runtime.isChild;
}
