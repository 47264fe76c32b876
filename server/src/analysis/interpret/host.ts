// What the interpreter knows of the host: JavaScript's built-ins (Math, arrays, strings, Map, Set,
// Object, JSON, Promise), Node's fs, path and os, timers, and the shim's free functions. Computed
// concretely on constants, element by element on arrays the interpreter knows, and on summaries
// otherwise; what is not modelled is unknown (and the values handed to it escape).
import * as nodePath from 'node:path';
import ts from '../typescript';
import type { ShimResolver } from '../shim';
import type { Interpreter } from './interpreter';
import { Abrupt } from './interpreter';
import { FS_READ, FS_WRITE, FS_WRITE_TO } from './shim-model';
import {
  alts, FALSE, join, join2, konst, REST, sitesOf, TRUE, truthy, UNDEFINED, UNKNOWN,
  type FnVal, type HeapObj, type HostVal, type Prim, type Value,
} from './values';

export type HostEnv = Interpreter;

const GLOBALS = new Set([
  'Math', 'JSON', 'Object', 'Array', 'Number', 'String', 'Boolean', 'Promise', 'console', 'process', 'Symbol', 'Map', 'Set',
  'WeakMap', 'WeakSet', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'Date', 'globalThis', 'require', 'BigInt',
  'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'parseInt', 'parseFloat',
  'isNaN', 'isFinite', 'structuredClone', 'Buffer', 'AbortController', 'module', 'exports', '__dirname', '__filename',
]);

const NODE_MODULES: Record<string, string> = {
  fs: 'fs', 'node:fs': 'fs', 'fs/promises': 'fs/promises', 'node:fs/promises': 'fs/promises',
  path: 'path', 'node:path': 'path', os: 'os', 'node:os': 'os', url: 'url', 'node:url': 'url',
  'timers/promises': 'timers/promises', 'node:timers/promises': 'timers/promises', util: 'util', 'node:util': 'util',
  child_process: 'child_process', 'node:child_process': 'child_process', crypto: 'crypto', 'node:crypto': 'crypto',
  events: 'events', 'node:events': 'events', assert: 'assert', 'node:assert': 'assert', 'node:assert/strict': 'assert',
};

export function hostGlobal(name: string): Value | undefined {
  if (name === 'NaN') return konst(NaN);
  if (name === 'Infinity') return konst(Infinity);
  return GLOBALS.has(name) ? { t: 'host', name } : undefined;
}

/** An import of a Node module (`import * as fs from 'node:fs'`, `import { join } from 'path'`, `require('os')`). */
export function hostModuleName(sym: ts.Symbol, checker: ts.TypeChecker, shim: ShimResolver): Value | undefined {
  void checker;
  const decl = sym.declarations?.[0];
  if (!decl) return undefined;
  let spec: ts.Expression | undefined;
  let member: string | undefined;
  if (ts.isImportSpecifier(decl)) {
    spec = decl.parent.parent.parent.moduleSpecifier;
    member = (decl.propertyName ?? decl.name).text;
  } else if (ts.isNamespaceImport(decl)) {
    spec = decl.parent.parent.moduleSpecifier;
  } else if (ts.isImportClause(decl)) {
    spec = decl.parent.moduleSpecifier;
    member = 'default';
  } else if (ts.isImportEqualsDeclaration(decl) && ts.isExternalModuleReference(decl.moduleReference)) {
    spec = decl.moduleReference.expression;
  }
  if (!spec || !ts.isStringLiteral(spec)) return undefined;
  if (shim.isShimModuleName(spec.text)) {
    if (member === undefined || member === 'default') return { t: 'host', name: 'shim' };
    return { t: 'host', name: `shim.${member}` };
  }
  const mod = NODE_MODULES[spec.text];
  if (!mod) return undefined;
  if (member === undefined || member === 'default') return { t: 'host', name: `mod:${mod}` };
  return { t: 'host', name: `mod:${mod}.${member}` };
}

/** A declaration in Node's typings (`@types/node/fs.d.ts`): the member of that module. */
export function hostModuleMember(fileName: string, name: string): Value | undefined {
  const m = /[\\/]@types[\\/]node[\\/](fs|path|os|url|util|crypto|events|child_process)(?:[\\/](promises))?\.d\.ts$/.exec(fileName)
    ?? /[\\/]@types[\\/]node[\\/](fs|timers)[\\/](promises)\.d\.ts$/.exec(fileName);
  if (!m) return undefined;
  const mod = m[2] ? `${m[1]}/${m[2]}` : m[1]!;
  return { t: 'host', name: `mod:${mod}.${name}` };
}

const MATH_CONST: Record<string, number> = { PI: Math.PI, E: Math.E, LN2: Math.LN2, LN10: Math.LN10, SQRT2: Math.SQRT2 };
const NUMBER_CONST: Record<string, number> = {
  MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER, MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER, EPSILON: Number.EPSILON,
  MAX_VALUE: Number.MAX_VALUE, MIN_VALUE: Number.MIN_VALUE, POSITIVE_INFINITY: Infinity, NEGATIVE_INFINITY: -Infinity, NaN: NaN,
};

export function hostProp(I: HostEnv, v: HostVal, key: string): Value {
  if (v.self) return UNKNOWN;
  const name = v.name;
  if (name === 'shim') return { t: 'host', name: `shim.${key}` };
  if (name.startsWith('ns:')) return I.moduleExport(Number(name.slice(3)), key);
  if (name === 'Math' && key in MATH_CONST) return konst(MATH_CONST[key]!);
  if (name === 'Number' && key in NUMBER_CONST) return konst(NUMBER_CONST[key]!);
  if (name === 'process') {
    if (key === 'argv') return I.newArray([UNKNOWN, UNKNOWN], UNKNOWN);
    if (key === 'env') {
      const o = I.newObject('object');
      if (o.t === 'ref') o.o.props.set(REST, UNKNOWN);
      return o;
    }
    if (key === 'pid' || key === 'ppid' || key === 'platform' || key === 'exitCode' || key === 'stdout' || key === 'stderr') return UNKNOWN;
  }
  if (name === 'mod:fs' && key === 'promises') return { t: 'host', name: 'mod:fs/promises' };
  if (name === 'Symbol') return konst(`@@${key}`);
  if (name === 'globalThis') return UNKNOWN;
  if (name === '__dirname' || name === '__filename') return UNKNOWN;
  return { t: 'host', name: `${name}.${key}` };
}

