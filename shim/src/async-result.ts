// The results of pool submissions: `AsyncResult` (Python's ApplyResult / MapResult) and
// `IMapIterator` (imap / imap_unordered). Both live only in the process that owns the pool; the
// pool settles them (pool.ts) through the functions below, which are not part of the public API.
import { inspect } from 'node:util';
import { afterSeconds } from './clock';
import { ProcessError, TimeoutError } from './errors';
import { hold } from './runtime';
import { noteLocalStep, waitLocal } from './waits';
import { kNotSendable } from './serialize';

export interface ResultCallbacks<R> {
  /** Called with the value once the task succeeded (for map: the whole list), before the result is ready. */
  callback?: ((value: R) => unknown) | null;
  /** Called with the error once the task failed (for map: the first error), before the result is ready. */
  errorCallback?: ((error: Error) => unknown) | null;
}

interface ResultState<R> {
  job: number;
  callbacks: ResultCallbacks<R>;
  ready: boolean;
  ok: boolean;
  value: R | undefined;
  error: Error | undefined;
  waiters: Set<() => void>;
}

const results = new WeakMap<AsyncResult<unknown>, ResultState<unknown>>();

function stateOf<R>(r: AsyncResult<R>): ResultState<R> {
  return results.get(r as AsyncResult<unknown>) as ResultState<R>;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** A callback must not break the pool (Python's result handler thread dies there): report it. */
function reportCallbackError(which: string, err: unknown): void {
  process.stderr.write(`Exception in pool ${which}:\n${err instanceof Error ? err.stack : inspect(err)}\n`);
}

/**
 * Wait until `isDone()` (checked on each wake), or `timeout` seconds; resolves whether it is done.
 * A wait record (waits.ts) for the report: `op` on the pool result `what`.
 */
function waitOn(waiters: Set<() => void>, isDone: () => boolean, timeout: number | undefined | null, op: string, what: string): Promise<boolean> {
  if (isDone()) {
    noteLocalStep(op); // done without a wait: still a step (steered replay counts it)
    return Promise.resolve(true);
  }
  if (timeout !== undefined && timeout !== null && timeout <= 0) return Promise.resolve(false);
  const seconds = timeout === undefined || timeout === null ? undefined : timeout;
  return waitLocal(op, { kind: 'result', name: what }, waitUntil(waiters, isDone, seconds), seconds);
}

function waitUntil(waiters: Set<() => void>, isDone: () => boolean, timeout: number | undefined): Promise<boolean> {
  const release = hold();
  return new Promise<boolean>((resolve) => {
    let cancel: (() => void) | undefined;
    const wake = () => {
      if (!isDone()) return;
      waiters.delete(wake);
      cancel?.();
      release();
      resolve(true);
    };
    waiters.add(wake);
    if (timeout !== undefined && timeout !== null) {
      cancel = afterSeconds(timeout, () => {
        waiters.delete(wake);
        release();
        resolve(isDone());
      });
    }
  });
}

/** The result of `applyAsync`, `mapAsync` and `starmapAsync`. */
export class AsyncResult<R = unknown> {
  /** Use the pool's methods to get one; the constructor is not public API. */
  constructor(job: number, callbacks: ResultCallbacks<R> = {}) {
    results.set(this as AsyncResult<unknown>, {
      job,
      callbacks: callbacks as ResultCallbacks<unknown>,
      ready: false,
      ok: false,
      value: undefined,
      error: undefined,
      waiters: new Set(),
    });
  }

  /** Whether the task has finished (and its callback has run). Does not wait. */
  ready(): boolean {
    return stateOf(this).ready;
  }

  /** Whether the task finished without an error; throws if it is not ready yet (Python's ValueError). */
  successful(): boolean {
    const s = stateOf(this);
    if (!s.ready) throw new ProcessError(`${this.toString()} not ready`);
    return s.ok;
  }

  /** Wait until the result is ready, or for at most `timeout` seconds. Always resolves to undefined. */
  async wait(timeout?: number | null): Promise<void> {
    const s = stateOf(this);
    await waitOn(s.waiters, () => s.ready, timeout, 'wait', `the pool result of job ${s.job}`);
  }

  /**
   * The task's value, once ready (at most `timeout` seconds: then rejects with TimeoutError). A task
   * that failed rejects with its error: same name and message, the worker's stack.
   */
  async get(timeout?: number | null): Promise<R> {
    const s = stateOf(this);
    if (!(await waitOn(s.waiters, () => s.ready, timeout, 'get', `the pool result of job ${s.job}`))) throw new TimeoutError();
    if (!s.ok) throw s.error!;
    return s.value as R;
  }

  get [kNotSendable](): string {
    return 'an AsyncResult can only be used by the process that owns the pool';
  }

  toString(): string {
    const s = stateOf(this);
    return `<AsyncResult job=${s.job} ${s.ready ? (s.ok ? 'succeeded' : 'failed') : 'pending'}>`;
  }
}

/**
 * Settle a result: run its callback (awaiting a returned promise), then make it ready and wake its
 * waiters. Resolves once it is ready. Used by the pool only.
 */
export function settleResult<R>(result: AsyncResult<R>, ok: true, value: R): Promise<void> | void;
export function settleResult<R>(result: AsyncResult<R>, ok: false, error: Error): Promise<void> | void;
export function settleResult<R>(result: AsyncResult<R>, ok: boolean, v: unknown): Promise<void> | void {
  const s = stateOf(result);
  if (s.ready) return;
  const finish = () => {
    s.ok = ok;
    if (ok) s.value = v as R;
    else s.error = v as Error;
    s.ready = true;
    for (const wake of [...s.waiters]) wake();
  };
  const cb = ok ? s.callbacks.callback : s.callbacks.errorCallback;
  const which = ok ? 'callback' : 'errorCallback';
  if (!cb) return finish();
  let returned: unknown;
  try {
    returned = (cb as (x: unknown) => unknown)(v);
  } catch (err) {
    reportCallbackError(which, err);
    return finish();
  }
  if (!isThenable(returned)) return finish();
  return Promise.resolve(returned).then(finish, (err: unknown) => {
    reportCallbackError(which, err);
    finish();
  });
}

/** Mark a result ready at once without running callbacks (Python: an empty map). */
export function settleEmpty<R>(result: AsyncResult<R>, value: R): void {
  const s = stateOf(result);
  s.ok = true;
  s.value = value;
  s.ready = true;
}

// ---- imap / imapUnordered --------------------------------------------------------------------

type Chunk<R> = { ok: true; values: R[] } | { ok: false; error: Error };

interface IterState<R> {
  ordered: boolean;
  /** Python ends a chunked imap at its first error; with chunksize 1 it goes on. */
  stopAtError: boolean;
  /** Ordered: results by chunk index. Unordered: results in completion order (keys 0, 1, ...). */
  chunks: Map<number, Chunk<R>>;
  arrived: number;
  /** The chunk being read and the position in it. */
  chunk: number;
  pos: number;
  /** Number of chunks, once the input is exhausted. */
  total: number | null;
  stopped: boolean;
  waiters: Set<() => void>;
}

const iterators = new WeakMap<IMapIterator<unknown>, IterState<unknown>>();

function iterState<R>(it: IMapIterator<R>): IterState<R> {
  return iterators.get(it as IMapIterator<unknown>) as IterState<R>;
}

/** What `next()` can do right now: a value, an error, the end, or wait. */
function peek<R>(s: IterState<R>): { done: true } | { value: R } | { error: Error } | null {
  for (;;) {
    if (s.stopped || (s.total !== null && s.chunk >= s.total)) return { done: true };
    const c = s.chunks.get(s.chunk);
    if (!c) return null;
    if (!c.ok) {
      s.chunks.delete(s.chunk);
      s.chunk++;
      s.pos = 0;
      if (s.stopAtError) s.stopped = true;
      return { error: c.error };
    }
    if (s.pos < c.values.length) {
      const value = c.values[s.pos]!;
      s.pos++;
      if (s.pos >= c.values.length) {
        s.chunks.delete(s.chunk);
        s.chunk++;
        s.pos = 0;
      }
      return { value };
    }
    s.chunks.delete(s.chunk); // an empty chunk
    s.chunk++;
    s.pos = 0;
  }
}

/**
 * The results of `imap` (in input order) or `imapUnordered` (in completion order), as an async
 * iterator: `for await (const r of pool.imap(f, items))`. `next(timeout)` rejects with
 * TimeoutError when no result arrives in time, as Python's `next(timeout)` raises.
 */
export class IMapIterator<R> implements AsyncIterableIterator<R> {
  constructor(ordered: boolean, chunksize: number) {
    iterators.set(this as IMapIterator<unknown>, {
      ordered,
      stopAtError: chunksize > 1,
      chunks: new Map(),
      arrived: 0,
      chunk: 0,
      pos: 0,
      total: null,
      stopped: false,
      waiters: new Set(),
    });
  }

  async next(timeout?: number | null): Promise<IteratorResult<R, undefined>> {
    const s = iterState(this);
    const deadline = timeout === undefined || timeout === null ? null : performance.now() + Math.max(0, timeout) * 1000;
    let step = peek(s);
    while (step === null) {
      // Another next() call may take the result that woke this one: then wait again.
      const left = deadline === null ? undefined : (deadline - performance.now()) / 1000;
      const woken = await waitOn(s.waiters, () => s.stopped || (s.total !== null && s.chunk >= s.total) || s.chunks.has(s.chunk), left, 'next', 'the next imap result');
      step = peek(s);
      if (step === null && !woken) throw new TimeoutError();
    }
    if ('error' in step) throw step.error;
    if ('done' in step) return { done: true, value: undefined };
    return { done: false, value: step.value };
  }

  /** Stop iterating (a `break` out of `for await`): later calls to next() report the end. */
  async return(): Promise<IteratorResult<R, undefined>> {
    iterState(this).stopped = true;
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  get [kNotSendable](): string {
    return 'an imap iterator can only be used by the process that owns the pool';
  }
}

/** The pool delivers chunk `index` (its position in the input) of an imap job. */
export function deliverChunk<R>(it: IMapIterator<R>, index: number, chunk: Chunk<R>): void {
  const s = iterState(it);
  s.chunks.set(s.ordered ? index : s.arrived, chunk);
  s.arrived++;
  for (const wake of [...s.waiters]) wake();
}

/** The input is exhausted: the job has `total` chunks. */
export function setChunkCount<R>(it: IMapIterator<R>, total: number): void {
  const s = iterState(it);
  s.total = total;
  for (const wake of [...s.waiters]) wake();
}
