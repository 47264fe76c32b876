// The control flow the interpreter records while it runs a process (`RFlow`), and its lowering to
// the facts' `Flow`. Concrete loops are recorded iteration by iteration ('unrolled'); once the
// processes are known, iterations that do the same thing (the same operations on the same objects,
// up to the values nobody tests) fold back into counted loops, and the others stay a sequence.
// `break` out of a `switch` and `continue` in an unrolled iteration are absorbed (what follows
// them runs only on the other paths), so the facts keep their few constructs: every remaining
// `break`/`continue` leaves or repeats the innermost loop.
import type { EdgeCount } from '../../../../common/model';
import type { BranchGuard, Flow, ObjectSite, Op } from '../facts';

export type RFlow =
  | { k: 'op'; op: Op }
  | { k: 'seq'; items: RFlow[] }
  /** `tag`: the branch's identity through copies (a watched test of a counted loop, see the interpreter). */
  | { k: 'branch'; alts: RFlow[]; guard?: BranchGuard; cond?: import('typescript').Expression; tag?: object; lost?: true }
  /**
   * A loop the interpreter ran on a summary of its iterations (unknown count, or too many); `over`:
   * the objects it iterates over (one per iteration: an operation on them runs once per object).
   */
  | { k: 'loop'; count: EdgeCount; body: RFlow; id: number; over?: ObjectSite[] }
  /** A loop the interpreter ran iteration by iteration (then, maybe, the rest on a summary: `tail`). */
  | { k: 'unrolled'; iterations: RFlow[]; id: number; tail?: RFlow }
  /** A `switch` or labeled statement: `break` with its id ends it. */
  | { k: 'block'; body: RFlow; id: number }
  | { k: 'try'; body: RFlow; handler: RFlow | undefined; finalizer: RFlow | undefined }
  | { k: 'call'; body: RFlow; detached?: true }
  | { k: 'exit'; how: 'break' | 'continue' | 'return' | 'throw'; target?: number; node?: import('typescript').Statement };

export const EMPTY: RFlow = { k: 'seq', items: [] };

export function rseq(items: RFlow[]): RFlow {
  const flat: RFlow[] = [];
  for (const i of items) {
    if (i.k === 'seq') flat.push(...i.items);
    else flat.push(i);
  }
  return flat.length === 1 ? flat[0]! : { k: 'seq', items: flat };
}

/** Does `f` contain an operation (one that `which` accepts: any, by default)? */
export function hasOps(f: RFlow, which: (op: Op) => boolean = () => true): boolean {
  const has = (x: RFlow): boolean => hasOps(x, which);
  switch (f.k) {
    case 'op': return which(f.op);
    case 'seq': return f.items.some(has);
    case 'branch': return f.alts.some(has);
    case 'loop': case 'block': case 'call': return has(f.body);
    case 'unrolled': return f.iterations.some(has) || (f.tail !== undefined && has(f.tail));
    case 'try': return has(f.body) || (f.handler !== undefined && has(f.handler)) || (f.finalizer !== undefined && has(f.finalizer));
    case 'exit': return false;
  }
}

/** Does `f` contain an exit to target `id` of kind `how` (not counting nested functions' returns)? */
function exitsTo(f: RFlow, how: 'break' | 'continue', id: number): boolean {
  switch (f.k) {
    case 'exit': return f.how === how && f.target === id;
    case 'seq': return f.items.some((x) => exitsTo(x, how, id));
    case 'branch': return f.alts.some((x) => exitsTo(x, how, id));
    case 'loop': case 'call': case 'block': return exitsTo(f.body, how, id);
    case 'unrolled': return f.iterations.some((x) => exitsTo(x, how, id)) || (!!f.tail && exitsTo(f.tail, how, id));
    case 'try': return exitsTo(f.body, how, id) || (!!f.handler && exitsTo(f.handler, how, id)) || (!!f.finalizer && exitsTo(f.finalizer, how, id));
    default: return false;
  }
}

/**
 * `f` followed by `rest`, where the exits of kind `how` to `id` in `f` go to the end instead (they
 * skip `rest`): the rest is pushed into the paths of `f` that do not take such an exit.
 */
