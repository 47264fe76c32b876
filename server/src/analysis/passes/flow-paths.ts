// One of the two interpreters of a process's control flow (`Flow`); which to use when:
// - this one (PathWalker) for counting and for small per-object states: how many puts a process
//   can make (maxAlongPaths, exact up to 128 passes of a counted loop), whether a close comes
//   before a use, items taken and not marked done. The domain sees operations only and may widen,
//   pump and say what a loop of unknown count leaves.
// - flow-walk.ts (FlowWalker) for the one whole-program walk of process-paths.ts: states with
//   locks held, processes started and reads pending, that must also see exits (which `return`
//   leaves a lock held), correlate branches that test the same constant twice, and forget those
//   decisions when a call or loop pass ends. Counted loops past 8 passes run to a fixpoint there,
//   which is sound for sets of holds but would lose exact counts.
// Both exist because each gives up what the other needs: exact counts against branch correlation
// and exits. A rule needing both kinds of state should extend one of them, not add a third.
//
// Path walking for rules that ask "on some path…": a small abstract interpreter over finite
// states. Loops with a small constant count are unrolled exactly; an endless loop (`for (;;)`)
// iterates to a fixpoint (a path that reaches its end runs the body again); a loop of unknown count
// runs its body zero or one time unless the domain asks for a fixpoint, so a verdict never rests
// on a guess of how often it runs. Only explicit `throw`s (and operations the domain says can
// reject) are error paths.
import type { EdgeCount, Multiplicity } from '../../../../common/model';
import { processMultiplicity, type Flow, type ObjectSite, type Op, type ProcessRef } from '../facts';
import type { RuleContext } from '../rule-context';

export interface PathDomain<S> {
  /** Identity of a state, to merge equal states. */
  key(s: S): string;
  /** The states after an operation (none: the path ends here). */
  op(s: S, op: Op): S[];
  /** The states with which an operation can reject (default: it cannot). */
  throws?(s: S, op: Op): S[];
  /** Loops of unknown count: 'once' (default) runs the body at most once, 'fixpoint' until nothing new. */
  unknownLoops?: 'once' | 'fixpoint';
  /** Applied to every state that comes back to a loop's head (keeps fixpoints finite). */
  widen?(s: S): S;
  /** States after a loop of unknown count run 'once': from its entry states and the states after the body. */
  afterOnce?(entry: S[], after: S[]): S[];
  /** Sees, per loop and entry state, the states that come back to the head after one pass. */
  backEdge?(loop: Extract<Flow, { k: 'loop' }>, entry: S, back: S[]): void;
  /**
   * A pass of a fixpoint loop that went from `entry` to `back` can be repeated forever: the state
   * that repetition ends in, to put at the head at once instead of every state on the way.
   */
  pump?(entry: S, back: S): S | undefined;
}

export interface Outcome<S> {
  normal: S[];
  brk: S[];
  cont: S[];
  ret: S[];
  thr: S[];
}

/** Loops with a constant count up to this are unrolled exactly. */
const UNROLL = 128;
/** Steps (states through an operation) a walk may take; beyond it the walk gives up. */
const BUDGET = 200_000;

export class GaveUp extends Error {}

export class PathWalker<S> {
  private steps = 0;

  constructor(private readonly d: PathDomain<S>) {}

  /** Every way a whole flow can end, from the given states. Throws GaveUp over budget. */
  run(flow: Flow, states: S[]): Outcome<S> {
    return this.walk(flow, this.dedupe(states));
  }

  /** The states a process can end in: done, returned, or died of an uncaught error. */
  ends(flow: Flow, states: S[]): S[] {
    const o = this.run(flow, states);
    return this.dedupe([...o.normal, ...o.ret, ...o.thr, ...o.brk, ...o.cont]);
  }

  private dedupe(states: S[]): S[] {
    const seen = new Map<string, S>();
    for (const s of states) {
      const k = this.d.key(s);
      if (!seen.has(k)) seen.set(k, s);
    }
    return [...seen.values()];
  }

