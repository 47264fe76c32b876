// missing-sentinel (rules.md): consumers that leave their `get()` loop only on a sentinel value,
// with fewer sentinels put than consumer processes running that loop.
import ts from 'typescript';
import type { FixData, Finding, Multiplicity } from '../../../../common/model';
import { skipOuter } from '../extract';
import { processMultiplicity, type ConstValue, type ObjectSite, type Op, type ProcessRef } from '../facts';
import type { RuleContext } from '../rule-context';
import { enclosingStatement, finding, insertAfter, processName, valueMatches } from '../rule-helpers';

interface SentinelLoop {
  value: ConstValue;
}

export function missingSentinel(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const gets = new Map<ts.CallExpression, Op[]>();
  for (const op of ctx.extraction.ops) {
    if (op.kind !== 'get' || !op.blocking) continue;
    const list = gets.get(op.call) ?? [];
    list.push(op);
    gets.set(op.call, list);
  }
  for (const [call, ops] of gets) {
    const loop = sentinelLoop(call, ctx.checker);
    if (!loop) continue;
    for (const queue of new Set(ops.map((o) => o.obj))) {
      // Who else puts on a queue the analysis could not follow is unknown: no claim.
      if (queue.unknown) continue;
      const consumerOps = ops.filter((o) => o.obj === queue);
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
        const verdict = valueMatches(put, loop.value, ctx.checker);
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
      const what = `${describe(loop.value)} sentinel`;
      const who = consumers === 'several' ? 'Several consumers wait' : consumers === 1 ? '1 consumer waits' : `${consumers} consumers wait`;
      const got = sentinels === 0 ? 'none is ever put' : `only ${sentinels} can be put`;
      const consumerProcs = [...new Set(consumerOps.map((o) => o.proc))];
      findings.push(finding(ctx, {
        rule: 'missing-sentinel',
        severity: 'error',
        message: `${who} for a ${what} on ${queue.label}, but ${got}: the extra consumers block in get() forever once the producers finish`,
        at: call,
        related: puts.map((p) => ({ message: `${queue.label} is put here (${processName(p.proc)})`, at: p.call })),
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

function describe(v: ConstValue): string {
  return v === null ? 'null' : v === undefined ? 'undefined' : JSON.stringify(v);
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
