// lock-not-released (docs/rules/lock-not-released.md): an `acquire()` whose `release()` is skipped on some path (an early
// `return`, a `break`, a thrown error between them): the process goes on, or ends, holding the
// lock, and every other acquire of it waits forever. A warning when some path releases it, an
// error when none does. Decided on the process's paths (process-paths.ts): a path that ends
// holding the lock after taking an exit, or an acquire no path releases. Silent for locks another
// process releases (signals), for acquires that may fail (timeouts), and for unknown code.
import ts from '../typescript';
import type { FixData, Finding } from '../../../../common/model';
import type { Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { escaped, foreignReleasers, type Leak } from '../passes/process-paths';
import { finding, hasOpaqueCode, indentOf, processName } from '../rule-helpers';

export default defineRule({
  id: 'lock-not-released',
  severity: 'warning',
  family: 'hygiene',
  summary: 'An acquire whose release is skipped on some path.',
  run: lockNotReleased,
});

function lockNotReleased(ctx: RuleContext): Finding[] {
  if (hasOpaqueCode(ctx)) return [];
  const ex = ctx.extraction;
  const pp = ctx.passes.processPaths;
  const selfBlocked = new Set(pp.doubleAcquires.flatMap((d) => [d.first.call, d.second.call]));
  const byCall = new Map<ts.CallExpression, Leak[]>();
  for (const leak of pp.leaks) {
    const lock = leak.acq.obj;
    if (!pp.done.has(leak.proc) || lock.unknown || leak.acq.method === 'withLock' || selfBlocked.has(leak.acq.call)) continue;
    // Held to the end by main once every other user of the lock has ended: nobody waits for it.
    if (leak.quiet) continue;
    // An acquire that may give up (a timeout): its holder's paths are the program's business.
    if (leak.acq.fails === 'returns') continue;
    if (foreignReleasers(ex, lock, leak.proc) || escaped(ex, lock)) continue;
    const list = byCall.get(leak.acq.call) ?? [];
    list.push(leak);
    byCall.set(leak.acq.call, list);
  }
  const findings: Finding[] = [];
  for (const [call, leaks] of byCall) {
    const acqs = ex.ops.filter((o) => o.call === call && o.kind === 'acquire');
    const everReleased = acqs.some((a) => pp.released.has(a));
    const exits = [...new Set(leaks.flatMap((l) => (l.exit ? [l.exit] : [])))];
    // A path that ends holding the lock without taking an exit may be a branch the analysis
    // cannot correlate: only exits, or no release at all, make the claim.
    if (everReleased && exits.length === 0) continue;
    const acq = leaks[0]!.acq;
    const lock = acq.obj;
    const proc = leaks[0]!.proc;
    const others = ex.ops.filter((o) => o.obj === lock && o.kind === 'acquire' && o.call !== call);
    const exitText = (s: ts.Statement): string => {
      const sf = s.getSourceFile();
      const word = ts.isReturnStatement(s) ? 'return' : ts.isBreakStatement(s) ? 'break' : ts.isContinueStatement(s) ? 'continue' : 'throw';
      return `the ${word} on line ${sf.getLineAndCharacterOfPosition(s.getStart(sf)).line + 1}`;
    };
    const message = everReleased
      ? `${lock.label} is acquired here but not released when ${exits.map(exitText).join(' or ')} is taken: ${processName(proc)} goes on holding it, and every other acquire of ${lock.label} waits forever`
      : `${lock.label} is acquired here and no path releases it: ${processName(proc)} keeps holding it, and every other acquire of ${lock.label} waits forever`;
    findings.push(finding(ctx, {
      rule: 'lock-not-released',
      severity: everReleased ? 'warning' : 'error',
      message,
      at: call,
      related: [
        ...exits.map((s) => ({ message: `this ${exitText(s).split(' ')[1]} skips the release of ${lock.label}`, at: s })),
        ...others.map((o) => ({ message: `${processName(o.proc)} then waits for ${lock.label} here`, at: o.call })),
      ],
      sites: [lock, proc],
      ops: [acq],
      fixes: releaseFixes(ctx, acq),
    }));
  }
  return findings;
}

/** docs/rules/lock-not-released.md: "wrap in try { … } finally { await l.release() }, or convert to withLock". */
function releaseFixes(ctx: RuleContext, acq: Op): FixData[] {
  const call = acq.call;
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || call.arguments.length > 0) return [];
  let holder: ts.Node = call;
  while (ts.isAwaitExpression(holder.parent) || ts.isParenthesizedExpression(holder.parent)) holder = holder.parent;
  const stmt = holder.parent;
  if (!ts.isExpressionStatement(stmt) || !ts.isAwaitExpression(stmt.expression)) return [];
  const block = stmt.parent;
  if (!ts.isBlock(block) && !ts.isSourceFile(block)) return [];
  const sf = stmt.getSourceFile();
  const recv = callee.expression.getText(sf);
  const isRelease = (n: ts.Node): boolean => {
    if (!ts.isExpressionStatement(n)) return false;
    let e: ts.Expression = n.expression;
    while (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e) || ts.isVoidExpression(e)) e = e.expression;
    return ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'release'
      && e.expression.expression.getText(sf) === recv;
  };
  const list = block.statements;
  const i = list.indexOf(stmt);
  const j = list.findIndex((s, k) => k > i && isRelease(s));
  const range = list.slice(i + 1, j < 0 ? undefined : j);
  if (range.length === 0) return [];
  const first = range[0]!;
  const last = range[range.length - 1]!;
  const lineStart = (n: ts.Node): number => sf.text.lastIndexOf('\n', n.getStart(sf) - 1) + 1;
  if (sf.text.slice(lineStart(first), first.getStart(sf)).trim() !== '' || sf.text.slice(lineStart(stmt), stmt.getStart(sf)).trim() !== '') return [];
  // Releases inside the wrapped code would release twice once the finally does it.
  const deletions: { from: number; to: number; text: string }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (isRelease(n)) {
      const inBlock = ts.isBlock(n.parent) || ts.isSourceFile(n.parent);
      const from = inBlock ? lineStart(n) : n.getStart(sf);
      let to = n.getEnd();
      if (inBlock && sf.text[to] === '\n') to++;
      deletions.push({ from, to, text: inBlock ? '' : '{}' });
      return;
    }
    ts.forEachChild(n, visit);
  };
  range.forEach(visit);
  const from = lineStart(first);
  let body = '';
  let at = from;
  for (const d of deletions.sort((a, b) => a.from - b.from)) {
    body += sf.text.slice(at, d.from) + d.text;
    at = d.to;
  }
  body += sf.text.slice(at, last.getEnd());
  const indented = body.split('\n').map((l) => (l.trim() === '' ? l : `  ${l}`)).join('\n');
  const indent = indentOf(stmt);
  const end = j < 0 ? last.getEnd() : list[j]!.getEnd();
  const pos = (offset: number): ts.LineAndCharacter => sf.getLineAndCharacterOfPosition(offset);
  const file = ctx.locator.relative(sf.fileName);
  const fixes: FixData[] = [{
    title: `Release ${recv} in a finally block`,
    edits: [{
      file, range: { start: pos(from), end: pos(end) },
      newText: `${indent}try {\n${indented}\n${indent}} finally {\n${indent}  await ${recv}.release();\n${indent}}`,
    }],
  }];
  // withLock runs the code in a callback: only when it reaches the end of the function, and
  // no break or continue leaves it.
  const fn = block.parent;
  const atEnd = (j < 0 ? last : list[j]!) === list[list.length - 1];
  if (ts.isBlock(block) && fn && ts.isFunctionLike(fn) && atEnd && !range.some(leavesLoop)) {
    const returnsValue = range.some(returnsAValue);
    fixes.push({
      title: `Convert to ${recv}.withLock(…)`,
      edits: [{
        file, range: { start: pos(lineStart(stmt)), end: pos(end) },
        newText: `${indent}${returnsValue ? 'return ' : ''}await ${recv}.withLock(async () => {\n${indented}\n${indent}});`,
      }],
    });
  }
  return fixes;
}

/** A break or continue that is not inside a loop or switch of its own. */
function leavesLoop(n: ts.Node): boolean {
  if (ts.isFunctionLike(n) || ts.isIterationStatement(n, false) || ts.isSwitchStatement(n)) return false;
  if (ts.isBreakStatement(n) || ts.isContinueStatement(n)) return true;
  return ts.forEachChild(n, leavesLoop) ?? false;
}

function returnsAValue(n: ts.Node): boolean {
  if (ts.isFunctionLike(n)) return false;
  if (ts.isReturnStatement(n) && n.expression) return true;
  return ts.forEachChild(n, returnsAValue) ?? false;
}