  private empty(): Outcome<S> {
    return { normal: [], brk: [], cont: [], ret: [], thr: [] };
  }

  private merge(into: Outcome<S>, o: Outcome<S>, normal = true): void {
    if (normal) into.normal.push(...o.normal);
    into.brk.push(...o.brk);
    into.cont.push(...o.cont);
    into.ret.push(...o.ret);
    into.thr.push(...o.thr);
  }

  private walk(flow: Flow, states: S[]): Outcome<S> {
    const out = this.empty();
    if (states.length === 0) return out;
    switch (flow.k) {
      case 'op': {
        this.steps += states.length;
        if (this.steps > BUDGET) throw new GaveUp();
        for (const s of states) {
          out.normal.push(...this.d.op(s, flow.op));
          if (this.d.throws) out.thr.push(...this.d.throws(s, flow.op));
        }
        break;
      }
      case 'seq': {
        let cur = states;
        for (const item of flow.items) {
          const o = this.walk(item, cur);
          this.merge(out, o, false);
          cur = this.dedupe(o.normal);
          if (cur.length === 0) break;
        }
        out.normal.push(...cur);
        break;
      }
      case 'branch':
        for (const alt of flow.alts) this.merge(out, this.walk(alt, states));
        break;
      case 'call': {
        const o = this.walk(flow.body, states);
        // A return ends the function, not the caller; break/continue cannot leave a function.
        out.normal.push(...o.normal, ...o.ret, ...o.brk, ...o.cont);
        out.thr.push(...o.thr);
        break;
      }
      case 'exit': {
        const into = flow.how === 'break' ? out.brk : flow.how === 'continue' ? out.cont : flow.how === 'return' ? out.ret : out.thr;
        into.push(...states);
        break;
      }
      case 'try':
        return this.tryFlow(flow, states);
      case 'loop':
        return this.loop(flow, states);
    }
    out.normal = this.dedupe(out.normal);
    return out;
  }

  private tryFlow(flow: Extract<Flow, { k: 'try' }>, states: S[]): Outcome<S> {
    const body = this.walk(flow.body, states);
    let res: Outcome<S> = body;
    if (flow.handler) {
      const caught = this.walk(flow.handler, this.dedupe(body.thr));
      res = {
        normal: [...body.normal, ...caught.normal], brk: [...body.brk, ...caught.brk], cont: [...body.cont, ...caught.cont],
        ret: [...body.ret, ...caught.ret], thr: caught.thr,
      };
    }
    if (!flow.finalizer) return res;
    // The finally block runs on every way out, then that way out resumes (unless it leaves itself).
    const fin = this.empty();
    for (const key of ['normal', 'brk', 'cont', 'ret', 'thr'] as const) {
      const from = this.dedupe(res[key]);
      if (from.length === 0) continue;
      const f = this.walk(flow.finalizer, from);
      fin[key].push(...f.normal);
      this.merge(fin, f, false);
    }
    return fin;
  }

