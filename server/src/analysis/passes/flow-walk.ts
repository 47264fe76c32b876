// One of the two interpreters of a process's control flow (`Flow`): this one (FlowWalker) serves
// process-paths.ts, whose states need exits, branches correlated along a path and decisions
// forgotten when a call or loop pass ends; flow-paths.ts (PathWalker) serves counting and small
// per-object questions, exact for counted loops. flow-paths.ts's first lines say which to use
// when, and why both exist.
//
// It pushes sets of abstract states through operations, branches, loops (counted loops run their
// count, loops of unknown count may run any number of times, endless loops leave only by
// `break`), `try`/`finally` and calls, and routes `break`/`continue`/`return`/`throw` where the
// language sends them. The state and what an operation does to it are the caller's (see
// process-paths.ts). Branches whose condition was already decided on the path (the same constant
// tested twice) take the same way again.
import ts from '../typescript';
import type { EdgeCount } from '../../../../common/model';
import type { BranchGuard, Flow, Op } from '../facts';
import { guardText } from '../guards';

export type BranchFlow = Extract<Flow, { k: 'branch' }>;
export type ExitFlow = Extract<Flow, { k: 'exit' }>;

export interface Transfer<S> {
  /** Identity of a state: states with the same key are merged. */
  key(s: S): string;
  /** The states after an operation; none when the process cannot get past it. */
  op(s: S, op: Op): S[];
  /** False for operations that leave every state as it is (then `op` is not asked). */
  changes?(op: Op): boolean;
  /** An exit taken in `s`. */
  exit(s: S, f: ExitFlow): S;
  /** A loop that may run zero times, skipped: what its body could have done is uncertain. */
  skip(s: S, body: Flow): S;
  /**
   * Records that the branch `key` went the way `value`; undefined when `s` already decided
   * otherwise. `guard`: the branch tests what an operation returned (an acquire's success).
   */
  decide(s: S, key: string, value: boolean, depth: number, guard?: BranchGuard): S | undefined;
  /** Forgets what was decided at depth `depth` or deeper (a loop iteration or a call is over). */
  leave(s: S, depth: number): S;
  /**
   * A detached call (an async function whose promise is dropped) starts from `s` without what the
   * caller holds (`detach`), and the caller goes on as it was (`reattach`: the state after the
   * call's body, with the caller's own part of `before` back).
   */
  detach?(s: S): S;
  reattach?(after: S, before: S): S;
  /** A pool task begins (a call marked `task`): what carries over from the worker's last task. */
  task?(s: S): S;
}

/** The walk took too many steps: the caller stays silent about this process. */
export class WalkBudgetExceeded extends Error {}

interface Out<S> {
  normal: S[];
  brk: S[];
  cont: S[];
  ret: S[];
  thr: S[];
}

/** Counted loops longer than this run as "some more times" after the first iterations. */
const MAX_UNROLL = 8;
/** Fixpoint rounds for loops of unknown count. */
const MAX_ROUNDS = 64;

/**
 * What the walkers over one program's flows learn once and share (each process gets its own
 * walker, and their flows share the code of the functions they call): what each branch tests, which
 * parameters are assigned, and which operations are alternatives of one call. One per program,
 * made by the driver with the program's other passes (passes/index.ts).
 */
export class FlowWalkMemo {
  readonly condKeys = new WeakMap<BranchFlow, { key: string; flip: boolean } | null>();
  /** Ids of what guards test (the operations whose results they read). */
  private readonly symbolIds = new WeakMap<object, number>();
  private nextSymbolId = 0;
  readonly assigned = new WeakMap<ts.Symbol, boolean>();

  symbolId(s: object): number {
    let id = this.symbolIds.get(s);
    if (id === undefined) this.symbolIds.set(s, (id = this.nextSymbolId++));
    return id;
  }

  /**
   * An operation of one call whose receiver can be one of several objects (`(x ? a : b).acquire()`):
   * the interpreter records one operation per object, as alternatives (facts.ts `Op.alternative`).
   */
  onOneOfSeveral(op: Op): boolean {
    return op.alternative === true;
  }
}

