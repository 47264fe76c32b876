// join-unstarted (docs/rules/join-unstarted.md): `join()` on a process that is not started on some path to it: the
// shim throws "can only join a started process". Decided on the joining process's paths
// (process-paths.ts); a loop of unknown count that starts it, code the analysis cannot see
// that could start it, or a start and a join each under a branch it cannot decide (the same
// condition, tested twice, perhaps through a flag), keeps the rule silent.
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { escaped } from '../passes/process-paths';
import { finding, hasOpaqueCode, processName, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'join-unstarted',
  severity: 'error',
  family: 'lifecycle',
  summary: 'join() on a process that may not have been started.',
  run: joinUnstarted,
});

function joinUnstarted(ctx: RuleContext): Finding[] {
  if (hasOpaqueCode(ctx) || unknownOps(ctx, 'process', 'start').length > 0) return [];
  const ex = ctx.extraction;
  const pp = ctx.passes.processPaths;
  const findings: Finding[] = [];
  const reported = new Set<unknown>();
  for (const { proc, op } of pp.joinUnstarted) {
    const child = op.obj;
    if (!pp.done.has(proc) || child.unknown || escaped(ex, child) || reported.has(op.call)) continue;
    const starts = ex.ops.filter((o) => o.obj === child && o.kind === 'start');
    // Started on one way of an undecided branch, joined on one way of another: the two tests may
    // be of the same fact (a flag set where it starts, the same list filtered twice).
    if (pp.conditional.has(op) && starts.some((s) => s.proc === proc && pp.conditional.has(s))) continue;
    reported.add(op.call);
    findings.push(finding(ctx, {
      rule: 'join-unstarted',
      severity: 'error',
      message: `${processName(proc)} can reach this join() of ${child.label} before starting it${starts.length === 0 ? ' (it is never started)' : ''}: it fails with "can only join a started process"`,
      at: op.call,
      related: [
        { message: `${child.label} is created here`, at: child.node },
        ...starts.map((s) => ({ message: `${child.label} is started here, but not on every path to the join`, at: s.call })),
      ],
      sites: [child, proc],
      ops: [op],
    }));
  }
  return findings;
}