  private loop(flow: Extract<Flow, { k: 'loop' }>, states: S[]): Outcome<S> {
    const out = this.empty();
    const count: EdgeCount = flow.count;
    if (typeof count === 'number' && count <= UNROLL) {
      let cur = states;
      const exits: S[] = [];
      for (let i = 0; i < count && cur.length > 0; i++) {
        const o = this.walk(flow.body, cur);
        exits.push(...o.brk);
        out.ret.push(...o.ret);
        out.thr.push(...o.thr);
        cur = this.dedupe([...o.normal, ...o.cont]);
      }
      out.normal = this.dedupe([...cur, ...exits]);
      return out;
    }
    const endless = count === 'loop';
    if (!endless && (this.d.unknownLoops ?? 'once') === 'once') {
      const after: S[] = [];
      for (const s of states) {
        const o = this.walk(flow.body, [s]);
        const back = this.dedupe([...o.normal, ...o.cont]);
        this.d.backEdge?.(flow, s, back);
        after.push(...back, ...o.brk);
        out.ret.push(...o.ret);
        out.thr.push(...o.thr);
      }
      const afterOnce = this.d.afterOnce ? this.d.afterOnce(states, this.dedupe(after)) : [...states, ...after];
      out.normal = this.dedupe(afterOnce);
      return out;
    }
    // Fixpoint: every state that reaches the head runs the body again.
    const head = new Map<string, S>();
    for (const s of states) head.set(this.d.key(s), s);
    let frontier = [...head.values()];
    const exits: S[] = [];
    while (frontier.length > 0) {
      const next: S[] = [];
      for (const s of frontier) {
        const o = this.walk(flow.body, [s]);
        const back = this.dedupe([...o.normal, ...o.cont].map((b) => (this.d.widen ? this.d.widen(b) : b)));
        this.d.backEdge?.(flow, s, back);
        exits.push(...o.brk);
        out.ret.push(...o.ret);
        out.thr.push(...o.thr);
        for (const b0 of back) {
          const b = this.d.pump?.(s, b0) ?? b0;
          const k = this.d.key(b);
          if (!head.has(k)) {
            head.set(k, b);
            next.push(b);
          }
        }
      }
      frontier = next;
    }
    out.normal = this.dedupe(endless ? exits : [...head.values(), ...exits]);
    return out;
  }
}

/** Does a flow contain an operation matching `pred` (anywhere, at any depth)? */
export function flowHas(flow: Flow, pred: (op: Op) => boolean): boolean {
  switch (flow.k) {
    case 'op': return pred(flow.op);
    case 'seq': return flow.items.some((f) => flowHas(f, pred));
    case 'branch': return flow.alts.some((f) => flowHas(f, pred));
    case 'loop': case 'call': return flowHas(flow.body, pred);
    case 'try': return flowHas(flow.body, pred) || (!!flow.handler && flowHas(flow.handler, pred)) || (!!flow.finalizer && flowHas(flow.finalizer, pred));
    case 'exit': return false;
  }
}

/** A count along a path: a number, or 'many' once it passed the cap or ran in a loop of unknown count. */
export type Count = number | 'many';

/**
 * The most operations matching `pred` that one instance of a process can perform on any path:
 * a number, or 'unbounded' when a loop of unknown count performs them. The first operation that
 * makes the count exceed `threshold` (in program order) is returned too.
 */
export function maxAlongPaths(slices: FlowSlices, flow: Flow, pred: (op: Op) => boolean, start = 0, threshold = Infinity): { max: Count; crossing?: Op } {
  let crossing: Op | undefined;
  // Counting past this says nothing more (and an endless loop would count a long way up to it).
  const cap = Number.isFinite(threshold) ? threshold + 2 : start + 256;
  const walker = new PathWalker<Count>({
    key: (n) => String(n),
    op: (n, op) => {
      if (!pred(op)) return [n];
      if (n === 'many') return ['many'];
      if (n === threshold && !crossing) crossing = op;
      return [n + 1 >= cap ? 'many' : n + 1];
    },
    // A loop of unknown count that performs the operation can perform it any number of times.
    afterOnce: (entry, after) => {
      const changed = after.some((a) => !entry.includes(a));
      return changed ? ['many'] : [...entry, ...after];
    },
    widen: (n) => (typeof n === 'number' && n > cap ? 'many' : n),
    // Without a threshold nothing depends on the states between: an endless loop whose pass adds
    // to the count reaches 'many' in one step rather than in up to 256 passes. (Every way out of
    // the loop is open to every count, so the ends still include 'many' exactly when they did.)
    ...(Number.isFinite(threshold) ? {} : {
      pump: (entry: Count, back: Count): Count | undefined => (typeof entry === 'number' && (back === 'many' || back > entry) ? 'many' : undefined),
    }),
  });
  const ends = walker.ends(slices.of(flow, pred), [start]);
  let max = start;
  for (const n of ends) {
    if (n === 'many') return { max: 'many', ...(crossing ? { crossing } : {}) };
    if (n > max) max = n;
  }
  return { max, ...(crossing ? { crossing } : {}) };
}

