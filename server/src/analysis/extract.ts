// Extraction: an abstract interpreter over the TypeScript AST. It follows where shim objects flow
// (variables, destructuring, arrays, object properties, `map`, loops, helper calls across modules,
// process `args`/`kwargs` bound to the target's parameters, `this` of Process subclasses) and
// records, per process, the operations it performs and its control flow. Pure: program in, facts out.
import * as path from 'node:path';
import ts from 'typescript';
import type { EdgeCount, Multiplicity } from '../../../common/model';
import {
  addMultiplicity, union, UNKNOWN, valueSites,
  type AbsValue, type BranchGuard, type CollValue, type ConstValue, type Extraction, type Flow, type FnValue, type Frame,
  type MainProcess, type ObjectSite, type Op, type OpKind, type ProcessRef, type RecordValue, type SiteKind,
} from './facts';
import { constOf, skipOuter } from './ast';
import { ShimResolver, type ShimExport } from './shim';
import { symbolAt } from './symbols';

export * from './facts';

const MAX_CALL_DEPTH = 10;

interface LoopFrame {
  mult: EdgeCount;
  /** The loop statement or callback: an object made inside it is a new instance per iteration. */
  node?: ts.Node;
  /** The iteration variable of a `for…of`: operations on it happen once per element. */
  variable?: ts.Symbol;
}

interface Context {
  proc: ProcessRef;
  frame: Frame;
  loops: LoopFrame[];
  callStack: ts.Node[];
  /** The flow items of the block being interpreted. */
  out: Flow[];
  guarded: boolean;
  /** Inside a callback handed to code the analysis cannot see: it runs on its own, so a wait
   * there does not hold up the process's own flow. */
  detached?: boolean;
  /** The entry's top-level statement being run (main only). */
  top?: ts.Statement;
}

/** Allocation: which site kind each shim constructor or factory makes. */
const ALLOCATES: Partial<Record<ShimExport, { kind: SiteKind; variant?: string }>> = {
  Queue: { kind: 'queue', variant: 'Queue' },
  JoinableQueue: { kind: 'queue', variant: 'JoinableQueue' },
  SimpleQueue: { kind: 'queue', variant: 'SimpleQueue' },
  Lock: { kind: 'lock', variant: 'Lock' },
  RLock: { kind: 'lock', variant: 'RLock' },
  Semaphore: { kind: 'semaphore', variant: 'Semaphore' },
  BoundedSemaphore: { kind: 'semaphore', variant: 'BoundedSemaphore' },
  Event: { kind: 'event' },
  Condition: { kind: 'condition' },
  Barrier: { kind: 'barrier' },
  Value: { kind: 'value' },
  SharedArray: { kind: 'array' },
  Manager: { kind: 'manager' },
};

/** Manager factories: `m.dict()`, `m.Queue()`… */
const MANAGER_FACTORIES: Record<string, { kind: SiteKind; variant?: string }> = {
  dict: { kind: 'dict' }, list: { kind: 'list' }, Namespace: { kind: 'namespace' },
  Queue: { kind: 'queue', variant: 'ManagerQueue' }, JoinableQueue: { kind: 'queue', variant: 'ManagerQueue' },
  Lock: { kind: 'lock', variant: 'Lock' }, RLock: { kind: 'lock', variant: 'RLock' },
  Semaphore: { kind: 'semaphore', variant: 'Semaphore' }, BoundedSemaphore: { kind: 'semaphore', variant: 'BoundedSemaphore' },
  Event: { kind: 'event' }, Condition: { kind: 'condition' }, Barrier: { kind: 'barrier' }, Value: { kind: 'value' },
};

/** Node's file functions that read or write a whole file by name (shared-file races). */
const FS_READ: ReadonlySet<string> = new Set(['readFileSync', 'readFile']);
const FS_WRITE: ReadonlySet<string> = new Set(['writeFileSync', 'writeFile', 'appendFileSync', 'appendFile']);
const FS_MODULES: ReadonlySet<string> = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises']);

const POOL_SUBMIT = new Set(['apply', 'applyAsync', 'map', 'mapAsync', 'starmap', 'starmapAsync', 'imap', 'imapUnordered']);

function loopCount(loops: readonly LoopFrame[], exclude: ReadonlySet<ts.Symbol>, madeAt?: ts.Node): EdgeCount {
  let n = 1;
  let several = false;
  for (const l of loops) {
    if (l.variable && exclude.has(l.variable)) continue;
    if (madeAt && l.node && contains(l.node, madeAt)) continue;
    if (l.mult === 'loop') return 'loop';
    if (l.mult === 'several') several = true;
    else n *= l.mult;
  }
  return several ? 'several' : n;
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return inner.getSourceFile() === outer.getSourceFile() && inner.pos >= outer.pos && inner.end <= outer.end;
}

function seq(items: Flow[]): Flow {
  return items.length === 1 ? items[0]! : { k: 'seq', items };
}

