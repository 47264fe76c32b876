// unsendable-value (docs/rules/unsendable-value.md): a value structured clone cannot copy is passed in a Process's
// `args`/`kwargs`, a pool task's arguments, or sent through a queue or pipe: a function (the send
// fails), a shim object that stays with its process (Process, Pool, Manager, AsyncResult), a Node
// socket or stream, or an instance of the program's own class whose methods the receiving process
// calls (the copy arrives without its prototype, so the call fails there). Decided from abstract
// values and types; a union with a sendable member, `any`, or a class whose methods the receiver
// never calls keeps the rule silent.
import ts from '../typescript';
import type { Finding } from '../../../../common/model';
import { skipOuter } from '../ast';
import type { AbsValue, ObjectSite, Op, ProcessRef } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { finding } from '../rule-helpers';

export default defineRule({
  id: 'unsendable-value',
  severity: 'error',
  family: 'lifecycle',
  summary: 'A value structured clone cannot copy is sent to another process.',
  run: unsendableValue,
});

const NOT_SENDABLE_SHIM = new Set(['Process', 'Pool', 'Manager', 'AsyncResult', 'IMapIterator']);
const ARITHMETIC = new Set([ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken, ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.SlashToken, ts.SyntaxKind.PercentToken]);

interface Verdict {
  what: string;
  /** A class instance: sendable as data, broken only if the receiver calls these methods. */
  methodsOf?: ts.ClassLikeDeclaration;
}

function unsendableValue(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const findings: Finding[] = [];
  // Asking TypeScript for a value's type can cost a great deal on broken or generated code (an
  // args list of thousands of nested literals while typing: seconds per question), so the rule
  // asks about values of a reasonable size only, and at most TYPE_QUESTIONS times per program.
  const budget = { left: TYPE_QUESTIONS };
  const checkArg = (node: ts.Expression, value: AbsValue | undefined, where: string, receivers: ProcessRef[], sites: (ObjectSite | ProcessRef)[], ops: Op[]): void => {
    const v = verdict(node, value, ctx.checker, budget);
    if (!v) return;
    if (v.methodsOf && !receiverCalls(ctx, receivers, v.methodsOf)) return;
    const fails = v.methodsOf
      ? `it arrives as a plain copy without its class's methods, and the receiving code calls them`
      : 'structured clone cannot copy it, so sending it fails';
    findings.push(finding(ctx, { rule: 'unsendable-value', severity: 'error', message: `${where} is ${v.what}: ${fails}`, at: node, sites, ops }));
  };
  for (const site of ex.sites) {
    if (site.kind !== 'process' || site.role !== 'child' || site.unknown || !ts.isNewExpression(site.node)) continue;
    const starts = ex.ops.filter((o) => o.obj === site && o.kind === 'start');
    if (starts.length === 0) continue;
    const options = site.node.arguments?.[0] ? skipOuter(site.node.arguments[0]) : undefined;
    if (!options || !ts.isObjectLiteralExpression(options)) continue;
    for (const p of options.properties) {
      if (!ts.isPropertyAssignment(p) || !p.name || !ts.isIdentifier(p.name)) continue;
      const init = skipOuter(p.initializer);
      if (p.name.text === 'args' && ts.isArrayLiteralExpression(init)) {
        init.elements.forEach((el, i) => {
          if (!ts.isSpreadElement(el)) checkArg(el, site.args?.[i], `args[${i}] of ${site.label}`, [site], [site], starts);
        });
      } else if (p.name.text === 'kwargs' && ts.isObjectLiteralExpression(init)) {
        for (const kp of init.properties) {
          if (ts.isPropertyAssignment(kp) && kp.name && ts.isIdentifier(kp.name)) checkArg(kp.initializer, undefined, `kwargs.${kp.name.text} of ${site.label}`, [site], [site], starts);
        }
      }
    }
  }
  // The receiving operations by object, gathered once: a program can have thousands of puts
  // (the fuzz benchmark's 5,000 in a loop), and a search of every operation per put was quadratic.
  const reads = new Map<ObjectSite, Op[]>();
  for (const o of ex.ops) {
    if (o.kind !== 'get' && o.kind !== 'recv') continue;
    const list = reads.get(o.obj);
    if (list) list.push(o);
    else reads.set(o.obj, [o]);
  }
  const receiversOf = new Map<ObjectSite, Map<number | undefined, ProcessRef[]>>();
  for (const op of ex.ops) {
    if ((op.kind === 'put' || op.kind === 'send') && op.argNode && !op.obj.unknown) {
      let byEnd = receiversOf.get(op.obj);
      if (!byEnd) receiversOf.set(op.obj, (byEnd = new Map()));
      let receivers = byEnd.get(op.end);
      if (!receivers) {
        receivers = [...new Set((reads.get(op.obj) ?? []).filter((o) => op.end === undefined || o.end !== op.end).map((o) => o.proc))];
        byEnd.set(op.end, receivers);
      }
      checkArg(op.argNode, op.arg, `The value ${op.kind === 'put' ? 'put on' : 'sent through'} ${op.obj.label}`, receivers, [op.obj, op.proc], [op]);
    } else if (op.kind === 'submit' && (op.method === 'apply' || op.method === 'applyAsync') && !op.obj.unknown) {
      const args = op.call.arguments[1] ? skipOuter(op.call.arguments[1]) : undefined;
      const workers = ex.sites.filter((s) => s.role === 'pool-worker' && s.owner === op.obj);
      if (args && ts.isArrayLiteralExpression(args)) {
        args.elements.forEach((el, i) => {
          if (!ts.isSpreadElement(el)) checkArg(el, undefined, `Argument ${i} of the task submitted to ${op.obj.label}`, workers, [op.obj, op.proc], [op]);
        });
      }
    }
  }
  return findings;
}