/** Host functions that can throw on their inputs (then a `catch` around them may run). */
export function isThrowingHost(name: string): boolean {
  return name === 'JSON.parse' || name.startsWith('mod:fs') || name === 'new Error' || name.startsWith('mod:child_process')
    || name === 'structuredClone' || name.startsWith('mod:assert') || name === 'Promise.reject';
}

const STRING_METHODS = new Set([
  'toUpperCase', 'toLowerCase', 'trim', 'trimStart', 'trimEnd', 'slice', 'substring', 'substr', 'charAt', 'charCodeAt',
  'startsWith', 'endsWith', 'includes', 'indexOf', 'lastIndexOf', 'padStart', 'padEnd', 'repeat', 'at', 'concat',
  'localeCompare', 'normalize', 'toString', 'valueOf',
]);
const NUMBER_METHODS = new Set(['toFixed', 'toString', 'toPrecision', 'valueOf']);

function prims(args: readonly Value[]): Prim[] | undefined {
  const out: Prim[] = [];
  for (const a of args) {
    if (a.t !== 'const') return undefined;
    out.push(a.v);
  }
  return out;
}

function num(v: Value | undefined): number | undefined {
  return v && v.t === 'const' && typeof v.v === 'number' ? v.v : undefined;
}

/**
 * Arrays longer than this are not listed element by element (`Array.from({ length: 1e9 })` would
 * take the server's memory): they are one summary element. Far above the 256 processes the
 * checker models, and above the data a program of this kind lists.
 */
export const MAX_LISTED = 10_000;
/** Strings longer than this are not computed (`'x'.repeat(1e9)`): unknown. */
const MAX_STRING = 1_000_000;

/** A length the interpreter lists element by element: a whole number up to MAX_LISTED. */
export function listedLength(n: number | undefined): number | undefined {
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= MAX_LISTED ? n : undefined;
}

