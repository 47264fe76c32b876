// What this process waits on: every pending shim call (a request to a hub, or a wait of its own
// such as join() or a pool result), as a record the wait report, the deadlock detector and the
// trace read. A record costs an object and a Set entry while the call is pending; nothing is
// captured per call. When a report needs a call's site, `probeSites()` wakes each waiting async
// function once without settling it: it reads its own stack (V8's async stack trace names the
// user's awaiting function and line, see site.ts) and waits again.
// A record can also be failed from outside (the deadlock detector rejects the root's blocked calls
// with a DeadlockError); its `cancel` then tells the hub to take back whatever it hands over later.
import { currentSite, eagerSite, userSite, type Site } from './site';
import { controlled } from './scheduler';
import { sendEvent, siteNumber, tracing } from './trace';
import type { ObjectRef } from './serialize';

/** Woken by probeSites(): read the site, then wait again. */
const PROBE: unique symbol = Symbol('probe');

/** Something a local wait waits for (a process to end, a pool result). */
export interface LocalTarget {
  kind: 'process' | 'pool' | 'result';
  /** e.g. `Process-1`, `Pool-1`. */
  name: string;
  pid?: number;
}

export interface Wait {
  /** Per process, in the order the calls began. */
  readonly seq: number;
  /** The operation as the hub names it (get, put, acquire, wait, recv, join, ...). */
  readonly op: string;
  /** The shared object it is on (null for local waits). */
  readonly ref: ObjectRef | null;
  readonly local: LocalTarget | null;
  /** Date.now() when it began. */
  readonly since: number;
  /** Seconds it waits at most (undefined: forever; 0: it does not wait). */
  readonly timeout: number | undefined;
  /** Where the user's code called it: undefined until asked (or captured eagerly). */
  site: Site | null | undefined;
  /** A wait the process makes on its own behalf (the exit handler's joins). */
  readonly internal: boolean;
  /** Reject the call with `err` (the deadlock detector); true if it was still pending. */
  fail(err: Error): boolean;
}

let seq = 0;
/** Calls settled so far (progress, for the root's monitor). */
let settledCount = 0;

export function waitsSettled(): number {
  return settledCount;
}
const pending = new Set<Record>();
/** Capture each call's site when it begins (trace, scheduling, steering). */
let eager = tracing || controlled;

export function captureSitesEagerly(on: boolean): void {
  eager = on;
}

export function sitesAreEager(): boolean {
  return eager;
}

type Outcome<T> = { v: T } | { e: unknown } | typeof PROBE;

/** Frames a lazy capture keeps: the shim's function it skips, a method or two, the user's. */
const LAZY_FRAMES = 4;

class Record<T = unknown> implements Wait {
  readonly seq = ++seq;
  readonly since = Date.now();
  site: Site | null | undefined = undefined;
  cancel: (() => void) | null = null;
  /** The call's stack, captured unformatted when it did not complete at once (see captureLazily). */
  private lazy: { stack?: string } | null = null;
  private outcome: Outcome<T> | null = null;
  private wake: ((o: Outcome<T>) => void) | null = null;
  private settled = false;

  constructor(
    readonly op: string,
    readonly ref: ObjectRef | null,
    readonly local: LocalTarget | null,
    readonly timeout: number | undefined,
    readonly internal: boolean,
  ) {}

  /** The next thing to happen to the call: its outcome, or a probe. */
  next(): Outcome<T> | Promise<Outcome<T>> {
    const o = this.outcome;
    if (o !== null) {
      this.outcome = null;
      return o;
    }
    return new Promise<Outcome<T>>((resolve) => (this.wake = resolve));
  }

  private push(o: Outcome<T>): void {
    const wake = this.wake;
    if (wake) {
      this.wake = null;
      wake(o);
    } else if (o !== PROBE || this.outcome === null) {
      this.outcome = o;
    }
  }

  readonly done = (v: T): void => {
    if (this.settled) return;
    this.settled = true;
    this.push({ v });
  };

  readonly error = (e: unknown): void => {
    if (this.settled) return;
    this.settled = true;
    this.push({ e });
  };

  /** Answered already (the root's hub answered it as it was made). */
  get answered(): boolean {
    return this.settled;
  }

