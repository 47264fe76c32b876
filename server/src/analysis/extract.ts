// Extraction: an abstract interpreter over the TypeScript AST that follows where shim objects
// flow (variables, arrays, `map`, loops, helper calls, process `args` bound to target parameters)
// and records, per process, the operations it performs on them. Pure: a program in, facts out.
import ts from 'typescript';
import type { EdgeCount, Multiplicity, QueueVariant } from '../../../common/model';
import { ShimResolver } from './shim';

export interface ObjectSite {
  kind: 'queue' | 'process';
  /** The allocation expression (`new Queue()`), which identifies the site. */
  node: ts.Node;
  label: string;
  /** How many instances the program creates at this site. */
  multiplicity: Multiplicity;
  variant?: QueueVariant;
  maxsize?: number;
  // Processes only.
  target?: FnValue;
  targetName?: string;
  args?: AbsValue[];
  daemon?: boolean;
}

/** The main program of an entry file: the process that runs its top-level code. */
export interface MainProcess {
  kind: 'main';
  file: ts.SourceFile;
}

export type ProcessRef = ObjectSite | MainProcess;

export interface FnValue {
  t: 'fn';
  decl: ts.SignatureDeclaration & { body?: ts.ConciseBody };
  closure: Frame | undefined;
}

export type ConstValue = string | number | boolean | null | undefined;

export type AbsValue =
  | { t: 'obj'; site: ObjectSite }
  | { t: 'coll'; items: AbsValue[]; length: Multiplicity }
  | { t: 'const'; v: ConstValue }
  | FnValue
  | { t: 'union'; alts: AbsValue[] }
  | { t: 'unknown' };

export type OpKind = 'put' | 'get' | 'start' | 'join' | 'terminate';

export interface Op {
  proc: ProcessRef;
  kind: OpKind;
  obj: ObjectSite;
  call: ts.CallExpression;
  /** How many times one instance of `proc` performs it. */
  count: EdgeCount;
  blocking: boolean;
  /** The value put, for `put`. */
  arg?: AbsValue;
  argNode?: ts.Expression;
}

export interface Extraction {
  entry: ts.SourceFile;
  main: MainProcess;
  sites: ObjectSite[];
  ops: Op[];
}

const UNKNOWN: AbsValue = { t: 'unknown' };
const MAX_CALL_DEPTH = 8;

export interface Frame {
  vars: Map<ts.Symbol, AbsValue>;
  parent: Frame | undefined;
  returns: AbsValue[];
}

interface LoopFrame {
  mult: EdgeCount;
  /** The iteration variable of a `for…of`: operations on it happen once per element. */
  variable?: ts.Symbol;
}

interface Context {
  proc: ProcessRef;
  frame: Frame;
  loops: LoopFrame[];
  /** Instances per evaluation of an allocation expression (a `map` over 3 items gives 3). */
  instances: Multiplicity;
  callStack: ts.Node[];
}

export function valueSites(v: AbsValue): ObjectSite[] {
  switch (v.t) {
    case 'obj': return [v.site];
    case 'coll': return v.items.flatMap(valueSites);
    case 'union': return v.alts.flatMap(valueSites);
    default: return [];
  }
}

function union(values: AbsValue[]): AbsValue {
  const flat = values.flatMap((v) => (v.t === 'union' ? v.alts : [v]));
  if (flat.length === 0) return UNKNOWN;
  if (flat.length === 1) return flat[0]!;
  return { t: 'union', alts: flat };
}

function mulMultiplicity(a: Multiplicity, b: Multiplicity): Multiplicity {
  return a === 'several' || b === 'several' ? 'several' : a * b;
}

function addMultiplicity(a: Multiplicity, b: Multiplicity): Multiplicity {
  return a === 'several' || b === 'several' ? 'several' : a + b;
}

function loopCount(loops: LoopFrame[], exclude: ReadonlySet<ts.Symbol>): EdgeCount {
  let n = 1;
  let result: EdgeCount = 1;
  for (const l of loops) {
    if (l.variable && exclude.has(l.variable)) continue;
    if (l.mult === 'loop') return 'loop';
    if (l.mult === 'several') result = 'several';
    else n *= l.mult;
  }
  return result === 'several' ? 'several' : n;
}

