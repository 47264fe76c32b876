// Loops that consume a queue until a sentinel value, read from the code: which constant ends the
// loop (`sentinelLoop`, for missing-sentinel and get-without-producer), and, per queue node of the
// model, that value and how many of it the program can put (`annotateSentinels`: the model's
// `ModelNode.sentinel`, which the hover, the graph and the CLI's JSON show). Both use the same
// reading of loops and values as the missing-sentinel rule, so they agree with it.
import ts from 'typescript';
import type { Multiplicity } from '../../../../common/model';
import { skipOuter } from '../ast';
import { processMultiplicity, type ConstValue, type Extraction, type ObjectSite, type Op } from '../facts';
import { valueMatches } from '../rule-helpers';
import type { Topology } from '../topology';

export interface SentinelLoop {
  value: ConstValue;
}

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
    let value: { v: ConstValue } | undefined;
    for (const get of gets) {
      const loop = sentinelLoop(get.call, checker);
      if (loop) {
        value = { v: loop.value };
        break;
      }
    }
    if (!value) continue;
    let count: Multiplicity = 0;
    for (const put of puts) {
      const verdict = valueMatches(put, value.v, checker);
      if (verdict === 'no') continue;
      const procs = processMultiplicity(put.proc);
      if (verdict === 'maybe' || typeof put.count !== 'number' || procs === 'several' || count === 'several') {
        count = 'several';
        continue;
      }
      count += put.count * procs;
    }
    node.sentinel = { value: written(value.v), count };
  }
}

/**
 * `for (;;) { const item = await q.get(); if (item === C) break; … }`: an endless loop whose every
 * exit is guarded by comparing the received item with the same constant C.
 */
export function sentinelLoop(call: ts.CallExpression, checker: ts.TypeChecker): SentinelLoop | undefined {
  let holder: ts.Node = call;
  while (ts.isAwaitExpression(holder.parent) || ts.isParenthesizedExpression(holder.parent)) holder = holder.parent;
  const decl = holder.parent;
  let variable: ts.Symbol | undefined;
  if (ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name)) variable = checker.getSymbolAtLocation(decl.name);
  else if (ts.isBinaryExpression(decl) && decl.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(decl.left)) {
    variable = checker.getSymbolAtLocation(decl.left);
  }
  if (!variable) return undefined;
  let loop: ts.Node | undefined = decl.parent;
  while (loop && !ts.isIterationStatement(loop, false) && !ts.isFunctionLike(loop)) loop = loop.parent;
  if (!loop || !ts.isIterationStatement(loop, false) || !isEndless(loop)) return undefined;
  const exits: ts.Node[] = [];
  collectExits(loop.statement, exits, false);
  if (exits.length === 0) return undefined;
  let value: { v: ConstValue } | undefined;
  for (const exit of exits) {
    const guard = guardOf(exit, loop, variable, checker);
    if (!guard || (value && value.v !== guard.v)) return undefined;
    value = guard;
  }
  return value ? { value: value.v } : undefined;
}

function isEndless(loop: ts.IterationStatement): boolean {
  if (ts.isForStatement(loop)) return !loop.condition || loop.condition.kind === ts.SyntaxKind.TrueKeyword;
  if (ts.isWhileStatement(loop) || ts.isDoStatement(loop)) return loop.expression.kind === ts.SyntaxKind.TrueKeyword;
  return false;
}

/** `break`s that leave this loop and `return`s, not descending into nested functions. */
function collectExits(node: ts.Node, out: ts.Node[], nested: boolean): void {
  if (ts.isFunctionLike(node)) return;
  if (ts.isReturnStatement(node)) out.push(node);
  else if (ts.isBreakStatement(node) && (!nested || node.label)) out.push(node);
  const inner = nested || ts.isIterationStatement(node, false) || ts.isSwitchStatement(node);
  ts.forEachChild(node, (child) => collectExits(child, out, inner));
}

/** The constant an exit is guarded by: it sits in the `then` of `if (item === C)`. */
function guardOf(exit: ts.Node, loop: ts.Node, variable: ts.Symbol, checker: ts.TypeChecker): { v: ConstValue } | undefined {
  let child: ts.Node = exit;
  for (let p = exit.parent; p && p !== loop; child = p, p = p.parent) {
    if (ts.isIfStatement(p) && p.thenStatement === child) {
      return comparison(p.expression, variable, checker);
    }
  }
  return undefined;
}

function comparison(cond: ts.Expression, variable: ts.Symbol, checker: ts.TypeChecker): { v: ConstValue } | undefined {
  const e = skipOuter(cond);
  if (!ts.isBinaryExpression(e)) return undefined;
  const op = e.operatorToken.kind;
  if (op !== ts.SyntaxKind.EqualsEqualsEqualsToken && op !== ts.SyntaxKind.EqualsEqualsToken) return undefined;
  const isVar = (x: ts.Expression): boolean => ts.isIdentifier(x) && checker.getSymbolAtLocation(x) === variable;
  const constant = isVar(e.left) ? skipOuter(e.right) : isVar(e.right) ? skipOuter(e.left) : undefined;
  if (!constant) return undefined;
  if (constant.kind === ts.SyntaxKind.NullKeyword) return { v: null };
  if (ts.isIdentifier(constant) && constant.text === 'undefined') return { v: op === ts.SyntaxKind.EqualsEqualsToken ? null : undefined };
  if (ts.isStringLiteral(constant) || ts.isNoSubstitutionTemplateLiteral(constant)) return { v: constant.text };
  if (ts.isNumericLiteral(constant)) return { v: Number(constant.text) };
  if (constant.kind === ts.SyntaxKind.TrueKeyword) return { v: true };
  if (constant.kind === ts.SyntaxKind.FalseKeyword) return { v: false };
  return undefined;
}
