// barrier-parties-mismatch (docs/rules/barrier-parties-mismatch.md): fewer processes can reach Barrier.wait() than the barrier's
// parties, so the ones that arrive wait forever. Counted in processes (a process is one party at a
// time, however often it calls wait()); a process made in a loop of N counts N. Silent when the
// count or the parties are unknown, when the barrier has a timeout or can be aborted/reset (then it
// breaks instead of hanging), or when code the analysis cannot see could wait on it too.
import ts from '../typescript';
import type { Finding, Multiplicity } from '../../../../common/model';
import { constOf, skipOuter } from '../ast';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { bySource, instances, mayBeUsedUnseen } from '../passes/flow-paths';
import { finding, processName, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'barrier-parties-mismatch',
  severity: 'error',
  family: 'blocking',
  summary: 'Fewer processes can reach the barrier than its parties.',
  run: barrierPartiesMismatch,
});

function barrierPartiesMismatch(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  if (unknownOps(ctx, 'barrier', 'wait', 'abort').length > 0) return [];
  const waits = new Map<ObjectSite, Op[]>();
  for (const op of ctx.extraction.ops) {
    if (op.kind !== 'wait' || op.obj.kind !== 'barrier') continue;
    waits.set(op.obj, [...(waits.get(op.obj) ?? []), op]);
  }
  for (const [barrier, ops] of waits) {
    const parties = barrier.size;
    if (typeof parties !== 'number' || mayBeUsedUnseen(ctx, barrier) || hasTimeout(barrier)) continue;
    if (ops.some((o) => !o.blocking)) continue;
    if (ctx.extraction.ops.some((o) => o.obj === barrier && o.kind === 'abort')) continue;
    const procs = [...new Set(ops.map((o) => o.proc))];
    let reach: Multiplicity = 0;
    for (const p of procs) {
      const m = instances(p);
      reach = reach === 'several' || m === 'several' ? 'several' : reach + m;
    }
    if (reach === 'several' || reach === 0 || reach >= parties) continue;
    const sorted = [...ops].sort(bySource);
    const first = sorted[0]!;
    const others = [...new Set(sorted.map((o) => o.call))].filter((c) => c !== first.call);
    const who = procs.map(processName).join(', ');
    findings.push(finding(ctx, {
      rule: 'barrier-parties-mismatch',
      severity: 'error',
      message: `${barrier.label} needs ${parties} parties, but only ${reach} process${reach === 1 ? '' : 'es'} (${who}) can reach ${barrier.label}.wait(): they wait forever`,
      at: first.call,
      related: [
        { message: `${barrier.label} is created here with ${parties} parties`, at: barrier.node },
        ...others.map((c) => ({ message: 'also waits here', at: c })),
      ],
      sites: [barrier, ...procs],
      ops: sorted,
    }));
  }
  return findings;
}

/** `new Barrier(n, action, timeout)` / `m.Barrier(n, action, timeout)` with a timeout: it breaks, not hangs. */
function hasTimeout(barrier: ObjectSite): boolean {
  const node = barrier.node;
  if (!ts.isNewExpression(node) && !ts.isCallExpression(node)) return true;
  const arg = node.arguments?.[2];
  if (!arg) return false;
  const c = constOf(skipOuter(arg));
  return !(c && (c.v === null || c.v === undefined));
}
