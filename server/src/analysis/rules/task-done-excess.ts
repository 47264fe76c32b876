// task-done-excess (docs/rules/task-done-excess.md): taskDone() can be called more times than items were taken with
// get(): on some path of a process, a taskDone() runs with no item of that process left to mark
// (twice for one item, or before any get). Once the marks outnumber the items put, it fails with
// "task_done() called too many times"; before that, join() returns while items are unfinished.
// Silent when items may be marked by a process other than the one that took them.
import type { Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { byCall, mayBeUsedUnseen } from '../passes/flow-paths';
import { taskPaths } from '../passes/task-accounting';
import { finding, processName, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'task-done-excess',
  severity: 'error',
  family: 'hygiene',
  summary: 'taskDone() called more often than items were taken.',
  run: taskDoneExcess,
});

function taskDoneExcess(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  if (unknownOps(ctx, 'queue', 'get', 'taskDone').length > 0) return [];
  const findings: Finding[] = [];
  const queues = new Set<ObjectSite>(ex.ops.filter((o) => o.kind === 'taskDone').map((o) => o.obj));
  for (const queue of queues) {
    if (mayBeUsedUnseen(ctx, queue)) continue;
    const gets = ex.ops.filter((o) => o.obj === queue && o.kind === 'get');
    const dones = ex.ops.filter((o) => o.obj === queue && o.kind === 'taskDone');
    const takers = new Set(gets.map((g) => g.proc));
    const markers = new Set(dones.map((d) => d.proc));
    // Items taken in one process and marked in another: per-process counts do not apply.
    if ([...takers].some((p) => !markers.has(p)) || [...markers].some((p) => !takers.has(p))) continue;
    const extra: Op[] = [];
    for (const proc of markers) {
      const paths = taskPaths(ctx, queue, proc);
      if (paths.gaveUp) continue;
      extra.push(...paths.excess);
    }
    for (const ops of byCall(extra).values()) {
      const op = ops[0]!;
      const mine = gets.filter((g) => g.proc === op.proc);
      findings.push(finding(ctx, {
        rule: 'task-done-excess',
        severity: 'error',
        message: `${queue.label}.taskDone() can run more times than items were taken with get() (${processName(op.proc)}): it marks an item that is not there and fails with "task_done() called too many times"`,
        at: op.call,
        related: [...new Set(mine.map((g) => g.call))].map((c) => ({ message: `items are taken here`, at: c })),
        sites: [queue, op.proc],
        ops: [...ops, ...mine],
      }));
    }
  }
  return findings;
}