export class FlowWalker<S> {
  private steps = 0;

  constructor(
    private readonly t: Transfer<S>,
    private readonly checker: ts.TypeChecker,
    private readonly memo: FlowWalkMemo,
    private readonly budget = 200_000,
  ) {}

  /** Branch conditions tested more than once: only their outcomes are worth remembering. */
  private repeated = new Set<string>();

  /** Every state the process can end in: normally, by `return`, or by an uncaught `throw`. */
  ends(flow: Flow, init: S): S[] {
    const seen = new Set<string>();
    this.repeated = new Set();
    const visit = (f: Flow): void => {
      switch (f.k) {
        case 'branch': {
          const c = this.condOf(f);
          if (c) {
            if (seen.has(c.key)) this.repeated.add(c.key);
            seen.add(c.key);
          }
          f.alts.forEach(visit);
          break;
        }
        case 'seq': f.items.forEach(visit); break;
        case 'loop': case 'call': visit(f.body); break;
        case 'try': visit(f.body); if (f.handler) visit(f.handler); if (f.finalizer) visit(f.finalizer); break;
        default: break;
      }
    };
    visit(flow);
    const r = this.walk(flow, [init], 0);
    return this.uniq([...r.normal, ...r.ret, ...r.thr, ...r.brk, ...r.cont]);
  }

