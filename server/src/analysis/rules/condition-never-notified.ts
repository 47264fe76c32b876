// condition-never-notified (docs/rules/condition-never-notified.md): Condition.wait() without a timeout where no other process
// can notify()/notifyAll() that condition (a process cannot wake itself: its own notify comes
// before the wait, and is lost, or after it, and never runs). `waitFor(predicate)` is not
// claimed: its predicate may already hold. Silent when code the analysis cannot see could notify.
import type { Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { bySource, instances, mayBeUsedUnseen } from '../passes/flow-paths';
import { finding, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'condition-never-notified',
  severity: 'error',
  family: 'blocking',
  summary: 'Condition.wait() without timeout where no other process can notify.',
  run: conditionNeverNotified,
});

function conditionNeverNotified(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  if (unknownOps(ctx, 'condition', 'notify').length > 0) return [];
  const waits = new Map<ObjectSite, Op[]>();
  for (const op of ctx.extraction.ops) {
    if (op.kind !== 'wait' || op.method !== 'wait' || !op.blocking || op.obj.kind !== 'condition') continue;
    waits.set(op.obj, [...(waits.get(op.obj) ?? []), op]);
  }
  for (const [cond, ops] of waits) {
    if (mayBeUsedUnseen(ctx, cond)) continue;
    const notifies = ctx.extraction.ops.filter((o) => o.obj === cond && o.kind === 'notify');
    // Another process, or another instance of the waiting one, could wake this wait.
    const stuck = ops.filter((w) => !notifies.some((n) => n.proc !== w.proc || instances(w.proc) !== 1));
    if (stuck.length === 0) continue;
    const sorted = stuck.sort(bySource);
    const first = sorted[0]!;
    const others = [...new Set(sorted.map((o) => o.call))].filter((c) => c !== first.call);
    const self = notifies.length > 0 ? ' (only the waiting process itself notifies, which cannot wake its own wait)' : '';
    findings.push(finding(ctx, {
      rule: 'condition-never-notified',
      severity: 'error',
      message: `${cond.label}.wait() waits forever: no other process ever calls ${cond.label}.notify() or notifyAll()${self}`,
      at: first.call,
      related: [
        { message: `${cond.label} is created here`, at: cond.node },
        ...others.map((c) => ({ message: 'also waits here', at: c })),
        ...notifies.map((n) => ({ message: 'notified only here, by the waiting process itself', at: n.call })),
      ],
      sites: [cond, ...new Set(sorted.map((o) => o.proc))],
      ops: sorted,
    }));
  }
  return findings;
}