function propertyName(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

export class Extractor {
  private readonly sites = new Map<ts.Node, ObjectSite>();
  private readonly implicit = new Map<ObjectSite, Map<string, ObjectSite>>();
  private readonly ops: Op[] = [];
  private readonly flows = new Map<ProcessRef, Flow>();
  private readonly started = new Set<ObjectSite>();
  /** Process subclasses being constructed now: a recursive construction is cut there. */
  private readonly constructing = new Set<ts.ClassLikeDeclaration>();
  /** Processes whose code runs `eval` or `new Function`: they may do anything. */
  private readonly opaque = new Set<ProcessRef>();
  /** Objects (and AsyncResults, by submit call) handed to code the analysis cannot see into. */
  private readonly escaped = new Set<ObjectSite>();
  private readonly escapedResults = new Set<ts.CallExpression>();
  /** Functions submitted to each pool worker: its flow is a loop over them. */
  private readonly poolTasks = new Map<ObjectSite, Flow[]>();
  /** One `file` site per constant path the program reads or writes. */
  private readonly files = new Map<string, ObjectSite>();
  /**
   * Unknown values that remember the `const` declaration that computed them, made once by one
   * process (`const db = path.join(tmp, 'db.json')`): wherever they flow (args, parameters), they
   * are the same value, so two file operations on them touch the same file.
   */
  private readonly origins = new WeakMap<AbsValue, ts.VariableDeclaration>();

  constructor(private readonly checker: ts.TypeChecker, private readonly shim: ShimResolver) {}

  /** Source files whose code some process of this program runs. */
  private readonly reached = new Set<ts.SourceFile>();
  private readonly functionsRun = new Map<ProcessRef, Set<ts.Node>>();

  /** Runs an entry file's top-level code as the main process, following every process it starts. */
  extract(entry: ts.SourceFile): Extraction {
    const main: MainProcess = { kind: 'main', file: entry };
    const ctx = this.context(main, undefined, false);
    this.reached.add(entry);
    for (const s of entry.statements) {
      ctx.top = s;
      this.statement(s, ctx);
    }
    delete ctx.top;
    this.flows.set(main, seq(ctx.out));
    return this.finish(entry, main, true);
  }

  /**
   * A module no entry reaches, on its own: each exported function runs as a possible target with
   * unknown inputs, so its operations land on "unknown" objects of their declared shim types.
   */
  extractModule(module: ts.SourceFile): Extraction {
    const main: MainProcess = { kind: 'main', file: module };
    this.reached.add(module);
    const exported = symbolAt(this.checker, module);
    for (const sym of exported ? this.checker.getExportsOfModule(exported) : []) {
      const fn = this.functionOf(sym);
      if (!fn || fn.decl.getSourceFile() !== module) continue;
      const site: ObjectSite = {
        kind: 'process', role: 'child', node: fn.decl, label: sym.getName(), targetName: sym.getName(),
        multiplicity: 'several', args: [], daemon: false, targets: [fn],
      };
      this.sites.set(fn.decl, site);
      const ctx = this.context(site, undefined, true);
      this.invoke(fn, [], ctx);
      this.flows.set(site, seq(ctx.out));
    }
    // Keep only functions that touch the shim.
    for (const [node, site] of this.sites) {
      if (site.kind === 'process' && !this.ops.some((o) => o.proc === site)) this.sites.delete(node);
    }
    return this.finish(module, main, false);
  }

  private finish(entry: ts.SourceFile, main: MainProcess, isEntry: boolean): Extraction {
    for (const [worker, tasks] of this.poolTasks) {
      this.flows.set(worker, { k: 'loop', count: 'loop', body: { k: 'branch', alts: tasks } });
    }
    return { entry, main, isEntry, reached: this.reached, functionsRun: this.functionsRun, opaque: this.opaque, sites: [...this.sites.values(), ...[...this.implicit.values()].flatMap((m) => [...m.values()]), ...this.files.values()], ops: this.ops, flows: this.flows, escaped: this.escaped, escapedResults: this.escapedResults };
  }

  private context(proc: ProcessRef, parent: Context | undefined, guarded: boolean): Context {
    return {
      proc, frame: { vars: new Map(), parent: undefined, returns: [] }, loops: [],
      callStack: parent?.callStack ?? [], out: [], guarded,
    };
  }

  /** Interprets `fn` with a fresh flow list, returning the flow it produced. */
  private collect(ctx: Context, fn: () => void): Flow {
    const saved = ctx.out;
    ctx.out = [];
    try {
      fn();
      return seq(ctx.out);
    } finally {
      ctx.out = saved;
    }
  }

  // ---- statements ----

  private statements(list: readonly ts.Statement[], ctx: Context): void {
    for (const s of list) this.statement(s, ctx);
  }

  private statement(s: ts.Statement, ctx: Context): void {
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) this.declaration(d, ctx);
    } else if (ts.isExpressionStatement(s)) {
      this.expr(s.expression, ctx);
    } else if (ts.isBlock(s)) {
      this.statements(s.statements, ctx);
    } else if (ts.isIfStatement(s)) {
      this.ifStatement(s, ctx);
    } else if (ts.isForOfStatement(s)) {
      this.forOf(s, ctx);
    } else if (ts.isForStatement(s)) {
      if (s.initializer) {
        if (ts.isVariableDeclarationList(s.initializer)) for (const d of s.initializer.declarations) this.declaration(d, ctx);
        else this.expr(s.initializer, ctx);
      }
      // The bound may be a parameter or a constant the interpreter knows (`i <= rounds`).
      const known = (e: ts.Expression): { v: ConstValue } | undefined => {
        const x = skipOuter(e);
        if (!ts.isIdentifier(x)) return constOf(x);
        const v = this.identifier(x, ctx);
        return v.t === 'const' ? { v: v.v } : undefined;
      };
      this.loop(s.statement, { mult: forCount(s, known), node: s }, ctx, s.condition);
    } else if (ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      const forever = s.expression.kind === ts.SyntaxKind.TrueKeyword;
      this.loop(s.statement, { mult: forever ? 'loop' : 'several', node: s }, ctx, s.expression);
    } else if (ts.isForInStatement(s)) {
      this.expr(s.expression, ctx);
      this.loop(s.statement, { mult: 'several', node: s }, ctx);
    } else if (ts.isReturnStatement(s)) {
      ctx.frame.returns.push(s.expression ? this.expr(s.expression, ctx) : { t: 'const', v: undefined });
      ctx.out.push({ k: 'exit', how: 'return', node: s });
    } else if (ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
      ctx.out.push({ k: 'exit', how: ts.isBreakStatement(s) ? 'break' : 'continue', ...(s.label ? { label: s.label.text } : {}), node: s });
    } else if (ts.isThrowStatement(s)) {
      this.expr(s.expression, ctx);
      ctx.out.push({ k: 'exit', how: 'throw', node: s });
    } else if (ts.isTryStatement(s)) {
      const body = this.collect(ctx, () => this.statement(s.tryBlock, ctx));
      const handler = s.catchClause ? this.collect(ctx, () => this.statement(s.catchClause!.block, ctx)) : undefined;
      const finalizer = s.finallyBlock ? this.collect(ctx, () => this.statement(s.finallyBlock!, ctx)) : undefined;
      ctx.out.push({ k: 'try', body, handler, finalizer });
    } else if (ts.isLabeledStatement(s)) {
      this.statement(s.statement, ctx);
    } else if (ts.isSwitchStatement(s)) {
      this.expr(s.expression, ctx);
      const alts = s.caseBlock.clauses.map((clause) => this.collect(ctx, () => this.statements(clause.statements, ctx)));
      if (!s.caseBlock.clauses.some(ts.isDefaultClause)) alts.push(seq([]));
      ctx.out.push({ k: 'branch', alts });
    }
    // Declarations (functions, classes, imports, types) run nothing by themselves.
  }

  private ifStatement(s: ts.IfStatement, ctx: Context): void {
    const guard = this.mainGuard(s.expression);
    if (guard !== undefined) {
      // `if (isMainProcess())`: main runs one branch, a child re-importing the module the other.
      const inMain = ctx.proc.kind === 'main' ? guard : !guard;
      const savedGuard = ctx.guarded;
      ctx.guarded = true;
      try {
        if (inMain) this.statement(s.thenStatement, ctx);
        else if (s.elseStatement) this.statement(s.elseStatement, ctx);
      } finally {
        ctx.guarded = savedGuard;
      }
      return;
    }
    this.expr(s.expression, ctx);
    const then = this.collect(ctx, () => this.statement(s.thenStatement, ctx));
    const otherwise = this.collect(ctx, () => { if (s.elseStatement) this.statement(s.elseStatement, ctx); });
    const test = this.equalityGuard(s.expression);
    if (!test) ctx.out.push({ k: 'branch', alts: [then, otherwise], cond: s.expression });
    else ctx.out.push({ k: 'branch', alts: test.negated ? [otherwise, then] : [then, otherwise], guard: test.guard });
  }

  /** `x === C`, `C == x`, `x !== C`: which alternative runs when a variable equals a constant. */
  private equalityGuard(cond: ts.Expression): { guard: BranchGuard; negated: boolean } | undefined {
    const e = skipOuter(cond);
    if (!ts.isBinaryExpression(e)) return undefined;
    const op = e.operatorToken.kind;
    const eq = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
    const ne = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
    if (!eq && !ne) return undefined;
    const [name, constant] = ts.isIdentifier(e.left) ? [e.left, e.right] : ts.isIdentifier(e.right) ? [e.right, e.left] : [undefined, undefined];
    const c = constant && constOf(skipOuter(constant));
    const variable = name && symbolAt(this.checker, name);
    if (!c || !variable) return undefined;
    // Loose equality with null also matches undefined: the shim's sentinels are null.
    const value = (op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) && c.v === undefined ? null : c.v;
    return { guard: { variable, value }, negated: ne };
  }

  private forOf(s: ts.ForOfStatement, ctx: Context): void {
    const iterable = this.expr(s.expression, ctx);
    const coll = asColl(iterable);
    const elements = coll ? union(coll.items) : UNKNOWN;
    let variable: ts.Symbol | undefined;
    const init = s.initializer;
    if (ts.isVariableDeclarationList(init)) {
      const d = init.declarations[0];
      if (d) {
        if (ts.isIdentifier(d.name)) {
          variable = symbolAt(this.checker, d.name);
          if (variable) ctx.frame.vars.set(variable, elements);
        } else {
          this.bind(d.name, elements, ctx);
        }
      }
    }
    // Over a short list of distinct shim objects (`for (const p of [...producers, ...consumers])`),
    // run the body once per object with the variable bound to it alone: each iteration works on
    // one element, not on "any of them" (which would start a twice and b never).
    const perItem = coll && variable ? this.itemIterations(coll) : undefined;
    if (perItem && variable) {
      for (const { item, times } of perItem) {
        ctx.frame.vars.set(variable, item);
        this.loop(s.statement, { mult: times, node: s, variable }, ctx);
      }
      ctx.frame.vars.set(variable, elements);
      return;
    }
    this.loop(s.statement, { mult: coll ? coll.length : 'several', node: s, ...(variable ? { variable } : {}) }, ctx);
  }

  /** How many times a loop over a collection meets each of its items, when that is known. */
  private itemIterations(coll: CollValue): { item: AbsValue; times: Multiplicity }[] | undefined {
    if (coll.items.length < 2 || coll.items.length > 16 || !coll.items.every((v) => v.t === 'obj')) return undefined;
    const sites = coll.items.map((v) => (v as { site: ObjectSite }).site);
    if (new Set(sites).size !== sites.length) return undefined;
    // Each item stands for all instances of its site (a `map` result), or for one.
    if (coll.length === coll.items.length) return coll.items.map((item) => ({ item, times: 1 }));
    const total = sites.reduce<Multiplicity>((n, x) => addMultiplicity(n, x.multiplicity), 0);
    if (total !== coll.length) return undefined;
    return coll.items.map((item, i) => ({ item, times: sites[i]!.multiplicity }));
  }

  private loop(body: ts.Statement, frame: LoopFrame, ctx: Context, condition?: ts.Expression): void {
    ctx.loops.push(frame);
    try {
      const flow = this.collect(ctx, () => {
        if (condition) this.expr(condition, ctx);
        this.statement(body, ctx);
      });
      ctx.out.push({ k: 'loop', count: frame.mult, body: flow });
    } finally {
      ctx.loops.pop();
    }
  }

  private declaration(d: ts.VariableDeclaration, ctx: Context): void {
    const before = this.ops.length;
    let value = d.initializer ? this.expr(d.initializer, ctx) : UNKNOWN;
    if (value.t === 'unknown' && d.initializer && ts.isIdentifier(d.name) && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const
      && ctx.loops.length === 0 && (ctx.proc.kind === 'main' || ctx.proc.multiplicity === 1)) {
      value = { t: 'unknown' };
      this.origins.set(value, d);
    }
    this.bind(d.name, value, ctx);
    if (ts.isIdentifier(d.name) && d.initializer) this.noteResult(d.initializer, d.name, before);
  }

  /** Remembers which variable holds what a `get`/`recv` returned, for guards that test it. */
  private noteResult(init: ts.Expression, name: ts.Identifier, firstOp: number): void {
    const call = skipOuter(init);
    if (!ts.isCallExpression(call)) return;
    const variable = symbolAt(this.checker, name);
    for (let i = firstOp; i < this.ops.length; i++) {
      const op = this.ops[i]!;
      if (op.call === call && (op.kind === 'get' || op.kind === 'recv') && variable) op.resultVar = variable;
    }
  }

  private bind(name: ts.BindingName, value: AbsValue, ctx: Context): void {
    if (ts.isIdentifier(name)) {
      const sym = symbolAt(this.checker, name);
      if (sym) ctx.frame.vars.set(sym, value);
    } else if (ts.isArrayBindingPattern(name)) {
      const coll = asColl(value);
      name.elements.forEach((el, i) => {
        if (ts.isOmittedExpression(el)) return;
        const item = el.dotDotDotToken
          ? (coll ? { t: 'coll' as const, items: coll.items.slice(i), length: 'several' as const, depth: ctx.loops.length } : UNKNOWN)
          : coll ? (coll.items.length === coll.length ? coll.items[i] ?? UNKNOWN : union(coll.items)) : UNKNOWN;
        this.bind(el.name, el.initializer && item.t === 'unknown' ? this.expr(el.initializer, ctx) : item, ctx);
      });
    } else {
      for (const el of name.elements) {
        const key = propertyName(el.propertyName ?? el.name);
        const field = key !== undefined ? fieldOf(value, key) : UNKNOWN;
        this.bind(el.name, el.initializer && field.t === 'unknown' ? this.expr(el.initializer, ctx) : field, ctx);
      }
    }
  }

  /** `isMainProcess()` (or `!isMainProcess()`) as an `if` condition: which branch main runs. */
  private mainGuard(cond: ts.Expression): boolean | undefined {
    const e = skipOuter(cond);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
      const inner = this.mainGuard(e.operand);
      return inner === undefined ? undefined : !inner;
    }
    if (ts.isCallExpression(e) && this.shim.exportOf(e.expression) === 'isMainProcess') return true;
    // `require.main === module`, the CommonJS equivalent of the guard.
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken
      && e.left.getText() === 'require.main' && e.right.getText() === 'module') return true;
    return undefined;
  }

  // ---- expressions ----

  private expr(e: ts.Expression, ctx: Context): AbsValue {
    e = skipOuter(e);
    const c = constOf(e);
    if (c) return { t: 'const', v: c.v };
    if (ts.isIdentifier(e)) return this.identifier(e, ctx);
    if (e.kind === ts.SyntaxKind.ThisKeyword) return this.thisValue(ctx);
    if (ts.isArrayLiteralExpression(e)) return this.arrayLiteral(e, ctx);
    if (ts.isObjectLiteralExpression(e)) return this.objectLiteral(e, ctx);
    if (ts.isNewExpression(e)) {
      if (ts.isIdentifier(e.expression) && e.expression.text === 'Function') this.opaque.add(ctx.proc);
      return this.newExpr(e, ctx);
    }
    if (ts.isCallExpression(e)) return this.call(e, ctx);
    if (ts.isPropertyAccessExpression(e)) return fieldOf(this.expr(e.expression, ctx), e.name.text);
    if (ts.isElementAccessExpression(e)) {
      const obj = this.expr(e.expression, ctx);
      const index = this.expr(e.argumentExpression, ctx);
      if (index.t === 'const' && (typeof index.v === 'string' || typeof index.v === 'number')) {
        const coll = asColl(obj);
        if (coll && typeof index.v === 'number') return coll.items.length === coll.length ? coll.items[index.v] ?? UNKNOWN : union(coll.items);
        return fieldOf(obj, String(index.v));
      }
      const coll = asColl(obj);
      return coll ? union(coll.items) : UNKNOWN;
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      const self = ctx.frame.self;
      return { t: 'fn', decl: e, closure: ctx.frame, ...(ts.isArrowFunction(e) && self ? { self } : {}) };
    }
    if (ts.isConditionalExpression(e)) {
      this.expr(e.condition, ctx);
      let a: AbsValue = UNKNOWN;
      let b: AbsValue = UNKNOWN;
      const then = this.collect(ctx, () => { a = this.expr(e.whenTrue, ctx); });
      const otherwise = this.collect(ctx, () => { b = this.expr(e.whenFalse, ctx); });
      ctx.out.push({ k: 'branch', alts: [then, otherwise] });
      return union([a, b]);
    }
    if (ts.isBinaryExpression(e)) return this.binary(e, ctx);
    ts.forEachChild(e, (child) => {
      if (ts.isExpression(child)) this.expr(child, ctx);
      // `${await q.get()}`: a template's spans hold expressions too.
      else if (ts.isTemplateSpan(child)) this.expr(child.expression, ctx);
    });
    return UNKNOWN;
  }

  private binary(e: ts.BinaryExpression, ctx: Context): AbsValue {
    const op = e.operatorToken.kind;
    if (op === ts.SyntaxKind.EqualsToken) {
      const before = this.ops.length;
      const value = this.expr(e.right, ctx);
      this.assignTo(e.left, value, ctx);
      if (ts.isIdentifier(e.left)) this.noteResult(e.right, e.left, before);
      return value;
    }
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
      const left = this.expr(e.left, ctx);
      let right: AbsValue = UNKNOWN;
      const rhs = this.collect(ctx, () => { right = this.expr(e.right, ctx); });
      ctx.out.push({ k: 'branch', alts: [rhs, seq([])] });
      return union([left, right]);
    }
    this.expr(e.left, ctx);
    this.expr(e.right, ctx);
    return UNKNOWN;
  }

  private assignTo(target: ts.Expression, value: AbsValue, ctx: Context): void {
    target = skipOuter(target);
    if (ts.isIdentifier(target)) {
      const sym = symbolAt(this.checker, target);
      if (sym) this.assign(sym, value, ctx.frame);
    } else if (ts.isPropertyAccessExpression(target)) {
      const obj = this.expr(target.expression, ctx);
      if (records(obj).length === 0) this.escape([value]);
      for (const rec of records(obj)) rec.fields.set(target.name.text, union([rec.fields.get(target.name.text) ?? value, value]));
    } else if (ts.isArrayLiteralExpression(target) || ts.isObjectLiteralExpression(target)) {
      // Destructuring assignment: rarely carries shim objects; evaluate for side effects only.
      this.expr(target, ctx);
    }
  }

  private assign(sym: ts.Symbol, value: AbsValue, frame: Frame): void {
    for (let f: Frame | undefined = frame; f; f = f.parent) {
      const old = f.vars.get(sym);
      if (old) {
        f.vars.set(sym, old.t === 'unknown' || (old.t === 'const' && old.v === undefined) ? value : union([old, value]));
        return;
      }
    }
    frame.vars.set(sym, value);
  }

  private thisValue(ctx: Context): AbsValue {
    for (let f: Frame | undefined = ctx.frame; f; f = f.parent) if (f.self) return f.self;
    return UNKNOWN;
  }

  private identifier(e: ts.Identifier, ctx: Context): AbsValue {
    const sym = ts.isShorthandPropertyAssignment(e.parent) && e.parent.name === e
      ? this.checker.getShorthandAssignmentValueSymbol(e.parent) : symbolAt(this.checker, e);
    if (!sym) return UNKNOWN;
    for (let f: Frame | undefined = ctx.frame; f; f = f.parent) {
      const v = f.vars.get(sym);
      if (v) return v;
    }
    return this.functionOf(sym) ?? this.moduleConstant(sym, ctx) ?? UNKNOWN;
  }

  /** A symbol that names a function of the analyzed program (through imports). */
  private functionOf(sym: ts.Symbol): FnValue | undefined {
    const target = sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    for (const d of target.declarations ?? []) {
      if (d.getSourceFile().isDeclarationFile) continue;
      if (ts.isFunctionDeclaration(d) && d.body) return { t: 'fn', decl: d, closure: undefined };
      if (ts.isMethodDeclaration(d) && d.body) return { t: 'fn', decl: d, closure: undefined };
      if (ts.isVariableDeclaration(d) && d.initializer) {
        const init = skipOuter(d.initializer);
        if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return { t: 'fn', decl: init, closure: undefined };
      }
    }
    return undefined;
  }

  /**
   * A module-level `const` of another module (or of this one, read from a function): its value.
   * Under spawn every process imports modules anew, so only constants that make no shim object
   * are shared facts; a shim object made at module level is a different object in each process.
   */
  private moduleConstant(sym: ts.Symbol, ctx: Context): AbsValue | undefined {
    const target = sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    const d = target.declarations?.[0];
    if (!d || !ts.isVariableDeclaration(d) || !d.initializer || d.getSourceFile().isDeclarationFile) return undefined;
    if (!(ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) || !ts.isSourceFile(d.parent.parent.parent)) return undefined;
    const c = constOf(skipOuter(d.initializer));
    if (c) return { t: 'const', v: c.v };
    void ctx;
    return undefined;
  }

  private arrayLiteral(e: ts.ArrayLiteralExpression, ctx: Context): AbsValue {
    const items: AbsValue[] = [];
    let length: Multiplicity = 0;
    for (const el of e.elements) {
      if (ts.isSpreadElement(el)) {
        const coll = asColl(this.expr(el.expression, ctx));
        if (coll) {
          items.push(...coll.items);
          length = addMultiplicity(length, coll.length);
        } else {
          items.push(UNKNOWN);
          length = 'several';
        }
      } else {
        items.push(this.expr(el, ctx));
        length = addMultiplicity(length, 1);
      }
    }
    return { t: 'coll', items, length, depth: ctx.loops.length };
  }

  private objectLiteral(e: ts.ObjectLiteralExpression, ctx: Context): RecordValue {
    const fields = new Map<string, AbsValue>();
    for (const p of e.properties) {
      if (ts.isPropertyAssignment(p)) {
        const key = propertyName(p.name);
        const v = this.expr(p.initializer, ctx);
        if (key !== undefined) fields.set(key, v);
      } else if (ts.isShorthandPropertyAssignment(p)) {
        fields.set(p.name.text, this.identifier(p.name, ctx));
      } else if (ts.isSpreadAssignment(p)) {
        const v = this.expr(p.expression, ctx);
        for (const rec of records(v)) for (const [k, x] of rec.fields) fields.set(k, x);
      } else if (ts.isMethodDeclaration(p)) {
        const key = propertyName(p.name);
        if (key !== undefined) fields.set(key, { t: 'fn', decl: p, closure: ctx.frame });
      }
    }
    return { t: 'record', fields };
  }

  // ---- allocation ----

  private newExpr(e: ts.NewExpression, ctx: Context): AbsValue {
    const which = this.shim.exportOf(e.expression);
    const args = e.arguments ?? [];
    if (which === 'Process') return this.newProcess(e, args[0], ctx, undefined);
    if (which === 'Pool') return this.newPool(e, args[0], ctx);
    if (which && ALLOCATES[which]) return this.allocate(e, which, args, ctx);
    const subclass = this.processSubclass(e.expression);
    if (subclass) return this.newSubclass(e, subclass, args, ctx);
    this.escape(args.map((a) => this.expr(a, ctx)));
    return UNKNOWN;
  }

  private allocate(e: ts.Expression, which: ShimExport, args: readonly ts.Expression[], ctx: Context): AbsValue {
    const spec = ALLOCATES[which]!;
    const values = args.map((a) => this.expr(a, ctx));
    const num = (v: AbsValue | undefined, dflt: number): number | undefined =>
      v === undefined ? dflt : v.t === 'const' && typeof v.v === 'number' ? Math.max(0, v.v) : undefined;
    const site = this.site(e, ctx, () => {
      const s: ObjectSite = { kind: spec.kind, node: e, label: nameOf(e) ?? which, multiplicity: 0 };
      if (spec.variant) s.variant = spec.variant;
      if (spec.kind === 'queue') s.maxsize = num(values[0], 0) ?? 0;
      if (spec.kind === 'semaphore') s.size = num(values[0], 1) ?? 'several';
      if (spec.kind === 'barrier') s.size = num(values[0], 0) ?? 'several';
      return s;
    });
    return { t: 'obj', site };
  }

  /** `Pipe(duplex)` returns its two ends. */
  private pipe(e: ts.CallExpression, ctx: Context): AbsValue {
    const duplexArg = e.arguments[0] ? this.expr(e.arguments[0], ctx) : { t: 'const' as const, v: true };
    const site = this.site(e, ctx, () => ({
      kind: 'pipe', node: e, label: pipeName(e) ?? 'Pipe', multiplicity: 0,
      duplex: !(duplexArg.t === 'const' && duplexArg.v === false),
    }));
    return { t: 'coll', items: [{ t: 'obj', site, end: 0 }, { t: 'obj', site, end: 1 }], length: 2, depth: ctx.loops.length };
  }

  private newProcess(e: ts.Expression, optionsNode: ts.Expression | undefined, ctx: Context, self: AbsValue | undefined): AbsValue {
    const options = optionsNode ? this.expr(optionsNode, ctx) : UNKNOWN;
    const target = fieldOf(options, 'target');
    const t = optionsNode && ts.isObjectLiteralExpression(skipOuter(optionsNode))
      ? (skipOuter(optionsNode) as ts.ObjectLiteralExpression).properties.find((p) => propertyName(p.name) === 'target') : undefined;
    const targetNode = t && ts.isPropertyAssignment(t) ? skipOuter(t.initializer) : t && ts.isShorthandPropertyAssignment(t) ? t.name : undefined;
    // Name the process after the function(s) it runs, else after what the code calls its target.
    const fnNames = (target.t === 'union' ? target.alts : [target]).flatMap((v) => (v.t === 'fn' ? [functionName(v.decl)] : []))
      .filter((n): n is string => !!n);
    const targetName = fnNames.length > 0 ? [...new Set(fnNames)].slice(0, 3).join(' | ') + (fnNames.length > 3 ? ' | …' : '')
      : targetNode && ts.isIdentifier(targetNode) ? targetNode.text
        : targetNode && ts.isPropertyAccessExpression(targetNode) ? targetNode.name.text : undefined;
    const args = asColl(fieldOf(options, 'args'));
    const kwargs = fieldOf(options, 'kwargs');
    const daemon = fieldOf(options, 'daemon');
    const site = this.site(e, ctx, () => {
      const s: ObjectSite = {
        kind: 'process', role: 'child', node: e, label: targetName ?? nameOf(e) ?? 'Process', multiplicity: 0,
        args: args ? args.items : [], daemon: daemon.t === 'const' && daemon.v === true,
      };
      const fns = (target.t === 'union' ? target.alts : [target]).filter((v): v is FnValue => v.t === 'fn');
      if (fns.length > 0) s.targets = fns;
      if (targetName) s.targetName = targetName;
      if (kwargs.t === 'record') s.kwargs = kwargs;
      if (self) s.self = self;
      return s;
    });
    return { t: 'obj', site };
  }

  /** The class declaration of `new Worker()` when Worker extends the shim's Process. */
  private processSubclass(expr: ts.Expression): ts.ClassLikeDeclaration | undefined {
    const sym = symbolAt(this.checker, ts.isPropertyAccessExpression(expr) ? expr.name : expr);
    const target = sym && sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    const decl = target?.declarations?.find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d));
    if (!decl || decl.getSourceFile().isDeclarationFile) return undefined;
    for (let c: ts.ClassLikeDeclaration | undefined = decl, depth = 0; c && depth < 8; depth++) {
      const ext = c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      if (!ext) return undefined;
      if (this.shim.exportOf(ext) === 'Process') return decl;
      const s = symbolAt(this.checker, ts.isPropertyAccessExpression(ext) ? ext.name : ext);
      const t = s && s.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(s) : s;
      c = t?.declarations?.find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d));
    }
    return undefined;
  }

  /** `new Worker(q)` of `class Worker extends Process { run() {…} }`: the child runs `run`. */
  private newSubclass(e: ts.NewExpression, cls: ts.ClassLikeDeclaration, args: readonly ts.Expression[], ctx: Context): AbsValue {
    // A class whose construction constructs itself again (a field `c = new Counter()`) never
    // finishes at run time either: unknown, rather than following it until the stack overflows.
    if (this.constructing.has(cls)) return UNKNOWN;
    this.constructing.add(cls);
    try {
      return this.newSubclassOnce(e, cls, args, ctx);
    } finally {
      this.constructing.delete(cls);
    }
  }

  private newSubclassOnce(e: ts.NewExpression, cls: ts.ClassLikeDeclaration, args: readonly ts.Expression[], ctx: Context): AbsValue {
    const self: RecordValue = { t: 'record', fields: new Map() };
    const argValues = args.map((a) => this.expr(a, ctx));
    let superOptions: ts.Expression | undefined;
    const classes: ts.ClassLikeDeclaration[] = [];
    for (let c: ts.ClassLikeDeclaration | undefined = cls; c && classes.length < 8;) {
      classes.push(c);
      const ext = c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      if (!ext || this.shim.exportOf(ext) === 'Process') break;
      const s = symbolAt(this.checker, ext);
      const t = s && s.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(s) : s;
      c = t?.declarations?.find((d): d is ts.ClassLikeDeclaration => ts.isClassLike(d));
    }
    // Field initializers and the constructor: parameter properties and `this.x = …` set fields.
    const ctor = classes.map((c) => c.members.find(ts.isConstructorDeclaration)).find((m) => m?.body);
    for (const c of [...classes].reverse()) {
      for (const m of c.members) {
        if (ts.isPropertyDeclaration(m) && m.initializer) {
          const key = propertyName(m.name);
          if (key !== undefined) self.fields.set(key, this.expr(m.initializer, { ...ctx, frame: { ...ctx.frame, self } }));
        }
      }
    }
    if (ctor?.body) {
      const frame: Frame = { vars: new Map(), parent: undefined, returns: [], self };
      const inner: Context = { ...ctx, frame };
      ctor.parameters.forEach((p, i) => {
        const v = argValues[i] ?? UNKNOWN;
        this.bind(p.name, v, inner);
        if (ts.getModifiers(p)?.length && ts.isIdentifier(p.name)) self.fields.set(p.name.text, v);
      });
      for (const st of ctor.body.statements) {
        const call = ts.isExpressionStatement(st) ? skipOuter(st.expression) : undefined;
        if (call && ts.isCallExpression(call) && call.expression.kind === ts.SyntaxKind.SuperKeyword) {
          superOptions = call.arguments[0];
          if (superOptions) this.expr(superOptions, inner);
          continue;
        }
        this.statement(st, inner);
      }
    }
    const run = classes.flatMap((c) => c.members).find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && propertyName(m.name) === 'run' && !!m.body);
    const site = this.site(e, ctx, () => ({
      kind: 'process', role: 'child', node: e, label: cls.name?.text ?? 'Process', multiplicity: 0,
      args: [], daemon: false, self, targetName: `${cls.name?.text ?? 'Process'}.run`,
      ...(run ? { targets: [{ t: 'fn' as const, decl: run, closure: undefined, self }] } : {}),
    }));
    if (superOptions && ts.isObjectLiteralExpression(skipOuter(superOptions))) {
      const opts = this.expr(superOptions, { ...ctx, frame: { vars: new Map(), parent: undefined, returns: [], self } });
      const daemon = fieldOf(opts, 'daemon');
      site.daemon = daemon.t === 'const' && daemon.v === true;
    }
    return { t: 'obj', site };
  }

  /** `new Pool(n)`: the pool and its worker processes, which run what is submitted. */
  private newPool(e: ts.NewExpression, arg: ts.Expression | undefined, ctx: Context): AbsValue {
    const v = arg ? this.expr(arg, ctx) : UNKNOWN;
    const processes = v.t === 'const' ? v : fieldOf(v, 'processes');
    const size: Multiplicity = processes.t === 'const' && typeof processes.v === 'number' ? processes.v : 'several';
    const pool = this.site(e, ctx, () => ({ kind: 'pool', node: e, label: nameOf(e) ?? 'Pool', multiplicity: 0, size }));
    const worker = this.implicitSite(pool, 'worker', () => ({
      kind: 'process', role: 'pool-worker', node: e, label: `${pool.label} worker`, multiplicity: size, owner: pool, daemon: true,
    }));
    const initializer = fieldOf(v, 'initializer');
    if (initializer.t === 'fn') this.runInWorker(worker, initializer, asColl(fieldOf(v, 'initargs'))?.items ?? [], ctx);
    return { t: 'obj', site: pool };
  }

  /** The site of an allocation expression; evaluating it again adds instances. */
  private site(node: ts.Node, ctx: Context, make: () => ObjectSite): ObjectSite {
    let site = this.sites.get(node);
    if (!site) {
      site = make();
      const name = nameOf(node);
      if (name) site.name = name;
      site.madeBy = ctx.proc;
      site.madeGuarded = ctx.guarded;
      if (ctx.top) site.madeTop = ctx.top;
      this.sites.set(node, site);
    }
    const perRun = loopCount(ctx.loops, new Set());
    const runs: Multiplicity = perRun === 'loop' ? 'several' : perRun;
    site.multiplicity = addMultiplicity(site.multiplicity, runs);
    return site;
  }

  /** Sites that exist because another does: a pool's workers, a value's lock. */
  private implicitSite(owner: ObjectSite, role: string, make: () => ObjectSite): ObjectSite {
    let byRole = this.implicit.get(owner);
    if (!byRole) this.implicit.set(owner, (byRole = new Map()));
    let site = byRole.get(role);
    if (!site) byRole.set(role, (site = make()));
    return site;
  }

  // ---- calls and operations ----

  private call(e: ts.CallExpression, ctx: Context): AbsValue {
    const callee = skipOuter(e.expression);
    const which = this.shim.exportOf(callee);
    if (which === 'isMainProcess') return { t: 'const', v: ctx.proc.kind === 'main' };
    if (which === 'Pipe') return this.pipe(e, ctx);
    if (which === 'Value' || which === 'SharedArray') return this.allocate(e, which, e.arguments, ctx);
    if (which) {
      for (const a of e.arguments) this.expr(a, ctx);
      return UNKNOWN;
    }
    const fsKind = this.fsAccess(callee);
    if (fsKind) return this.fileOp(e, fsKind, ctx);
    if (ts.isPropertyAccessExpression(callee)) return this.methodCall(e, callee, ctx);
    if (ts.isIdentifier(callee) && (callee.text === 'eval' || callee.text === 'Function')) this.opaque.add(ctx.proc);
    const fnValue = this.expr(callee, ctx);
    const argValues = e.arguments.map((a) => this.expr(a, ctx));
    if (fnValue.t === 'fn') return this.invoke(fnValue, argValues, ctx);
    this.callbacks(argValues, ctx);
    this.escape(argValues);
    return UNKNOWN;
  }

  /**
   * Functions handed to code the analysis cannot see (a library, `any`) may run any number of
   * times, or never: their operations are recorded with an unknown count, never as certain.
   */
  private callbacks(args: AbsValue[], ctx: Context): void {
    for (const a of args) {
      if (a.t !== 'fn') continue;
      const body = this.collect(ctx, () => {
        ctx.loops.push({ mult: 'several', node: a.decl });
        const detached = ctx.detached;
        ctx.detached = true;
        try {
          this.invoke(a, [], ctx);
        } finally {
          ctx.loops.pop();
          ctx.detached = detached;
        }
      });
      // A loop of unknown count: zero times included.
      ctx.out.push({ k: 'loop', count: 'several', body });
    }
  }

  private methodCall(e: ts.CallExpression, callee: ts.PropertyAccessExpression, ctx: Context): AbsValue {
    const method = callee.name.text;
    // `Array.from({ length: n }, () => …)` and `Array.from(items, (x) => …)`: a map.
    if (method === 'from' && ts.isIdentifier(callee.expression) && callee.expression.text === 'Array' && e.arguments.length >= 2) {
      const source = this.expr(e.arguments[0]!, ctx);
      const items = asColl(source);
      const length = fieldOf(source, 'length');
      const n: Multiplicity = items ? items.length : length.t === 'const' && typeof length.v === 'number' ? Math.max(0, length.v) : 'several';
      return this.iterate({ t: 'coll', items: items ? items.items : [UNKNOWN], length: n, depth: ctx.loops.length }, 'map', e, ctx, e.arguments[1]);
    }
    // `Manager.start()`: the static factory.
    if (method === 'start' && this.shim.exportOf(callee.expression) === 'Manager') return this.allocate(e, 'Manager', [], ctx);
    const receiver = this.expr(callee.expression, ctx);
    const coll = asColl(receiver);
    if (method === 'map' || method === 'forEach' || method === 'flatMap') {
      // Over a list the analysis cannot count, the callback still runs: "several" times.
      if (coll) return this.iterate(coll, method, e, ctx);
      if (receiver.t === 'unknown' && e.arguments[0] && this.isFunctionArg(e.arguments[0], ctx)) {
        return this.iterate({ t: 'coll', items: [UNKNOWN], length: 'several', depth: ctx.loops.length }, method, e, ctx);
      }
    }
    if (coll && method === 'push') {
      for (const a of e.arguments) {
        coll.items.push(this.expr(a, ctx));
        const extra = loopCount(ctx.loops.slice(coll.depth), new Set());
        coll.length = addMultiplicity(coll.length, typeof extra === 'number' ? extra : 'several');
      }
      return UNKNOWN;
    }
    const pending = pendingsOf(receiver);
    if (pending.length > 0 && (method === 'get' || method === 'wait')) {
      // One result op per pool, naming the submits whose AsyncResult this can be.
      for (const pool of new Set(pending.map((p) => p.pool))) {
        const submits = pending.filter((p) => p.pool === pool).map((p) => p.submit);
        this.record(ctx, { kind: 'result', obj: pool, call: e, method, blocking: e.arguments.length === 0, submits }, undefined);
      }
      return UNKNOWN;
    }
    const argValues = e.arguments.map((a) => this.expr(a, ctx));
    const found = valueSites(receiver);
    if (found.length === 0) {
      const field = fieldOf(receiver, method);
      if (field.t === 'fn') return this.invoke(field, argValues, ctx, receiver);
      // A method of the program's own classes matters only when shim objects reach it.
      const fn = argValues.some((a) => valueSites(a).length > 0) ? this.methodOf(callee) : undefined;
      if (fn) return this.invoke(fn, argValues, ctx, receiver);
      this.unknownReceiver(e, callee, argValues, ctx);
      this.callbacks(argValues, ctx);
      if (!(ts.isIdentifier(callee.expression) && callee.expression.text === 'console')) this.escape(argValues);
      return UNKNOWN;
    }
    return union(found.map(({ site, end }) => this.operation(site, end, method, e, argValues, ctx)));
  }

  /**
   * `readFileSync(p)`, `fs.writeFileSync(p, …)`, `fsp.readFile(p)`…: a whole-file read or write,
   * recognized by Node's typings or, without them, by the `fs` import the name comes from.
   */
  private fsAccess(callee: ts.Expression): 'read' | 'write' | undefined {
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    const kind = name === undefined ? undefined : FS_READ.has(name) ? 'read' : FS_WRITE.has(name) ? 'write' : undefined;
    if (!kind) return undefined;
    const sym = symbolAt(this.checker, ts.isPropertyAccessExpression(callee) ? callee.name : callee);
    const target = sym && sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    const declFile = target?.declarations?.[0]?.getSourceFile().fileName;
    if (declFile && /[\\/]@types[\\/]node[\\/]fs(?:[\\/]promises)?\.d\.ts$/.test(declFile)) return kind;
    let base: ts.Expression = callee;
    while (ts.isPropertyAccessExpression(base)) base = base.expression;
    return ts.isIdentifier(base) && this.isFsImport(base) ? kind : undefined;
  }

  /** A name bound by `import … from 'fs'` (or `node:fs`, `fs/promises`) or `require('fs')`. */
  private isFsImport(id: ts.Identifier): boolean {
    const decl = symbolAt(this.checker, id)?.declarations?.[0];
    if (!decl) return false;
    let spec: ts.Expression | undefined;
    if (ts.isImportSpecifier(decl)) spec = decl.parent.parent.parent.moduleSpecifier;
    else if (ts.isNamespaceImport(decl)) spec = decl.parent.parent.moduleSpecifier;
    else if (ts.isImportClause(decl)) spec = decl.parent.moduleSpecifier;
    else if (ts.isImportEqualsDeclaration(decl) && ts.isExternalModuleReference(decl.moduleReference)) spec = decl.moduleReference.expression;
    else {
      let d: ts.Node = decl;
      while (ts.isBindingElement(d) || ts.isObjectBindingPattern(d) || ts.isArrayBindingPattern(d)) d = d.parent;
      let init = ts.isVariableDeclaration(d) && d.initializer ? skipOuter(d.initializer) : undefined;
      while (init && ts.isPropertyAccessExpression(init)) init = skipOuter(init.expression);
      if (init && ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'require') spec = init.arguments[0];
    }
    return !!spec && ts.isStringLiteral(spec) && FS_MODULES.has(spec.text);
  }

  /** A read or write of a file whose path is known: an operation on that file's site. */
  private fileOp(e: ts.CallExpression, kind: 'read' | 'write', ctx: Context): AbsValue {
    const values = e.arguments.map((a) => this.expr(a, ctx));
    const first = e.arguments[0];
    const file = first ? this.filePath(first, values[0] ?? UNKNOWN) : undefined;
    if (first && file) {
      let site = this.files.get(file.key);
      if (!site) {
        site = { kind: 'file', node: file.node ?? constDeclaration(first, this.checker) ?? first, label: file.label, multiplicity: 1, madeBy: ctx.proc, madeGuarded: ctx.guarded };
        if (file.path !== undefined) site.path = file.path;
        this.files.set(file.key, site);
      }
      const callee = skipOuter(e.expression);
      const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText();
      this.record(ctx, { kind, obj: site, call: e, method, blocking: false }, undefined);
    }
    this.callbacks(values, ctx);
    return UNKNOWN;
  }

  /** A constant path (a string, `path.join` of strings), or a path value made once and passed around. */
  private filePath(arg: ts.Expression, value: AbsValue): { key: string; label: string; path?: string; node?: ts.Node } | undefined {
    const named = (p: string): { key: string; label: string; path: string } => ({ key: `=${p}`, label: path.posix.basename(p) || p, path: p });
    if (value.t === 'const') return typeof value.v === 'string' ? named(value.v) : undefined;
    const origin = this.origins.get(value);
    if (origin && origin.initializer) {
      return { key: `@${origin.getSourceFile().fileName}:${origin.getStart()}`, label: origin.name.getText(), node: origin.initializer };
    }
    const e = skipOuter(arg);
    if (!ts.isCallExpression(e)) return undefined;
    const callee = skipOuter(e.expression);
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if (name !== 'join' || e.arguments.length === 0) return undefined;
    const parts = e.arguments.map((a) => constOf(skipOuter(a))?.v);
    return parts.every((p): p is string => typeof p === 'string') ? named(path.posix.join(...parts)) : undefined;
  }

  private isFunctionArg(arg: ts.Expression, ctx: Context): boolean {
    const a = skipOuter(arg);
    if (ts.isArrowFunction(a) || ts.isFunctionExpression(a)) return true;
    return ts.isIdentifier(a) && this.identifier(a, ctx).t === 'fn';
  }

  /** A user method called on a record or class instance we cannot see into. */
  private methodOf(callee: ts.PropertyAccessExpression): FnValue | undefined {
    const sym = symbolAt(this.checker, callee.name);
    if (!sym) return undefined;
    const fn = this.functionOf(sym);
    return fn && fn.decl.getSourceFile().isDeclarationFile ? undefined : fn;
  }

  /** An operation on a shim object the analysis could not follow: record it on an unknown site. */
  private unknownReceiver(e: ts.CallExpression, callee: ts.PropertyAccessExpression, args: AbsValue[], ctx: Context): void {
    const cls = this.shim.classOfMethod(callee);
    if (!cls) return;
    const kind = classKind(cls);
    if (!kind) return;
    const site = this.implicitSite(UNKNOWN_OWNER, cls, () => ({
      kind, node: e, label: `unknown ${cls}`, multiplicity: 'several', unknown: true, variant: cls,
    }));
    this.operation(site, undefined, callee.name.text, e, args, ctx);
  }

  /**
   * `coll.map(cb)`: the callback runs once per element, like a `for…of` whose variable is the
   * callback's parameter: allocations in it multiply, operations on the element do not.
   */
  private iterate(coll: CollValue, method: string, e: ts.CallExpression, ctx: Context, cbArg = e.arguments[0]): AbsValue {
    const cb = cbArg ? this.expr(cbArg, ctx) : UNKNOWN;
    if (cb.t !== 'fn') return method === 'forEach' ? { t: 'const', v: undefined } : UNKNOWN;
    const param = cb.decl.parameters[0];
    const variable = param && ts.isIdentifier(param.name) ? symbolAt(this.checker, param.name) : undefined;
    let result: AbsValue = UNKNOWN;
    const body = this.collect(ctx, () => {
      ctx.loops.push({ mult: coll.length, node: cb.decl, ...(variable ? { variable } : {}) });
      try {
        result = this.invoke(cb, [union(coll.items)], ctx);
      } finally {
        ctx.loops.pop();
      }
    });
    ctx.out.push({ k: 'loop', count: coll.length, body });
    if (method === 'forEach') return { t: 'const', v: undefined };
    return { t: 'coll', items: [result], length: coll.length, depth: ctx.loops.length };
  }

  private invoke(fn: FnValue, args: AbsValue[], ctx: Context, self?: AbsValue): AbsValue {
    if (ctx.callStack.length >= MAX_CALL_DEPTH || ctx.callStack.includes(fn.decl)) {
      this.escape(self ? [...args, self] : args);
      return UNKNOWN;
    }
    const frame: Frame = { vars: new Map(), parent: fn.closure, returns: [] };
    const boundSelf = fn.self ?? self;
    if (boundSelf) frame.self = boundSelf;
    const inner: Context = { ...ctx, frame, callStack: [...ctx.callStack, fn.decl], out: [] };
    this.reached.add(fn.decl.getSourceFile());
    let run = this.functionsRun.get(ctx.proc);
    if (!run) this.functionsRun.set(ctx.proc, (run = new Set()));
    run.add(fn.decl);
    fn.decl.parameters.forEach((p, i) => {
      const v = p.dotDotDotToken ? { t: 'coll' as const, items: args.slice(i), length: Math.max(0, args.length - i), depth: ctx.loops.length }
        : args[i] ?? (p.initializer ? this.expr(p.initializer, inner) : UNKNOWN);
      this.bind(p.name, v, inner);
    });
    const body = fn.decl.body;
    if (!body) {
      this.escape(args);
      return UNKNOWN;
    }
    if (ts.isBlock(body)) this.statements(body.statements, inner);
    else frame.returns.push(this.expr(body, inner));
    ctx.out.push({ k: 'call', body: seq(inner.out) });
    return union(frame.returns);
  }

  private operation(site: ObjectSite, end: 0 | 1 | undefined, method: string, e: ts.CallExpression, args: AbsValue[], ctx: Context): AbsValue {
    if (site.kind === 'manager') {
      const factory = MANAGER_FACTORIES[method];
      if (factory) {
        const proxy = this.site(e, ctx, () => {
          const s: ObjectSite = { kind: factory.kind, node: e, label: nameOf(e) ?? `${method}()`, multiplicity: 0, owner: site };
          if (factory.variant) s.variant = factory.variant;
          const first = args[0];
          if (factory.kind === 'queue') s.maxsize = first?.t === 'const' && typeof first.v === 'number' ? first.v : 0;
          if (factory.kind === 'barrier' || factory.kind === 'semaphore') {
            s.size = first?.t === 'const' && typeof first.v === 'number' ? first.v : factory.kind === 'semaphore' ? 1 : 'several';
          }
          return s;
        });
        return { t: 'obj', site: proxy };
      }
      if (method === 'shutdown') this.record(ctx, { kind: 'shutdown', obj: site, call: e, method, blocking: false }, undefined);
      return UNKNOWN;
    }
    if ((site.kind === 'value' || site.kind === 'array' || site.kind === 'condition') && method === 'getLock') {
      const lock = this.implicitSite(site, 'lock', () => ({
        kind: 'lock', variant: 'RLock', node: site.node, label: `${site.label}.lock`, multiplicity: site.multiplicity, owner: site,
      }));
      return { t: 'obj', site: lock };
    }
    if (site.kind === 'pool' && POOL_SUBMIT.has(method)) return this.submit(site, method, e, args, ctx);
    if ((site.kind === 'lock' || site.kind === 'semaphore' || site.kind === 'condition') && method === 'withLock') {
      // `withLock(fn)`: acquire, run fn, release even when it throws.
      this.record(ctx, { kind: 'acquire', obj: site, call: e, method, blocking: true }, undefined);
      const fn = args[0];
      let result: AbsValue = UNKNOWN;
      const body = this.collect(ctx, () => { if (fn?.t === 'fn') result = this.invoke(fn, [], ctx); });
      const release = this.collect(ctx, () => this.record(ctx, { kind: 'release', obj: site, call: e, method, blocking: false }, undefined));
      ctx.out.push({ k: 'try', body, handler: undefined, finalizer: release });
      return result;
    }
    const kind = opKind(site, method);
    if (!kind) return UNKNOWN;
    const blocking = this.isBlocking(site, kind, method, e, args);
    const op = this.record(ctx, { kind, obj: site, call: e, method, blocking, ...(end !== undefined ? { end } : {}) }, end);
    if (kind === 'put' || kind === 'send') {
      op.arg = args[0] ?? UNKNOWN;
      if (e.arguments[0]) op.argNode = e.arguments[0];
    }
    if (kind === 'start' && !this.started.has(site)) {
      this.started.add(site);
      this.runTarget(site, ctx);
    }
    if (kind === 'wait' && site.kind === 'condition' && method === 'waitFor' && args[0]?.t === 'fn') this.invoke(args[0], [], ctx);
    return UNKNOWN;
  }

  private isBlocking(site: ObjectSite, kind: OpKind, method: string, e: ts.CallExpression, args: AbsValue[]): boolean {
    const isFalse = (v: AbsValue | undefined): boolean => v?.t === 'const' && v.v === false;
    const given = (i: number): boolean => {
      const a = e.arguments[i];
      return a !== undefined && !(args[i]?.t === 'const' && (args[i] as { v: ConstValue }).v === undefined);
    };
    switch (kind) {
      case 'get': return !method.endsWith('Nowait') && !isFalse(args[0]) && !given(1);
      case 'put': return (site.maxsize ?? 0) > 0 && !method.endsWith('Nowait') && !isFalse(args[1]) && !given(2);
      case 'recv': return true;
      case 'acquire': return !isFalse(args[0]) && !given(1);
      case 'wait': return site.kind === 'condition' && method === 'waitFor' ? !given(1) : !given(0);
      case 'join': case 'joinQueue': case 'joinPool': return !given(0);
      case 'result': return !given(0);
      default: return false;
    }
  }

  private record(ctx: Context, fields: Omit<Op, 'proc' | 'count' | 'guarded'>, end: 0 | 1 | undefined): Op {
    const exclude = new Set<ts.Symbol>();
    const callee = skipOuter(fields.call.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      const receiver = skipOuter(callee.expression);
      if (ts.isIdentifier(receiver)) {
        const sym = symbolAt(this.checker, receiver);
        if (sym) exclude.add(sym);
      }
    }
    if (ctx.detached) fields = { ...fields, blocking: false };
    const op: Op = { ...fields, proc: ctx.proc, count: loopCount(ctx.loops, exclude, fields.obj.unknown || fields.obj.kind === 'file' ? undefined : fields.obj.node), guarded: ctx.guarded || ctx.proc.kind !== 'main' };
    if (ctx.top) op.top = ctx.top;
    if (end !== undefined) op.end = end;
    this.ops.push(op);
    ctx.out.push({ k: 'op', op });
    return op;
  }

  /** Values handed to code the analysis cannot see into: the objects (and AsyncResults) in them escape. */
  private escape(values: readonly AbsValue[]): void {
    const seen = new Set<AbsValue>();
    const visit = (v: AbsValue): void => {
      if (seen.has(v)) return;
      seen.add(v);
      if (v.t === 'obj') this.escaped.add(v.site);
      else if (v.t === 'pending') this.escapedResults.add(v.submit);
      else if (v.t === 'coll') v.items.forEach(visit);
      else if (v.t === 'union') v.alts.forEach(visit);
      else if (v.t === 'record') for (const f of v.fields.values()) visit(f);
    };
    values.forEach(visit);
  }

  /** `pool.map(fn, items)` and friends: fn runs in the pool's workers with the items as arguments. */
  private submit(pool: ObjectSite, method: string, e: ts.CallExpression, args: AbsValue[], ctx: Context): AbsValue {
    this.record(ctx, { kind: 'submit', obj: pool, call: e, method, blocking: false }, undefined);
    const fn = args[0];
    const worker = this.implicitSite(pool, 'worker', () => ({
      kind: 'process', role: 'pool-worker', node: pool.node, label: `${pool.label} worker`, multiplicity: pool.size ?? 'several', owner: pool, daemon: true,
    }));
    if (fn?.t === 'fn') {
      let taskArgs: AbsValue[] = [];
      const items = asColl(args[1] ?? UNKNOWN);
      if (method === 'apply' || method === 'applyAsync') taskArgs = items ? items.items : [];
      else if (method.startsWith('starmap')) taskArgs = items ? asColl(union(items.items))?.items ?? [] : [];
      else taskArgs = [items ? union(items.items) : UNKNOWN];
      this.runInWorker(worker, fn, taskArgs, ctx);
    } else {
      this.escape(args.slice(1));
    }
    if (method.endsWith('Async')) {
      const callbacks = args[2];
      for (const key of ['callback', 'errorCallback']) {
        const cb = fieldOf(callbacks ?? UNKNOWN, key);
        if (cb.t === 'fn') this.invoke(cb, [UNKNOWN], ctx);
      }
      return { t: 'pending', pool, submit: e };
    }
    // apply/map/starmap wait for their results; imap yields them as they come.
    this.record(ctx, { kind: 'result', obj: pool, call: e, method, blocking: true }, undefined);
    return UNKNOWN;
  }

  private runInWorker(worker: ObjectSite, fn: FnValue, args: AbsValue[], parent: Context): void {
    const ctx = this.context(worker, parent, true);
    this.invoke(fn, args, ctx);
    const tasks = this.poolTasks.get(worker) ?? [];
    tasks.push(seq(ctx.out));
    this.poolTasks.set(worker, tasks);
  }

  /** A started process runs its target with copies of `args` (and `kwargs` last) bound to the parameters. */
  private runTarget(site: ObjectSite, parent: Context): void {
    const ctx = this.context(site, parent, true);
    const targets = site.targets ?? [];
    const args = [...(site.args ?? []), ...(site.kwargs ? [site.kwargs] : [])];
    // A site whose target is one of several functions (`[f, g].map((target) => new Process({ target }))`)
    // runs one of them per instance.
    const alts = targets.map((fn) => this.collect(ctx, () => { this.invoke(fn, args, ctx, site.self); }));
    // A target the analysis cannot see (from a library, from `any`) may do anything with its args.
    if (targets.length === 0) this.escape(args);
    if (alts.length === 1) ctx.out.push(alts[0]!);
    else if (alts.length > 1) ctx.out.push({ k: 'branch', alts });
    this.flows.set(site, seq(ctx.out));
  }
}