export function callHost(I: HostEnv, f: HostVal, args: Value[], e: ts.CallExpression | ts.NewExpression | undefined): Value {
  const name = f.name;
  const self = f.self;
  const call = e && ts.isCallExpression(e) ? e : undefined;
  // Methods of values.
  if (self) {
    const dot = name.indexOf('.');
    const kind = name.slice(0, dot);
    const method = name.slice(dot + 1);
    switch (kind) {
      case 'site': {
        const s = sitesOf(self)[0];
        if (s && call) return I.operation(s.site, s.end, method, call, args);
        return UNKNOWN;
      }
      case 'pending': return UNKNOWN;
      case 'array': return arrayMethod(I, self, method, args, e);
      case 'map': case 'set': return collectionMethod(I, self, kind, method, args, e);
      case 'string': {
        const p = prims(args);
        if (self.t === 'const' && typeof self.v === 'string' && p) {
          if (method === 'split') {
            const [sep, limit] = p;
            if (typeof sep === 'string' || sep === undefined) return I.newArray(self.v.split(sep as string, limit as number | undefined).map((x) => konst(x)));
          }
          if (method === 'replace' || method === 'replaceAll') {
            if (typeof p[0] === 'string' && typeof p[1] === 'string') return konst(method === 'replace' ? self.v.replace(p[0], p[1]) : self.v.replaceAll(p[0], p[1]));
            return UNKNOWN;
          }
          if (STRING_METHODS.has(method)) {
            // A result too long to compute is unknown, not a string of a gigabyte.
            const grows = method === 'repeat' ? String(self.v).length * (typeof p[0] === 'number' ? p[0] : 0)
              : method === 'padStart' || method === 'padEnd' ? (typeof p[0] === 'number' ? p[0] : 0) : 0;
            if (!(grows <= MAX_STRING)) return UNKNOWN;
            try {
              return konst((self.v as unknown as Record<string, (...a: Prim[]) => Prim>)[method]!(...p));
            } catch {
              return UNKNOWN;
            }
          }
        }
        if (method === 'split') return I.newArray([], UNKNOWN);
        return UNKNOWN;
      }
      case 'number': {
        const p = prims(args);
        if (self.t === 'const' && typeof self.v === 'number' && p && NUMBER_METHODS.has(method)) {
          try {
            return konst((self.v as unknown as Record<string, (...a: Prim[]) => Prim>)[method]!(...p));
          } catch {
            return UNKNOWN;
          }
        }
        return UNKNOWN;
      }
      case 'boolean': return UNKNOWN;
      case 'function': {
        if (self.t !== 'fn' && self.t !== 'host') return UNKNOWN;
        if (method === 'bind') {
          if (self.t !== 'fn') return self;
          const bound: FnVal = { ...self, self: args[0] ?? UNDEFINED, bound: [...(self.bound ?? []), ...args.slice(1)] };
          return bound;
        }
        if (method === 'call') return I.callValue(self, args.slice(1), args[0], e);
        if (method === 'apply') return I.callValue(self, I.listOf(args[1] ?? UNDEFINED) ?? [], args[0], e);
        return UNKNOWN;
      }
      case 'object': {
        if (method === 'hasOwnProperty' && self.t === 'ref' && args[0]?.t === 'const') {
          if (self.o.summary || self.o.props.has(REST)) return UNKNOWN;
          return konst(self.o.props.has(String(args[0].v)));
        }
        return UNKNOWN;
      }
      default: return UNKNOWN;
    }
  }
  switch (name) {
    case 'shim.isMainProcess': return konst(I.ctx.proc.ref.kind === 'main' && !I.ctx.proc.dry);
    case 'shim.Pipe': case 'shim.Value': case 'shim.SharedArray':
      return e ? I.newShim(name.slice(5), e, args) : UNKNOWN;
    case 'shim.Manager.start': return e ? I.newShim('Manager', e, []) : UNKNOWN;
    case 'shim.currentProcess': case 'shim.parentProcess': case 'shim.activeChildren': case 'shim.cpuCount': return UNKNOWN;
    case 'new shim.Manager': return UNKNOWN;
    case 'console.log': case 'console.error': case 'console.warn': case 'console.info': case 'console.debug': case 'console.dir':
    case 'console.table': case 'console.time': case 'console.timeEnd': case 'console.trace':
      return UNDEFINED;
    case 'require': {
      const spec = args[0];
      if (spec?.t === 'const' && typeof spec.v === 'string') {
        if (I.shim.isShimModuleName(spec.v)) return { t: 'host', name: 'shim' };
        const mod = NODE_MODULES[spec.v];
        if (mod) return { t: 'host', name: `mod:${mod}` };
      }
      return UNKNOWN;
    }
    case 'setTimeout': case 'setInterval': case 'setImmediate': case 'queueMicrotask': case 'process.nextTick':
      I.callbacks(args);
      return UNKNOWN;
    case 'clearTimeout': case 'clearInterval': return UNDEFINED;
    case 'process.exit': case 'process.abort': {
      I.emit({ k: 'exit', how: 'throw' });
      throw new Abrupt(new Set(['t']));
    }
    case 'process.cwd': return { t: 'opaque', key: 'cwd' };
    case 'process.on': case 'process.once': case 'process.off': I.callbacks(args); return UNKNOWN;
    case 'Number': return args.length === 0 ? konst(0) : mapPrim(args[0]!, (x) => Number(x));
    case 'String': return args.length === 0 ? konst('') : mapPrim(args[0]!, (x) => String(x));
    case 'Boolean': {
      const t = truthy(args[0] ?? UNDEFINED);
      return t === undefined ? UNKNOWN : konst(t);
    }
    case 'parseInt': case 'Number.parseInt': return mapPrim(args[0] ?? UNDEFINED, (x) => parseInt(String(x), num(args[1])));
    case 'parseFloat': case 'Number.parseFloat': return mapPrim(args[0] ?? UNDEFINED, (x) => parseFloat(String(x)));
    case 'isNaN': case 'Number.isNaN': return mapPrim(args[0] ?? UNDEFINED, (x) => Number.isNaN(x as number));
    case 'Number.isInteger': return mapPrim(args[0] ?? UNDEFINED, (x) => Number.isInteger(x));
    case 'Number.isFinite': case 'isFinite': return mapPrim(args[0] ?? UNDEFINED, (x) => Number.isFinite(x));
    case 'structuredClone': return I.copy(args[0] ?? UNDEFINED);
    case 'JSON.stringify': {
      const s = concrete(args[0] ?? UNDEFINED);
      if (s === NOT) return UNKNOWN;
      try { return konst(JSON.stringify(s)); } catch { return UNKNOWN; }
    }
    case 'JSON.parse': {
      const a = args[0];
      if (a?.t === 'const' && typeof a.v === 'string') {
        try { return fromPlain(I, JSON.parse(a.v) as unknown); } catch { return UNKNOWN; }
      }
      return UNKNOWN;
    }
    case 'Object.keys': case 'Object.values': case 'Object.entries': {
      const o = args[0] ?? UNDEFINED;
      const keys = I.ownKeys(o);
      if (!keys) return I.newArray([], name === 'Object.keys' ? UNKNOWN : name === 'Object.values' ? I.elementOf(o) : I.newArray([UNKNOWN, I.elementOf(o)]));
      if (name === 'Object.keys') return I.newArray(keys.map((k) => konst(k)));
      if (name === 'Object.values') return I.newArray(keys.map((k) => I.getProp(o, k)));
      return I.newArray(keys.map((k) => I.newArray([konst(k), I.getProp(o, k)])));
    }
    case 'Object.assign': {
      const target = args[0] ?? UNDEFINED;
      for (const src of args.slice(1)) {
        const keys = I.ownKeys(src);
        if (!keys) { I.setProp(target, UNKNOWN, I.elementOf(src)); continue; }
        for (const k of keys) I.setProp(target, konst(k), I.getProp(src, k));
      }
      return target;
    }
    case 'Object.freeze': case 'Object.seal': case 'Object.preventExtensions': return args[0] ?? UNDEFINED;
    case 'Object.fromEntries': {
      const list = I.listOf(args[0] ?? UNDEFINED);
      const o = I.newObject('object') as { t: 'ref'; o: HeapObj };
      if (!list) { o.o.props.set(REST, UNKNOWN); return o; }
      for (const pair of list) {
        const k = I.getProp(pair, '0');
        const v = I.getProp(pair, '1');
        if (k.t === 'const') o.o.props.set(String(k.v), v);
        else o.o.props.set(REST, join2(o.o.props.get(REST) ?? v, v));
      }
      return o;
    }
    case 'Object.create': return I.newObject('object');
    case 'Array.isArray': {
      const answers = alts(args[0] ?? UNDEFINED).map((a) => (a.t === 'ref' ? a.o.kind === 'array' : a.t === 'const' || a.t === 'obj' || a.t === 'fn' ? false : undefined));
      if (answers.every((x) => x === true)) return TRUE;
      if (answers.every((x) => x === false)) return FALSE;
      return UNKNOWN;
    }
    case 'Array.of': return I.newArray(args);
    case 'Array': case 'new Array': {
      const n = num(args[0]);
      const listed = listedLength(n);
      if (args.length === 1 && listed !== undefined) return I.newArray(Array.from({ length: listed }, () => UNDEFINED));
      if (args.length === 1 && n !== undefined) return I.newArray([], UNDEFINED);
      if (args.length === 1 && args[0]!.t !== 'const') return I.newArray([], UNDEFINED);
      return I.newArray(args);
    }
    case 'Array.from': {
      const src = args[0] ?? UNDEFINED;
      const fn = args[1];
      let list = I.listOf(src);
      if (!list) {
        const len = listedLength(num(I.getProp(src, 'length')));
        if (len !== undefined && src.t === 'ref' && src.o.kind !== 'array') list = Array.from({ length: len }, () => UNDEFINED);
      }
      if (!fn || (fn.t !== 'fn' && fn.t !== 'host')) return list ? I.newArray(list) : I.newArray([], I.elementOf(src));
      return mapList(I, list, list ? undefined : I.elementOf(src), fn, e, (r) => r);
    }
    case 'Promise.all': {
      const list = I.listOf(args[0] ?? UNDEFINED);
      return list ? I.newArray(list) : I.newArray([], I.elementOf(args[0] ?? UNDEFINED));
    }
    case 'Promise.allSettled': return I.newArray([], UNKNOWN);
    case 'Promise.race': case 'Promise.any': {
      const list = I.listOf(args[0] ?? UNDEFINED);
      return list && list.length > 0 ? join(list) : UNKNOWN;
    }
    case 'Promise.resolve': return args[0] ?? UNDEFINED;
    case 'Promise.reject': {
      I.ctx.mayThrow = true;
      return UNKNOWN;
    }
    case 'new Promise': {
      const executor = args[0];
      if (executor?.t === 'fn') I.invoke(executor, [{ t: 'host', name: 'promise.resolve' }, { t: 'host', name: 'promise.reject' }], undefined, e);
      return UNKNOWN;
    }
    case 'promise.resolve': case 'promise.reject': return UNDEFINED;
    case 'new Map': case 'new WeakMap': {
      const m = I.newObject('map') as { t: 'ref'; o: HeapObj };
      const init = args[0];
      if (init && !(init.t === 'const' && init.v === undefined)) {
        const list = I.listOf(init);
        if (!list) m.o.props.set(REST, I.getProp(I.elementOf(init), '1'));
        else for (const pair of list) mapSet(I, m, I.getProp(pair, '0'), I.getProp(pair, '1'));
      }
      return m;
    }
    case 'new Set': case 'new WeakSet': {
      const s = I.newObject('set') as { t: 'ref'; o: HeapObj };
      const init = args[0];
      if (init && !(init.t === 'const' && init.v === undefined)) {
        const list = I.listOf(init);
        if (!list) s.o.props.set(REST, I.elementOf(init));
        else for (const x of list) mapSet(I, s, x, x);
      }
      return s;
    }
    case 'new Error': case 'new TypeError': case 'new RangeError': case 'new SyntaxError': case 'Error': {
      const o = I.newObject('error') as { t: 'ref'; o: HeapObj };
      o.o.props.set('message', args[0] ?? konst(''));
      return o;
    }
    case 'new Date': case 'Date.now': return UNKNOWN;
    case 'Math.random': return UNKNOWN;
    // Node's path, os, fs.
    case 'mod:os.tmpdir': return { t: 'opaque', key: 'os.tmpdir()' };
    case 'mod:os.homedir': return { t: 'opaque', key: 'os.homedir()' };
    case 'mod:os.cpus': return I.newArray([], UNKNOWN);
    case 'mod:url.fileURLToPath': {
      const a = args[0];
      if (a?.t === 'const' && typeof a.v === 'string' && a.v.startsWith('file://')) return konst(decodeURIComponent(a.v.slice(7)));
      return a?.t === 'opaque' ? { t: 'opaque', key: `fileURLToPath(${a.key})` } : UNKNOWN;
    }
    case 'mod:fs.mkdtempSync': case 'mod:fs/promises.mkdtemp': case 'mod:fs.mkdtemp':
      return I.opaqueValue('mkdtemp');
    case 'mod:timers/promises.setTimeout': case 'mod:timers/promises.setImmediate': return UNKNOWN;
    default:
  }
  if (name.startsWith('Math.')) {
    const fn = (Math as unknown as Record<string, unknown>)[name.slice(5)];
    const p = prims(args);
    if (typeof fn === 'function' && p) {
      try { return konst((fn as (...a: Prim[]) => number)(...p)); } catch { return UNKNOWN; }
    }
    // Math.min/max over unions of constants: each combination.
    if (typeof fn === 'function' && args.length <= 3 && args.every((a) => alts(a).every((x) => x.t === 'const'))) {
      const combos = cartesian(args.map((a) => alts(a).map((x) => (x as { v: Prim }).v)));
      if (combos.length <= 16) return join(combos.map((c) => konst((fn as (...a: Prim[]) => number)(...c))));
    }
    return UNKNOWN;
  }
  if (name.startsWith('mod:path.')) return pathCall(name.slice(9), args);
  if (name.startsWith('mod:fs.') || name.startsWith('mod:fs/promises.')) {
    const fnName = name.slice(name.lastIndexOf('.') + 1);
    if (call && (FS_READ.has(fnName) || FS_WRITE.has(fnName))) {
      I.fileOp(call, FS_READ.has(fnName) ? 'read' : 'write', args[0] ?? UNKNOWN);
      I.callbacks(args);
      return UNKNOWN;
    }
    // `rename(scratch, file)`: the usual way to replace a file whole, still a write of `file`.
    if (call && FS_WRITE_TO.has(fnName)) {
      I.fileOp(call, 'write', args[1] ?? UNKNOWN);
      I.callbacks(args);
      return UNKNOWN;
    }
    I.callbacks(args);
    return UNKNOWN;
  }
  if (name.startsWith('mod:')) {
    I.callbacks(args);
    return UNKNOWN;
  }
  if (name.startsWith('console.')) return UNDEFINED;
  // Anything else of the host: unknown, and the functions handed to it may run at any time.
  I.callbacks(args);
  if (!name.startsWith('Math.') && !name.startsWith('JSON.')) I.escape(args);
  return UNKNOWN;
}

