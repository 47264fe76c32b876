// `Pool`: Python's process pool, with real worker processes.
//
// Workers are daemonic `Process`es started with the ordinary machinery; their target is
// `poolWorker` below. Each worker connects back to the process that owns the pool, over a Unix
// domain socket served here (one server per process, shared by its pools), with the same frames
// as the hub (transport.ts). The owner hands each worker one task at a time, so it always knows
// which task a worker is running: when a worker dies (SIGKILL, OOM, ...) that task FAILS its
// result with a WorkerLostError (Python leaves it pending forever), and the worker is replaced.
//
// A task is (function, mode, payload): mode 'a' calls fn(...args) once (apply), 'm' calls fn(item)
// for each item of a chunk (map), 's' calls fn(...item) for each (starmap). The payload is the
// structured-clone bytes of the args or of the chunk; a chunk's results come back in one frame.
// The function travels as a TargetRef (module + export name, as a Process target), sent to a
// worker once and cached there under a key.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import v8 from 'node:v8';
import {
  AsyncResult,
  IMapIterator,
  deliverChunk,
  setChunkCount,
  settleEmpty,
  settleResult,
  type ResultCallbacks,
} from './async-result';
import { ProcessError, fromWire } from './errors';
import { loadTarget, locateTarget, type TargetRef } from './locate';
import { Process, cpuCount } from './process';
import { internalSocket, internalTimer } from './activity';
import { hold, registerInternalTarget, runtime } from './runtime';
import { eagerSite, nameAt } from './site';
import { sendEvent, siteNumber, tracing } from './trace';
import { noteLocalStep, waitLocal } from './waits';
import { decode, encode, kNotSendable } from './serialize';
import { FrameDecoder, writeFrame, type Header } from './transport';

// ---- errors --------------------------------------------------------------------------------------

/** A task's worker process died while running it (beyond Python, where the result never arrives). */
export class WorkerLostError extends ProcessError {
  override name = 'WorkerLostError';
}

/** Python's `multiprocessing.pool.MaybeEncodingError`: a task's result could not be sent back. */
export class MaybeEncodingError extends ProcessError {
  override name = 'MaybeEncodingError';
  /** Descriptions of the error and of the value that could not be sent. */
  exc = '';
  value = '';
}

// ---- values across the socket -----------------------------------------------------------------

/**
 * Arrays of primitives (the usual map input and output) skip serialize.ts's walk, which looks for
 * shared objects and unsendable values that such an array cannot hold: plain v8 bytes, marked
 * `v: 1` in the frame header. Anything else goes through encode()/decode().
 */
function isFlat(value: unknown): boolean {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    const t = typeof x;
    if (x !== null && t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'undefined' && t !== 'bigint') return false;
  }
  return true;
}

function pack(value: unknown, label: string): { bytes: Buffer; raw: boolean } {
  if (isFlat(value)) return { bytes: v8.serialize(value), raw: true };
  return { bytes: encode(value, label), raw: false };
}

function unpack(bytes: Buffer, raw: boolean): unknown {
  return raw ? v8.deserialize(bytes) : decode(bytes);
}

// ---- options -------------------------------------------------------------------------------------

export interface PoolOptions {
  /** Number of worker processes; defaults to cpuCount(). */
  processes?: number | null;
  /** Called in each worker when it starts, with `initargs` (a module-level exported function). */
  initializer?: ((...args: never[]) => unknown) | null;
  initargs?: unknown[];
  /** A worker exits after this many tasks and is replaced; defaults to unlimited. */
  maxtasksperchild?: number | null;
}

export interface MapOptions<R> extends ResultCallbacks<R> {
  chunksize?: number | null;
}

type Mode = 'a' | 'm' | 's';

interface FnInfo {
  key: string;
  ref: TargetRef;
}

interface Task {
  job: Job;
  chunk: number;
  mode: Mode;
  fn: FnInfo;
  payload: Buffer;
  /** The payload is plain v8 bytes (see pack). */
  raw: boolean;
  /** Asked back from the worker it was given to in advance (see #steal). */
  revoking?: boolean;
}

/** Where tasks come from, lazily (imap over an iterator): the next task, or null when exhausted. */
interface Source {
  pull(): Task | null;
}

interface Job {
  readonly id: number;
  /** Chunk `chunk` finished: its value (one value for apply, a list for a chunk) or its error. */
  deliver(chunk: number, ok: boolean, value: unknown): void;
}

interface WorkerRec {
  serial: number;
  proc: Process;
  socket: net.Socket | null;
  fnsSent: Set<string>;
  /** Tasks sent and not answered, in order: the first is the one running. */
  inflight: Task[];
  /** Recent task duration in the worker (ms, moving average); Infinity until one is known. */
  avgMs: number;
  /** Tasks it may still be given (maxtasksperchild); Infinity without a limit. */
  tasksLeft: number;
  told: boolean; // asked to exit
  socketClosed: boolean;
  exited: boolean;
  finished: boolean; // exit handled
}

