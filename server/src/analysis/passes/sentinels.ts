// Loops that consume a queue until a sentinel, read from each process's flow and its branch guards
// (so it does not matter how the test is written: a helper, a variable, a field of the message):
// which test ends the loop (`sentinelLoop`, for missing-sentinel and get-without-producer), whether
// a put's value passes it (`endsLoop`), and, per queue node of the model, that value and how many of
// it the program can put (`annotateSentinels`: the model's `ModelNode.sentinel`, which the hover,
// the graph and the CLI's JSON show). All three use the same reading, so they agree.
import type ts from 'typescript';
import type { Multiplicity } from '../../../../common/model';
import { processMultiplicity, type BranchGuard, type ConstValue, type Extraction, type Flow, type ObjectSite, type Op } from '../facts';
import { guardAnswer } from '../guards';
import { typeofByType, valueMatches } from '../rule-helpers';
import type { Topology } from '../topology';

/** A constant as written in code: `null`, `undefined`, `"STOP"`, `-1`. */
export function written(v: ConstValue): string {
  return v === null ? 'null' : v === undefined ? 'undefined' : JSON.stringify(v);
}

/**
 * Sets `sentinel` on each queue node whose consumers stop at a sentinel: the value, and how many
 * of it can be put, all processes together ("several" when not known).
 */
export function annotateSentinels(ex: Extraction, topology: Topology, checker: ts.TypeChecker): void {
  const nodes = new Map(topology.nodes.map((n) => [n.id, n]));
  // One pass over the operations: each queue's puts and blocking gets.
  const opsOf = new Map<ObjectSite, { puts: Op[]; gets: Op[] }>();
  for (const op of ex.ops) {
    if (op.obj.kind !== 'queue' || op.obj.unknown || !(op.kind === 'put' || (op.kind === 'get' && op.blocking))) continue;
    let entry = opsOf.get(op.obj);
    if (!entry) opsOf.set(op.obj, (entry = { puts: [], gets: [] }));
    (op.kind === 'put' ? entry.puts : entry.gets).push(op);
  }
  for (const [queue, { puts, gets }] of opsOf) {
    const node = nodes.get(topology.idOf(queue));
    if (!node || node.kind !== 'queue' || node.sentinel) continue;
    let loop: SentinelLoop | undefined;
    for (const get of gets) {
      loop = sentinelLoop(ex, get);
      if (loop) break;
    }
    if (!loop) continue;
    let count: Multiplicity = 0;
    for (const put of puts) {
      const verdict = endsLoop(put, loop, checker);
      if (verdict === 'no') continue;
      const procs = processMultiplicity(put.proc);
      if (verdict === 'maybe' || typeof put.count !== 'number' || procs === 'several' || count === 'several') {
        count = 'several';
        continue;
      }
      count += put.count * procs;
    }
    if (!loop.stop.map) node.sentinel = { value: written(loop.value), count };
  }
}

/**
 * An endless loop around a blocking get whose every way out (a `break` of the loop, a `return`)
 * runs only when what that get returned passes one test: `if (item === null) break`,
 * `if (!item) break`, `if ((await q.get()) === 'STOP') return`, `switch (msg.kind) { case 'stop':
 * return; … }`. Read from the process's flow and its branch guards, so it does not matter how the
 * test is written (a helper, a variable, a field of the message).
 */
export interface SentinelLoop {
  /** The test the value must pass to end the loop (as a branch guard of the get). */
  stop: BranchGuard;
  /** True: the loop ends when the test holds; false: when it fails (`if (!item) break`). */
  when: boolean;
  /** A constant that ends the loop, for messages and fixes. */
  value: ConstValue;
}

/** Per extraction (a function of it alone, so kept beside it rather than in a rule). */
const cache = new WeakMap<Extraction, Map<Op, SentinelLoop>>();

/** Per blocking get, the sentinel test of the endless loop around it (if it is one). */
export function sentinelLoops(ex: Extraction): Map<Op, SentinelLoop> {
  let out = cache.get(ex);
  if (out) return out;
  out = new Map();
  for (const flow of ex.flows.values()) findLoops(flow, out);
  cache.set(ex, out);
  return out;
}

export function sentinelLoop(ex: Extraction, get: Op): SentinelLoop | undefined {
  return sentinelLoops(ex).get(get);
}

function findLoops(f: Flow, out: Map<Op, SentinelLoop>): void {
  switch (f.k) {
    case 'seq': f.items.forEach((x) => findLoops(x, out)); return;
    case 'branch': f.alts.forEach((x) => findLoops(x, out)); return;
    case 'call': findLoops(f.body, out); return;
    case 'try':
      findLoops(f.body, out);
      if (f.handler) findLoops(f.handler, out);
      if (f.finalizer) findLoops(f.finalizer, out);
      return;
    case 'loop':
      if (f.count === 'loop') classify(f.body, out);
      findLoops(f.body, out);
      return;
    default:
  }
}