  private uniq(states: S[]): S[] {
    const seen = new Set<string>();
    const out: S[] = [];
    for (const s of states) {
      const k = this.t.key(s);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(s);
      }
    }
    return out;
  }

  private tick(n: number): void {
    this.steps += n;
    if (this.steps > this.budget) throw new WalkBudgetExceeded();
  }

  private empty(): Out<S> {
    return { normal: [], brk: [], cont: [], ret: [], thr: [] };
  }

  private walk(f: Flow, ins: S[], depth: number): Out<S> {
    const out = this.empty();
    if (ins.length === 0) return out;
    this.tick(ins.length);
    switch (f.k) {
      case 'op':
        out.normal = this.uniq(this.t.changes && !this.t.changes(f.op) ? ins : ins.flatMap((s) => this.t.op(s, f.op)));
        return out;
      case 'seq': {
        let cur = ins;
        for (const item of f.items) {
          const r = this.walk(item, cur, depth);
          this.addExits(out, r);
          cur = r.normal;
          if (cur.length === 0) break;
        }
        out.normal = cur;
        return out;
      }
      case 'branch': {
        const tested = this.condOf(f);
        // Tests of whether an acquire (or another operation that may fail) succeeded are decided
        // by the operation's outcome on the path.
        const cond = tested && (this.repeated.has(tested.key) || f.guard?.source.fails === 'returns') ? tested : undefined;
        f.alts.forEach((alt, i) => {
          const taken = cond ? ins.flatMap((s) => {
            const d = this.t.decide(s, cond.key, (i === 0) !== cond.flip, depth, f.guard);
            return d ? [d] : [];
          }) : ins;
          const r = this.walk(alt, taken, depth);
          out.normal.push(...r.normal);
          this.addExits(out, r);
        });
        return this.uniqOut(out);
      }
      case 'loop':
        return this.loop(f.count, f.body, ins, depth);
      case 'try': {
        const body = this.walk(f.body, ins, depth);
        const parts = this.empty();
        parts.normal.push(...body.normal);
        parts.brk.push(...body.brk);
        parts.cont.push(...body.cont);
        parts.ret.push(...body.ret);
        if (f.handler) {
          const h = this.walk(f.handler, body.thr, depth);
          parts.normal.push(...h.normal);
          this.addExits(parts, h);
        } else {
          parts.thr.push(...body.thr);
        }
        if (!f.finalizer) return this.uniqOut(parts);
        // The finalizer runs on every way out, then that way continues (unless it exits itself).
        const result = this.empty();
        for (const way of ['normal', 'brk', 'cont', 'ret', 'thr'] as const) {
          const r = this.walk(f.finalizer, this.uniq(parts[way]), depth);
          result[way].push(...r.normal);
          this.addExits(result, r);
        }
        return this.uniqOut(result);
      }
      case 'call': {
        if (f.detached && this.t.detach && this.t.reattach) {
          for (const s of ins) {
            const r = this.walk(f.body, [this.t.detach(s)], depth + 1);
            out.normal.push(...[...r.normal, ...r.ret].map((x) => this.t.reattach!(this.t.leave(x, depth + 1), s)));
            out.thr.push(...r.thr.map((x) => this.t.reattach!(this.t.leave(x, depth + 1), s)));
          }
          out.normal = this.uniq(out.normal);
          out.thr = this.uniq(out.thr);
          return out;
        }
        const r = this.walk(f.body, f.task && this.t.task ? this.uniq(ins.map((s) => this.t.task!(s))) : ins, depth + 1);
        out.normal = this.uniq([...r.normal, ...r.ret].map((s) => this.t.leave(s, depth + 1)));
        out.thr = this.uniq(r.thr.map((s) => this.t.leave(s, depth + 1)));
        return out;
      }
      case 'exit': {
        const states = ins.map((s) => this.t.exit(s, f));
        const way = f.how === 'break' ? 'brk' : f.how === 'continue' ? 'cont' : f.how === 'return' ? 'ret' : 'thr';
        out[way] = states;
        return out;
      }
    }
  }

  private loop(count: EdgeCount, body: Flow, ins: S[], depth: number): Out<S> {
    const out = this.empty();
    const inner = depth + 1;
    const iterate = (states: S[]): S[] => {
      const r = this.walk(body, states, inner);
      out.brk.push(...r.brk.map((s) => this.t.leave(s, inner)));
      out.ret.push(...r.ret);
      out.thr.push(...r.thr);
      return this.uniq([...r.normal, ...r.cont].map((s) => this.t.leave(s, inner)));
    };
    const finish = (normal: S[]): Out<S> => {
      // `break` leaves this loop: it continues after it.
      out.normal = this.uniq([...normal, ...out.brk]);
      out.brk = [];
      return this.uniqOut(out);
    };
    if (typeof count === 'number') {
      let cur = ins;
      const n = Math.min(count, MAX_UNROLL);
      for (let i = 0; i < n && cur.length > 0; i++) cur = iterate(cur);
      if (count <= MAX_UNROLL) return finish(cur);
      return finish(this.fixpoint(cur, iterate, true));
    }
    if (count === 'several') {
      const skipped = ins.map((s) => this.t.skip(s, body));
      return finish(this.uniq([...skipped, ...this.fixpoint(iterate(ins), iterate, true)]));
    }
    // Endless: only `break` (or return/throw) leaves it.
    this.fixpoint(iterate(ins), iterate, false);
    return finish([]);
  }

  /** All states after one or more further iterations, until nothing new appears. */
  private fixpoint(first: S[], iterate: (states: S[]) => S[], keep: boolean): S[] {
    const seen = new Set(first.map((s) => this.t.key(s)));
    const all = [...first];
    let frontier = first;
    for (let round = 0; round < MAX_ROUNDS && frontier.length > 0; round++) {
      const next = iterate(frontier).filter((s) => {
        const k = this.t.key(s);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      all.push(...next);
      frontier = next;
    }
    if (frontier.length > 0) throw new WalkBudgetExceeded();
    return keep ? all : [];
  }

  private addExits(out: Out<S>, r: Out<S>): void {
    out.brk.push(...r.brk);
    out.cont.push(...r.cont);
    out.ret.push(...r.ret);
    out.thr.push(...r.thr);
  }

  private uniqOut(o: Out<S>): Out<S> {
    return { normal: this.uniq(o.normal), brk: this.uniq(o.brk), cont: this.uniq(o.cont), ret: this.uniq(o.ret), thr: this.uniq(o.thr) };
  }

  private condOf(f: BranchFlow): { key: string; flip: boolean } | undefined {
    return branchKey(f, this.checker, this.memo);
  }
}

/**
 * What a branch tests, when its outcome is fixed on a path once taken: an equality test of a
 * variable with a constant, or an `if` over constants and parameters only (`if (useLock)`,
 * `if (!opts.lock)`), or what an operation returned (a guard). Two branches with one key go the
 * same way (`flip`: the first way is taken when the key is false). Shared with the deadlock
 * checker's automata (checker/correlate.ts).
 */
export function branchKey(f: BranchFlow, checker: ts.TypeChecker, memo: FlowWalkMemo): { key: string; flip: boolean } | undefined {
  if (f.alts.length !== 2) return undefined;
  const cached = memo.condKeys.get(f);
  if (cached !== undefined) return cached ?? undefined;
  let result: { key: string; flip: boolean } | null = null;
  if (f.guard) {
    result = { key: `g${memo.symbolId(f.guard.source)}=${guardText(f.guard)}`, flip: false };
  } else if (f.cond) {
    let e: ts.Expression = f.cond;
    let flip = false;
    for (;;) {
      if (ts.isParenthesizedExpression(e)) e = e.expression;
      else if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) { flip = !flip; e = e.operand; }
      else break;
    }
    const ids: ts.Symbol[] = [];
    if (stable(e, ids, checker, memo) && ids.length > 0) result = { key: `c${ids.map((x) => memo.symbolId(x)).join(',')}:${e.getText()}`, flip };
  }
  memo.condKeys.set(f, result);
  return result ?? undefined;
}

