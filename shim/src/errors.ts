// The shim's exported error classes (Python's names and messages) and their wire form: the hub
// answers a failed operation with an error name and message, and the caller rebuilds the class.

/** Python's `multiprocessing.ProcessError`; also used for Python's misuse assertions. */
export class ProcessError extends Error {
  override name = 'ProcessError';
}

/** `queue.Empty`: a non-blocking or timed `get` found nothing. Python gives it no message. */
export class Empty extends Error {
  override name = 'Empty';
}

/** `queue.Full`: a non-blocking or timed `put` found no free slot. Python gives it no message. */
export class Full extends Error {
  override name = 'Full';
}

/**
 * Python's `multiprocessing.TimeoutError` (not the builtin one): `AsyncResult.get(timeout)` and an
 * imap iterator's `next(timeout)` found no result in time.
 */
export class TimeoutError extends ProcessError {
  override name = 'TimeoutError';
}

/** Python's builtin `EOFError`: `recv()` on a pipe end whose peer is closed and nothing is left. */
export class EOFError extends Error {
  override name = 'EOFError';
}

/** `threading.BrokenBarrierError`: the barrier was broken (abort, reset, timeout) while waiting. */
export class BrokenBarrierError extends Error {
  override name = 'BrokenBarrierError';
}

/** The process that held a lock or semaphore when it died (its name and pid). */
export interface DeadOwner {
  name: string;
  pid: number | null;
}

/**
 * Beyond Python (robust-mutex style): a process died while holding a Lock, RLock, Semaphore unit
 * or a Condition's lock, and this acquire was handed what it held. The acquire rejects with this
 * error, but the caller now holds the lock: it can repair the state the lock guards, then release.
 */
export class OwnerDiedError extends ProcessError {
  override name = 'OwnerDiedError';
  /** The process that died; null when the error was rebuilt without it. */
  readonly owner: DeadOwner | null;

  constructor(message?: string, owner: DeadOwner | null = null) {
    super(message);
    this.owner = owner;
  }
}

/**
 * Every process of the program is blocked in a shim call that no other process can answer (see
 * the shim's README, "When it hangs"): the main process's blocked calls reject with this error.
 * Its message is the report (who waits on what, where); `report` is the same as JSON.
 */
export class DeadlockError extends ProcessError {
  override name = 'DeadlockError';
  /** The report as data (a RuntimeReport: see waitReport()). */
  declare readonly report: unknown;

  constructor(message?: string, report: unknown = null, at?: string) {
    super(message);
    Object.defineProperty(this, 'report', { value: report, enumerable: false });
    // The stack would only show the detector's own frames: the message says where everyone waits,
    // and `at` is the user's line this process waits at.
    Object.defineProperty(this, 'stack', {
      value: `${this.name}: ${message ?? ''}${at ? `\n    at ${at}` : ''}`,
      writable: true, configurable: true, enumerable: false,
    });
  }
}

const wireClasses: Record<string, new (message?: string) => Error> = {
  ProcessError,
  Empty,
  Full,
  TimeoutError,
  EOFError,
  BrokenBarrierError,
  TypeError,
  RangeError,
};

/** The error an operation failed with, as it travels in a reply header. */
export type WireError = { e: string; m: string; owner?: DeadOwner };

export function toWire(err: unknown): WireError {
  if (err instanceof OwnerDiedError && err.owner) return { e: err.name, m: err.message, owner: err.owner };
  if (err instanceof Error) return { e: err.name, m: err.message };
  return { e: 'Error', m: String(err) };
}

/** Rebuild the error class named on the wire (a plain `Error` with that name otherwise). */
export function fromWire(w: WireError): Error {
  if (w.e === 'OwnerDiedError') return new OwnerDiedError(w.m, w.owner ?? null);
  const Cls = wireClasses[w.e];
  if (Cls) return new Cls(w.m);
  const err = new Error(w.m);
  err.name = w.e;
  return err;
}
