// release-unheld (docs/rules/release-unheld.md): `release()` on a lock that is not held on some path to it: the shim
// throws "release unlocked lock" (Lock) or "cannot release un-acquired lock" (RLock). A Lock may be
// released by any process, so when another process can hold it the rule stays silent.
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { escaped } from '../passes/process-paths';
import { finding, hasOpaqueCode, processName } from '../rule-helpers';

export default defineRule({
  id: 'release-unheld',
  severity: 'error',
  family: 'hygiene',
  summary: 'release() on a lock that is not held.',
  run: releaseUnheld,
});

function releaseUnheld(ctx: RuleContext): Finding[] {
  if (hasOpaqueCode(ctx)) return [];
  const ex = ctx.extraction;
  const pp = ctx.passes.processPaths;
  const findings: Finding[] = [];
  const reported = new Set<unknown>();
  for (const { proc, op } of pp.unheldReleases) {
    const lock = op.obj;
    if (!pp.done.has(proc) || lock.kind !== 'lock' || lock.unknown || escaped(ex, lock) || reported.has(op.call)) continue;
    const acquires = ex.ops.filter((o) => o.obj === lock && o.kind === 'acquire');
    // Another process may hold a Lock, and then this release is legal.
    if (lock.variant !== 'RLock' && acquires.some((a) => a.proc !== proc)) continue;
    reported.add(op.call);
    const mine = acquires.filter((a) => a.proc === proc);
    findings.push(finding(ctx, {
      rule: 'release-unheld',
      severity: 'error',
      message: `${processName(proc)} can reach this release() of ${lock.label} without holding it${mine.length === 0 ? ' (it never acquires it)' : ''}: `
        + `it fails with "${lock.variant === 'RLock' ? 'cannot release un-acquired lock' : 'release unlocked lock'}"`,
      at: op.call,
      related: mine.map((a) => ({ message: `${lock.label} is acquired here, but not on every path to the release`, at: a.call })),
      sites: [lock, proc],
      ops: [op],
    }));
  }
  return findings;
}