/** Owner of the sites that stand for objects the analysis could not follow. */
const UNKNOWN_OWNER: ObjectSite = { kind: 'namespace', node: undefined as unknown as ts.Node, label: 'unknown', multiplicity: 'several', unknown: true };

function classKind(cls: string): SiteKind | undefined {
  switch (cls) {
    case 'Queue': case 'JoinableQueue': case 'SimpleQueue': return 'queue';
    case 'Connection': return 'pipe';
    case 'Lock': case 'RLock': return 'lock';
    case 'Semaphore': case 'BoundedSemaphore': return 'semaphore';
    case 'Event': return 'event';
    case 'Condition': return 'condition';
    case 'Barrier': return 'barrier';
    case 'Process': return 'process';
    case 'Pool': return 'pool';
    default: return undefined;
  }
}

function opKind(site: ObjectSite, method: string): OpKind | undefined {
  switch (site.kind) {
    case 'queue':
      if (method === 'put' || method === 'putNowait') return 'put';
      if (method === 'get' || method === 'getNowait') return 'get';
      if (method === 'taskDone') return 'taskDone';
      if (method === 'join') return 'joinQueue';
      if (method === 'close') return 'closeQueue';
      return undefined;
    case 'pipe':
      if (method === 'send' || method === 'sendBytes') return 'send';
      if (method === 'recv' || method === 'recvBytes') return 'recv';
      if (method === 'close') return 'closeEnd';
      return undefined;
    case 'lock': case 'semaphore':
      if (method === 'acquire') return 'acquire';
      if (method === 'release') return 'release';
      return undefined;
    case 'condition':
      if (method === 'acquire') return 'acquire';
      if (method === 'release') return 'release';
      if (method === 'wait' || method === 'waitFor') return 'wait';
      if (method === 'notify' || method === 'notifyAll') return 'notify';
      return undefined;
    case 'event':
      if (method === 'set') return 'set';
      if (method === 'clear') return 'clear';
      if (method === 'wait') return 'wait';
      if (method === 'isSet') return 'read';
      return undefined;
    case 'barrier':
      if (method === 'wait') return 'wait';
      if (method === 'abort' || method === 'reset') return 'abort';
      return undefined;
    case 'value': case 'array': case 'dict': case 'list': case 'namespace':
      if (['get', 'has', 'keys', 'values', 'items', 'size', 'toObject', 'toArray', 'length'].includes(method)) return 'read';
      if (['set', 'delete', 'update', 'append', 'pop', 'extend'].includes(method)) return 'write';
      return undefined;
    case 'pool':
      if (method === 'close') return 'closePool';
      if (method === 'terminate') return 'terminatePool';
      if (method === 'join') return 'joinPool';
      return undefined;
    case 'process':
      if (method === 'start') return 'start';
      if (method === 'join') return 'join';
      if (method === 'terminate' || method === 'kill') return 'terminate';
      return undefined;
    default:
      return undefined;
  }
}

