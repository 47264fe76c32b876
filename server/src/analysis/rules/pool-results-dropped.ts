// pool-results-dropped (docs/rules/pool-results-dropped.md): the result of applyAsync/mapAsync/starmapAsync is never read
// (no get()/wait() on its AsyncResult, no `callback`) and the pool is not closed and joined before
// the program ends: pool workers are daemons, so the program's end can cut the task off. Silent when
// the AsyncResult or the pool reaches code the analysis cannot see (it may read or join them).
import ts from '../typescript';
import type { Finding } from '../../../../common/model';
import { skipOuter } from '../ast';
import type { Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { byCall, mayBeUsedUnseen } from '../passes/flow-paths';
import { finding } from '../rule-helpers';

export default defineRule({
  id: 'pool-results-dropped',
  severity: 'warning',
  family: 'hygiene',
  summary: 'Async pool results are never read and the pool is not closed and joined.',
  run: poolResultsDropped,
});

const ASYNC_SUBMITS = new Set(['applyAsync', 'mapAsync', 'starmapAsync']);

function poolResultsDropped(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const read = new Set(ex.ops.flatMap((o) => (o.kind === 'result' ? o.submits ?? [] : [])));
  const findings: Finding[] = [];
  for (const ops of byCall(ex.ops.filter((o) => o.kind === 'submit' && ASYNC_SUBMITS.has(o.method))).values()) {
    const submit = ops[0]!;
    const pool = submit.obj;
    if (mayBeUsedUnseen(ctx, pool) || read.has(submit.call) || ex.escapedResults?.has(submit.call)) continue;
    if (hasCallback(submit)) continue;
    const on = (kind: Op['kind']): Op[] => ex.ops.filter((o) => o.obj === pool && o.kind === kind);
    if (on('closePool').length > 0 && on('joinPool').length > 0) continue;
    const terminated = on('terminatePool');
    const ending = terminated.length > 0 ? `${pool.label} is terminated` : `${pool.label} is never closed and joined`;
    findings.push(finding(ctx, {
      rule: 'pool-results-dropped',
      severity: 'warning',
      message: `The result of ${pool.label}.${submit.method}() is never read (get(), wait() or a callback) and ${ending}: the program can end before the task runs, cutting it off`,
      at: submit.call,
      related: [
        { message: `${pool.label} is created here`, at: pool.node },
        ...terminated.map((t) => ({ message: `${pool.label}.terminate() here abandons unfinished tasks`, at: t.call })),
      ],
      sites: [pool, submit.proc],
      ops,
    }));
  }
  return findings;
}

/** A `callback` in the options (or options the analysis cannot read) receives the result. */
function hasCallback(submit: Op): boolean {
  const opts = submit.call.arguments[2];
  if (!opts) return false;
  const e = skipOuter(opts);
  if (ts.isNumericLiteral(e)) return false;
  if (!ts.isObjectLiteralExpression(e)) return true;
  return e.properties.some((p) => ts.isSpreadAssignment(p) || !p.name || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text === 'callback');
}
