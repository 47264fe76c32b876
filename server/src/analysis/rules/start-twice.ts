// start-twice (docs/rules/start-twice.md): `start()` can run twice on the same process object: the shim throws
// "cannot start a process twice". Decided on the starting process's paths (process-paths.ts), for
// process objects made once (a site made in a loop is a new object each time round).
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { finding, hasOpaqueCode, processName } from '../rule-helpers';

export default defineRule({
  id: 'start-twice',
  severity: 'error',
  family: 'lifecycle',
  summary: 'start() can run twice on the same process.',
  run: startTwice,
});

function startTwice(ctx: RuleContext): Finding[] {
  if (hasOpaqueCode(ctx)) return [];
  const pp = ctx.passes.processPaths;
  const findings: Finding[] = [];
  const reported = new Set<unknown>();
  for (const { proc, op, first } of pp.startTwice) {
    const child = op.obj;
    if (!pp.done.has(proc) || child.unknown || child.multiplicity !== 1 || reported.has(op.call)) continue;
    reported.add(op.call);
    const same = first.call === op.call;
    findings.push(finding(ctx, {
      rule: 'start-twice',
      severity: 'error',
      message: `${processName(proc)} can start ${child.label} a second time here: it fails with "cannot start a process twice"`,
      at: op.call,
      related: [{ message: same ? `${child.label} was already started here in an earlier iteration` : `${child.label} is first started here`, at: first.call }],
      sites: [child, proc],
      ops: same ? [op] : [first, op],
    }));
  }
  return findings;
}