export function absorb(f: RFlow, how: 'break' | 'continue', id: number, rest: RFlow): RFlow {
  if (!exitsTo(f, how, id)) return rseq([f, rest]);
  switch (f.k) {
    case 'exit': return EMPTY;
    case 'seq': {
      let out = rest;
      for (let i = f.items.length - 1; i >= 0; i--) out = absorb(f.items[i]!, how, id, out);
      return out;
    }
    case 'branch': return { ...f, alts: f.alts.map((a) => absorb(a, how, id, rest)) };
    default:
      // Out of a loop, call or try: rare; the exit stays (read as leaving the innermost loop).
      return rseq([f, rest]);
  }
}

function isEmpty(f: RFlow): boolean {
  return f.k === 'seq' && f.items.length === 0;
}

/**
 * Per loop built by folding: the sites whose instances differed between the folded iterations
 * (`for (const p of procs) p.start()` over interchangeable instances): an operation on such a site
 * runs once per instance, not once per iteration.
 */
export const iterated = new WeakMap<Flow, Set<ObjectSite>>();

export interface Lowering {
  /** Identity of what an iteration does, for folding (equal keys: the same operations). */
  key(f: RFlow): string;
  /** The sites an iteration touches that are instances of a replicated site (renamed to one). */
  renamed(f: RFlow): Set<ObjectSite>;
  /** The replicated site an instance belongs to. */
  rep(s: ObjectSite): ObjectSite;
}

/**
 * Removes the operations `drop` names from a recorded flow, in place (shared parts stay shared);
 * a branch keeps each of its ways (one may become empty). Returns the flow.
 */
export function pruneOps(f: RFlow, drop: (op: Op) => boolean): RFlow {
  switch (f.k) {
    case 'op': return drop(f.op) ? EMPTY : f;
    case 'exit': return f;
    case 'seq': f.items = f.items.map((x) => pruneOps(x, drop)).filter((x) => x.k !== 'seq' || x.items.length > 0); return f;
    case 'branch': f.alts = f.alts.map((x) => pruneOps(x, drop)); return f;
    case 'loop': case 'call': case 'block': f.body = pruneOps(f.body, drop); return f;
    case 'unrolled':
      f.iterations = f.iterations.map((x) => pruneOps(x, drop));
      if (f.tail) f.tail = pruneOps(f.tail, drop);
      return f;
    case 'try':
      f.body = pruneOps(f.body, drop);
      if (f.handler) f.handler = pruneOps(f.handler, drop);
      if (f.finalizer) f.finalizer = pruneOps(f.finalizer, drop);
      return f;
  }
}

/** The facts' flow of a recorded flow. */
export function lower(f: RFlow, l: Lowering): Flow {
  switch (f.k) {
    case 'op': return f;
    case 'exit': return f.node ? { k: 'exit', how: f.how, node: f.node } : { k: 'exit', how: f.how };
    case 'seq': {
      const items: Flow[] = [];
      for (const x of f.items) {
        const y = lower(x, l);
        if (y.k === 'seq') items.push(...y.items);
        else items.push(y);
      }
      return items.length === 1 ? items[0]! : { k: 'seq', items };
    }
    case 'branch': {
      const alts = f.alts.map((a) => lower(a, l));
      // A choice between doing nothing and nothing (`x ?? 20`) is no branch of the flow.
      if (alts.every((a) => a.k === 'seq' && a.items.length === 0)) return { k: 'seq', items: [] };
      const out: Flow = { k: 'branch', alts };
      if (f.guard) out.guard = f.guard;
      if (f.cond) out.cond = f.cond;
      if (f.lost) out.lost = true;
      return out;
    }
    case 'loop': {
      const out: Flow = { k: 'loop', count: f.count, body: lower(f.body, l) };
      if (f.over && f.over.length > 0) iterated.set(out, new Set(f.over.map((s) => l.rep(s))));
      return out;
    }
    case 'call': return f.detached ? { k: 'call', body: lower(f.body, l), detached: true } : { k: 'call', body: lower(f.body, l) };
    case 'try': return {
      k: 'try', body: lower(f.body, l),
      handler: f.handler ? lower(f.handler, l) : undefined,
      finalizer: f.finalizer ? lower(f.finalizer, l) : undefined,
    };
    case 'block': return lower(absorb(f.body, 'break', f.id, EMPTY), l);
    case 'unrolled': return lowerUnrolled(f, l);
  }
}