/** Strips `await`, parentheses and type assertions, which do not change the value. */
export function skipOuter(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e) || ts.isAsExpression(e)
      || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) {
      e = e.expression;
    } else {
      return e;
    }
  }
}

function constOf(e: ts.Expression): { v: ConstValue } | undefined {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { v: e.text };
  if (ts.isNumericLiteral(e)) return { v: Number(e.text) };
  if (e.kind === ts.SyntaxKind.NullKeyword) return { v: null };
  if (e.kind === ts.SyntaxKind.TrueKeyword) return { v: true };
  if (e.kind === ts.SyntaxKind.FalseKeyword) return { v: false };
  if (ts.isIdentifier(e) && e.text === 'undefined') return { v: undefined };
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) {
    return { v: -Number(e.operand.text) };
  }
  return undefined;
}

export class Extractor {
  private readonly sites = new Map<ts.Node, ObjectSite>();
  private readonly ops: Op[] = [];
  private readonly started = new Set<ObjectSite>();

  constructor(private readonly checker: ts.TypeChecker, private readonly shim: ShimResolver) {}

  /** Runs an entry file's top-level code as the main process, following every process it starts. */
  extract(entry: ts.SourceFile): Extraction {
    const main: MainProcess = { kind: 'main', file: entry };
    const ctx: Context = {
      proc: main, frame: { vars: new Map(), parent: undefined, returns: [] },
      loops: [], instances: 1, callStack: [],
    };
    this.statements(entry.statements, ctx);
    return { entry, main, sites: [...this.sites.values()], ops: this.ops };
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
      const guard = this.mainGuard(s.expression);
      if (guard !== undefined) {
        const inMain = ctx.proc.kind === 'main' ? guard : !guard;
        if (inMain) this.statement(s.thenStatement, ctx);
        else if (s.elseStatement) this.statement(s.elseStatement, ctx);
        return;
      }
      this.expr(s.expression, ctx);
      this.statement(s.thenStatement, ctx);
      if (s.elseStatement) this.statement(s.elseStatement, ctx);
    } else if (ts.isForOfStatement(s)) {
      const iterable = this.expr(s.expression, ctx);
      const elements = iterable.t === 'coll' ? union(iterable.items) : UNKNOWN;
      const mult: EdgeCount = iterable.t === 'coll' ? iterable.length : 'several';
      let variable: ts.Symbol | undefined;
      const init = s.initializer;
      if (ts.isVariableDeclarationList(init)) {
        const d = init.declarations[0];
        if (d && ts.isIdentifier(d.name)) {
          variable = this.checker.getSymbolAtLocation(d.name);
          if (variable) ctx.frame.vars.set(variable, elements);
        }
      }
      this.loop(s.statement, { mult, ...(variable ? { variable } : {}) }, ctx);
    } else if (ts.isForStatement(s)) {
      if (s.initializer) {
        if (ts.isVariableDeclarationList(s.initializer)) {
          for (const d of s.initializer.declarations) this.declaration(d, ctx);
        } else {
          this.expr(s.initializer, ctx);
        }
      }
      this.loop(s.statement, { mult: forCount(s) }, ctx);
    } else if (ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      const forever = s.expression.kind === ts.SyntaxKind.TrueKeyword;
      this.loop(s.statement, { mult: forever ? 'loop' : 'several' }, ctx);
    } else if (ts.isForInStatement(s)) {
      this.loop(s.statement, { mult: 'several' }, ctx);
    } else if (ts.isReturnStatement(s)) {
      ctx.frame.returns.push(s.expression ? this.expr(s.expression, ctx) : { t: 'const', v: undefined });
    } else if (ts.isTryStatement(s)) {
      this.statement(s.tryBlock, ctx);
      if (s.catchClause) this.statement(s.catchClause.block, ctx);
      if (s.finallyBlock) this.statement(s.finallyBlock, ctx);
    } else if (ts.isLabeledStatement(s)) {
      this.statement(s.statement, ctx);
    } else if (ts.isSwitchStatement(s)) {
      this.expr(s.expression, ctx);
      for (const clause of s.caseBlock.clauses) this.statements(clause.statements, ctx);
    } else if (ts.isThrowStatement(s)) {
      this.expr(s.expression, ctx);
    }
    // Declarations (functions, classes, imports, types) run nothing by themselves.
  }

  private loop(body: ts.Statement, frame: LoopFrame, ctx: Context): void {
    ctx.loops.push(frame);
    try {
      this.statement(body, ctx);
    } finally {
      ctx.loops.pop();
    }
  }

  private declaration(d: ts.VariableDeclaration, ctx: Context): void {
    const value = d.initializer ? this.expr(d.initializer, ctx) : UNKNOWN;
    this.bind(d.name, value, ctx);
  }

  private bind(name: ts.BindingName, value: AbsValue, ctx: Context): void {
    if (ts.isIdentifier(name)) {
      const sym = this.checker.getSymbolAtLocation(name);
      if (sym) ctx.frame.vars.set(sym, value);
    } else if (ts.isArrayBindingPattern(name)) {
      name.elements.forEach((el, i) => {
        if (ts.isOmittedExpression(el)) return;
        const item = value.t === 'coll' && !el.dotDotDotToken ? value.items[i] ?? UNKNOWN : UNKNOWN;
        this.bind(el.name, item, ctx);
      });
    } else {
      for (const el of name.elements) this.bind(el.name, UNKNOWN, ctx);
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
    if (ts.isArrayLiteralExpression(e)) return this.arrayLiteral(e, ctx);
    if (ts.isNewExpression(e)) return this.newExpr(e, ctx);
    if (ts.isCallExpression(e)) return this.call(e, ctx);
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return { t: 'fn', decl: e, closure: ctx.frame };
    if (ts.isConditionalExpression(e)) {
      this.expr(e.condition, ctx);
      return union([this.expr(e.whenTrue, ctx), this.expr(e.whenFalse, ctx)]);
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const value = this.expr(e.right, ctx);
      if (ts.isIdentifier(e.left)) {
        const sym = this.checker.getSymbolAtLocation(e.left);
        if (sym) this.assign(sym, value, ctx.frame);
      }
      return value;
    }
    ts.forEachChild(e, (child) => {
      if (ts.isExpression(child)) this.expr(child, ctx);
    });
    return UNKNOWN;
  }

  private assign(sym: ts.Symbol, value: AbsValue, frame: Frame): void {
    for (let f: Frame | undefined = frame; f; f = f.parent) {
      if (f.vars.has(sym)) {
        f.vars.set(sym, union([f.vars.get(sym)!, value]));
        return;
      }
    }
    frame.vars.set(sym, value);
  }

  private identifier(e: ts.Identifier, ctx: Context): AbsValue {
    const sym = this.checker.getSymbolAtLocation(e);
    if (!sym) return UNKNOWN;
    for (let f: Frame | undefined = ctx.frame; f; f = f.parent) {
      const v = f.vars.get(sym);
      if (v) return v;
    }
    const fn = this.functionOf(sym);
    return fn ?? UNKNOWN;
  }

  /** A symbol that names a function of the analyzed program (through imports). */
  private functionOf(sym: ts.Symbol): FnValue | undefined {
    const target = sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    for (const d of target.declarations ?? []) {
      if (d.getSourceFile().isDeclarationFile) continue;
      if (ts.isFunctionDeclaration(d) && d.body) return { t: 'fn', decl: d, closure: undefined };
      if (ts.isVariableDeclaration(d) && d.initializer) {
        const init = skipOuter(d.initializer);
        if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return { t: 'fn', decl: init, closure: undefined };
      }
    }
    return undefined;
  }

  private arrayLiteral(e: ts.ArrayLiteralExpression, ctx: Context): AbsValue {
    const items: AbsValue[] = [];
    let length: Multiplicity = 0;
    for (const el of e.elements) {
      if (ts.isSpreadElement(el)) {
        const v = this.expr(el.expression, ctx);
        if (v.t === 'coll') {
          items.push(...v.items);
          length = addMultiplicity(length, v.length);
        } else {
          items.push(UNKNOWN);
          length = 'several';
        }
      } else {
        items.push(this.expr(el, ctx));
        length = addMultiplicity(length, 1);
      }
    }
    return { t: 'coll', items, length };
  }

  private newExpr(e: ts.NewExpression, ctx: Context): AbsValue {
    const which = this.shim.exportOf(e.expression);
    const args = e.arguments ?? [];
    if (which === 'Queue' || which === 'JoinableQueue' || which === 'SimpleQueue') {
      const size = args[0] ? this.expr(args[0], ctx) : { t: 'const' as const, v: 0 };
      const site = this.site(e, ctx, () => ({
        kind: 'queue', node: e, label: nameOf(e) ?? which, multiplicity: 0, variant: which,
        maxsize: size.t === 'const' && typeof size.v === 'number' ? Math.max(0, size.v) : 0,
      }));
      return { t: 'obj', site };
    }
    if (which === 'Process') {
      const options = args[0] ? skipOuter(args[0]) : undefined;
      let target: AbsValue = UNKNOWN;
      let targetName: string | undefined;
      let procArgs: AbsValue[] = [];
      let daemon = false;
      if (options && ts.isObjectLiteralExpression(options)) {
        for (const p of options.properties) {
          const key = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
          const init = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
          if (!key || !init) continue;
          const value = this.expr(init, ctx);
          if (key === 'target') {
            target = value;
            const t = skipOuter(init);
            targetName = ts.isIdentifier(t) ? t.text : ts.isPropertyAccessExpression(t) ? t.name.text : undefined;
          } else if (key === 'args') {
            procArgs = value.t === 'coll' ? value.items : [];
          } else if (key === 'daemon') {
            daemon = value.t === 'const' && value.v === true;
          }
        }
      } else if (options) {
        this.expr(options, ctx);
      }
      const site = this.site(e, ctx, () => ({
        kind: 'process', node: e, label: targetName ?? 'Process', multiplicity: 0,
        ...(target.t === 'fn' ? { target } : {}),
        ...(targetName ? { targetName } : {}),
        args: procArgs, daemon,
      }));
      return { t: 'obj', site };
    }
    for (const a of args) this.expr(a, ctx);
    return UNKNOWN;
  }

  /** The site of an allocation expression; evaluating it again adds instances. */
  private site(node: ts.Node, ctx: Context, make: () => ObjectSite): ObjectSite {
    let site = this.sites.get(node);
    if (!site) {
      site = make();
      this.sites.set(node, site);
    }
    const perRun = loopCount(ctx.loops, new Set());
    const runs: Multiplicity = perRun === 'loop' ? 'several' : perRun;
    site.multiplicity = addMultiplicity(site.multiplicity, mulMultiplicity(ctx.instances, runs));
    return site;
  }

  private call(e: ts.CallExpression, ctx: Context): AbsValue {
    const callee = skipOuter(e.expression);
    if (this.shim.exportOf(callee) === 'isMainProcess') {
      return { t: 'const', v: ctx.proc.kind === 'main' };
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const receiver = this.expr(callee.expression, ctx);
      const method = callee.name.text;
      if (receiver.t === 'coll' && (method === 'map' || method === 'forEach' || method === 'flatMap')) {
        return this.iterate(receiver, method, e, ctx);
      }
      const argValues = e.arguments.map((a) => this.expr(a, ctx));
      const sites = valueSites(receiver);
      if (sites.length > 0) {
        for (const site of sites) this.operation(site, method, e, argValues, ctx);
        return UNKNOWN;
      }
      return UNKNOWN;
    }
    const fnValue = this.expr(callee, ctx);
    const argValues = e.arguments.map((a) => this.expr(a, ctx));
    if (fnValue.t === 'fn') return this.invoke(fnValue, argValues, e, ctx);
    return UNKNOWN;
  }

  /** `coll.map(cb)`: the callback runs once per element, so allocations in it multiply. */
  private iterate(coll: Extract<AbsValue, { t: 'coll' }>, method: string, e: ts.CallExpression, ctx: Context): AbsValue {
    const cbArg = e.arguments[0];
    const cb = cbArg ? this.expr(cbArg, ctx) : UNKNOWN;
    if (cb.t !== 'fn') return method === 'forEach' ? { t: 'const', v: undefined } : UNKNOWN;
    const saved = ctx.instances;
    ctx.instances = mulMultiplicity(saved, coll.length);
    let result: AbsValue;
    try {
      result = this.invoke(cb, [union(coll.items)], e, ctx);
    } finally {
      ctx.instances = saved;
    }
    if (method === 'forEach') return { t: 'const', v: undefined };
    return { t: 'coll', items: [result], length: coll.length };
  }

  private invoke(fn: FnValue, args: AbsValue[], at: ts.Node, ctx: Context): AbsValue {
    if (ctx.callStack.length >= MAX_CALL_DEPTH || ctx.callStack.includes(fn.decl)) return UNKNOWN;
    const frame: Frame = { vars: new Map(), parent: fn.closure, returns: [] };
    fn.decl.parameters.forEach((p, i) => {
      this.bind(p.name, p.dotDotDotToken ? { t: 'coll', items: args.slice(i), length: args.length - i } : args[i] ?? UNKNOWN,
        { ...ctx, frame });
    });
    const inner: Context = { ...ctx, frame, callStack: [...ctx.callStack, fn.decl] };
    void at;
    const body = fn.decl.body;
    if (!body) return UNKNOWN;
    if (ts.isBlock(body)) this.statements(body.statements, inner);
    else frame.returns.push(this.expr(body, inner));
    return union(frame.returns);
  }

  private operation(site: ObjectSite, method: string, e: ts.CallExpression, args: AbsValue[], ctx: Context): void {
    const kind = opKind(site, method);
    if (!kind) return;
    const receiver = ts.isPropertyAccessExpression(skipOuter(e.expression))
      ? skipOuter((skipOuter(e.expression) as ts.PropertyAccessExpression).expression) : undefined;
    const exclude = new Set<ts.Symbol>();
    if (receiver && ts.isIdentifier(receiver)) {
      const sym = this.checker.getSymbolAtLocation(receiver);
      if (sym) exclude.add(sym);
    }
    const nowait = method.endsWith('Nowait');
    const blockArg = args[kind === 'put' ? 1 : 0];
    const timeoutArg = e.arguments[kind === 'put' ? 2 : 1];
    const nonBlocking = nowait || (blockArg?.t === 'const' && blockArg.v === false) || timeoutArg !== undefined;
    const op: Op = {
      proc: ctx.proc, kind, obj: site, call: e, count: loopCount(ctx.loops, exclude),
      blocking: kind === 'get' ? !nonBlocking : kind === 'put' ? !nonBlocking && (site.maxsize ?? 0) > 0 : kind === 'join',
    };
    if (kind === 'put') {
      op.arg = args[0] ?? UNKNOWN;
      if (e.arguments[0]) op.argNode = e.arguments[0];
    }
    this.ops.push(op);
    if (kind === 'start' && !this.started.has(site)) {
      this.started.add(site);
      this.runTarget(site, ctx);
    }
  }

  /** A started process runs its target with copies of `args` bound to the parameters. */
  private runTarget(site: ObjectSite, parent: Context): void {
    if (!site.target) return;
    const ctx: Context = {
      proc: site, frame: { vars: new Map(), parent: undefined, returns: [] },
      loops: [], instances: 1, callStack: parent.callStack,
    };
    this.invoke(site.target, site.args ?? [], site.node, ctx);
  }
}

