// The values of the abstract interpreter. Concrete wherever the program's data are constants
// (primitives, arrays and records with per-element identity, shim objects with per-instance
// identity), symbolic where a value comes from another process (what a `get` returned, and tests
// on it), opaque where a value is unknown but equal wherever it flows (a path made once), and
// "unknown" elsewhere. Joins make unions, so a value chosen by an unknown condition keeps each
// alternative exact.
import type ts from 'typescript';
import type { AbsValue, BranchGuard, ConstValue, FnValue, ObjectSite, Op, ValueMap } from '../facts';
export type { ConstValue };

export type Prim = string | number | boolean | null | undefined | bigint;

/** A JavaScript object of the interpreted program: a record, an array, a class instance, a Map or Set. */
export interface HeapObj {
  readonly id: number;
  readonly kind: 'object' | 'array' | 'map' | 'set' | 'instance' | 'statics' | 'error';
  /** Own properties; arrays keep elements under '0', '1'… and their length under 'length'. */
  readonly props: Map<string, Value>;
  /** Instances: their class. */
  cls?: ClassVal;
  /** Store clock when made: an object made inside a branch did not exist in the others. */
  readonly born: number;
  /** Made where the interpreter runs an unknown number of times: one object stands for several. */
  readonly summary: boolean;
  /** A name for objects stored in it (`forks` → `forks[0]`). */
  home?: string;
}

/** What every element of an array (or entry of a map) the interpreter cannot list may be. */
export const REST = '[[rest]]';

export interface FnVal {
  t: 'fn';
  decl: ts.SignatureDeclaration & { body?: ts.ConciseBody };
  /** The scope the function closes over (undefined: module level, resolved lazily). */
  env: Scope | undefined;
  /** `this` of an arrow function, or of a method bound by `.bind`. */
  self?: Value;
  /** Arguments bound by `.bind(this, …)`. */
  bound?: Value[];
  /** The class a method belongs to (for `super`). */
  home?: ClassVal;
}

export interface ClassVal {
  t: 'class';
  decl: ts.ClassLikeDeclaration;
  env: Scope | undefined;
  /** Static fields. */
  statics: HeapObj;
  /** The class it extends (a class of the program, or a shim class such as Process). */
  base?: Value;
}

/** A function or namespace of the host: JavaScript's built-ins, Node's modules, the shim's exports. */
export interface HostVal {
  t: 'host';
  name: string;
  /** The receiver a method was read from (`arr.push`, `q.put`). */
  self?: Value;
}

/** A test of what an operation returned: `item === null`, `!item`, `msg.kind === 'add'`, `ok`. */
export type Guard = BranchGuard;

export type Value =
  | { t: 'const'; v: Prim }
  | { t: 'obj'; site: ObjectSite; end?: 0 | 1 }
  | { t: 'ref'; o: HeapObj }
  | FnVal
  | ClassVal
  | HostVal
  /** An AsyncResult: the task one submit made (`task` tells submits of one call apart). */
  | { t: 'pending'; pool: ObjectSite; submit: ts.CallExpression; task: number }
  /** What an operation returned (an item a `get` took), or a field of it (or its `typeof`). */
  /**
   * What an operation returned (an item a `get` took), or a field of it, or a function of it
   * (`map`, or its `typeof`). `also`: what the value is as the interpreter otherwise knows it (the
   * functions a lookup by a received key can give), used by everything but a branch's test.
   */
  | { t: 'recv'; source: Op; path: readonly string[]; typeOf?: true; map?: ValueMap; also?: Value; pick?: Pick }
  /** A boolean that depends on what an operation returned. */
  | { t: 'test'; guard: Guard; negated: boolean }
  /** Unknown, but the same value wherever it flows (`path.join(tmp, 'db.json')` made once). */
  | { t: 'opaque'; key: string; label?: string; node?: ts.Node }
  | { t: 'union'; alts: Value[] }
  | { t: 'unknown' };