/** An expression of constants, `const` variables and parameters: it means the same each time. */
function stable(e: ts.Expression, ids: ts.Symbol[], checker: ts.TypeChecker, memo: FlowWalkMemo): boolean {
  if (ts.isParenthesizedExpression(e)) return stable(e.expression, ids, checker, memo);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) return stable(e.operand, ids, checker, memo);
  if (ts.isStringLiteral(e) || ts.isNumericLiteral(e) || e.kind === ts.SyntaxKind.NullKeyword
    || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword) return true;
  if (ts.isPropertyAccessExpression(e)) return stable(e.expression, ids, checker, memo);
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    const ok = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken,
      ts.SyntaxKind.ExclamationEqualsToken, ts.SyntaxKind.LessThanToken, ts.SyntaxKind.GreaterThanToken, ts.SyntaxKind.LessThanEqualsToken,
      ts.SyntaxKind.GreaterThanEqualsToken, ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken].includes(op);
    return ok && stable(e.left, ids, checker, memo) && stable(e.right, ids, checker, memo);
  }
  if (ts.isIdentifier(e)) {
    if (e.text === 'undefined') return true;
    const sym = checker.getSymbolAtLocation(e);
    const d = sym?.valueDeclaration ?? sym?.declarations?.[0];
    if (!sym || !d) return false;
    const isConst = ts.isVariableDeclaration(d) && (ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) !== 0;
    const isParam = ts.isParameter(d) && !isAssigned(sym, d, checker, memo);
    if (!isConst && !isParam) return false;
    ids.push(sym);
    return true;
  }
  return false;
}

/** Whether a parameter is assigned anywhere in its function. */
function isAssigned(sym: ts.Symbol, param: ts.ParameterDeclaration, checker: ts.TypeChecker, memo: FlowWalkMemo): boolean {
  let known = memo.assigned.get(sym);
  if (known === undefined) memo.assigned.set(sym, (known = searchAssignment(sym, param, checker)));
  return known;
}

function searchAssignment(sym: ts.Symbol, param: ts.ParameterDeclaration, checker: ts.TypeChecker): boolean {
  const fn = param.parent;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
      && ts.isIdentifier(n.left) && checker.getSymbolAtLocation(n.left) === sym) found = true;
    ts.forEachChild(n, visit);
  };
  if ('body' in fn && fn.body) visit(fn.body);
  return found;
}
