// missing-sentinel (rules.md): consumers that leave their `get()` loop only on a sentinel value,
// with fewer sentinels put than consumer processes running that loop.
import ts from 'typescript';
import type { FixData, Finding, Multiplicity } from '../../../../common/model';
import { processMultiplicity, type BranchGuard, type ConstValue, type Extraction, type Flow, type ObjectSite, type Op, type ProcessRef } from '../facts';
import { guardAnswer } from '../guards';
import type { RuleContext } from './context';
import { enclosingStatement, finding, harmlessWait, insertAfter, processName, typeofByType, valueMatches } from './util';

export function missingSentinel(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const loops = sentinelLoops(ctx.extraction);
  const gets = new Map<ts.CallExpression, Op[]>();
  for (const op of ctx.extraction.ops) {
    if (op.kind !== 'get' || !op.blocking || !loops.has(op)) continue;
    const list = gets.get(op.call) ?? [];
    list.push(op);
    gets.set(op.call, list);
  }
  for (const [call, ops] of gets) {
    const loop = loops.get(ops[0]!)!;
    // Every get of this call must stop on the same test (they are the same code).
    if (!ops.every((o) => { const l = loops.get(o)!; return l.when === loop.when && l.stop.test === loop.stop.test && l.stop.value === loop.stop.value && l.stop.path.join('.') === loop.stop.path.join('.'); })) continue;
    for (const queue of new Set(ops.map((o) => o.obj))) {
      // Who else puts on a queue the analysis could not follow is unknown: no claim.
      if (queue.unknown) continue;
      const consumerOps = ops.filter((o) => o.obj === queue && !harmlessWait(ctx, o.proc));
      if (consumerOps.length === 0) continue;
      let consumers: Multiplicity = 0;
      for (const proc of new Set(consumerOps.map((o) => o.proc))) {
        const m = processMultiplicity(proc);
        consumers = consumers === 'several' || m === 'several' ? 'several' : consumers + m;
      }
      const puts = ctx.extraction.ops.filter((o) => o.kind === 'put' && o.obj === queue);
      let sentinels = 0;
      // A put on a queue the analysis lost track of could be the missing sentinel.
      let certain = !ctx.extraction.ops.some((o) => o.kind === 'put' && o.obj.unknown && o.obj.kind === 'queue')
        && ctx.extraction.opaque.size === 0;
      for (const put of certain ? puts : []) {
        const verdict = endsLoop(put, loop, ctx.checker);
        if (verdict === 'no') continue;
        if (verdict === 'maybe') { certain = false; break; }
        const per = put.count;
        const procs = processMultiplicity(put.proc);
        if (typeof per !== 'number' || procs === 'several') { certain = false; break; }
        sentinels += per * procs;
      }
      if (!certain) continue;
      const short = consumers === 'several' ? sentinels === 0 : sentinels < consumers;
      if (!short) continue;
      const what = `${describeLoop(loop)} sentinel`;
      const who = consumers === 'several' ? 'Several consumers wait' : consumers === 1 ? '1 consumer waits' : `${consumers} consumers wait`;
      const got = sentinels === 0 ? 'none is ever put' : `only ${sentinels} can be put`;
      const consumerProcs = [...new Set(consumerOps.map((o) => o.proc))];
      findings.push(finding(ctx, {
        rule: 'missing-sentinel',
        severity: 'error',
        message: `${who} for a ${what} on ${queue.label}, but ${got}: the extra consumers block in get() forever once the producers finish`,
        at: call,
        related: [
          ...puts.map((p) => ({ message: `${queue.label} is put here (${processName(p.proc)})`, at: p.call })),
          // The loop's other gets (`for (let x = await q.get(); x !== null; x = await q.get())`).
          ...[...new Set((loop.stop.sources ?? []).filter((o) => o.call !== call && o.obj === queue).map((o) => o.call))]
            .map((c) => ({ message: 'the loop also waits here', at: c })),
        ],
        sites: [queue, ...consumerProcs],
        ops: consumerOps,
        fixes: sentinelFix(ctx, queue, puts, consumerProcs, typeof consumers === 'number' ? consumers - sentinels : undefined, loop.value),
      }));
    }
  }
  return findings;
}

/**
 * rules.md: "after the producers are joined, put one null per consumer". The sentinels go right
 * after main's last join of a producer (or of any process, when no producer is joined).
 */
function sentinelFix(ctx: RuleContext, queue: ObjectSite, puts: Op[], consumers: ProcessRef[], missing: number | undefined, value: ConstValue): FixData[] {
  const main = ctx.extraction.main;
  const producers = new Set(puts.map((p) => p.proc));
  const joins = ctx.extraction.ops.filter((o) => o.proc === main && o.kind === 'join');
  const after = joins.filter((j) => producers.has(j.obj)).at(-1) ?? joins.filter((j) => !consumers.includes(j.obj)).at(-1);
  if (!after || !ctx.extraction.isEntry) return [];
  const stmt = enclosingStatement(after.call);
  if (!stmt) return [];
  const sentinel = describe(value);
  const count = missing === undefined || missing < 1 ? undefined : missing;
  const line = count === 1 ? `await ${queue.label}.put(${sentinel});`
    : `for (let i = 0; i < ${count ?? 'CONSUMERS'}; i++) await ${queue.label}.put(${sentinel}); // one sentinel per consumer`;
  return [{ title: `Put ${count === 1 ? 'a' : 'one'} ${sentinel} sentinel${count === 1 ? '' : ' per consumer'} on ${queue.label} after the producers are joined`, edits: [insertAfter(ctx, stmt, [line])] }];
}

function describeLoop(loop: SentinelLoop): string {
  if (loop.stop.path.length > 0) return `${loop.stop.path.join('.')} = ${describe(loop.value)}`;
  if (loop.stop.test === 'truthy') return 'falsy (null)';
  return describe(loop.value);
}

function describe(v: ConstValue): string {
  return v === null ? 'null' : v === undefined ? 'undefined' : JSON.stringify(v);
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
  const value = found.stop.test === 'eq' && found.when ? found.stop.value ?? null : null;
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
  if (loop.stop.path.length > 0) return 'maybe';
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