/** What makes a value unsendable, from its abstract value or its type; undefined when it may be sendable. */
/** Questions to TypeScript about argument types per program, and the largest value asked about. */
const TYPE_QUESTIONS = 1000;
const TYPE_QUESTION_MAX_CHARS = 20_000;
const TYPE_QUESTION_MAX_DEPTH = 64;

/** Code nested deeper than this (ancestors of the value) is not asked about: TypeScript types it through every level. */
const TYPE_QUESTION_MAX_NESTING = 200;
const TYPE_QUESTION_MAX_ELEMENTS = 256;

function nestedDeeperThan(node: ts.Node, limit: number): boolean {
  let n = 0;
  for (let p = node.parent; p; p = p.parent) {
    if (++n > limit) return true;
    // An element of a long list literal: typing one element types them all.
    if (ts.isArrayLiteralExpression(p) && p.elements.length > TYPE_QUESTION_MAX_ELEMENTS) return true;
  }
  return false;
}

/** Whether the syntax under `node` nests more than `limit` levels (stops looking past the limit). */
function deeperThan(node: ts.Node, limit: number): boolean {
  if (limit <= 0) return true;
  return ts.forEachChild(node, (c) => (deeperThan(c, limit - 1) ? true : undefined)) === true;
}

/** Whether a syntax error lies within `node`: what the parser made of the text there is a guess. */
function hasSyntaxError(node: ts.Node): boolean {
  const errors = (node.getSourceFile() as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics ?? [];
  return errors.some((d) => d.start !== undefined && d.start < node.end && d.start + (d.length ?? 0) >= node.pos);
}

function verdict(node: ts.Expression, value: AbsValue | undefined, checker: ts.TypeChecker, budget: { left: number }): Verdict | undefined {
  if (hasSyntaxError(node)) return undefined;
  if (value?.t === 'fn') return { what: 'a function' };
  const kept = value?.t === 'obj' ? keptObject(value.site) : undefined;
  if (kept) return { what: `${kept}, which stays with the process that made it` };
  // A record or list the analysis built that holds a function (`{ id, onDone: (r) => … }`), in
  // every case it can be: the clone fails on that member, whatever the declared type says.
  const held = heldVerdict(value);
  if (held) return held;
  // Constants, shared objects and text or arithmetic are sendable: no need to ask the checker
  // for their type (which costs on big programs).
  if (value && plainlySendable(value)) return undefined;
  const e = skipOuter(node);
  if (ts.isTemplateExpression(e) || ts.isStringLiteralLike(e) || ts.isNumericLiteral(e)
    || (ts.isBinaryExpression(e) && ARITHMETIC.has(e.operatorToken.kind))) return undefined;
  if (budget.left <= 0 || node.end - node.pos > TYPE_QUESTION_MAX_CHARS || deeperThan(node, TYPE_QUESTION_MAX_DEPTH) || nestedDeeperThan(node, TYPE_QUESTION_MAX_NESTING)) return undefined;
  budget.left--;
  return typeVerdict(checker.getTypeAtLocation(node), checker, 0);
}

/** A shim object that stays with the process that made it (Process, Pool, Manager), named. */
function keptObject(site: ObjectSite): string | undefined {
  if (site.kind === 'process') return 'a Process object';
  if (site.kind === 'pool' || site.kind === 'manager') return `a ${site.kind === 'pool' ? 'Pool' : 'Manager'} object`;
  return undefined;
}

/** What makes a record or list the analysis knows unsendable: a member that is, in every case. */
function heldVerdict(v: AbsValue | undefined, depth = 0): Verdict | undefined {
  if (!v || depth > 4) return undefined;
  switch (v.t) {
    case 'fn': return depth > 0 ? { what: 'a function' } : undefined;
    case 'obj':
      if (depth === 0) return undefined; // (verdict() names these itself)
      const kept = keptObject(v.site);
      return kept ? { what: kept } : undefined;
    case 'record':
      for (const [k, x] of v.fields) {
        const w = heldVerdict(x, depth + 1);
        if (w) return { what: `an object whose ${k} is ${w.what}` };
      }
      return undefined;
    case 'coll':
      for (const x of v.items) {
        const w = heldVerdict(x, depth + 1);
        if (w) return { what: `an array holding ${w.what}` };
      }
      return undefined;
    case 'union': {
      const parts = v.alts.map((a) => heldVerdict(a, depth));
      return parts.every((p) => p !== undefined) ? parts[0] : undefined;
    }
    default: return undefined;
  }
}

/** Constants and shared objects (and lists, records, choices of them) copy fine. */
function plainlySendable(v: AbsValue, depth = 0): boolean {
  if (depth > 4) return false;
  switch (v.t) {
    case 'const': return true;
    case 'obj': return v.site.kind !== 'process' && v.site.kind !== 'pool' && v.site.kind !== 'manager';
    case 'union': return v.alts.every((a) => plainlySendable(a, depth + 1));
    case 'coll': return v.items.every((a) => plainlySendable(a, depth + 1));
    case 'record': return [...v.fields.values()].every((a) => plainlySendable(a, depth + 1));
    default: return false;
  }
}

function typeVerdict(type: ts.Type, checker: ts.TypeChecker, depth: number): Verdict | undefined {
  if (depth > 3 || type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) return undefined;
  if (type.isUnion()) {
    const parts = type.types.map((t) => typeVerdict(t, checker, depth + 1));
    return parts.every((p) => p) ? parts[0] : undefined;
  }
  if (!(type.flags & ts.TypeFlags.Object)) return undefined;
  const sym = type.getSymbol() ?? type.aliasSymbol;
  const decl = sym?.declarations?.[0];
  const file = decl?.getSourceFile().fileName ?? '';
  if (sym && /[\\/](@process-topology[\\/]multiprocessing|shim)[\\/]/.test(file) && NOT_SENDABLE_SHIM.has(sym.getName())) {
    return { what: `a ${sym.getName()} object, which stays with the process that made it` };
  }
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return { what: 'a function' };
  if (decl && /[\\/]@types[\\/]node[\\/]/.test(file) && type.getProperty('emit') && type.getProperty('on') && type.getProperty('destroy')) {
    return { what: `a ${sym!.getName()} (a socket or stream, tied to this process's handles)` };
  }
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    for (const el of checker.getTypeArguments(type as ts.TypeReference)) {
      const v = typeVerdict(el, checker, depth + 1);
      if (v && !v.methodsOf) return { what: `an array holding ${v.what}` };
    }
    return undefined;
  }
  if (sym && decl && ts.isClassLike(decl) && !decl.getSourceFile().isDeclarationFile && hasMethods(decl)) {
    return { what: `an instance of the class ${sym.getName()}`, methodsOf: decl };
  }
  // An object literal with a function-valued property.
  if (sym && sym.flags & ts.SymbolFlags.ObjectLiteral) {
    for (const prop of type.getProperties()) {
      const d = prop.valueDeclaration;
      if (!d) continue;
      const v = typeVerdict(checker.getTypeOfSymbolAtLocation(prop, d), checker, depth + 1);
      if (v && !v.methodsOf) return { what: `an object whose ${prop.getName()} is ${v.what}` };
    }
  }
  return undefined;
}

function hasMethods(cls: ts.ClassLikeDeclaration): boolean {
  return cls.members.some((m) => (ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m))
    && !(ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static));
}

/** Whether code the receiving processes run calls a method (or accessor) of the class. */
function receiverCalls(ctx: RuleContext, receivers: ProcessRef[], cls: ts.ClassLikeDeclaration): boolean {
  const members = new Set<ts.Node>(cls.members.filter((m) => ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)));
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isPropertyAccessExpression(n)) {
      const sym = ctx.checker.getSymbolAtLocation(n.name);
      if (sym?.declarations?.some((d) => members.has(d))) { found = true; return; }
    }
    ts.forEachChild(n, visit);
  };
  for (const r of receivers) {
    for (const fn of ctx.extraction.functionsRun.get(r) ?? []) visit(fn);
  }
  return found;
}