/**
 * A shim object picked from a record or array by a received key (`replies[msg.client]`): which
 * one is a test of the key per message (`guard`, whose `test` and `value` each entry supplies).
 */
export interface Pick {
  guard: Omit<Guard, 'test' | 'value'>;
  entries: readonly (readonly [ConstValue, Value])[];
}

/** Scopes: the variables of one function activation, block iteration or module (per process). */
export interface Scope {
  readonly vars: Map<ts.Symbol, Value>;
  readonly parent: Scope | undefined;
  /** `this` in this scope (functions and methods; arrows look outward). */
  self?: Value;
  /** The class whose method runs here (for `super.m()`). */
  home?: ClassVal;
}

export const UNKNOWN: Value = { t: 'unknown' };
export const UNDEFINED: Value = { t: 'const', v: undefined };
export const TRUE: Value = { t: 'const', v: true };
export const FALSE: Value = { t: 'const', v: false };

export function konst(v: Prim): Value {
  return v === undefined ? UNDEFINED : { t: 'const', v };
}

/** Unions larger than this lose their constants (a loop counter) but keep objects. */
const MAX_CONSTS = 8;
/** Unions of more objects than this become unknown. */
const MAX_ALTS = 64;

export function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'const': return Object.is(a.v, (b as typeof a).v) || (a.v === 0 && (b as typeof a).v === 0);
    case 'obj': return a.site === (b as typeof a).site && a.end === (b as typeof a).end;
    case 'ref': return a.o === (b as typeof a).o;
    case 'fn': {
      const f = b as FnVal;
      return a.decl === f.decl && a.env === f.env && sameOpt(a.self, f.self) && !a.bound && !f.bound;
    }
    case 'class': return a.decl === (b as ClassVal).decl && a.statics === (b as ClassVal).statics;
    case 'host': return a.name === (b as HostVal).name && sameOpt(a.self, (b as HostVal).self);
    case 'pending': return a.submit === (b as typeof a).submit && a.pool === (b as typeof a).pool && a.task === (b as typeof a).task;
    case 'recv': return a.source === (b as typeof a).source && samePath(a.path, (b as typeof a).path) && a.typeOf === (b as typeof a).typeOf
      && a.map?.key === (b as typeof a).map?.key;
    case 'test': {
      const x = b as typeof a;
      return a.negated === x.negated && a.guard.source === x.guard.source && sameOps(a.guard.sources, x.guard.sources) && a.guard.test === x.guard.test
        && Object.is(a.guard.value, x.guard.value) && samePath(a.guard.path, x.guard.path) && a.guard.map?.key === x.guard.map?.key;
    }
    case 'opaque': return a.key === (b as typeof a).key;
    case 'union': {
      const x = b as typeof a;
      return a.alts.length === x.alts.length && a.alts.every((v) => x.alts.some((w) => sameValue(v, w)));
    }
    case 'unknown': return true;
  }
}

function sameOps(a: readonly Op[] | undefined, b: readonly Op[] | undefined): boolean {
  return (a?.length ?? 0) === (b?.length ?? 0) && (a ?? []).every((o) => b!.includes(o));
}