/** The AsyncResults a value can be: itself, or every alternative of a union of them. */
function pendingsOf(v: AbsValue): Extract<AbsValue, { t: 'pending' }>[] {
  if (v.t === 'pending') return [v];
  if (v.t === 'union' && v.alts.every((a) => a.t === 'pending')) return v.alts as Extract<AbsValue, { t: 'pending' }>[];
  return [];
}

function asColl(v: AbsValue): CollValue | undefined {
  if (v.t === 'coll') return v;
  if (v.t === 'union') {
    const colls = v.alts.filter((a): a is CollValue => a.t === 'coll');
    if (colls.length === 1 && colls.length === v.alts.length) return colls[0];
  }
  return undefined;
}

function records(v: AbsValue): RecordValue[] {
  if (v.t === 'record') return [v];
  if (v.t === 'union') return v.alts.flatMap(records);
  return [];
}

function fieldOf(v: AbsValue, key: string): AbsValue {
  const recs = records(v);
  if (recs.length === 0) return UNKNOWN;
  return union(recs.map((r) => r.fields.get(key) ?? UNKNOWN));
}

/** Iterations of `for (let i = A; i < B; i++)` with constant bounds; otherwise unknown. */
function forCount(s: ts.ForStatement, valueOf: (e: ts.Expression) => { v: ConstValue } | undefined = constOf): EdgeCount {
  if (!s.condition || s.condition.kind === ts.SyntaxKind.TrueKeyword) return 'loop';
  const init = s.initializer && ts.isVariableDeclarationList(s.initializer) ? s.initializer.declarations[0] : undefined;
  const start = init?.initializer ? constOf(init.initializer) : undefined;
  const cond = s.condition;
  if (!start || typeof start.v !== 'number' || !ts.isBinaryExpression(cond)) return 'several';
  const bound = valueOf(cond.right);
  if (!bound || typeof bound.v !== 'number') return 'several';
  const inc = s.incrementor;
  const step = inc && (ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc))
    && inc.operator === ts.SyntaxKind.PlusPlusToken;
  if (!step) return 'several';
  const op = cond.operatorToken.kind;
  const n = op === ts.SyntaxKind.LessThanToken ? bound.v - start.v
    : op === ts.SyntaxKind.LessThanEqualsToken ? bound.v - start.v + 1 : undefined;
  return n === undefined ? 'several' : Math.max(0, n);
}