/** The exits of an endless loop's body with the guards on their way, and the gets it runs itself. */
function classify(body: Flow, out: Map<Op, SentinelLoop>): void {
  const exits: { guards: { g: BranchGuard; alt: number }[] }[] = [];
  const gets: Op[] = [];
  const walk = (f: Flow, guards: { g: BranchGuard; alt: number }[], inCall: boolean): void => {
    switch (f.k) {
      case 'op': if (f.op.kind === 'get' && f.op.blocking && !inCall) gets.push(f.op); else if (f.op.kind === 'get' && f.op.blocking) gets.push(f.op); return;
      case 'seq': f.items.forEach((x) => walk(x, guards, inCall)); return;
      case 'branch': f.alts.forEach((x, i) => walk(x, f.guard && f.alts.length === 2 ? [...guards, { g: f.guard, alt: i }] : guards, inCall)); return;
      case 'call': walk(f.body, guards, true); return;
      case 'try':
        walk(f.body, guards, inCall);
        if (f.handler) walk(f.handler, guards, inCall);
        if (f.finalizer) walk(f.finalizer, guards, inCall);
        return;
      case 'loop': {
        // A nested loop's breaks are its own; its returns still leave.
        const inner: { guards: { g: BranchGuard; alt: number }[] }[] = [];
        const walkInner = (x: Flow, gs: { g: BranchGuard; alt: number }[], call: boolean): void => {
          switch (x.k) {
            case 'exit': if (x.how === 'return' && !call) inner.push({ guards: gs }); return;
            case 'seq': x.items.forEach((y) => walkInner(y, gs, call)); return;
            case 'branch': x.alts.forEach((y, i) => walkInner(y, x.guard && x.alts.length === 2 ? [...gs, { g: x.guard, alt: i }] : gs, call)); return;
            case 'call': walkInner(x.body, gs, true); return;
            case 'loop': walkInner(x.body, gs, call); return;
            case 'try': walkInner(x.body, gs, call); if (x.handler) walkInner(x.handler, gs, call); if (x.finalizer) walkInner(x.finalizer, gs, call); return;
            default:
          }
        };
        walkInner(f.body, guards, inCall);
        exits.push(...inner);
        return;
      }
      case 'exit':
        if ((f.how === 'break' && !inCall) || (f.how === 'return' && !inCall)) exits.push({ guards });
        return;
    }
  };
  walk(body, [], false);
  if (exits.length === 0) return;
  let found: { stop: BranchGuard; when: boolean } | undefined;
  for (const e of exits) {
    // The innermost test of a get of this loop on the way to the exit.
    const test = [...e.guards].reverse().find((x) => (x.g.sources ?? [x.g.source]).some((o) => gets.includes(o)));
    if (!test) return;
    const stop = { stop: test.g, when: test.alt === 0 };
    if (found && !(sameTest(found.stop, stop.stop) && found.when === stop.when)) return;
    found = stop;
  }
  if (!found) return;
  // (`undefined` is a sentinel of its own: `m !== undefined` does not stop on null.)
  const value = found.stop.test === 'eq' && found.when && 'value' in found.stop ? found.stop.value : null;
  // `if (item !== null) { … } else break`-style tests that end on a non-constant are not sentinels.
  if (found.stop.test === 'eq' && !found.when) return;
  if (found.stop.test === 'truthy' && found.when) return;
  if (found.stop.test === 'nullish' && !found.when) return;
  const tested = found.stop.sources ?? [found.stop.source];
  for (const g of gets) if (tested.includes(g)) out.set(g, { ...found, value });
}

function sameTest(a: BranchGuard, b: BranchGuard): boolean {
  return (a.source === b.source || (a.sources ?? []).includes(b.source) || (b.sources ?? []).includes(a.source)) && a.test === b.test && a.value === b.value && a.path.join('.') === b.path.join('.');
}

/** Does a put carry a value that ends such a loop? 'maybe' when the analysis cannot tell. */
export function endsLoop(put: Op, loop: SentinelLoop, checker: ts.TypeChecker): 'yes' | 'no' | 'maybe' {
  const a = put.arg ? guardAnswer(loop.stop, put.arg) : undefined;
  if (a !== undefined) return a === loop.when ? 'yes' : 'no';
  if (loop.stop.path.length > 0 || loop.stop.map) return 'maybe';
  if (loop.stop.test === 'eq') return valueMatches(put, loop.stop.value ?? null, checker);
  if (loop.stop.test === 'typeof') {
    const t = typeofByType(put, checker);
    return t === undefined ? 'maybe' : (t === loop.stop.value) === loop.when ? 'yes' : 'no';
  }
  // Nullish or falsy: ruled out only when the type admits neither null nor undefined.
  const n = valueMatches(put, null, checker);
  const u = valueMatches(put, undefined, checker);
  if (loop.stop.test === 'nullish') return n === 'no' && u === 'no' ? 'no' : 'maybe';
  return 'maybe';
}
