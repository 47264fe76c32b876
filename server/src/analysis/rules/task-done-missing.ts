// task-done-missing (docs/rules/task-done-missing.md): JoinableQueue.join() is awaited while, on some path, an item taken
// with get() is never followed by taskDone() — a branch or `continue` that skips it, an explicit
// `throw` before it (the consumer dies), a consumer that never calls it — or nobody consumes at
// all: join() waits for a count that never reaches zero. Only explicit throws count as error
// paths. Silent when another process could mark items it did not take (taskDone without get), when
// code the analysis cannot see could take or mark items, and, for an item left unmarked when the
// consumer ends, when the joining process puts more after its join (a sentinel put after join()
// is never waited for). Quick fix: wrap what follows each such get() in try { … } finally { taskDone() }.
import ts from '../typescript';
import type { FixData, Finding, TextEdit } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { bySource, mayBeUsedUnseen } from '../passes/flow-paths';
import { putsAfterJoin, taskPaths } from '../passes/task-accounting';
import { enclosingStatement, finding, indentOf, processName, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'task-done-missing',
  severity: 'error',
  family: 'blocking',
  summary: 'JoinableQueue.join() waits while some item taken is never marked done.',
  run: taskDoneMissing,
});

function taskDoneMissing(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  if (unknownOps(ctx, 'queue', 'get', 'taskDone').length > 0) return [];
  const findings: Finding[] = [];
  const joins = new Map<ObjectSite, Op[]>();
  for (const op of ex.ops) {
    if (op.kind === 'joinQueue' && op.blocking) joins.set(op.obj, [...(joins.get(op.obj) ?? []), op]);
  }
  for (const [queue, joinOps] of joins) {
    if (mayBeUsedUnseen(ctx, queue)) continue;
    const on = (kind: Op['kind']): Op[] => ex.ops.filter((o) => o.obj === queue && o.kind === kind);
    const puts = on('put');
    const gets = on('get');
    const dones = on('taskDone');
    const sorted = [...joinOps].sort(bySource);
    const join = sorted[0]!;
    const otherJoins = [...new Set(sorted.map((o) => o.call))].filter((c) => c !== join.call);
    const base = { rule: 'task-done-missing', severity: 'error' as const, at: join.call };
    if (gets.length === 0) {
      // Items certainly put (not only in a loop that may run zero times), and nobody takes them.
      if (dones.length > 0 || !puts.some((p) => typeof p.count === 'number' && p.count > 0)) continue;
      findings.push(finding(ctx, {
        ...base,
        message: `${queue.label}.join() waits forever: items are put on ${queue.label} but no process ever takes them with get(), so no taskDone() ever comes`,
        related: [
          ...puts.sort(bySource).map((p) => ({ message: `an item is put here (${processName(p.proc)})`, at: p.call })),
          ...otherJoins.map((c) => ({ message: 'also joins here', at: c })),
        ],
        sites: [queue, join.proc],
        ops: [...joinOps, ...puts],
      }));
      continue;
    }
    const consumers = [...new Set(gets.map((g) => g.proc))];
    // Another process may mark items it did not take itself: the per-process count cannot tell.
    if (dones.some((d) => !consumers.includes(d.proc))) continue;
    const sentinelLater = putsAfterJoin(ctx, queue);
    const left: { get: Op; why: string }[] = [];
    let unsure = false;
    for (const proc of consumers) {
      const paths = taskPaths(ctx, queue, proc);
      if (paths.gaveUp) { unsure = true; break; }
      for (const g of paths.leftInLoop) left.push({ get: g, why: 'a path through the loop skips taskDone() before the next get()' });
      if (!sentinelLater) {
        for (const { get, how } of paths.leftAtEnd) {
          left.push({ get, why: how === 'error' ? 'an error thrown before taskDone() ends the consumer' : 'the consumer can finish without taskDone() for it' });
        }
      }
    }
    if (unsure || left.length === 0) continue;
    const byGet = new Map<Op['call'], { get: Op; why: string }>();
    for (const l of left) if (!byGet.has(l.get.call)) byGet.set(l.get.call, l);
    const items = [...byGet.values()].sort((a, b) => bySource(a.get, b.get));
    const fix = finallyFix(ctx, items.map((i) => i.get));
    findings.push(finding(ctx, {
      ...base,
      message: `${queue.label}.join() can wait forever: an item taken with ${queue.label}.get() is not always marked with taskDone() (${items[0]!.why})`,
      related: [
        ...items.map((i) => ({ message: `this get()'s item can be left unmarked (${processName(i.get.proc)}): ${i.why}`, at: i.get.call })),
        ...otherJoins.map((c) => ({ message: 'also joins here', at: c })),
      ],
      sites: [queue, join.proc, ...consumers],
      ops: [...joinOps, ...items.map((i) => i.get)],
      ...(fix ? { fixes: [fix] } : {}),
    }));
  }
  return findings;
}

