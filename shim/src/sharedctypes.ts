// `Value`, `SharedArray`, `RawValue`, `RawArray`: typed numbers shared by processes, as Python's
// sharedctypes. The numbers live in the hub in a typed array of the typecode's C type, so stores
// wrap and round as ctypes does (Value('b', 200) reads -56). A synchronized object carries a lock
// (a new RLock by default): every get or set takes it in the hub for that one access, so it waits
// while another process holds the lock, and `getLock().withLock(...)` makes a read-modify-write
// atomic. A get followed by a set is two accesses, racy without the lock, as in Python.
import { ProcessError, toWire } from './errors';
import { registerKind, type HubClient, type HubContext, type HubObject, type HubRequest, type Respond } from './hub';
import { Lock, RLock } from './lock';
import { allocData, blockBuffer, usable } from './native';
import { call, nextObjectId, post, traceObject } from './runtime';
import { Semaphore } from './semaphore';
import { SemLockState, withAcquired } from './semlock';
import { kShare, registerReviver, reviveRef, type ObjectRef, type Shareable } from './serialize';

/** The typecodes of Python's array module / ctypes that the shim supports. */
export type NumericTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd';
/** 'c': one byte (a one-character string, code 0-255); 'u': one Unicode character. */
export type CharTypecode = 'c' | 'u';
export type Typecode = NumericTypecode | CharTypecode;
/** What get() returns for a typecode: a string for 'c' and 'u', a number otherwise. */
export type CValue<C extends Typecode> = C extends CharTypecode ? string : number;

/** The lock a synchronized object uses. */
export type LockLike = Lock | RLock | Semaphore;

export interface SyncOptions {
  /** true / undefined / null: a new RLock; false: no lock (a raw object); or the lock to use. */
  lock?: boolean | LockLike | null;
}

type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

const STORAGE: Record<Typecode, new (n: number) => TypedArray> = {
  c: Uint8Array, u: Uint32Array,
  b: Int8Array, B: Uint8Array, h: Int16Array, H: Uint16Array, i: Int32Array, I: Uint32Array,
  l: BigInt64Array, L: BigUint64Array, q: BigInt64Array, Q: BigUint64Array, // C long is 64-bit on POSIX
  f: Float32Array, d: Float64Array,
};

const BAD_TYPECODE = `bad typecode (must be one of ${Object.keys(STORAGE).join(', ')})`;

function checkTypecode(typecode: unknown): Typecode {
  if (typeof typecode !== 'string' || !Object.hasOwn(STORAGE, typecode)) throw new TypeError(BAD_TYPECODE);
  return typecode as Typecode;
}

/** A stored number as it travels in a JSON header (non-finite floats and big integers as strings). */
type Wire = number | string;

/** The Python type name of a JS value, for ctypes' messages ("int expected instead of float"). */
function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  return Array.isArray(v) ? 'list' : typeof v;
}

/** Check a value against its typecode (ctypes' TypeErrors) and turn it into its wire form. */
function toWire64(typecode: Typecode, v: unknown): Wire {
  switch (typecode) {
    case 'c':
      if (typeof v === 'string' && v.length === 1 && v.charCodeAt(0) < 256) return v.charCodeAt(0);
      if (v instanceof Uint8Array && v.length === 1) return v[0]!;
      if (Number.isInteger(v) && (v as number) >= 0 && (v as number) < 256) return v as number;
      throw new TypeError('one character bytes, bytearray or integer expected');
    case 'u':
      if (typeof v === 'string' && [...v].length === 1) return v.codePointAt(0)!;
      throw new TypeError(`unicode string expected instead of ${typeName(v)} instance`);
    case 'f':
    case 'd':
      if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
      if (typeof v === 'bigint') return Number(v);
      throw new TypeError(`must be real number, not ${typeName(v)}`);
    default:
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'boolean') return Number(v);
      throw new TypeError(`int expected instead of ${typeName(v)}`);
  }
}