/** The initializer of the module constant an identifier names (`const DB = 'db.json'`). */
function constDeclaration(e: ts.Expression, checker: ts.TypeChecker): ts.Expression | undefined {
  const id = skipOuter(e);
  if (!ts.isIdentifier(id)) return undefined;
  const sym = checker.getSymbolAtLocation(id);
  const target = sym && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  const d = target?.declarations?.[0];
  return d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const ? d.initializer : undefined;
}

/** The name a value is stored under: `const q = new Queue()` -> "q". */
function nameOf(e: ts.Node): string | undefined {
  let p = e.parent;
  while (ts.isAwaitExpression(p) || ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) p = p.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return propertyName(p.name);
  if (ts.isBinaryExpression(p) && ts.isIdentifier(p.left)) return p.left.text;
  if (ts.isBinaryExpression(p) && ts.isPropertyAccessExpression(p.left)) return p.left.name.text;
  // `return new Queue()` in a factory: name it after the factory.
  if (ts.isReturnStatement(p) || ts.isArrowFunction(p)) {
    let f: ts.Node | undefined = p;
    while (f && !ts.isFunctionLike(f)) f = f.parent;
    const name = f && (ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f)) ? propertyName(f.name)
      : f && ts.isArrowFunction(f) && ts.isVariableDeclaration(f.parent) ? propertyName(f.parent.name) : undefined;
    return name ? `${name}()` : undefined;
  }
  return undefined;
}

/** The name a function is declared under. */
function functionName(decl: ts.SignatureDeclaration): string | undefined {
  if (decl.name && (ts.isIdentifier(decl.name) || ts.isStringLiteral(decl.name))) return decl.name.text;
  const p = decl.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p)) return propertyName(p.name);
  return undefined;
}

/** `const [a, b] = Pipe()` -> "a/b". */
function pipeName(e: ts.Node): string | undefined {
  const p = e.parent;
  if (ts.isVariableDeclaration(p) && ts.isArrayBindingPattern(p.name)) {
    const names = p.name.elements.map((el) => (ts.isBindingElement(el) && ts.isIdentifier(el.name) ? el.name.text : '_'));
    return names.join('/');
  }
  return nameOf(e);
}