/** Tasks a worker may hold at once when its tasks are short (see #dispatch). */
const PREFETCH = 8;
const FAST_MS = 2;

const enum State {
  RUN,
  CLOSE,
  TERMINATE,
}

// ---- the connections between an owner and its workers ----------------------------------------
// Frames counted per connection, for the deadlock detector (monitor.ts): it compares the owner's
// counts with the worker's, so a task or result still on its way is never taken for a hang.

/** One side's view of an owner-worker connection: `pool#serial`, its side, frames read and written. */
export interface PoolChannel {
  key: string;
  side: 'owner' | 'worker';
  in: number;
  out: number;
}

const channels = new Map<net.Socket, PoolChannel>();

function channel(socket: net.Socket, side: 'owner' | 'worker', key: string): PoolChannel {
  let c = channels.get(socket);
  if (!c) {
    channels.set(socket, (c = { key, side, in: 0, out: 0 }));
    socket.once('close', () => channels.delete(socket));
    internalSocket(socket);
  }
  return c;
}

/** The open owner-worker connections of this process (either side). */
export function poolChannels(): PoolChannel[] {
  return [...channels.values()].map((c) => ({ ...c }));
}

function send(socket: net.Socket, header: Header, payload: Uint8Array | null): void {
  const c = channels.get(socket);
  if (c) c.out++;
  writeFrame(socket, header, payload);
}

// ---- the per-process server workers connect to -------------------------------------------------

const poolsById = new Map<string, Pool>();
let serverAddress: string | null = null;
let poolCounter = 0;
let jobCounter = 0;
const token = Math.random().toString(36).slice(2, 6);

interface Internals {
  attach(serial: number, socket: net.Socket): ((header: Header, payload: Buffer | null) => void) | null;
}
const internals = new WeakMap<Pool, Internals>();

function poolServer(): string {
  if (serverAddress) return serverAddress;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-mp-pool-'));
  const address = path.join(dir, 'pool.sock');
  const server = net.createServer((socket) => {
    socket.unref();
    let onFrame: ((header: Header, payload: Buffer | null) => void) | null = null;
    const counts = channel(socket, 'owner', '');
    const decoder = new FrameDecoder((header, payload) => {
      counts.in++;
      if (onFrame) return onFrame(header, payload);
      if (header.o !== 'h') return socket.destroy();
      counts.key = `${String(header.p)}#${Number(header.w)}`;
      const pool = poolsById.get(String(header.p));
      onFrame = pool ? internals.get(pool)!.attach(Number(header.w), socket) : null;
      if (!onFrame) socket.end(); // a pool that is gone: the worker exits
    });
    socket.on('data', (chunk) => decoder.push(chunk));
    socket.on('error', () => socket.destroy());
  });
  server.on('error', (err) => process.emitWarning(`multiprocessing pool server: ${err.message}`));
  server.listen(address);
  server.unref();
  internalSocket(server);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  serverAddress = address;
  return address;
}

// ---- locating the submitted functions -----------------------------------------------------------

const located = new WeakMap<object, FnInfo>();

function fnInfo(fn: unknown, role: string): FnInfo {
  if (typeof fn !== 'function') throw new TypeError(`the ${role} must be a function, not ${fn === null ? 'null' : typeof fn}`);
  let info = located.get(fn);
  if (!info) {
    let ref: TargetRef;
    try {
      ref = locateTarget(fn as (...args: never[]) => unknown, role, runtime.main?.file ?? null);
    } catch (err) {
      if (err instanceof ProcessError) {
        throw new ProcessError(err.message.replace(/^cannot start a process: /, 'cannot submit to the pool: ').replace('the child', 'the worker'));
      }
      throw err;
    }
    info = { key: JSON.stringify(ref), ref };
    located.set(fn, info);
  }
  return info;
}

// ---- errors across the socket ------------------------------------------------------------------

interface ErrorWire {
  n: string;
  m: string;
  s: string;
}

function errorToWire(err: unknown): { header: ErrorWire; extra: Buffer | null } {
  if (!(err instanceof Error)) {
    const m = typeof err === 'string' ? err : inspect(err);
    return { header: { n: 'Error', m, s: `Error: ${m}` }, extra: null };
  }
  let extra: Buffer | null = null;
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(err)) if (key !== 'name' && key !== 'message' && key !== 'stack') own[key] = (err as unknown as Record<string, unknown>)[key];
  if (Object.keys(own).length > 0) {
    try {
      extra = encode(own, 'the error');
    } catch {
      extra = null; // fields that cannot be copied are left behind
    }
  }
  return { header: { n: err.name, m: err.message, s: err.stack ?? `${err.name}: ${err.message}` }, extra };
}

