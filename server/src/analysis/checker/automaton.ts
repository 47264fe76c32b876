// Compiles a process's control flow (facts.ts `Flow`) into a finite automaton over its shared-object
// operations: nodes are operations or silent steps, edges are the ways control can go. Counted
// loops are unrolled (up to a bound), endless loops become cycles, loops of unknown count may stop
// at any iteration, and `break`/`continue`/`return`/`throw` jump where the language says.
import ts from '../typescript';
import type { BranchGuard, Flow, ObjectSite, Op } from '../facts';

export interface AutNode {
  op?: Op;
  /** Successors; with a guard, `when` says which outcome of the test each one needs; `unknown`
   * marks a choice the program's data makes and the analysis cannot see (leaving a loop of
   * unknown count), which a reported deadlock must not depend on. An operation's first successor
   * is where it goes on; one that can fail by rejecting (a get with a timeout: Empty) has a second,
   * `thrown`, where the rejection goes. */
  next: { to: number; when?: boolean; unknown?: boolean; task?: number; thrown?: true }[];
  guard?: BranchGuard;
  /**
   * A pool worker's own steps: taking the next task from its pool (the edge whose `task` is the
   * task's number, -1 for the token that closes the pool) and marking task `task` done.
   */
  pool?: { kind: 'take' | 'done'; pool: ObjectSite; task?: number };
}

export interface Automaton {
  nodes: AutNode[];
  start: number;
  /** The node that means "finished". */
  end: number;
}

/**
 * Counted loops longer than this are treated as "some number of times" (a choice the analysis
 * cannot see, which no reported deadlock may depend on): above the largest programs checked, so
 * that a loop over 256 workers is followed exactly.
 */
const MAX_UNROLL = 1024;
/** Automata larger than this are not checked (the state space would not fit the budget). */
export const MAX_NODES = 20_000;

interface Targets {
  brk: number | undefined;
  cont: number | undefined;
  ret: number;
  thr: number;
}

export class TooLarge extends Error {}

/** Builds automata: nodes, and the entry of a flow that continues at a given node. */
class Builder {
  readonly nodes: AutNode[] = [];
  readonly end: number;

  constructor() {
    this.end = this.add({ next: [] });
  }

  add(n: AutNode): number {
    if (this.nodes.length >= MAX_NODES) throw new TooLarge();
    this.nodes.push(n);
    return this.nodes.length - 1;
  }

  private jump(to: number): number {
    return this.add({ next: [{ to }] });
  }

  /** Returns the entry node of `f`, which continues at `next`. */
  build(f: Flow, next: number, t: Targets): number {
    const nodes = this.nodes;
    switch (f.k) {
      case 'op':
        return this.add({ op: f.op, next: f.op.fails === 'throws' ? [{ to: next }, { to: t.thr, thrown: true }] : [{ to: next }] });
      case 'seq': {
        let entry = next;
        for (let i = f.items.length - 1; i >= 0; i--) entry = this.build(f.items[i]!, entry, t);
        return entry;
      }
      case 'branch': {
        const entries = f.alts.map((a) => this.build(a, next, t));
        if (f.guard && entries.length === 2) {
          return this.add({ next: [{ to: entries[0]!, when: true }, { to: entries[1]!, when: false }], guard: f.guard });
        }
        // A test of the error a `catch` caught (`e instanceof Empty`, `e.code === …`): which error
        // it was is not modelled, so neither way is something a deadlock may depend on.
        if (f.cond && testsCaughtError(f.cond)) return this.add({ next: entries.map((to) => ({ to, unknown: true })) });
        // A condition on a value a summarized loop lost (a counter after the loop's passes).
        if (f.lost) return this.add({ next: entries.map((to) => ({ to, unknown: true })) });
        // A check the analysis cannot decide whose one way is to throw (`if (!Number.isInteger(x))
        // throw new Error(…)`): a program's own guard against the impossible. A deadlock reached
        // only through it is not claimed.
        if (f.alts.some(throwsAtOnce)) return this.add({ next: entries.map((to) => ({ to, unknown: true })) });
        return this.add({ next: entries.map((to) => ({ to })) });
      }
      case 'loop': {
        if (typeof f.count === 'number' && f.count <= MAX_UNROLL) {
          // Unrolled: iteration i continues into iteration i + 1; break leaves to `next`.
          let entry = next;
          for (let i = 0; i < f.count; i++) entry = this.build(f.body, entry, { ...t, brk: next, cont: entry });
          return entry;
        }
        // A loop of unknown count that does nothing the checker sees (`values.reduce((a, b) => a + b)`,
        // a loop of arithmetic) ends as if it was not there: how often it runs changes nothing, so
        // it is no choice a deadlock could depend on (it made every state after it "unseen").
        if (f.count !== 'loop' && inert(f.body)) return next;
        // A head that may enter the body again or (unless endless) leave.
        const head = this.add({ next: [] });
        const body = this.build(f.body, head, { ...t, brk: next, cont: head });
        // How often a loop of unknown count runs is the program's data: both going round again and
        // leaving are choices the analysis cannot see.
        nodes[head]!.next = f.count === 'loop' ? [{ to: body }] : [{ to: body, unknown: true }, { to: next, unknown: true }];
        return head;
      }
      case 'try': {
        // Leaving the body or the handler in any way (falling through, break, continue, return,
        // throw) runs the finalizer first, then goes where it was going.
        const through = (to: number | undefined): number | undefined =>
          to === undefined || !f.finalizer ? to : this.build(f.finalizer, to, t);
        const inner: Targets = { brk: through(t.brk), cont: through(t.cont), ret: through(t.ret)!, thr: through(t.thr)! };
        const fin = through(next)!;
        const afterThrow = f.handler ? this.build(f.handler, fin, inner) : inner.thr;
        return this.build(f.body, fin, { ...inner, thr: afterThrow });
      }
      case 'call': {
        const after = this.jump(next);
        return this.build(f.body, after, { brk: undefined, cont: undefined, ret: after, thr: t.thr });
      }
      case 'exit': {
        const to = f.how === 'break' ? t.brk ?? next : f.how === 'continue' ? t.cont ?? next : f.how === 'return' ? t.ret : t.thr;
        return this.jump(to);
      }
    }
  }
}

