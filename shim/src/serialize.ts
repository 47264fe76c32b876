// How values cross a process boundary (Python pickles; the shim uses structured clone via
// v8.serialize). Shim objects (a Queue, later locks, pipes, ...) are not copied: each is replaced by
// a reference marker carrying its kind, id and creation params, and the receiving side revives the
// marker as a working proxy of the same object. A value that cannot be copied fails here, at the
// sending call, with an error naming where it sits ("args[1]", "the queue item.fn").
//
// Payload layout: [1 byte flags][v8.serialize bytes]. Flag bit 0 = "contains references", so a
// payload without any (the usual queue item) is decoded without a revive walk.
import v8 from 'node:v8';

/** The method a shareable shim object implements to be passed to another process. */
export const kShare = Symbol.for('@process-topology/multiprocessing.share');

/** A shared object as it travels: JSON-safe, enough to declare it to the hub from anywhere. */
export interface ObjectRef {
  kind: string;
  id: string;
  params: Record<string, unknown>;
  /** The socket of the hub that hosts the object when it is not the root's (a manager's). */
  at?: string;
}

export interface Shareable {
  [kShare](): ObjectRef;
}

/** An object that must not cross a process boundary says why under this key. */
export const kNotSendable = Symbol.for('@process-topology/multiprocessing.notSendable');

const MARK = '__pt_mp_ref__';
const HAS_REFS = 1;

const revivers = new Map<string, (ref: ObjectRef) => unknown>();

/** Each kind of shared object registers how to rebuild a proxy from its reference. */
export function registerReviver(kind: string, revive: (ref: ObjectRef) => unknown): void {
  revivers.set(kind, revive);
}

/** A working proxy for a reference (as a value carrying it would be revived). */
export function reviveRef(ref: ObjectRef): unknown {
  const reviver = revivers.get(ref.kind);
  if (!reviver) throw new TypeError(`cannot receive a shared object of unknown kind '${ref.kind}'`);
  return reviver(ref);
}

function isShareable(v: object): v is Shareable {
  return typeof (v as Partial<Shareable>)[kShare] === 'function';
}

// Objects v8.serialize copies as they are (no walk needed, no references can hide inside).
const CLONEABLE_TAGS = new Set([
  '[object Date]', '[object RegExp]', '[object Error]', '[object ArrayBuffer]',
  '[object SharedArrayBuffer]', '[object DataView]', '[object Boolean]', '[object Number]',
  '[object String]', '[object BigInt]',
]);

function describe(v: unknown): string {
  if (typeof v === 'function') return v.name ? `the function '${v.name}'` : 'an anonymous function';
  if (typeof v === 'symbol') return `the symbol ${String(v)}`;
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  return ctor ? `a ${ctor} object` : 'an object';
}

function unsendable(path: string, v: unknown, detail?: string): TypeError {
  return new TypeError(
    `cannot send ${path}: ${describe(v)} cannot be copied to another process ` +
      `(values that cross processes are copied with the structured-clone algorithm` +
      `${detail ? `: ${detail}` : ''})`,
  );
}

class Preparer {
  hasRefs = false;
  private readonly seen = new Map<object, unknown>();

  prepare(v: unknown, path: string): unknown {
    if (typeof v === 'function' || typeof v === 'symbol') throw unsendable(path, v);
    if (v === null || typeof v !== 'object') return v;
    if (isShareable(v)) {
      this.hasRefs = true;
      return { [MARK]: v[kShare]() };
    }
    const refusal = (v as { [kNotSendable]?: string })[kNotSendable];
    if (typeof refusal === 'string') throw new TypeError(`cannot send ${path}: ${refusal}`);
    const done = this.seen.get(v);
    if (done !== undefined) return done;
    if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      this.seen.set(v, out);
      for (let i = 0; i < v.length; i++) out[i] = this.prepare(v[i], `${path}[${i}]`);
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      this.seen.set(v, out);
      for (const [k, val] of v) {
        out.set(this.prepare(k, `${path} (a Map key)`), this.prepare(val, `${path}.get(${String(k)})`));
      }
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      this.seen.set(v, out);
      for (const val of v) out.add(this.prepare(val, `${path} (a Set element)`));
      return out;
    }
    if (ArrayBuffer.isView(v)) return v;
    const tag = Object.prototype.toString.call(v);
    if (tag === '[object Object]') {
      // Plain objects and class instances: structured clone keeps own enumerable data only.
      const out: Record<string, unknown> = {};
      this.seen.set(v, out);
      for (const key of Object.keys(v)) {
        out[key] = this.prepare((v as Record<string, unknown>)[key], `${path}.${key}`);
      }
      return out;
    }
    if (!CLONEABLE_TAGS.has(tag)) {
      try {
        v8.serialize(v);
      } catch (err) {
        throw unsendable(path, v, (err as Error).message);
      }
    }
    return v;
  }
}

/** Serialize `value` for another process; `label` names it in errors ("args", "the queue item"). */
export function encode(value: unknown, label: string): Buffer {
  const prep = new Preparer();
  const prepared = prep.prepare(value, label);
  let body: Buffer;
  try {
    body = v8.serialize(prepared);
  } catch (err) {
    throw new TypeError(`cannot send ${label}: ${(err as Error).message}`);
  }
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = prep.hasRefs ? HAS_REFS : 0;
  body.copy(out, 1);
  return out;
}

/** The inverse of `encode`: a fresh copy, with reference markers revived as proxies. */
export function decode(bytes: Uint8Array): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const value = v8.deserialize(buf.subarray(1));
  return buf[0] & HAS_REFS ? revive(value, new Set()) : value;
}

function revive(v: unknown, seen: Set<object>): unknown {
  if (v === null || typeof v !== 'object' || seen.has(v)) return v;
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i], seen);
    return v;
  }
  if (v instanceof Map) {
    const entries = [...v].map(([k, val]) => [revive(k, seen), revive(val, seen)] as const);
    v.clear();
    for (const [k, val] of entries) v.set(k, val);
    return v;
  }
  if (v instanceof Set) {
    const items = [...v].map((x) => revive(x, seen));
    v.clear();
    for (const x of items) v.add(x);
    return v;
  }
  if (Object.prototype.toString.call(v) !== '[object Object]') return v;
  const rec = v as Record<string, unknown>;
  if (MARK in rec) {
    return reviveRef(rec[MARK] as ObjectRef);
  }
  for (const key of Object.keys(rec)) rec[key] = revive(rec[key], seen);
  return v;
}
