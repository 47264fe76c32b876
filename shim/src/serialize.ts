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

// ---- small primitives without v8.serialize ------------------------------------------------------
// The usual queue item or message is a number or a short string. These are written (and read)
// directly in v8.serialize's own format, so the bytes are the same kind of payload either way
// (recvBytes / sendBytes compose) and v8.deserialize reads them too.

const V8_VERSION = v8.serialize(null)[1]!;
const TAG_INT32 = 0x49; // 'I' zigzag varint
const TAG_DOUBLE = 0x4e; // 'N' float64 little-endian
const TAG_ONE_BYTE_STRING = 0x22; // '"' varint length, latin1 bytes
const TAG_NULL = 0x30; // '0'
const TAG_UNDEFINED = 0x5f; // '_'
const TAG_TRUE = 0x54; // 'T'
const TAG_FALSE = 0x46; // 'F'

function tagged(tag: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out[0] = 0;
  out[1] = 0xff;
  out[2] = V8_VERSION;
  out[3] = tag;
  return out;
}

function varintLength(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Buffer, at: number, u: number): number {
  while (u >= 0x80) {
    out[at++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  out[at++] = u;
  return at;
}

/** The payload of a number, string (latin1, short), boolean, null or undefined; null otherwise. */
function encodePrimitive(value: unknown): Buffer | null {
  switch (typeof value) {
    case 'number': {
      if ((value | 0) === value && !Object.is(value, -0)) {
        const zz = value >= 0 ? value * 2 : -value * 2 - 1;
        const out = Buffer.allocUnsafe(4 + varintLength(zz));
        out[0] = 0;
        out[1] = 0xff;
        out[2] = V8_VERSION;
        out[3] = TAG_INT32;
        writeVarint(out, 4, zz);
        return out;
      }
      const out = Buffer.allocUnsafe(12);
      out[0] = 0;
      out[1] = 0xff;
      out[2] = V8_VERSION;
      out[3] = TAG_DOUBLE;
      out.writeDoubleLE(value, 4);
      return out;
    }
    case 'string': {
      const n = value.length;
      if (n > 256) return null;
      for (let k = 0; k < n; k++) if (value.charCodeAt(k) > 0xff) return null;
      const out = Buffer.allocUnsafe(4 + varintLength(n) + n);
      out[0] = 0;
      out[1] = 0xff;
      out[2] = V8_VERSION;
      out[3] = TAG_ONE_BYTE_STRING;
      const at = writeVarint(out, 4, n);
      out.write(value, at, n, 'latin1');
      return out;
    }
    case 'boolean':
      return tagged(value ? TAG_TRUE : TAG_FALSE);
    case 'undefined':
      return tagged(TAG_UNDEFINED);
    case 'object':
      return value === null ? tagged(TAG_NULL) : null;
    default:
      return null;
  }
}

const NOT_PRIMITIVE = Symbol('not a primitive');

/** The value of a payload encodePrimitive would write; NOT_PRIMITIVE for anything else. */
function decodePrimitive(buf: Buffer): unknown {
  const len = buf.length;
  if (len < 4 || buf[0] !== 0 || buf[1] !== 0xff || buf[2] !== V8_VERSION) return NOT_PRIMITIVE;
  switch (buf[3]) {
    case TAG_INT32: {
      let u = 0;
      let scale = 1;
      let p = 4;
      for (;;) {
        if (p >= len || p > 8) return NOT_PRIMITIVE;
        const b = buf[p++]!;
        u += (b & 0x7f) * scale;
        scale *= 128;
        if (!(b & 0x80)) break;
      }
      if (p !== len) return NOT_PRIMITIVE;
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    case TAG_DOUBLE:
      return len === 12 ? buf.readDoubleLE(4) : NOT_PRIMITIVE;
    case TAG_ONE_BYTE_STRING: {
      let n = 0;
      let scale = 1;
      let p = 4;
      for (;;) {
        if (p >= len || p > 8) return NOT_PRIMITIVE;
        const b = buf[p++]!;
        n += (b & 0x7f) * scale;
        scale *= 128;
        if (!(b & 0x80)) break;
      }
      return p + n === len ? buf.toString('latin1', p, len) : NOT_PRIMITIVE;
    }
    case TAG_NULL:
      return len === 4 ? null : NOT_PRIMITIVE;
    case TAG_UNDEFINED:
      return len === 4 ? undefined : NOT_PRIMITIVE;
    case TAG_TRUE:
      return len === 4 ? true : NOT_PRIMITIVE;
    case TAG_FALSE:
      return len === 4 ? false : NOT_PRIMITIVE;
    default:
      return NOT_PRIMITIVE;
  }
}

/** Serialize `value` for another process; `label` names it in errors ("args", "the queue item"). */
export function encode(value: unknown, label: string): Buffer {
  const small = encodePrimitive(value);
  if (small) return small;
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
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const small = decodePrimitive(buf);
  if (small !== NOT_PRIMITIVE) return small;
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