function lowerUnrolled(f: Extract<RFlow, { k: 'unrolled' }>, l: Lowering): Flow {
  const its = f.iterations;
  if (f.tail) {
    // Iterations one by one, then the rest on a summary: one pass (a break leaves it all).
    const body = [...its.map((it) => absorb(it, 'continue', f.id, EMPTY)), f.tail].filter((x) => !isEmpty(x));
    return { k: 'loop', count: 1, body: lower(rseq(body), l) };
  }
  if (its.length === 0) return { k: 'seq', items: [] };
  // Runs of iterations that do the same thing.
  const runs: { body: RFlow; n: number; renamed: Set<ObjectSite> }[] = [];
  for (const it of its) {
    const last = runs[runs.length - 1];
    if (last && l.key(last.body) === l.key(it)) {
      last.n++;
      for (const s of l.renamed(it)) last.renamed.add(s);
    } else {
      runs.push({ body: it, n: 1, renamed: new Set(l.renamed(it)) });
    }
  }
  const breaks = its.some((it) => exitsTo(it, 'break', f.id));
  const loopOf = (body: RFlow, n: number, renamed: Set<ObjectSite>): Flow => {
    const out: Flow = { k: 'loop', count: n, body: lower(body, l) };
    // The replicated sites whose instances differ from one iteration to the next.
    const byRep = new Map<ObjectSite, number>();
    for (const s of renamed) byRep.set(l.rep(s), (byRep.get(l.rep(s)) ?? 0) + 1);
    const its = new Set([...byRep].filter(([, k]) => k > 1).map(([r]) => r));
    if (its.size > 0 && n > 1) iterated.set(out, its);
    return out;
  };
  if (runs.length === 1 && (runs[0]!.n > 1 || exitsTo(runs[0]!.body, 'break', f.id) || exitsTo(runs[0]!.body, 'continue', f.id))) {
    return loopOf(runs[0]!.body, runs[0]!.n, runs[0]!.renamed);
  }
  if (!breaks) {
    // Each run is a counted loop (a `continue` repeats it or moves on to the next run).
    const items = runs.map((r) => (r.n === 1 && !exitsTo(r.body, 'continue', f.id) ? lower(r.body, l) : loopOf(r.body, r.n, r.renamed)));
    return items.length === 1 ? items[0]! : { k: 'seq', items: items.filter((x) => !(x.k === 'seq' && x.items.length === 0)) };
  }
  // A `break` leaves all of them: one pass over the iterations in a row, where a `continue`
  // skips the rest of its own iteration.
  const body = its.map((it) => absorb(it, 'continue', f.id, EMPTY)).filter((x) => !isEmpty(x));
  return { k: 'loop', count: 1, body: lower(rseq(body), l) };
}

/**
 * How many times one instance of each operation's process performs it: the counts of the loops
 * around it multiplied, except loops that iterate over the instances of the object it acts on.
 */
export function assignCounts(flow: Flow): void {
  const visit = (f: Flow, loops: readonly { count: EdgeCount; over: Set<ObjectSite> | undefined }[]): void => {
    switch (f.k) {
      case 'op': {
        let m: EdgeCount = 1;
        for (const l of loops) if (!l.over?.has(f.op.obj)) m = mulCount(m, l.count);
        f.op.count = addCount(f.op.count === 0 ? undefined : f.op.count, m);
        return;
      }
      case 'seq': f.items.forEach((x) => visit(x, loops)); return;
      case 'branch': f.alts.forEach((x) => visit(x, loops)); return;
      case 'call': visit(f.body, loops); return;
      case 'try':
        visit(f.body, loops);
        if (f.handler) visit(f.handler, loops);
        if (f.finalizer) visit(f.finalizer, loops);
        return;
      case 'loop': visit(f.body, [...loops, { count: f.count, over: iterated.get(f) }]); return;
      default:
    }
  };
  visit(flow, []);
}

function mulCount(a: EdgeCount, b: EdgeCount): EdgeCount {
  if (a === 'loop' || b === 'loop') return 'loop';
  if (a === 'several' || b === 'several') return 'several';
  return a * b;
}

/** The same operation reached on several paths (a folded loop, a branch) counts as the most of them. */
function addCount(a: EdgeCount | undefined, b: EdgeCount): EdgeCount {
  if (a === undefined) return b;
  if (a === 'loop' || b === 'loop') return 'loop';
  if (a === 'several' || b === 'several') return 'several';
  return Math.max(a, b);
}
