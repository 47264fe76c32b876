// Shared by the TypeScript workloads: the JSON report line, and the parts of the shim's API
// (shared/spec/shim-api.md) that may not be implemented yet, looked up at run time so that a
// workload whose API is missing reports {"unavailable": [...]} instead of crashing.
import * as mp from '@process-topology/multiprocessing';

export interface Connection<T> {
  send(obj: T): Promise<void>;
  recv(): Promise<T>;
  close(): void;
}

export interface LockLike {
  acquire(block?: boolean, timeout?: number): Promise<boolean>;
  release(): Promise<void>;
  withLock<R>(fn: () => R | Promise<R>): Promise<R>;
}

export interface ValueLike {
  get(): Promise<number>;
  set(v: number): Promise<void>;
}

export interface PoolLike {
  map<T, R>(fn: (x: T) => R, items: T[], chunksize?: number): Promise<R[]>;
  close(): void;
  join(): Promise<void>;
  terminate(): Promise<void>;
}

/** The spec's API for pipes, locks, values and pools; each may still be missing. */
export interface PlannedApi {
  Pipe?: <T>(duplex?: boolean) => [Connection<T>, Connection<T>];
  Lock?: new () => LockLike;
  Value?: (typecode: string, init: number, options?: { lock?: boolean | LockLike }) => ValueLike;
  Pool?: new (processes?: number) => PoolLike;
}

export const planned = mp as unknown as PlannedApi;

/** Print the result line the driver reads (the last line of stdout). */
export function report(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result));
}

/** True (after reporting it) when one of `names` is not exported by the shim yet. */
export function unavailable(...names: (keyof PlannedApi)[]): boolean {
  const missing = names.filter((n) => typeof planned[n] !== 'function');
  if (missing.length > 0) report({ unavailable: missing });
  return missing.length > 0;
}

export function seconds(fromMs: number, toMs = performance.now()): number {
  return (toMs - fromMs) / 1000;
}