function cartesian(lists: Prim[][]): Prim[][] {
  let out: Prim[][] = [[]];
  for (const l of lists) out = out.flatMap((c) => l.map((x) => [...c, x]));
  return out;
}

function mapPrim(v: Value, f: (x: Prim) => Prim): Value {
  const out: Value[] = [];
  for (const a of alts(v)) {
    if (a.t !== 'const') return UNKNOWN;
    try { out.push(konst(f(a.v))); } catch { return UNKNOWN; }
  }
  return join(out);
}

/** `path.join(tmp, 'db.json')`: a constant of constants, an opaque value of opaque parts. */
function pathCall(fn: string, args: Value[]): Value {
  const impl = (nodePath.posix as unknown as Record<string, unknown>)[fn];
  const p = prims(args);
  if (typeof impl === 'function' && p && p.every((x) => typeof x === 'string') && fn !== 'resolve') {
    try { return konst((impl as (...a: string[]) => string)(...(p as string[]))); } catch { return UNKNOWN; }
  }
  if (args.every((a) => a.t === 'opaque' || (a.t === 'const' && typeof a.v === 'string'))) {
    const parts = args.map((a) => (a.t === 'opaque' ? `{${a.key}}` : JSON.stringify((a as { v: string }).v)));
    return { t: 'opaque', key: `path.${fn}(${parts.join(',')})` };
  }
  return UNKNOWN;
}