  /**
   * Keep the current stack, unformatted (a few microseconds; Node formats it, source maps and all,
   * only if a report reads it): for a call that did not complete at once, made from `skip`.
   */
  captureLazily(skip: Function): void {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = LAZY_FRAMES;
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, skip);
    Error.stackTraceLimit = limit;
    this.lazy = holder;
  }

  /** The site from the lazy capture, if there is one and it names the user's frame. */
  resolveLazy(): boolean {
    if (this.site !== undefined || !this.lazy) return this.site !== undefined;
    const site = userSite(this.lazy.stack);
    this.lazy = null;
    if (site) this.site = site;
    return site !== null;
  }

  probe(): void {
    if (!this.settled && this.site === undefined) this.push(PROBE);
  }

  fail(err: Error): boolean {
    if (this.settled) return false;
    this.cancel?.();
    this.error(err);
    return true;
  }
}

/** Begin a call: its record, which `settle` waits on. */
export function openWait<T>(op: string, ref: ObjectRef | null, timeout: number | undefined, local: LocalTarget | null = null, internal = false, skip: Function = openWait, site?: Site | null): Record<T> {
  const w = new Record<T>(op, ref, local, timeout, internal);
  // (skip: the shim's function that a method of a proxy, called by the user's code, called: two
  // frames to look at, so V8 need not walk the await chain for more.)
  if (site !== undefined) w.site = site;
  else if (eager) w.site = eagerSite(skip, 2);
  pending.add(w as Record);
  return w;
}

/**
 * Wait for a call's outcome (its value, or the error it failed with), answering probes on the way.
 * The caller's async function awaits this directly, so a probe's stack names the user's frame.
 */
export async function settle<T>(w: Record<T>): Promise<T> {
  let failed = false;
  try {
    for (;;) {
      let o = w.next();
      if (o instanceof Promise) o = await o;
      if (o === PROBE) {
        if (w.site === undefined) w.site = currentSite();
        continue;
      }
      if ('e' in o) {
        failed = true;
        throw o.e;
      }
      return o.v;
    }
  } finally {
    pending.delete(w as Record);
    settledCount++;
    if (tracing && w.local) sendEvent({ e: 'end', k: w.seq, r: failed ? 'error' : 'ok' });
    if (w.local && localWaitHooks.length > 0) for (const f of localWaitHooks) f(-1, w.op, w.site);
  }
}

/**
 * Told when a wait of this process's own begins (+1, with its op and site) and ends (-1): controlled
 * scheduling and steered replay (control.ts) need to know a process waits without the hub.
 */
export const localWaitHooks: ((delta: 1 | -1, op: string, site: Site | null | undefined) => void)[] = [];

/**
 * Told of an operation of this process's own that nothing can hold (a pool's submit or close, done
 * in this process): steered replay counts it as a trace step when it happens (control.ts).
 */
export const localStepHooks: ((op: string, site: Site | null) => void)[] = [];

/** `op`, called by the user's code now (the first user frame is its site), to localStepHooks. */
export function noteLocalStep(op: string): void {
  if (localStepHooks.length === 0) return;
  const site = eagerSite(noteLocalStep);
  for (const f of localStepHooks) f(op, site);
}

/** A wait of this process's own (join, a pool result): `source` settles it. */
export function waitLocal<T>(op: string, local: LocalTarget, source: Promise<T>, timeout?: number, internal = false): Promise<T> {
  const w = openWait<T>(op, null, timeout, local, internal, waitLocal);
  if (w.site === undefined) w.captureLazily(waitLocal);
  if (localWaitHooks.length > 0) for (const f of localWaitHooks) f(1, op, w.site);
  if (tracing) {
    sendEvent({ e: 'wait', k: w.seq, op, on: local, site: siteNumber(w.site), ...(timeout === undefined ? {} : { timeout }), ...(internal ? { atExit: true } : {}) });
  }
  source.then(w.done, w.error);
  return settle(w);
}

/** The calls pending now, oldest first. */
export function pendingWaits(): Wait[] {
  return [...pending];
}

/**
 * Every pending call's site: from its lazy capture when it has one, else by asking it (V8's async
 * stack trace, in its own microtask); resolves once they answered.
 */
export async function probeSites(): Promise<void> {
  let any = false;
  for (const w of pending) {
    if (w.site === undefined && !w.resolveLazy()) {
      w.probe();
      any = true;
    }
  }
  if (!any) return;
  // Each woken call reads its stack in its own microtask; let them all run.
  for (let i = 0; i < 4; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