function opKind(site: ObjectSite, method: string): OpKind | undefined {
  if (site.kind === 'queue') {
    if (method === 'put' || method === 'putNowait') return 'put';
    if (method === 'get' || method === 'getNowait') return 'get';
    return undefined;
  }
  if (method === 'start') return 'start';
  if (method === 'join') return 'join';
  if (method === 'terminate' || method === 'kill') return 'terminate';
  return undefined;
}

/** Iterations of `for (let i = A; i < B; i++)` with constant bounds; otherwise unknown. */
function forCount(s: ts.ForStatement): EdgeCount {
  if (!s.condition && !s.incrementor) return 'loop';
  if (!s.condition) return 'loop';
  const init = s.initializer && ts.isVariableDeclarationList(s.initializer) ? s.initializer.declarations[0] : undefined;
  const start = init?.initializer ? constOf(init.initializer) : undefined;
  const cond = s.condition;
  if (!start || typeof start.v !== 'number' || !ts.isBinaryExpression(cond)) return 'several';
  const bound = constOf(cond.right);
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

/** The name a value is stored under: `const q = new Queue()` -> "q". */
function nameOf(e: ts.Node): string | undefined {
  const p = e.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) return p.name.text;
  if (ts.isBinaryExpression(p) && ts.isIdentifier(p.left)) return p.left.text;
  return undefined;
}
