// event-never-set (docs/rules/event-never-set.md): Event.wait() without a timeout where no process can call set() on
// that event. Silent when code the analysis cannot see could set it.
import type { Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { bySource, mayBeUsedUnseen } from '../passes/flow-paths';
import { finding, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'event-never-set',
  severity: 'error',
  family: 'blocking',
  summary: 'Event.wait() without timeout where nothing can set the event.',
  run: eventNeverSet,
});

function eventNeverSet(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const waits = new Map<ObjectSite, Op[]>();
  for (const op of ctx.extraction.ops) {
    if (op.kind !== 'wait' || !op.blocking || op.obj.kind !== 'event') continue;
    waits.set(op.obj, [...(waits.get(op.obj) ?? []), op]);
  }
  if (unknownOps(ctx, 'event', 'set').length > 0) return [];
  for (const [event, ops] of waits) {
    if (mayBeUsedUnseen(ctx, event)) continue;
    if (ctx.extraction.ops.some((o) => o.obj === event && o.kind === 'set')) continue;
    const sorted = [...ops].sort(bySource);
    const first = sorted[0]!;
    const others = [...new Set(sorted.map((o) => o.call))].filter((c) => c !== first.call);
    findings.push(finding(ctx, {
      rule: 'event-never-set',
      severity: 'error',
      message: `${event.label}.wait() waits forever: no process ever calls ${event.label}.set()`,
      at: first.call,
      related: [
        { message: `${event.label} is created here`, at: event.node },
        ...others.map((c) => ({ message: 'also waits here', at: c })),
      ],
      sites: [event, ...new Set(sorted.map((o) => o.proc))],
      ops: sorted,
    }));
  }
  return findings;
}