const NOT = Symbol('not');

/** A fully known value as plain data (for JSON.stringify), or NOT. */
function concrete(v: Value, depth = 0): unknown {
  if (depth > 8) return NOT;
  if (v.t === 'const') return typeof v.v === 'bigint' ? NOT : v.v;
  if (v.t !== 'ref' || v.o.summary || v.o.props.has(REST)) return NOT;
  if (v.o.kind === 'array') {
    const len = v.o.props.get('length');
    if (!len || len.t !== 'const' || typeof len.v !== 'number') return NOT;
    const out: unknown[] = [];
    for (let i = 0; i < len.v; i++) {
      const x = concrete(v.o.props.get(String(i)) ?? { t: 'const', v: undefined }, depth + 1);
      if (x === NOT) return NOT;
      out.push(x);
    }
    return out;
  }
  if (v.o.kind !== 'object') return NOT;
  const out: Record<string, unknown> = {};
  for (const [k, x] of v.o.props) {
    const c = concrete(x, depth + 1);
    if (c === NOT) return NOT;
    out[k] = c;
  }
  return out;
}

function fromPlain(I: HostEnv, x: unknown, depth = 0): Value {
  if (depth > 8) return UNKNOWN;
  if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return konst(x);
  if (Array.isArray(x)) return I.newArray(x.map((y) => fromPlain(I, y, depth + 1)));
  if (typeof x === 'object') {
    const o = I.newObject('object') as { t: 'ref'; o: HeapObj };
    for (const [k, y] of Object.entries(x as Record<string, unknown>)) o.o.props.set(k, fromPlain(I, y, depth + 1));
    return o;
  }
  return UNKNOWN;
}

// ---- arrays ----

/**
 * `list.map(fn)` and friends: the callback runs once per element, iteration by iteration when the
 * list is known (an element's own value, its index), on a summary otherwise.
 */
function mapList(I: HostEnv, list: Value[] | undefined, element: Value | undefined, fn: Value, e: ts.Node | undefined, keep: (r: Value, item: Value) => Value | null, arr?: Value): Value {
  const results: Value[] = [];
  let unknownLength = !list;
  const call = (item: Value, index: Value): Value => I.callValue(fn, [item, index, arr ?? UNKNOWN], undefined, e as ts.CallExpression | undefined);
  if (list) {
    const items = list;
    let i = 0;
    I.loop(() => konst(i < items.length), () => {
      const idx = i++;
      const item = items[idx]!;
      const r = call(item, konst(idx));
      const k = keep(r, item);
      if (k === null) return;
      if (k.t === 'unknown' && keepIsFilter(keep)) { unknownLength = true; results.push(item); return; }
      results.push(k);
    }, { ...(items.length > 256 ? { count: items.length } : {}), ...(e ? { node: e } : {}) });
  } else {
    I.loop(undefined, () => {
      const r = call(element ?? UNKNOWN, UNKNOWN);
      const k = keep(r, element ?? UNKNOWN);
      if (k !== null) results.push(k.t === 'unknown' && keepIsFilter(keep) ? element ?? UNKNOWN : k);
    }, { count: 'several', ...(element ? { over: element } : {}), ...(e ? { node: e } : {}) });
  }
  if (unknownLength) return I.newArray([], results.length > 0 ? join(results) : UNKNOWN);
  return I.newArray(results);
}

const FILTERS = new WeakSet<object>();
function keepIsFilter(f: object): boolean {
  return FILTERS.has(f);
}

function arrayLength(o: HeapObj): number | undefined {
  if (o.summary || o.props.has(REST)) return undefined;
  const len = o.props.get('length');
  return len && len.t === 'const' && typeof len.v === 'number' ? len.v : undefined;
}

