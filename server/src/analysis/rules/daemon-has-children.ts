// daemon-has-children (docs/rules/daemon-has-children.md): a process created with `daemon: true` (pool workers are daemons
// too) starts a Process or makes a Pool or Manager: the shim throws "daemonic processes are not
// allowed to have children". Read from the facts: what each daemon's own code starts or makes.
import type ts from 'typescript';
import type { Finding } from '../../../../common/model';
import type { ObjectSite } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { finding, processName } from '../rule-helpers';

export default defineRule({
  id: 'daemon-has-children',
  severity: 'error',
  family: 'lifecycle',
  summary: 'A daemon process starts a process, pool or manager.',
  run: daemonHasChildren,
});

function daemonHasChildren(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const findings: Finding[] = [];
  const daemons = ex.sites.filter((s) => s.kind === 'process' && s.daemon && !s.unknown);
  for (const d of daemons) {
    const made = (d.role === 'pool-worker' ? d.owner : undefined) ?? d;
    const madeWhat = d.role === 'pool-worker' ? `${d.owner?.label ?? 'the pool'}'s workers are daemon processes` : `${d.label} is created with daemon: true here`;
    const children: { at: ts.Node; what: string; site: ObjectSite }[] = [];
    for (const op of ex.ops) {
      if (op.proc === d && op.kind === 'start' && op.obj.kind === 'process' && !op.obj.unknown) children.push({ at: op.call, what: `starts ${op.obj.label}`, site: op.obj });
    }
    for (const s of ex.sites) {
      if (s.madeBy === d && (s.kind === 'pool' || s.kind === 'manager')) children.push({ at: s.node, what: `creates a ${s.kind === 'pool' ? 'Pool' : 'Manager'}`, site: s });
    }
    for (const c of children) {
      findings.push(finding(ctx, {
        rule: 'daemon-has-children',
        severity: 'error',
        message: `The daemon process ${processName(d)} ${c.what}: it fails with "daemonic processes are not allowed to have children"`,
        at: c.at,
        related: [{ message: madeWhat, at: made.node }],
        sites: [d, c.site],
        ops: ex.ops.filter((o) => o.proc === d && o.obj === c.site),
      }));
    }
  }
  return findings;
}