/**
 * `slice`, kept per flow and predicate: rules ask for the same count of a process several times.
 * One per program, made by the driver with the program's other passes (passes/index.ts).
 */
export class FlowSlices {
  private readonly slices = new WeakMap<Flow, WeakMap<(op: Op) => boolean, Flow>>();

  of(flow: Flow, keep: (op: Op) => boolean): Flow {
    let byPred = this.slices.get(flow);
    if (!byPred) this.slices.set(flow, (byPred = new WeakMap()));
    let s = byPred.get(keep);
    if (!s) byPred.set(keep, (s = slice(flow, keep) ?? { k: 'seq', items: [] }));
    return s;
  }
}

/**
 * The part of a flow that matters for the operations `keep` selects: other operations are dropped,
 * and so are subtrees left with neither a kept operation nor an exit (a `return` before a put still
 * decides whether the put runs). Walking the slice gives the same counts, much faster on big flows.
 */
export function slice(flow: Flow, keep: (op: Op) => boolean): Flow | undefined {
  switch (flow.k) {
    case 'op': return keep(flow.op) ? flow : undefined;
    case 'exit': return flow;
    case 'seq': {
      const items = flow.items.map((f) => slice(f, keep)).filter((f): f is Flow => !!f);
      return items.length === 0 ? undefined : items.length === 1 ? items[0] : { k: 'seq', items };
    }
    case 'branch': {
      const alts = flow.alts.map((f) => slice(f, keep));
      if (alts.every((a) => !a)) return undefined;
      const empty: Flow = { k: 'seq', items: [] };
      return { ...flow, alts: alts.map((a) => a ?? empty) };
    }
    case 'loop': {
      const body = slice(flow.body, keep);
      return body ? { ...flow, body } : undefined;
    }
    case 'call': {
      const body = slice(flow.body, keep);
      return body ? { ...flow, body } : undefined;
    }
    case 'try': {
      const body = slice(flow.body, keep);
      const handler = flow.handler && slice(flow.handler, keep);
      const finalizer = flow.finalizer && slice(flow.finalizer, keep);
      if (!body && !handler && !finalizer) return undefined;
      return { k: 'try', body: body ?? { k: 'seq', items: [] }, handler, finalizer };
    }
  }
}

/** Processes in a stable order: main first, then by where they are created. */
export function orderedProcesses(procs: Iterable<ProcessRef>): ProcessRef[] {
  const pos = (p: ProcessRef): [string, number] => p.kind === 'main' ? ['', -1] : [p.node.getSourceFile().fileName, p.node.getStart()];
  return [...new Set(procs)].sort((a, b) => {
    const [fa, pa] = pos(a);
    const [fb, pb] = pos(b);
    return fa.localeCompare(fb) || pa - pb;
  });
}

/** How many instances of a process run, for counting: pool workers run tasks, not a fixed number of times. */
export function instances(p: ProcessRef): Multiplicity {
  if (p.kind !== 'main' && p.role === 'pool-worker') return 'several';
  return processMultiplicity(p);
}

/** Code the analysis cannot see may use this object: rules that need "nobody does X" stay silent. */
export function mayBeUsedUnseen(ctx: RuleContext, site: ObjectSite): boolean {
  return site.unknown === true || ctx.extraction.opaque.size > 0 || (ctx.extraction.escaped?.has(site) ?? false);
}

/** Sorts operations by source position (file, then offset): the first is the anchor. */
export function bySource(a: Op, b: Op): number {
  const fa = a.call.getSourceFile().fileName;
  const fb = b.call.getSourceFile().fileName;
  return fa.localeCompare(fb) || a.call.getStart() - b.call.getStart();
}

/** Operations grouped by call expression (one call can be an operation of several processes). */
export function byCall(ops: readonly Op[]): Map<Op['call'], Op[]> {
  const m = new Map<Op['call'], Op[]>();
  for (const op of ops) {
    const list = m.get(op.call) ?? [];
    list.push(op);
    m.set(op.call, list);
  }
  return m;
}