function sameOpt(a: Value | undefined, b: Value | undefined): boolean {
  return a === b || (!!a && !!b && sameValue(a, b));
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The alternatives of a value (itself when it is not a union). */
/** A value as used by anything but a branch's test: a received value's `also` when it has one. */
export function plain(v: Value): Value {
  if (v.t === 'recv') return v.also ?? v;
  if (v.t === 'union' && v.alts.some((a) => a.t === 'recv' && a.also)) return join(v.alts.map(plain));
  return v;
}

export function alts(v: Value): readonly Value[] {
  return v.t === 'union' ? v.alts : [v];
}

/** The value that is any of these. */
export function join(values: readonly Value[]): Value {
  const flat: Value[] = [];
  for (const v of values) {
    for (const x of alts(v)) {
      if (!flat.some((y) => sameValue(x, y))) flat.push(x);
    }
  }
  if (flat.length === 0) return UNKNOWN;
  if (flat.length === 1) return flat[0]!;
  const same = sameTestOfOneCall(flat);
  if (same) return same;
  let consts = 0;
  for (const x of flat) if (x.t === 'const' || x.t === 'opaque' || x.t === 'recv' || x.t === 'test') consts++;
  let out = flat;
  if (consts > MAX_CONSTS) {
    out = flat.filter((x) => !(x.t === 'const' || x.t === 'opaque' || x.t === 'recv' || x.t === 'test'));
    if (!out.some((x) => x.t === 'unknown')) out.push(UNKNOWN);
  }
  if (out.length > MAX_ALTS) return UNKNOWN;
  return out.length === 1 ? out[0]! : { t: 'union', alts: out };
}

/**
 * Tests that differ only in which execution of one call they test (a loop's first pass, run on its
 * own, and the rest, run on a summary: `open = item !== null` from each) are one test of the
 * call's latest result.
 */
function sameTestOfOneCall(flat: readonly Value[]): Value | undefined {
  const first = flat[0]!;
  if (first.t !== 'test') return undefined;
  const g = first.guard;
  const sources: Op[] = [];
  for (const x of flat) {
    if (x.t !== 'test' || x.negated !== first.negated) return undefined;
    const h = x.guard;
    if (h.test !== g.test || !Object.is(h.value, g.value) || !samePath(h.path, g.path) || h.map?.key !== g.map?.key) return undefined;
    for (const o of h.sources ?? [h.source]) {
      if (o.call !== g.source.call) return undefined;
      if (!sources.includes(o)) sources.push(o);
    }
  }
  return { t: 'test', guard: { ...g, sources }, negated: first.negated };
}

export function join2(a: Value, b: Value): Value {
  if (a === b || sameValue(a, b)) return a;
  return join([a, b]);
}

/** Loop widening: what keeps changing from one pass to the next is no longer a constant. */
/**
 * Unknown because a loop run on a summary changed it from pass to pass (a counter): the analysis
 * lost it, the program did not choose it. A branch on it is no choice a finding may depend on.
 */
export const WIDENED: Value = { t: 'unknown' };

/** Whether `v` is (or may be) a value a summarized loop lost. */
export function isWidened(v: Value): boolean {
  return v === WIDENED || (v.t === 'union' && v.alts.includes(WIDENED));
}

export function widen(old: Value, next: Value): Value {
  const j = join2(old, next);
  if (j.t !== 'union') return j.t === 'const' && !sameValue(old, next) ? WIDENED : j;
  const kept: Value[] = j.alts.filter((x) => x.t !== 'const' && x.t !== 'opaque');
  if (kept.length === j.alts.length) return j;
  if (!kept.some((x) => x.t === 'unknown')) kept.push(WIDENED);
  return kept.length === 1 ? kept[0]! : { t: 'union', alts: kept };
}

/** JavaScript truthiness: true, false, or undefined when it depends on what the analysis cannot see. */
export function truthy(v: Value): boolean | undefined {
  switch (v.t) {
    case 'const': return !!v.v;
    case 'obj': case 'ref': case 'fn': case 'class': case 'host': case 'pending': return true;
    case 'union': {
      let t = 0;
      let f = 0;
      for (const a of v.alts) {
        const x = truthy(a);
        if (x === undefined) return undefined;
        if (x) t++;
        else f++;
      }
      return f === 0 ? true : t === 0 ? false : undefined;
    }
    default: return undefined;
  }
}

/** The constant a value surely is, if any. */
export function constant(v: Value): { v: Prim } | undefined {
  return v.t === 'const' ? { v: v.v } : undefined;
}

export function isNumber(v: Value): v is { t: 'const'; v: number } {
  return v.t === 'const' && typeof v.v === 'number';
}

/** The shim objects a value can be (through unions, not into containers). */
export function sitesOf(v: Value): { site: ObjectSite; end?: 0 | 1 }[] {
  const out: { site: ObjectSite; end?: 0 | 1 }[] = [];
  for (const a of alts(v)) if (a.t === 'obj') out.push(a.end === undefined ? { site: a.site } : { site: a.site, end: a.end });
  return out;
}

/**
 * The value as the facts (rules, checker) see it: arrays become collections, objects records,
 * symbolic and opaque values unknown. Shared structure is converted once; cycles end in unknown.
 */
export function toFacts(v: Value, memo = new Map<HeapObj, AbsValue>(), depth = 0): AbsValue {
  switch (v.t) {
    case 'const': return { t: 'const', v: v.v as ConstValue };
    case 'obj': return v.end === undefined ? { t: 'obj', site: v.site } : { t: 'obj', site: v.site, end: v.end };
    case 'fn': {
      const f: FnValue = { t: 'fn', decl: v.decl, closure: undefined };
      if (v.self && depth < 3) f.self = toFacts(v.self, memo, depth + 1);
      return f;
    }
    case 'pending': return { t: 'pending', pool: v.pool, submit: v.submit };
    case 'union': {
      const out: AbsValue[] = [];
      for (const a of v.alts) {
        const x = toFacts(a, memo, depth);
        if (!out.includes(x) && !(x.t === 'unknown' && out.some((y) => y.t === 'unknown'))) out.push(x);
      }
      return out.length === 1 ? out[0]! : { t: 'union', alts: out };
    }
    case 'ref': {
      const known = memo.get(v.o);
      if (known) return known;
      if (depth > 4) return { t: 'unknown' };
      const o = v.o;
      if (o.kind === 'array') {
        const coll: AbsValue & { t: 'coll' } = { t: 'coll', items: [], length: 'several', depth: 0 };
        memo.set(o, coll);
        const len = o.props.get('length');
        const n = len && len.t === 'const' && typeof len.v === 'number' ? len.v : undefined;
        const rest = o.props.get(REST);
        if (n !== undefined && !rest && !o.summary) {
          coll.length = n;
          for (let i = 0; i < n; i++) coll.items.push(toFacts(o.props.get(String(i)) ?? UNDEFINED, memo, depth + 1));
        } else {
          for (const [k, x] of o.props) if (k !== 'length') coll.items.push(toFacts(x, memo, depth + 1));
        }
        return coll;
      }
      // A class instance is more than its fields (its methods): the rules judge it by its type.
      if (o.kind === 'instance' || o.kind === 'error') return { t: 'unknown' };
      const rec: AbsValue & { t: 'record' } = { t: 'record', fields: new Map() };
      memo.set(o, rec);
      for (const [k, x] of o.props) if (k !== REST) rec.fields.set(k, toFacts(x, memo, depth + 1));
      return rec;
    }
    default: return { t: 'unknown' };
  }
}

/** A short text for keys: equal values give equal texts (objects by identity). */
export function valueKey(v: Value, ids: (x: object) => number, depth = 0): string {
  switch (v.t) {
    case 'const': return typeof v.v === 'string' ? JSON.stringify(v.v) : typeof v.v === 'bigint' ? `${v.v}n` : String(v.v);
    case 'obj': return `o${ids(v.site)}${v.end === undefined ? '' : `.${v.end}`}`;
    case 'ref': return depth > 2 ? `r${ids(v.o)}` : `r${ids(v.o)}`;
    case 'fn': return `f${ids(v.decl)}`;
    case 'class': return `c${ids(v.decl)}`;
    case 'host': return `h${v.name}`;
    case 'pending': return `p${ids(v.submit)}.${v.task}`;
    case 'recv': return `v${ids(v.source)}${v.path.map((p) => `.${p}`).join('')}${v.typeOf ? '~t' : ''}${v.map ? `~${v.map.key}` : ''}`;
    case 'test': return `t${ids(v.guard.source)}`;
    case 'opaque': return `q${v.key}`;
    case 'union': return `(${v.alts.map((a) => valueKey(a, ids, depth + 1)).sort().join('|')})`;
    case 'unknown': return '?';
  }
}