function arrayMethod(I: HostEnv, self: Value, method: string, args: Value[], e: ts.CallExpression | ts.NewExpression | undefined): Value {
  if (self.t !== 'ref') return UNKNOWN;
  const o = self.o;
  const list = I.listOf(self);
  const fn = args[0];
  const map = o.props as Map<unknown, Value>;
  switch (method) {
    case 'push': {
      const n = arrayLength(o);
      if (n !== undefined) {
        args.forEach((a, i) => { I.store.set(map, String(n + i), a); I.noteHome(o, String(n + i), a); });
        I.store.set(map, 'length', konst(n + args.length));
        return konst(n + args.length);
      }
      for (const a of args) { I.store.set(map, REST, join2(o.props.get(REST) ?? a, a)); I.noteHome(o, REST, a); }
      I.store.set(map, 'length', UNKNOWN);
      return UNKNOWN;
    }
    case 'unshift': {
      if (list) {
        const next = [...args, ...list];
        next.forEach((v, i) => I.store.set(map, String(i), v));
        I.store.set(map, 'length', konst(next.length));
        return konst(next.length);
      }
      for (const a of args) I.store.set(map, REST, join2(o.props.get(REST) ?? a, a));
      return UNKNOWN;
    }
    case 'pop': case 'shift': {
      if (list) {
        if (list.length === 0) return UNDEFINED;
        const rest = method === 'pop' ? list.slice(0, -1) : list.slice(1);
        const out = method === 'pop' ? list[list.length - 1]! : list[0]!;
        rest.forEach((v, i) => I.store.set(map, String(i), v));
        I.store.delete(map, String(list.length - 1));
        I.store.set(map, 'length', konst(rest.length));
        return out;
      }
      I.store.set(map, 'length', UNKNOWN);
      return join2(I.elementOf(self), UNDEFINED);
    }
    case 'splice': {
      const start = num(args[0]);
      const count = args.length > 1 ? num(args[1]) : list ? list.length : undefined;
      if (list && start !== undefined && count !== undefined) {
        const next = [...list];
        const removed = next.splice(start, count, ...args.slice(2));
        for (let i = 0; i < list.length; i++) I.store.delete(map, String(i));
        next.forEach((v, i) => I.store.set(map, String(i), v));
        I.store.set(map, 'length', konst(next.length));
        return I.newArray(removed);
      }
      const all = join([I.elementOf(self), ...args.slice(2)]);
      I.store.set(map, REST, all);
      I.store.set(map, 'length', UNKNOWN);
      return I.newArray([], all);
    }
    case 'slice': {
      const from = args[0] === undefined ? 0 : num(args[0]);
      const to = args[1] === undefined ? undefined : num(args[1]);
      if (list && from !== undefined && (args[1] === undefined || to !== undefined)) return I.newArray(list.slice(from, to));
      return I.newArray([], I.elementOf(self));
    }
    case 'concat': {
      const parts: Value[] = list ? [...list] : [];
      let rest: Value | undefined = list ? undefined : I.elementOf(self);
      for (const a of args) {
        const l = I.listOf(a);
        const isArr = a.t === 'ref' && a.o.kind === 'array';
        if (rest) rest = join2(rest, isArr ? I.elementOf(a) : a);
        else if (isArr && l) parts.push(...l);
        else if (isArr) rest = join([...parts, I.elementOf(a)]);
        else parts.push(a);
      }
      return rest ? I.newArray([], rest) : I.newArray(parts);
    }
    case 'map': return fnLike(fn) ? mapList(I, list, list ? undefined : I.elementOf(self), fn!, e, (r) => r, self) : I.newArray([], UNKNOWN);
    case 'flatMap': {
      if (!fnLike(fn)) return I.newArray([], UNKNOWN);
      const mapped = mapList(I, list, list ? undefined : I.elementOf(self), fn!, e, (r) => r, self);
      return flatten(I, mapped);
    }
    case 'forEach': {
      if (fnLike(fn)) mapList(I, list, list ? undefined : I.elementOf(self), fn!, e, () => null, self);
      return UNDEFINED;
    }
    case 'filter': {
      if (!fnLike(fn)) return I.newArray([], I.elementOf(self));
      const keep = (r: Value, item: Value): Value | null => {
        const t = truthy(r);
        return t === true ? item : t === false ? null : UNKNOWN;
      };
      FILTERS.add(keep);
      return mapList(I, list, list ? undefined : I.elementOf(self), fn!, e, keep, self);
    }
    case 'find': case 'findLast': case 'findIndex': case 'findLastIndex': case 'some': case 'every': {
      if (!fnLike(fn)) return UNKNOWN;
      const idx = method.includes('Index');
      const found: Value[] = [];
      let decided: Value | undefined;
      const items = list ? (method.startsWith('findLast') ? [...list].reverse() : list) : undefined;
      if (items) {
        let i = 0;
        let done = false;
        I.loop(() => konst(!done && i < items.length), () => {
          const k = i++;
          const realIndex = method.startsWith('findLast') ? items.length - 1 - k : k;
          const r = I.callValue(fn!, [items[k]!, konst(realIndex), self], undefined, e as ts.CallExpression | undefined);
          const t = truthy(r);
          if (method === 'every') {
            if (t === false) { decided = FALSE; done = true; }
            else if (t === undefined) found.push(UNKNOWN);
            return;
          }
          if (t === true) {
            decided = method === 'some' ? TRUE : idx ? konst(realIndex) : items[k]!;
            done = true;
          } else if (t === undefined) {
            found.push(method === 'some' ? TRUE : idx ? konst(realIndex) : items[k]!);
          }
        });
        const none = method === 'some' ? FALSE : method === 'every' ? TRUE : idx ? konst(-1) : UNDEFINED;
        if (found.length === 0) return decided ?? none;
        return join([...found, decided ?? none]);
      }
      mapList(I, undefined, I.elementOf(self), fn!, e, () => null, self);
      if (method === 'some' || method === 'every') return UNKNOWN;
      return idx ? UNKNOWN : join2(I.elementOf(self), UNDEFINED);
    }
    case 'reduce': case 'reduceRight': {
      if (!fnLike(fn)) return UNKNOWN;
      const items = list ? (method === 'reduceRight' ? [...list].reverse() : list) : undefined;
      if (items) {
        let acc: Value = args.length > 1 ? args[1]! : items[0] ?? UNDEFINED;
        let i = args.length > 1 ? 0 : 1;
        I.loop(() => konst(i < items.length), () => {
          const k = i++;
          acc = I.callValue(fn!, [acc, items[k]!, konst(k), self], undefined, e as ts.CallExpression | undefined);
        });
        return acc;
      }
      let acc: Value = args[1] ?? I.elementOf(self);
      I.loop(undefined, () => { acc = join2(acc, I.callValue(fn!, [acc, I.elementOf(self), UNKNOWN, self], undefined, e as ts.CallExpression | undefined)); }, { count: 'several' });
      return join2(acc, UNKNOWN);
    }
    case 'includes': case 'indexOf': case 'lastIndexOf': {
      const x = args[0] ?? UNDEFINED;
      if (list && x.t === 'const' && list.every((v) => v.t === 'const')) {
        const vals = list.map((v) => (v as { v: Prim }).v);
        return konst(method === 'includes' ? vals.includes(x.v) : method === 'indexOf' ? vals.indexOf(x.v) : vals.lastIndexOf(x.v));
      }
      if (list && list.every((v) => v.t === 'obj' || v.t === 'ref') && (x.t === 'obj' || x.t === 'ref')) {
        const i = list.findIndex((v) => (v.t === 'obj' && x.t === 'obj' ? v.site === x.site && v.end === x.end : v.t === 'ref' && x.t === 'ref' && v.o === x.o));
        return method === 'includes' ? konst(i >= 0) : konst(i);
      }
      return UNKNOWN;
    }
    case 'join': {
      const sep = args[0] === undefined ? ',' : args[0].t === 'const' ? String(args[0].v) : undefined;
      if (list && sep !== undefined && list.every((v) => v.t === 'const')) return konst(list.map((v) => String((v as { v: Prim }).v ?? '')).join(sep));
      return UNKNOWN;
    }
    case 'reverse': {
      if (list) {
        [...list].reverse().forEach((v, i) => I.store.set(map, String(i), v));
        return self;
      }
      return self;
    }
    case 'sort': case 'toSorted': {
      const target = method === 'sort' ? self : I.newArray(list ?? [], list ? undefined : I.elementOf(self));
      if (!list) return target;
      const sorted = sortList(I, list, fn, e);
      const tmap = (target as { o: HeapObj }).o.props as Map<unknown, Value>;
      if (sorted) sorted.forEach((v, i) => I.store.set(tmap, String(i), v));
      else { const all = join(list); list.forEach((_, i) => I.store.set(tmap, String(i), all)); }
      return target;
    }
    case 'at': {
      const i = num(args[0]);
      if (list && i !== undefined) return list[i < 0 ? list.length + i : i] ?? UNDEFINED;
      return join2(I.elementOf(self), UNDEFINED);
    }
    case 'fill': {
      const v = args[0] ?? UNDEFINED;
      if (list && args.length <= 1) list.forEach((_, i) => I.store.set(map, String(i), v));
      else I.store.set(map, REST, v);
      return self;
    }
    case 'flat': return flatten(I, self);
    case 'keys': return list ? I.newArray(list.map((_, i) => konst(i))) : I.newArray([], UNKNOWN);
    case 'values': case '@@iterator': return list ? I.newArray(list) : I.newArray([], I.elementOf(self));
    case 'entries': return list ? I.newArray(list.map((v, i) => I.newArray([konst(i), v]))) : I.newArray([], I.newArray([UNKNOWN, I.elementOf(self)]));
    case 'toString': return UNKNOWN;
    default: return UNKNOWN;
  }
}