/**
 * docs/rules/task-done-missing.md: "call taskDone() in a finally after each get()". What follows the get in its block goes
 * into `try { … } finally { await q.taskDone(); }`; the taskDone() calls already there are removed
 * (the finally block now makes them, once per item).
 */
function finallyFix(ctx: RuleContext, gets: Op[]): FixData | undefined {
  const edits: TextEdit[] = [];
  const taken: [number, number, ts.SourceFile][] = [];
  let receiverText = '';
  for (const get of gets) {
    const callee = get.call.expression;
    if (!ts.isPropertyAccessExpression(callee)) continue;
    const stmt = enclosingStatement(get.call);
    const block = stmt?.parent;
    if (!stmt || !block || !(ts.isBlock(block) || ts.isSourceFile(block))) continue;
    const sf = stmt.getSourceFile();
    const receiver = callee.expression.getText(sf);
    receiverText ||= receiver;
    const rest = block.statements.slice(block.statements.indexOf(stmt) + 1);
    const indent = indentOf(stmt);
    const done = `await ${receiver}.taskDone();`;
    const file = ctx.locator.relative(sf.fileName);
    const start = rest.length > 0 ? rest[0]!.getStart(sf) : stmt.getEnd();
    const end = rest.length > 0 ? rest[rest.length - 1]!.getEnd() : stmt.getEnd();
    if (taken.some(([s, e, f]) => f === sf && s < end && start < e)) continue;
    taken.push([start, end, sf]);
    if (rest.length === 0) {
      const at = sf.getLineAndCharacterOfPosition(end);
      edits.push({ file, range: { start: at, end: at }, newText: `\n${indent}${done}` });
      continue;
    }
    const body = withoutTaskDone(sf, rest, receiver);
    const reindented = body.split('\n').map((line, i) => (i === 0 ? `${indent}  ${line}` : line.trim() === '' ? line : `  ${line}`)).join('\n');
    edits.push({
      file,
      range: { start: sf.getLineAndCharacterOfPosition(start), end: sf.getLineAndCharacterOfPosition(end) },
      newText: `try {\n${reindented}\n${indent}} finally {\n${indent}  ${done}\n${indent}}`,
    });
  }
  if (edits.length === 0) return undefined;
  return { title: `Call ${receiverText}.taskDone() in a finally block after each get()`, edits };
}

/** The text of some statements with every `await <receiver>.taskDone();` statement taken out. */
function withoutTaskDone(sf: ts.SourceFile, stmts: readonly ts.Statement[], receiver: string): string {
  const start = stmts[0]!.getStart(sf);
  const end = stmts[stmts.length - 1]!.getEnd();
  const cuts: [number, number, string][] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    if (ts.isExpressionStatement(node)) {
      let e: ts.Expression = node.expression;
      if (ts.isAwaitExpression(e)) e = e.expression;
      if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'taskDone'
        && e.expression.expression.getText(sf) === receiver) {
        const s = node.getStart(sf);
        const parent = node.parent;
        if (!(ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isCaseClause(parent))) {
          cuts.push([s, node.getEnd(), '{}']);
          return;
        }
        // The whole line when the statement is alone on it.
        const lineStart = sf.text.lastIndexOf('\n', s - 1) + 1;
        const lineEnd = sf.text.indexOf('\n', node.getEnd());
        const alone = sf.text.slice(lineStart, s).trim() === '' && sf.text.slice(node.getEnd(), lineEnd < 0 ? undefined : lineEnd).trim() === '';
        if (alone && lineStart > start && lineEnd >= 0 && lineEnd < end) cuts.push([lineStart, lineEnd + 1, '']);
        else cuts.push([s, node.getEnd(), '']);
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  stmts.forEach(visit);
  let text = sf.text.slice(start, end);
  for (const [s, e, repl] of cuts.filter(([s, e]) => s >= start && e <= end).sort((a, b) => b[0] - a[0])) {
    text = text.slice(0, s - start) + repl + text.slice(e - start);
  }
  return text.replace(/\s+$/, '');
}
