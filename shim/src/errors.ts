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

const wireClasses: Record<string, new (message?: string) => Error> = {
  ProcessError,
  Empty,
  Full,
  TypeError,
  RangeError,
};

/** The error an operation failed with, as it travels in a reply header. */
export type WireError = { e: string; m: string };

export function toWire(err: unknown): WireError {
  if (err instanceof Error) return { e: err.name, m: err.message };
  return { e: 'Error', m: String(err) };
}

/** Rebuild the error class named on the wire (a plain `Error` with that name otherwise). */
export function fromWire(w: WireError): Error {
  const Cls = wireClasses[w.e];
  if (Cls) return new Cls(w.m);
  const err = new Error(w.m);
  err.name = w.e;
  return err;
}