const BUILTIN_ERRORS: Record<string, new (message?: string) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

const POOL_ERRORS: Record<string, new (message?: string) => Error> = { MaybeEncodingError, WorkerLostError };

/** The error a worker reported: same name and message (the same class where the owner knows it), its stack. */
function errorFromWire(w: ErrorWire, extra: Buffer | null): Error {
  const Cls = BUILTIN_ERRORS[w.n] ?? POOL_ERRORS[w.n];
  let err: Error;
  if (Cls) err = new Cls(w.m);
  else err = fromWire({ e: w.n, m: w.m });
  if (err.name !== w.n) err.name = w.n;
  if (extra) {
    try {
      Object.assign(err, decode(extra) as Record<string, unknown>);
    } catch {
      // keep name and message
    }
  }
  Object.defineProperty(err, 'stack', { value: w.s, writable: true, configurable: true, enumerable: false });
  return err;
}

// ---- the worker process ------------------------------------------------------------------------

/**
 * The target of every pool worker process (not public API; exported so the child can find it).
 * Runs the initializer, connects to the owner, then runs the tasks it is given, one at a time,
 * until the owner tells it to exit, the connection ends, or it has run `maxtasks` tasks.
 */
export async function poolWorker(
  address: string,
  poolId: string,
  serial: number,
  initializer: TargetRef | null,
  initargs: unknown[],
  maxtasks: number | null,
): Promise<void> {
  if (initializer) {
    const init = (await loadTarget(initializer)) as (...args: unknown[]) => unknown;
    await init(...initargs);
  }
  const socket = net.createConnection(address);
  const counts = channel(socket, 'worker', `${poolId}#${serial}`);
  const fns = new Map<string, Promise<(...args: unknown[]) => unknown>>();
  const backlog: Header[] = [];
  const payloads: (Buffer | null)[] = [];
  let done = 0;
  let running = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    socket.end(() => finish());
    socket.once('close', () => finish());
  };

  // A function arrives with the first task that uses it; that task may be asked back before it
  // runs (see Pool #steal), so the function is registered when the task arrives.
  const learn = (header: Header): void => {
    const key = String(header.f);
    if (header.r && !fns.has(key)) {
      const loading = loadTarget(header.r as TargetRef) as Promise<(...args: unknown[]) => unknown>;
      loading.catch(() => {}); // reported through the task
      fns.set(key, loading);
    }
  };

  const run = async (header: Header, payload: Buffer | null): Promise<void> => {
    const key = String(header.f);
    let value: unknown;
    const t0 = performance.now();
    try {
      const fn = await fns.get(key)!;
      const input = unpack(payload!, header.v === 1) as unknown[];
      if (header.m === 'a') {
        value = fn(...input);
        if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') value = await value;
      } else {
        const out = new Array<unknown>(input.length);
        const spread = header.m === 's';
        for (let i = 0; i < input.length; i++) {
          let v = spread ? fn(...(input[i] as unknown[])) : fn(input[i]);
          if (v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function') v = await v;
          out[i] = v;
        }
        value = out;
      }
    } catch (err) {
      const { header: e, extra } = errorToWire(err);
      send(socket, { o: 'r', j: header.j, c: header.c, ok: 0, e }, extra);
      return;
    }
    let packed: { bytes: Buffer; raw: boolean };
    try {
      packed = pack(value, 'the result');
    } catch (err) {
      const m = `Error sending result: '${inspect(value, { depth: 2, breakLength: Infinity })}'. Reason: '${(err as Error).name}: ${(err as Error).message}'`;
      const wire = errorToWire(Object.assign(new MaybeEncodingError(m), {
        exc: `${(err as Error).name}: ${(err as Error).message}`,
        value: inspect(value, { depth: 2, breakLength: Infinity }),
      }));
      send(socket, { o: 'r', j: header.j, c: header.c, ok: 0, e: wire.header }, wire.extra);
      return;
    }
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    send(socket, { o: 'r', j: header.j, c: header.c, ok: 1, v: packed.raw ? 1 : 0, ms }, packed.bytes);
  };

  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    // Results of a run of quick tasks leave in one write.
    socket.cork();
    setImmediate(() => socket.uncork());
    while (backlog.length > 0 && !ended) {
      await run(backlog.shift()!, payloads.shift()!);
      if (maxtasks !== null && ++done >= maxtasks) end();
    }
    running = false;
  };

  const decoder = new FrameDecoder((header, payload) => {
    counts.in++;
    if (header.o === 't') {
      learn(header);
      backlog.push(header);
      payloads.push(payload);
      void pump();
    } else if (header.o === 'x') {
      end();
    } else if (header.o === 'k') {
      // The owner asks a task back: give it up unless it has started.
      const i = backlog.findIndex((h) => h.j === header.j && h.c === header.c);
      if (i >= 0) {
        backlog.splice(i, 1);
        payloads.splice(i, 1);
      }
      send(socket, { o: 'k', j: header.j, c: header.c, ok: i >= 0 ? 1 : 0 }, null);
    }
  });
  socket.on('data', (chunk) => decoder.push(chunk));
  socket.on('error', () => finish()); // the owner is gone
  socket.on('close', () => finish());
  socket.on('end', () => end());
  send(socket, { o: 'h', p: poolId, w: serial, pid: process.pid }, null);
  await finished;
}