function fromWire64<C extends Typecode>(typecode: C, w: Wire): CValue<C> {
  const n = Number(w);
  if (typecode === 'c') return String.fromCharCode(n) as CValue<C>;
  if (typecode === 'u') return String.fromCodePoint(n) as CValue<C>;
  return n as CValue<C>;
}

/** Python's index rules: negative counts from the end; outside the array: "invalid index". */
function index(i: number, length: number): number {
  const j = Math.trunc(Number(i)) < 0 ? Math.trunc(Number(i)) + length : Math.trunc(Number(i));
  if (!(j >= 0 && j < length)) throw new RangeError('invalid index');
  return j;
}

/** Python's slice bounds [start:end] for a length. */
function bounds(start: number | null | undefined, end: number | null | undefined, length: number): [number, number] {
  const clamp = (x: number | null | undefined, dflt: number) => {
    if (x === undefined || x === null) return dflt;
    const y = Math.trunc(x) < 0 ? Math.trunc(x) + length : Math.trunc(x);
    return Math.min(Math.max(y, 0), length);
  };
  const s = clamp(start, 0);
  return [s, Math.max(s, clamp(end, length))];
}

function lockOf(options: SyncOptions | undefined): LockLike | null {
  const lock = options?.lock;
  if (lock === undefined || lock === null || lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof Lock || lock instanceof RLock || lock instanceof Semaphore) return lock;
  const shown = typeof lock === 'string' ? `'${lock}'` : String(lock);
  throw new TypeError(`${shown} has no method 'acquire'`);
}

// ---- proxies --------------------------------------------------------------------------------------

/** Shared by values and arrays: the reference, the typecode and the calls to the hub. */
abstract class CObject<C extends Typecode> implements Shareable {
  readonly #ref: ObjectRef;
  /** Set on getObj() views: accesses skip the lock. */
  readonly #raw: boolean;
  readonly typecode: C;
  /** The numbers themselves, when they are in the run's shared memory (native.ts); else in the hub. */
  readonly #local: TypedArray | null;
  /** With #local: the lock taken around each access (null: none), when it is in shared memory too. */
  readonly #localLock: LockLike | null | undefined;

  constructor(ref: ObjectRef, raw: boolean, lock: LockLike | null = null) {
    this.#ref = ref;
    this.#raw = raw;
    this.typecode = ref.params.typecode as C;
    this.#local = usable(ref.params, ref.at) ? viewOf(ref) : null;
    // A lock of the hub's (a Semaphore): accesses go through the hub, which takes it there.
    this.#localLock = raw || !ref.params.lock ? null : lock && nativeLock(lock) ? lock : undefined;
  }

