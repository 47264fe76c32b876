// process-not-joined (docs/rules/process-not-joined.md): a started, non-daemon process that no code ever joins: it stays a
// zombie until its parent exits, and the parent silently waits for it at exit (its exit code is
// never looked at). Read from the facts: start operations without any join of the same process;
// joins the analysis cannot see (unknown code, a process object it lost track of) keep it silent.
// Quick fix: `await p.join()` at the end of the scope that starts it.
import ts from '../typescript';
import type { FixData, Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { escaped } from '../passes/process-paths';
import { finding, hasOpaqueCode, indentOf, processName, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'process-not-joined',
  severity: 'warning',
  family: 'hygiene',
  summary: 'A started non-daemon process is never joined.',
  run: processNotJoined,
});

function processNotJoined(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  if (hasOpaqueCode(ctx) || unknownOps(ctx, 'process', 'join').length > 0) return [];
  const findings: Finding[] = [];
  const byProcess = new Map<ObjectSite, Op[]>();
  for (const op of ex.ops) {
    if (op.kind !== 'start' || op.obj.kind !== 'process' || op.obj.unknown || op.obj.daemon || escaped(ex, op.obj)) continue;
    const list = byProcess.get(op.obj) ?? [];
    list.push(op);
    byProcess.set(op.obj, list);
  }
  for (const [child, starts] of byProcess) {
    if (ex.ops.some((o) => o.obj === child && o.kind === 'join')) continue;
    const first = starts[0]!;
    findings.push(finding(ctx, {
      rule: 'process-not-joined',
      severity: 'warning',
      message: `${processName(child)} is started here but never joined: it stays a zombie until ${processName(first.proc)} exits, which then waits for it without ever seeing its exit code`,
      at: first.call,
      related: starts.slice(1).map((s) => ({ message: `${child.label} is also started here`, at: s.call })),
      sites: [child, first.proc],
      ops: starts,
      fixes: joinFix(ctx, first),
    }));
  }
  return findings;
}

/** docs/rules/process-not-joined.md: "add `await p.join()` at the end of the starting scope". */
function joinFix(ctx: RuleContext, start: Op): FixData[] {
  const callee = start.call.expression;
  if (!ts.isPropertyAccessExpression(callee)) return [];
  const recv = callee.expression;
  const sf = start.call.getSourceFile();
  let stmt: ts.Node = start.call;
  while (stmt.parent && !ts.isBlock(stmt.parent) && !ts.isSourceFile(stmt.parent)) stmt = stmt.parent;
  let text = `await ${recv.getText(sf)}.join();`;
  // `for (const p of ps) p.start()`: join them all after the loop, not one by one inside it.
  if (ts.isIdentifier(recv)) {
    const decl = ctx.checker.getSymbolAtLocation(recv)?.declarations?.[0];
    const loop = decl && ts.isVariableDeclaration(decl) && ts.isVariableDeclarationList(decl.parent) && ts.isForOfStatement(decl.parent.parent) ? decl.parent.parent : undefined;
    if (loop) {
      let at: ts.Node = loop;
      while (at.parent && !ts.isBlock(at.parent) && !ts.isSourceFile(at.parent)) at = at.parent;
      stmt = at;
      text = `for (const ${recv.text} of ${loop.expression.getText(sf)}) await ${recv.text}.join();`;
    }
  }
  const scope = stmt.parent;
  if (!scope || !(ts.isBlock(scope) || ts.isSourceFile(scope))) return [];
  // `await` needs an async function, or an ES module's top level.
  let fn: ts.Node | undefined = scope;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  if (!fn) return [];
  const async = ts.isSourceFile(fn) ? fn.impliedNodeFormat === ts.ModuleKind.ESNext || hasTopLevelAwait(fn) : (ts.getCombinedModifierFlags(fn as ts.Declaration) & ts.ModifierFlags.Async) !== 0;
  if (!async) return [];
  const statements = scope.statements;
  const last = statements[statements.length - 1]!;
  const before = statements.length > 1 && ts.isReturnStatement(last);
  const indent = indentOf(last);
  const file = ctx.locator.relative(sf.fileName);
  if (before) {
    const lineStart = sf.text.lastIndexOf('\n', last.getStart(sf) - 1) + 1;
    const p = sf.getLineAndCharacterOfPosition(lineStart);
    return [{ title: `Join ${recv.getText(sf)} at the end of the scope that starts it`, edits: [{ file, range: { start: p, end: p }, newText: `${indent}${text}\n` }] }];
  }
  const end = sf.getLineAndCharacterOfPosition(last.getEnd());
  return [{ title: `Join ${recv.getText(sf)} at the end of the scope that starts it`, edits: [{ file, range: { start: end, end }, newText: `\n${indent}${text}` }] }];
}

function hasTopLevelAwait(sf: ts.SourceFile): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) { found = true; return; }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}