function fnLike(v: Value | undefined): boolean {
  return !!v && (v.t === 'fn' || v.t === 'host' || (v.t === 'union' && v.alts.every((a) => a.t === 'fn')));
}

function flatten(I: HostEnv, v: Value): Value {
  const list = I.listOf(v);
  if (!list) return I.newArray([], UNKNOWN);
  const out: Value[] = [];
  for (const x of list) {
    if (x.t === 'ref' && x.o.kind === 'array') {
      const inner = I.listOf(x);
      if (!inner) return I.newArray([], join([...out, I.elementOf(x)]));
      out.push(...inner);
    } else {
      out.push(x);
    }
  }
  return I.newArray(out);
}

/** Sorts a known list by running the comparator on each pair it needs; undefined when an answer is unknown. */
function sortList(I: HostEnv, list: Value[], cmp: Value | undefined, e: ts.Node | undefined): Value[] | undefined {
  if (!cmp || cmp.t === 'const') {
    if (!list.every((v) => v.t === 'const')) return undefined;
    return [...list].sort((a, b) => {
      const x = String((a as { v: Prim }).v);
      const y = String((b as { v: Prim }).v);
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  if (list.length > 64) return undefined;
  let unknown = false;
  const out = [...list];
  // Insertion sort: stable, as JavaScript's sort is.
  const saved = I.ctx.out;
  I.ctx.out = [];
  try {
    for (let i = 1; i < out.length && !unknown; i++) {
      for (let j = i; j > 0; j--) {
        const r = I.callValue(cmp, [out[j - 1]!, out[j]!], undefined, e as ts.CallExpression | undefined);
        if (r.t !== 'const' || typeof r.v !== 'number') { unknown = true; break; }
        if (r.v > 0) [out[j - 1], out[j]] = [out[j]!, out[j - 1]!];
        else break;
      }
    }
  } finally {
    I.ctx.out = saved;
  }
  return unknown ? undefined : out;
}

// ---- Map and Set ----

function keyText(k: Value): string | undefined {
  if (k.t === 'const') return JSON.stringify([typeof k.v, k.v === undefined ? null : typeof k.v === 'bigint' ? String(k.v) : k.v]);
  if (k.t === 'obj') return `obj:${k.site.label}:${k.site.node.pos}:${k.end ?? ''}:${objectId(k.site)}`;
  if (k.t === 'ref') return `ref:${k.o.id}`;
  return undefined;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;
function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId++));
  return id;
}

function mapSet(I: HostEnv, m: { t: 'ref'; o: HeapObj }, k: Value, v: Value): void {
  const map = m.o.props as Map<unknown, Value>;
  const text = alts(k).length === 1 ? keyText(k) : undefined;
  if (text === undefined || m.o.summary) {
    I.store.set(map, REST, join2(m.o.props.get(REST) ?? v, v));
    return;
  }
  I.store.set(map, `k:${text}`, k);
  I.store.set(map, `v:${text}`, v);
}

/** What the entries of a map or set whose entries are not all listed may hold: every value set. */
function heldValues(o: HeapObj): Value {
  const all = valuesSet(o);
  return all.length === 0 ? UNKNOWN : join(all);
}

/** Every value set in a map or set: under a known key, or under any (REST). */
function valuesSet(o: HeapObj): Value[] {
  const all: Value[] = [];
  for (const [key, v] of o.props) if (key.startsWith('v:') || key === REST) all.push(v);
  return all;
}

/** The keys of such a map: those known, and any other (the entries set with a computed key). */
function heldKeys(o: HeapObj): Value {
  const all: Value[] = [UNKNOWN];
  for (const [key, k] of o.props) if (key.startsWith('k:')) all.push(k);
  return join(all);
}

function collectionMethod(I: HostEnv, self: Value, kind: 'map' | 'set', method: string, args: Value[], e: ts.CallExpression | ts.NewExpression | undefined): Value {
  if (self.t !== 'ref') return UNKNOWN;
  const o = self.o;
  const k = args[0] ?? UNDEFINED;
  const text = alts(k).length === 1 ? keyText(k) : undefined;
  const rest = o.props.get(REST);
  switch (method) {
    case 'set': mapSet(I, self, k, args[1] ?? UNDEFINED); return self;
    case 'add': mapSet(I, self, k, k); return self;
    case 'get': {
      if (text !== undefined) {
        const v = o.props.get(`v:${text}`);
        if (v) return rest ? join2(v, rest) : v;
        return rest || o.summary ? join2(rest ?? UNKNOWN, UNDEFINED) : UNDEFINED;
      }
      return join([UNDEFINED, ...valuesSet(o)]);
    }
    case 'has': {
      if (text !== undefined && o.props.has(`v:${text}`)) return TRUE;
      if (text !== undefined && !rest && !o.summary) return FALSE;
      return UNKNOWN;
    }
    case 'delete': {
      if (text !== undefined) {
        I.store.delete(o.props as Map<unknown, Value>, `v:${text}`);
        I.store.delete(o.props as Map<unknown, Value>, `k:${text}`);
      } else {
        // A key the analysis does not know (a received value): any one entry may be gone, so what
        // is left, and how many, is no longer known exactly (`while (pending.size > 0)
        // pending.delete(await q.get())` runs as often as the messages say, not for ever).
        const entries = [...o.props].filter(([key]) => key.startsWith('v:'));
        if (entries.length > 0) {
          I.store.set(o.props as Map<unknown, Value>, REST, join([...(rest ? [rest] : []), ...entries.map(([, v]) => v)]));
          for (const [key] of [...o.props]) if (key.startsWith('v:') || key.startsWith('k:')) I.store.delete(o.props as Map<unknown, Value>, key);
        }
      }
      return UNKNOWN;
    }
    case 'clear': {
      for (const key of [...o.props.keys()]) I.store.delete(o.props as Map<unknown, Value>, key);
      return UNDEFINED;
    }
    case 'forEach': {
      const fn = args[0];
      if (!fnLike(fn)) return UNDEFINED;
      const list = I.listOf(self);
      if (list) {
        for (const item of list) {
          if (kind === 'map') I.callValue(fn!, [I.getProp(item, '1'), I.getProp(item, '0'), self], undefined, e as ts.CallExpression | undefined);
          else I.callValue(fn!, [item, item, self], undefined, e as ts.CallExpression | undefined);
        }
      } else {
        const v = heldValues(o);
        const key = kind === 'set' ? v : heldKeys(o);
        I.loop(undefined, () => { I.callValue(fn!, [v, key, self], undefined, e as ts.CallExpression | undefined); }, { count: 'several' });
      }
      return UNDEFINED;
    }
    case 'keys': case 'values': case 'entries': case '@@iterator': {
      const list = I.listOf(self);
      if (!list) {
        // Entries whose keys are not all known (set in a loop with computed keys): how many is not
        // known, but what they hold is.
        const v = heldValues(o);
        const key = kind === 'set' ? v : heldKeys(o);
        if (method === 'values' || (method === '@@iterator' && kind === 'set')) return I.newArray([], v);
        if (method === 'keys') return I.newArray([], key);
        return I.newArray([], I.newArray([key, v]));
      }
      if (kind === 'set') return I.newArray(method === 'entries' ? list.map((x) => I.newArray([x, x])) : list);
      if (method === 'keys') return I.newArray(list.map((p) => I.getProp(p, '0')));
      if (method === 'values') return I.newArray(list.map((p) => I.getProp(p, '1')));
      return I.newArray(list);
    }
    default: return UNKNOWN;
  }
}