  protected async op(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const data = this.#local;
    if (data && this.#localLock !== undefined) {
      if (this.#localLock === null) return access(data, op, args).v;
      return (await withAcquired(this.#localLock, () => access(data, op, args))).v;
    }
    return (await call(this.#ref, op, this.#raw ? { ...args, raw: true } : args)).header.v;
  }

  /**
   * A store without a lock cannot fail in the hub once checked here (index, type): a child sends
   * it as a post (see transport.ts). With the lock, the store waits for it and can report a
   * dead owner, so it is a call.
   */
  protected async store(op: string, args: Record<string, unknown>): Promise<void> {
    if (this.#local && this.#localLock !== undefined) {
      await this.op(op, args);
      return;
    }
    if (this.#raw) return post(this.#ref, op, { ...args, raw: true });
    if (!this.#ref.params.lock) return post(this.#ref, op, args);
    await call(this.#ref, op, args);
  }

  protected get ref(): ObjectRef {
    return this.#ref;
  }

  [kShare](): ObjectRef {
    return this.#ref;
  }

  toString(): string {
    return `<${this.constructor.name} ${this.#ref.id}>`;
  }
}

/** A shared number with no lock (`RawValue`, or `Value(..., { lock: false })`). */
export class RawSharedValue<C extends Typecode = Typecode> extends CObject<C> {
  async get(): Promise<CValue<C>> {
    return fromWire64(this.typecode, (await this.op('get', { x: 0 })) as Wire);
  }

  async set(value: CValue<C>): Promise<void> {
    return this.store('set', { x: 0, v: toWire64(this.typecode, value) });
  }

  override toString(): string {
    return `<Value ${this.typecode} ${this.ref.id}>`;
  }
}

/** A shared number whose every get and set takes its lock (`Value(...)`). */
export class SynchronizedValue<C extends Typecode = Typecode> extends RawSharedValue<C> {
  readonly #lock: LockLike;

  constructor(ref: ObjectRef, lock: LockLike) {
    super(ref, false, lock);
    this.#lock = lock;
  }

  getLock(): LockLike {
    return this.#lock;
  }

  /** The same number without the lock (Python's get_obj()). */
  getObj(): RawSharedValue<C> {
    return new RawSharedValue<C>(this.ref, true);
  }

  acquire(block = true, timeout?: number | null): Promise<boolean> {
    return this.#lock.acquire(block, timeout);
  }

  release(): Promise<void> {
    return this.#lock.release();
  }

  /** Python's `with v:`. */
  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return withAcquired(this.#lock, fn);
  }
}

/** A fixed-length shared array with no lock (`RawArray`, or `SharedArray(..., { lock: false })`). */
export class RawSharedArray<C extends Typecode = Typecode> extends CObject<C> {
  /** The length, fixed at creation. */
  readonly length: number = Number(this.ref.params.size);

  async get(i: number): Promise<CValue<C>> {
    return fromWire64(this.typecode, (await this.op('get', { x: index(i, this.length) })) as Wire);
  }

  async set(i: number, value: CValue<C>): Promise<void> {
    return this.store('set', { x: index(i, this.length), v: toWire64(this.typecode, value) });
  }

  /** Python's `arr[start:end]` (negative bounds count from the end), read in one access. */
  async slice(start?: number | null, end?: number | null): Promise<CValue<C>[]> {
    const [s, e] = bounds(start, end, this.length);
    return ((await this.op('slice', { s, e })) as Wire[]).map((w) => fromWire64(this.typecode, w));
  }

  /** Python's `arr[start:end] = values`, in one access; `values` must have the slice's length. */
  async setSlice(start: number | null | undefined, end: number | null | undefined, values: readonly CValue<C>[]): Promise<void> {
    const [s, e] = bounds(start, end, this.length);
    if (values.length !== e - s) throw new RangeError('Can only assign sequence of same size');
    return this.store('setSlice', { s, v: values.map((v) => toWire64(this.typecode, v)) });
  }

  /** Every element (Python's `arr[:]`). */
  toArray(): Promise<CValue<C>[]> {
    return this.slice();
  }

  override toString(): string {
    return `<Array ${this.typecode}[${this.length}] ${this.ref.id}>`;
  }
}

/** A shared array whose every access takes its lock (`SharedArray(...)`). */
export class SynchronizedArray<C extends Typecode = Typecode> extends RawSharedArray<C> {
  readonly #lock: LockLike;

  constructor(ref: ObjectRef, lock: LockLike) {
    super(ref, false, lock);
    this.#lock = lock;
  }

  getLock(): LockLike {
    return this.#lock;
  }

  /** The same array without the lock (Python's get_obj()). */
  getObj(): RawSharedArray<C> {
    return new RawSharedArray<C>(this.ref, true);
  }

  acquire(block = true, timeout?: number | null): Promise<boolean> {
    return this.#lock.acquire(block, timeout);
  }

  release(): Promise<void> {
    return this.#lock.release();
  }

  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return withAcquired(this.#lock, fn);
  }
}

// ---- factories ------------------------------------------------------------------------------------

function make(kind: 'value' | 'array', typecode: Typecode, size: number, init: Wire[] | null, lock: LockLike | null): ObjectRef {
  const ref = { kind, id: nextObjectId(), params: { typecode, size, lock: lock ? lock[kShare]() : null } as Record<string, unknown> };
  traceObject(ref);
  const shm = allocData(size * (STORAGE[typecode] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
  if (shm !== undefined) {
    // In shared memory: the initial values are written there now, the hub needs none.
    ref.params.shm = shm;
    const data = viewOf(ref);
    init?.forEach((w, i) => storeWire(data, i, w));
    return ref;
  }
  ref.params.init = init;
  return ref;
}

/** The typed array over an object's numbers in the shared segment. */
function viewOf(ref: ObjectRef): TypedArray {
  const Ctor = STORAGE[checkTypecode(ref.params.typecode)] as unknown as (new (b: ArrayBuffer) => TypedArray) & { BYTES_PER_ELEMENT: number };
  return new Ctor(blockBuffer(ref.params.shm as number, Number(ref.params.size) * Ctor.BYTES_PER_ELEMENT));
}

/** Whether a lock is a Lock/RLock in shared memory (so an access can take it without the hub). */
function nativeLock(lock: LockLike): boolean {
  if (lock instanceof Semaphore) return false;
  const ref = lock[kShare]();
  return usable(ref.params, ref.at);
}

/**
 * A shared number of C type `typecode`, initially `init` (0, or '\0' for 'c' and 'u'). With the
 * default `{ lock: true }` it carries a new RLock taken by every get and set (`getLock()`);
 * `{ lock: false }` gives a raw value; `{ lock: someLock }` uses that lock.
 */
export function Value<C extends Typecode>(typecode: C, init: CValue<C> | undefined, options: { lock: false }): RawSharedValue<C>;
export function Value<C extends Typecode>(typecode: C, init?: CValue<C>, options?: SyncOptions): SynchronizedValue<C>;
export function Value<C extends Typecode>(typecode: C, init?: CValue<C>, options?: SyncOptions): RawSharedValue<C> {
  const code = checkTypecode(typecode);
  const lock = lockOf(options);
  const ref = make('value', code, 1, init === undefined ? null : [toWire64(code, init)], lock);
  return lock ? new SynchronizedValue<C>(ref, lock) : new RawSharedValue<C>(ref, false);
}

/** A shared number with no lock (Python's RawValue). */
export function RawValue<C extends Typecode>(typecode: C, init?: CValue<C>): RawSharedValue<C> {
  return Value(typecode, init, { lock: false });
}

/**
 * A fixed-length shared array of C type `typecode`: `sizeOrInit` zeros, or a copy of the given
 * values (a string for 'c' and 'u'). Lock options as for Value.
 */
export function SharedArray<C extends Typecode>(typecode: C, sizeOrInit: number | readonly CValue<C>[] | string, options: { lock: false }): RawSharedArray<C>;
export function SharedArray<C extends Typecode>(typecode: C, sizeOrInit: number | readonly CValue<C>[] | string, options?: SyncOptions): SynchronizedArray<C>;
export function SharedArray<C extends Typecode>(typecode: C, sizeOrInit: number | readonly CValue<C>[] | string, options?: SyncOptions): RawSharedArray<C> {
  const code = checkTypecode(typecode);
  let size: number;
  let init: Wire[] | null = null;
  if (typeof sizeOrInit === 'number') {
    if (!Number.isInteger(sizeOrInit)) throw new TypeError(`size must be an integer, not ${sizeOrInit}`);
    if (sizeOrInit < 0) throw new RangeError('Array length must be >= 0');
    size = sizeOrInit;
  } else {
    const values: unknown[] = typeof sizeOrInit === 'string' ? [...sizeOrInit] : [...sizeOrInit];
    init = values.map((v) => toWire64(code, v));
    size = init.length;
  }
  const lock = lockOf(options);
  const ref = make('array', code, size, init, lock);
  return lock ? new SynchronizedArray<C>(ref, lock) : new RawSharedArray<C>(ref, false);
}

/** A shared array with no lock (Python's RawArray). */
export function RawArray<C extends Typecode>(typecode: C, sizeOrInit: number | readonly CValue<C>[] | string): RawSharedArray<C> {
  return SharedArray(typecode, sizeOrInit, { lock: false });
}

function revive(ref: ObjectRef): RawSharedValue | RawSharedArray {
  const lock = ref.params.lock ? (reviveRef(ref.params.lock as ObjectRef) as LockLike) : null;
  if (ref.kind === 'value') return lock ? new SynchronizedValue(ref, lock) : new RawSharedValue(ref, false);
  return lock ? new SynchronizedArray(ref, lock) : new RawSharedArray(ref, false);
}

registerReviver('value', revive);
registerReviver('array', revive);

// ---- the hub side -------------------------------------------------------------------------------

class CState implements HubObject {
  constructor(
    private readonly data: TypedArray,
    init: Wire[] | null,
    private readonly lock: SemLockState | undefined,
  ) {
    init?.forEach((w, i) => storeWire(this.data, i, w));
  }

  handle(op: string, req: HubRequest, respond: Respond): void {
    const h = req.header;
    const run = () => {
      try {
        respond(access(this.data, op, h));
      } catch (err) {
        respond(toWire(err));
      }
    };
    const lock = this.lock;
    if (!lock || h.raw === true) return run();
    // One access under the lock: wait for it as an acquire would, then let it go at once.
    lock.acquire(
      req.client,
      1,
      undefined,
      (dead) => {
        if (dead) respond(toWire(lock.ownerDied(dead)));
        else run();
        lock.release(req.client);
      },
      () => {},
      h.i,
    );
  }

  drop(_client: HubClient): void {}
}

/** One access to the numbers (the hub's, or in shared memory): its reply header. */
function access(data: TypedArray, op: string, h: Record<string, unknown>): { v?: unknown } {
  switch (op) {
    case 'get':
      return { v: loadWire(data, at(data, h.x)) };
    case 'set':
      storeWire(data, at(data, h.x), h.v as Wire);
      return {};
    case 'slice': {
      const out: Wire[] = [];
      for (let i = at(data, h.s, true); i < at(data, h.e, true); i++) out.push(loadWire(data, i));
      return { v: out };
    }
    case 'setSlice': {
      const values = h.v as Wire[];
      const s = at(data, h.s, true);
      if (s + values.length > data.length) throw new RangeError('Can only assign sequence of same size');
      values.forEach((w, k) => storeWire(data, s + k, w));
      return {};
    }
    default:
      throw new ProcessError(`unknown shared value operation '${op}'`);
  }
}

function at(data: TypedArray, i: unknown, bound = false): number {
  const n = Number(i);
  if (!Number.isInteger(n) || n < 0 || n > data.length || (!bound && n === data.length)) {
    throw new RangeError('invalid index');
  }
  return n;
}

function loadWire(data: TypedArray, i: number): Wire {
  const x = data[i]!;
  if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
  return Number.isFinite(x) ? x : String(x);
}

function storeWire(data: TypedArray, i: number, w: Wire): void {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const b = typeof w === 'string' ? BigInt(w) : BigInt(Math.trunc(w));
    data[i] = data instanceof BigUint64Array ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
  } else {
    (data as Float64Array)[i] = Number(w);
  }
}

function createState(params: Record<string, unknown>, hub: HubContext): HubObject {
  const lockRef = params.lock as ObjectRef | null;
  const lock = lockRef ? hub.object(lockRef) : undefined;
  const typecode = checkTypecode(params.typecode);
  const ref = { kind: 'value', id: '', params };
  // In shared memory: the same numbers the processes read and write in place (zero-filled, as
  // Python's shared memory); else the hub's own.
  const data = usable(params, undefined) ? viewOf(ref) : new STORAGE[typecode](Number(params.size));
  return new CState(data, (params.init as Wire[] | null) ?? null, lock instanceof SemLockState ? lock : undefined);
}

registerKind('value', createState);
registerKind('array', createState);