// ---- the pool ----------------------------------------------------------------------------------

/** A FIFO of tasks and lazy task sources. */
class TaskQueue {
  private items: (Task | Source)[] = [];
  private head = 0;

  push(x: Task | Source): void {
    this.items.push(x);
  }

  unshift(t: Task): void {
    if (this.head > 0) this.items[--this.head] = t;
    else this.items.unshift(t);
  }

  next(): Task | null {
    while (this.head < this.items.length) {
      const x = this.items[this.head]!;
      if ('job' in x) {
        this.advance();
        return x;
      }
      const t = x.pull();
      if (t) return t;
      this.advance();
    }
    return null;
  }

  get empty(): boolean {
    return this.head >= this.items.length;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  private advance(): void {
    this.items[this.head++] = undefined as unknown as Task;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

function checkChunksize(chunksize: number): number {
  if (!Number.isInteger(chunksize) || chunksize < 1) throw new ProcessError(`Chunksize must be 1+, not ${chunksize}`);
  return chunksize;
}

/**
 * A pool of worker processes (Python's `multiprocessing.Pool`). Submitted functions must be
 * module-level functions exported from their module, like Process targets; an async function's
 * promise is awaited in the worker.
 */
export class Pool {
  readonly #id: string;
  readonly #processes: number;
  readonly #initializer: TargetRef | null;
  readonly #initargs: unknown[];
  readonly #maxtasks: number | null;
  #state = State.RUN;
  readonly #workers = new Map<number, WorkerRec>();
  #serial = 0;
  readonly #queue = new TaskQueue();
  readonly #jobs = new Set<Job>();
  #sweep: NodeJS.Timeout | null = null;
  /** Tasks asked back from workers (see #steal) and not answered yet. */
  #revoking = 0;
  #doneWaiters: (() => void)[] = [];

  constructor(processes?: number | null | PoolOptions) {
    const opts: PoolOptions = typeof processes === 'object' && processes !== null ? processes : { processes };
    const n = opts.processes ?? cpuCount();
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ProcessError('Number of processes must be at least 1');
    const max = opts.maxtasksperchild;
    if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
      throw new ProcessError('maxtasksperchild must be a positive int or None');
    }
    if (opts.initializer !== undefined && opts.initializer !== null && typeof opts.initializer !== 'function') {
      throw new TypeError('initializer must be a callable');
    }
    this.#processes = n;
    this.#maxtasks = max ?? null;
    this.#initializer = opts.initializer ? fnInfo(opts.initializer, 'pool initializer').ref : null;
    this.#initargs = [...(opts.initargs ?? [])];
    this.#id = `${process.pid}.${token}:${++poolCounter}`;
    poolsById.set(this.#id, this as Pool);
    if (tracing) {
      const site = eagerSite();
      const name = nameAt(site);
      sendEvent({ e: 'obj', id: this.#id, kind: 'pool', params: { processes: n }, site: siteNumber(site), ...(name ? { name } : {}) });
    }
    internals.set(this as Pool, { attach: (serial, socket) => this.#attach(serial, socket) });
    try {
      for (let i = 0; i < n; i++) this.#spawn();
    } catch (err) {
      this.#state = State.TERMINATE;
      for (const w of this.#workers.values()) if (w.proc.isAlive()) w.proc.terminate();
      poolsById.delete(this.#id);
      throw err;
    }
    this.#sweep = internalTimer(setInterval(() => this.#checkWorkers(), 50));
    this.#sweep.unref();
  }

  // ---- submitting ----

  /** Run `fn(...args)` in a worker and wait for its value (Python's apply). */
  async apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A): Promise<Awaited<R>> {
    noteLocalStep('apply');
    return this.applyAsync(fn, args).get();
  }

  /** Submit `fn(...args)`; returns at once. */
  applyAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    args?: A,
    callbacks: ResultCallbacks<Awaited<R>> = {},
  ): AsyncResult<Awaited<R>> {
    this.#checkRunning();
    noteLocalStep('applyAsync');
    const info = fnInfo(fn, 'pool function');
    const { bytes: payload, raw } = pack([...(args ?? [])], 'args');
    const result = new AsyncResult<Awaited<R>>(++jobCounter, callbacks);
    const job: Job = {
      id: jobCounter,
      deliver: (_chunk, ok, value) => this.#settle(job, result, ok, value),
    };
    this.#jobs.add(job);
    this.#queue.push({ job, chunk: 0, mode: 'a', fn: info, payload, raw });
    if (tracing) this.#traceSubmit(job.id, fn, 1);
    this.#dispatch();
    return result;
  }

  /** `fn(item)` for every item, in chunks; the values in input order (Python's map). */
  async map<T, R>(fn: (item: T) => R, items: Iterable<T>, chunksize?: number | null): Promise<Awaited<R>[]> {
    noteLocalStep('map');
    return this.mapAsync(fn, items, { chunksize }).get();
  }

  mapAsync<T, R>(
    fn: (item: T) => R,
    items: Iterable<T>,
    options: MapOptions<Awaited<R>[]> | number = {},
  ): AsyncResult<Awaited<R>[]> {
    noteLocalStep('mapAsync');
    return this.#mapAsync(fn as (...args: unknown[]) => unknown, items, 'm', options as MapOptions<unknown[]> | number) as AsyncResult<Awaited<R>[]>;
  }

  /** `fn(...args)` for every argument list (Python's starmap). */
  async starmap<A extends unknown[], R>(fn: (...args: A) => R, argLists: Iterable<A>, chunksize?: number | null): Promise<Awaited<R>[]> {
    noteLocalStep('starmap');
    return this.starmapAsync(fn, argLists, { chunksize }).get();
  }

  starmapAsync<A extends unknown[], R>(
    fn: (...args: A) => R,
    argLists: Iterable<A>,
    options: MapOptions<Awaited<R>[]> | number = {},
  ): AsyncResult<Awaited<R>[]> {
    noteLocalStep('starmapAsync');
    return this.#mapAsync(fn as (...args: unknown[]) => unknown, argLists, 's', options as MapOptions<unknown[]> | number) as AsyncResult<Awaited<R>[]>;
  }

  /** `fn(item)` for every item; the values in input order, as they come (Python's imap). */
  imap<T, R>(fn: (item: T) => R, items: Iterable<T>, chunksize = 1): IMapIterator<Awaited<R>> {
    noteLocalStep('imap');
    return this.#imap(fn as (...args: unknown[]) => unknown, items, chunksize, true) as IMapIterator<Awaited<R>>;
  }

  /** Like imap, in completion order. */
  imapUnordered<T, R>(fn: (item: T) => R, items: Iterable<T>, chunksize = 1): IMapIterator<Awaited<R>> {
    noteLocalStep('imapUnordered');
    return this.#imap(fn as (...args: unknown[]) => unknown, items, chunksize, false) as IMapIterator<Awaited<R>>;
  }

  // ---- lifecycle ----

  /** No more submissions; the workers exit once the outstanding tasks are done. */
  close(): void {
    noteLocalStep('close');
    if (this.#state !== State.RUN) return;
    this.#state = State.CLOSE;
    this.#progress();
  }

  /**
   * Stop the workers now (SIGTERM) and wait until they exited. Outstanding tasks are abandoned:
   * their results never become ready, as in Python.
   */
  async terminate(): Promise<void> {
    if (this.#state !== State.TERMINATE) {
      this.#state = State.TERMINATE;
      this.#queue.clear();
      for (const w of this.#workers.values()) {
        w.told = true;
        if (!w.exited && w.proc.isAlive()) w.proc.terminate();
      }
    }
    await this.#waitFinished('terminate');
  }

  /** Wait until every worker exited (after close(): once every result is ready and every callback ran). */
  async join(): Promise<void> {
    if (this.#state === State.RUN) throw new ProcessError('Pool is still running');
    await this.#waitFinished('join');
  }

  /** `await using pool = new Pool()`: leaving the block terminates the pool, as Python's `with Pool()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
  }

  get [kNotSendable](): string {
    return 'pool objects cannot be passed between processes or pickled';
  }

  toString(): string {
    return `<Pool state=${['RUN', 'CLOSE', 'TERMINATE'][this.#state]} pool_size=${this.#processes}>`;
  }

  // ---- internals ----

  /** When tracing: a job submitted (its function, how many tasks; null: as its input is read). */
  #traceSubmit(job: number, fn: { name: string }, tasks: number | null): void {
    sendEvent({ e: 'pool', op: 'submit', pool: this.#id, job, fn: fn.name || null, tasks, site: siteNumber(eagerSite()) });
  }

  #checkRunning(): void {
    if (this.#state !== State.RUN) throw new ProcessError('Pool not running');
  }

  #settle<R>(job: Job, result: AsyncResult<R>, ok: boolean, value: unknown): void {
    const done = ok ? settleResult(result, true, value as R) : settleResult(result, false, value as Error);
    if (done) {
      void done.then(() => {
        this.#jobs.delete(job);
        this.#progress();
      });
    } else {
      this.#jobs.delete(job);
      this.#progress();
    }
  }

  #mapAsync(
    fn: (...args: unknown[]) => unknown,
    iterable: Iterable<unknown>,
    mode: Mode,
    options: MapOptions<unknown[]> | number,
  ): AsyncResult<unknown[]> {
    this.#checkRunning();
    const opts: MapOptions<unknown[]> = typeof options === 'number' ? { chunksize: options } : options;
    const info = fnInfo(fn, 'pool function');
    const items = Array.isArray(iterable) ? (iterable as unknown[]) : Array.from(iterable);
    let chunksize: number;
    if (opts.chunksize === undefined || opts.chunksize === null) {
      chunksize = Math.floor(items.length / (this.#processes * 4));
      if (items.length % (this.#processes * 4)) chunksize++;
    } else {
      chunksize = checkChunksize(opts.chunksize);
    }
    const result = new AsyncResult<unknown[]>(++jobCounter, opts);
    if (items.length === 0) {
      settleEmpty(result, []);
      return result;
    }
    const nChunks = Math.ceil(items.length / chunksize);
    const payloads: { bytes: Buffer; raw: boolean }[] = [];
    for (let c = 0; c < nChunks; c++) {
      const chunk = items.slice(c * chunksize, (c + 1) * chunksize);
      try {
        payloads.push(pack(chunk, 'items'));
      } catch (err) {
        // Name the item by its place in the whole input.
        chunk.forEach((item, i) => encode(item, `items[${c * chunksize + i}]`));
        throw err;
      }
    }
    const values = new Array<unknown>(items.length);
    let left = nChunks;
    let error: Error | null = null;
    const job: Job = {
      id: jobCounter,
      deliver: (c, ok, value) => {
        if (ok && !error) {
          const list = value as unknown[];
          for (let i = 0, at = c * chunksize; i < list.length; i++, at++) values[at] = list[i];
        } else if (!ok && !error) {
          error = value as Error;
        }
        if (--left > 0) return;
        // Python reports the first error only once every chunk has finished.
        if (error) this.#settle(job, result, false, error);
        else this.#settle(job, result, true, values);
      },
    };
    this.#jobs.add(job);
    for (let c = 0; c < nChunks; c++) {
      const { bytes, raw } = payloads[c]!;
      this.#queue.push({ job, chunk: c, mode, fn: info, payload: bytes, raw });
    }
    if (tracing) this.#traceSubmit(job.id, fn, nChunks);
    this.#dispatch();
    return result;
  }

  #imap(fn: (...args: unknown[]) => unknown, iterable: Iterable<unknown>, chunksize: number, ordered: boolean): IMapIterator<unknown> {
    this.#checkRunning();
    checkChunksize(chunksize);
    const info = fnInfo(fn, 'pool function');
    const iterator = iterable[Symbol.iterator]();
    const it = new IMapIterator<unknown>(ordered, chunksize);
    let pulled = 0; // chunks made so far
    let exhausted = false;
    let delivered = 0;
    const job: Job = {
      id: ++jobCounter,
      deliver: (c, ok, value) => {
        deliverChunk(it, c, ok ? { ok: true, values: chunksize === 1 ? [value] : (value as unknown[]) } : { ok: false, error: value as Error });
        delivered++;
        if (exhausted && delivered === pulled) {
          this.#jobs.delete(job);
          this.#progress();
        }
      },
    };
    const finishInput = () => {
      exhausted = true;
      setChunkCount(it, pulled);
      if (delivered === pulled) {
        this.#jobs.delete(job);
        this.#progress();
      }
    };
    const source: Source = {
      pull: () => {
        if (exhausted) return null;
        const chunk: unknown[] = [];
        try {
          while (chunk.length < chunksize) {
            const step = iterator.next();
            if (step.done) break;
            chunk.push(step.value);
          }
        } catch (err) {
          // Python: the input's error comes after the results of the complete chunks before it.
          const c = pulled++;
          job.deliver(c, false, err instanceof Error ? err : new Error(String(err)));
          finishInput();
          return null;
        }
        if (chunk.length === 0) {
          finishInput();
          return null;
        }
        const c = pulled++;
        let packed: { bytes: Buffer; raw: boolean };
        try {
          packed = pack(chunk, 'items');
        } catch (err) {
          job.deliver(c, false, err as Error);
          return source.pull();
        }
        // chunksize 1: one call fn(item), whose value comes back alone
        return { job, chunk: c, mode: chunksize === 1 ? 'a' : 'm', fn: info, payload: packed.bytes, raw: packed.raw };
      },
    };
    this.#jobs.add(job);
    this.#queue.push(source);
    if (tracing) this.#traceSubmit(job.id, fn, null);
    this.#dispatch();
    return it;
  }

  #spawn(): void {
    const serial = ++this.#serial;
    const proc = new Process({
      target: poolWorker,
      args: [poolServer(), this.#id, serial, this.#initializer, this.#initargs, this.#maxtasks],
      daemon: true,
    });
    proc.name = proc.name.replace('Process', 'PoolWorker');
    const w: WorkerRec = {
      serial,
      proc,
      socket: null,
      fnsSent: new Set(),
      inflight: [],
      avgMs: Infinity,
      tasksLeft: this.#maxtasks ?? Infinity,
      told: false,
      socketClosed: false,
      exited: false,
      finished: false,
    };
    this.#workers.set(serial, w);
    proc.start();
  }

  #attach(serial: number, socket: net.Socket): ((header: Header, payload: Buffer | null) => void) | null {
    const w = this.#workers.get(serial);
    if (!w || w.socket) return null;
    w.socket = socket;
    socket.on('close', () => {
      w.socketClosed = true;
      // The process ends right after its socket: look again soon rather than at the next sweep.
      let tries = 0;
      const look = () => {
        this.#checkWorkers();
        if (!w.finished && ++tries < 100) internalTimer(setTimeout(look, 5)).unref();
      };
      look();
    });
    if (this.#state === State.TERMINATE || runtime.finalizing) {
      socket.end();
      return () => {};
    }
    this.#dispatch();
    this.#progress();
    return (header, payload) => {
      if (header.o === 'k') return this.#revoked(w, header);
      if (header.o !== 'r') return;
      const task = w.inflight.shift();
      if (!task) return;
      if (task.revoking) {
        task.revoking = false; // it had started: its result is here
        this.#revoking--;
      }
      const ms = Number(header.ms);
      if (Number.isFinite(ms)) w.avgMs = w.avgMs === Infinity ? ms : 0.7 * w.avgMs + 0.3 * ms;
      let ok = header.ok === 1;
      let value: unknown;
      try {
        value = ok ? unpack(payload!, header.v === 1) : errorFromWire(header.e as ErrorWire, payload);
      } catch (err) {
        ok = false;
        value = err;
      }
      if (tracing) sendEvent({ e: 'pool', op: 'result', pool: this.#id, job: task.job.id, chunk: task.chunk, worker: w.proc.pid, ok });
      task.job.deliver(task.chunk, ok, value);
      this.#dispatch();
    };
  }

  /**
   * Give the workers the next tasks: first one to each idle worker, as Python's workers each take
   * one task when free. A worker whose recent tasks were short (< FAST_MS) is also given a few
   * more in advance, so it does not wait a round trip for its next task; a long task never waits
   * behind another in a worker's backlog (a worker given extra tasks answers within ~FAST_MS each).
   */
  #dispatch(): void {
    if (this.#state === State.TERMINATE || runtime.finalizing) return;
    const ready: WorkerRec[] = [];
    for (const w of this.#workers.values()) {
      if (w.socket && !w.socketClosed && !w.told && !w.exited) ready.push(w);
    }
    if (this.#queue.empty) return this.#steal(ready);
    const corked = new Set<net.Socket>();
    const give = (w: WorkerRec): boolean => {
      const task = this.#queue.next();
      if (!task) return false;
      const header: Header = { o: 't', j: task.job.id, c: task.chunk, m: task.mode, f: task.fn.key, v: task.raw ? 1 : 0 };
      if (!w.fnsSent.has(task.fn.key)) {
        header.r = task.fn.ref;
        w.fnsSent.add(task.fn.key);
      }
      w.inflight.push(task);
      w.tasksLeft--;
      if (tracing) sendEvent({ e: 'pool', op: 'task', pool: this.#id, job: task.job.id, chunk: task.chunk, worker: w.proc.pid });
      if (!corked.has(w.socket!)) {
        corked.add(w.socket!);
        w.socket!.cork();
      }
      send(w.socket!, header, task.payload);
      return true;
    };
    try {
      for (const w of ready) {
        if (w.inflight.length === 0 && w.tasksLeft > 0 && !give(w)) return this.#steal(ready);
      }
      for (let depth = 2; depth <= PREFETCH; depth++) {
        for (const w of ready) {
          if (w.avgMs < FAST_MS && w.inflight.length < depth && w.tasksLeft > 0 && !give(w)) return;
        }
      }
    } finally {
      for (const socket of corked) socket.uncork();
    }
  }

  /**
   * Python's idle worker takes the next task: when the queue is empty while a worker is idle and
   * another holds tasks it was given in advance, ask one of those back (the worker gives it up
   * unless it started it) and hand it to the idle worker. So a task never waits behind another
   * (perhaps a long or blocked one) while a worker is free.
   */
  #steal(ready: WorkerRec[]): void {
    let budget = ready.filter((w) => w.inflight.length === 0 && w.tasksLeft > 0).length - this.#revoking;
    if (budget <= 0) return;
    const holders = ready
      .map((w) => ({ w, spare: w.inflight.slice(1).filter((t) => !t.revoking) }))
      .filter((h) => h.spare.length > 0)
      .sort((a, b) => b.spare.length - a.spare.length);
    for (const { w, spare } of holders) {
      while (budget > 0 && spare.length > 0) {
        const task = spare.pop()!;
        task.revoking = true;
        this.#revoking++;
        budget--;
        send(w.socket!, { o: 'k', j: task.job.id, c: task.chunk }, null);
      }
    }
  }

  /** A worker answered a #steal request: the task comes back to the queue, or it had started. */
  #revoked(w: WorkerRec, header: Header): void {
    const i = w.inflight.findIndex((t) => t.revoking && t.job.id === header.j && t.chunk === header.c);
    if (i < 0) return; // its result came first
    const task = w.inflight[i]!;
    task.revoking = false;
    this.#revoking--;
    if (header.ok !== 1) return;
    w.inflight.splice(i, 1);
    w.tasksLeft++;
    this.#queue.unshift(task);
    this.#dispatch();
  }

  /** After close(): once every task is done, tell the workers to exit. Wake join() when all exited. */
  #progress(): void {
    if (this.#state === State.CLOSE && this.#jobs.size === 0 && this.#queue.empty) {
      for (const w of this.#workers.values()) {
        if (w.told || !w.socket || w.socketClosed) continue;
        w.told = true;
        send(w.socket, { o: 'x' }, null);
      }
    }
    if (this.#finished()) {
      if (this.#sweep) clearInterval(this.#sweep);
      this.#sweep = null;
      poolsById.delete(this.#id);
      for (const wake of this.#doneWaiters.splice(0)) wake();
    }
  }

  #finished(): boolean {
    if (this.#state === State.RUN) return false;
    if (this.#state === State.CLOSE && (this.#jobs.size > 0 || !this.#queue.empty)) return false;
    for (const w of this.#workers.values()) if (!w.finished) return false;
    return true;
  }

  async #waitFinished(op: string): Promise<void> {
    this.#progress();
    if (this.#finished()) {
      noteLocalStep(op); // done without a wait: still a step (steered replay counts it)
      return;
    }
    const release = hold();
    try {
      const done = new Promise<void>((resolve) => this.#doneWaiters.push(resolve));
      await waitLocal(op, { kind: 'pool', name: `the pool's ${this.#processes} workers` }, done);
    } finally {
      release();
    }
  }

  /** Notice workers that exited: fail the task one was running, and keep the pool populated. */
  #checkWorkers(): void {
    let changed = false;
    for (const w of [...this.#workers.values()]) {
      if (w.finished) continue;
      if (!w.exited && !w.proc.isAlive()) w.exited = true;
      if (!w.exited || (w.socket && !w.socketClosed)) continue;
      w.finished = true;
      changed = true;
      this.#workers.delete(w.serial);
      for (const t of w.inflight) {
        if (t.revoking) {
          t.revoking = false;
          this.#revoking--;
        }
      }
      const [task, ...unstarted] = w.inflight;
      w.inflight = [];
      // Tasks sent in advance had not started: another worker runs them.
      for (let i = unstarted.length - 1; i >= 0; i--) this.#queue.unshift(unstarted[i]!);
      if (task && this.#state !== State.TERMINATE && !runtime.finalizing) {
        const code = w.proc.exitcode;
        task.job.deliver(
          task.chunk,
          false,
          new WorkerLostError(
            `the pool worker ${w.proc.name} (pid ${w.proc.pid}) died while running this task (exitcode ${code})`,
          ),
        );
      }
    }
    if (!changed) return;
    this.#maintain();
    this.#dispatch();
    this.#progress();
  }

  /** Python's _maintain_pool: replace exited workers while the pool runs or still has work. */
  #maintain(): void {
    if (runtime.finalizing || this.#state === State.TERMINATE) return;
    if (this.#state === State.CLOSE && this.#jobs.size === 0 && this.#queue.empty) return;
    while (this.#workers.size < this.#processes) this.#spawn();
  }
}

registerInternalTarget(poolWorker, 'pool-worker');