/**
 * Whether a loop body does nothing the checker sees and cannot leave the loop other than by its
 * end: no operations, and no return, throw or labeled jump (an unlabeled break or continue stays
 * within this loop or one inside it).
 */
function inert(f: Flow): boolean {
  switch (f.k) {
    case 'op': return false;
    case 'seq': return f.items.every(inert);
    case 'branch': return f.alts.every(inert);
    case 'loop': return f.count !== 'loop' && inert(f.body);
    case 'try': return inert(f.body) && (!f.handler || inert(f.handler)) && (!f.finalizer || inert(f.finalizer));
    case 'call': return inert(f.body);
    case 'exit': return (f.how === 'break' || f.how === 'continue') && f.label === undefined;
  }
}

/** A branch way that throws before doing anything the checker follows. */
function throwsAtOnce(f: Flow): boolean {
  switch (f.k) {
    case 'exit': return f.how === 'throw';
    case 'seq': {
      for (const x of f.items) {
        if (throwsAtOnce(x)) return true;
        if (!inert(x)) return false;
      }
      return false;
    }
    case 'call': return throwsAtOnce(f.body);
    default: return false;
  }
}

/** Whether `cond` reads the variable of a `catch` clause around it (the caught error). */
export function testsCaughtError(cond: ts.Expression): boolean {
  const caught = new Set<string>();
  for (let p: ts.Node | undefined = cond.parent; p; p = p.parent) {
    if (ts.isCatchClause(p) && p.variableDeclaration && ts.isIdentifier(p.variableDeclaration.name)) caught.add(p.variableDeclaration.name.text);
    if (ts.isFunctionLike(p)) break;
  }
  if (caught.size === 0) return false;
  const reads = (n: ts.Node): boolean => (ts.isIdentifier(n) && caught.has(n.text) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n))
    || ts.forEachChild(n, (c) => (reads(c) ? true : undefined)) === true;
  return reads(cond);
}

export function compile(flow: Flow): Automaton {
  const b = new Builder();
  const start = b.build(flow, b.end, { brk: undefined, cont: undefined, ret: b.end, thr: b.end });
  return { nodes: b.nodes, start, end: b.end };
}

/**
 * A worker of a pool: runs the pool's initializers once, then takes tasks from the pool until it
 * takes the token that closes it. Task k runs `tasks[k]`, then marks task k done (a task that
 * throws is done too: its error goes to whoever reads its result).
 */
export function compilePoolWorker(pool: ObjectSite, initializers: readonly Flow[], tasks: readonly Flow[]): Automaton {
  const b = new Builder();
  const head = b.add({ next: [], pool: { kind: 'take', pool } });
  const next: AutNode['next'] = tasks.map((flow, task) => {
    const done = b.add({ next: [{ to: head }], pool: { kind: 'done', pool, task } });
    return { to: b.build(flow, done, { brk: undefined, cont: undefined, ret: done, thr: done }), task };
  });
  next.push({ to: b.end, task: -1 });
  b.nodes[head]!.next = next;
  let start = head;
  for (let i = initializers.length - 1; i >= 0; i--) start = b.build(initializers[i]!, start, { brk: undefined, cont: undefined, ret: start, thr: start });
  return { nodes: b.nodes, start, end: b.end };
}

/** Strongly connected components of an automaton (iterative Tarjan): per node its component, and the components sinks first. */
export function components(aut: Automaton): { comp: Int32Array; order: number[][] } {
  const n = aut.nodes.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const order: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; e: number }[] = [{ v: root, e: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edges = aut.nodes[top.v]!.next;
      if (top.e < edges.length) {
        const w = edges[top.e++]!.to;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push({ v: w, e: 0 });
        } else if (onStack[w]) {
          low[top.v] = Math.min(low[top.v]!, index[w]!);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low[parent] = Math.min(low[parent]!, low[top.v]!);
      }
      if (low[top.v] === index[top.v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = order.length;
          members.push(w);
        } while (w !== top.v);
        order.push(members);
      }
    }
  }
  return { comp, order };
}
