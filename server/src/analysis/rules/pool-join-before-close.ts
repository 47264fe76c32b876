// pool-join-before-close (docs/rules/pool-join-before-close.md): pool.join() reachable, on some path of the process that owns
// the pool, while neither close() nor terminate() has run: join() rejects with "Pool is still
// running". Silent when the pool is handed to code the analysis cannot see (it may close it).
// Quick fix: insert `pool.close()` before the join.
import ts from '../typescript';
import type { FixData, Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { enclosingStatement, finding, indentOf } from '../rule-helpers';
import { GaveUp, mayBeUsedUnseen, PathWalker } from '../passes/flow-paths';

export default defineRule({
  id: 'pool-join-before-close',
  severity: 'error',
  family: 'lifecycle',
  summary: 'pool.join() before close() or terminate().',
  run: poolJoinBeforeClose,
});

function poolJoinBeforeClose(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const index = new Map<ObjectSite, number>();
  const id = (s: ObjectSite): string => {
    if (!index.has(s)) index.set(s, index.size);
    return String(index.get(s));
  };
  const early = new Map<Op['call'], Op>();
  const walker = new PathWalker<ReadonlySet<string>>({
    key: (s) => [...s].sort().join(','),
    op: (s, op) => {
      if (op.obj.kind !== 'pool') return [s];
      if (op.kind === 'joinPool' && !s.has(id(op.obj)) && !early.has(op.call)) early.set(op.call, op);
      if ((op.kind === 'closePool' || op.kind === 'terminatePool') && !s.has(id(op.obj))) return [new Set([...s, id(op.obj)])];
      return [s];
    },
    unknownLoops: 'fixpoint',
  });
  for (const [proc, flow] of ex.flows) {
    if (!ex.ops.some((o) => o.proc === proc && o.kind === 'joinPool')) continue;
    try {
      walker.run(flow, [new Set()]);
    } catch (err) {
      if (!(err instanceof GaveUp)) throw err;
    }
  }
  const findings: Finding[] = [];
  for (const join of early.values()) {
    const pool = join.obj;
    if (pool.unknown || mayBeUsedUnseen(ctx, pool)) continue;
    const closers = ex.ops.filter((o) => o.obj === pool && (o.kind === 'closePool' || o.kind === 'terminatePool'));
    const fix = closeFix(ctx, join);
    findings.push(finding(ctx, {
      rule: 'pool-join-before-close',
      severity: 'error',
      message: closers.length === 0
        ? `${pool.label}.join() before ${pool.label}.close() or terminate(): it fails with "Pool is still running"`
        : `${pool.label}.join() can run before ${pool.label}.close() or terminate() on some path: it fails with "Pool is still running"`,
      at: join.call,
      related: [
        { message: `${pool.label} is created here`, at: pool.node },
        ...closers.map((c) => ({ message: `${pool.label}.${c.method}() here does not run before the join on every path`, at: c.call })),
      ],
      sites: [pool, join.proc],
      ops: [join],
      ...(fix ? { fixes: [fix] } : {}),
    }));
  }
  return findings;
}

/** docs/rules/pool-join-before-close.md: insert `pool.close()` before `join()`. */
function closeFix(ctx: RuleContext, join: Op): FixData | undefined {
  const callee = join.call.expression;
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const stmt = enclosingStatement(join.call);
  if (!stmt) return undefined;
  const receiver = callee.expression.getText();
  const sf = stmt.getSourceFile();
  const at = sf.getLineAndCharacterOfPosition(stmt.getStart(sf));
  return {
    title: `Call ${receiver}.close() before ${receiver}.join()`,
    edits: [{ file: ctx.locator.relative(sf.fileName), range: { start: at, end: at }, newText: `${receiver}.close();\n${indentOf(stmt)}` }],
  };
}
