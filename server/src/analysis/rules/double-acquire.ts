// double-acquire (docs/rules/double-acquire.md): a process acquires a non-reentrant Lock (or a Semaphore all of whose
// units it holds) that it already holds, directly or through a called function: it waits for
// itself forever. Decided on the process's paths (process-paths.ts); silent for locks that are not
// one object, locks another process releases for it (a lock used as a signal), and unknown code.
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { finding, hasOpaqueCode, processName } from '../rule-helpers';

export default defineRule({
  id: 'double-acquire',
  severity: 'error',
  family: 'blocking',
  summary: 'A process acquires a non-reentrant lock it already holds.',
  run: doubleAcquire,
});

function doubleAcquire(ctx: RuleContext): Finding[] {
  if (hasOpaqueCode(ctx)) return [];
  const pp = ctx.passes.processPaths;
  const findings: Finding[] = [];
  const reported = new Set<unknown>();
  for (const d of pp.doubleAcquires) {
    if (!pp.done.has(d.proc) || reported.has(d.second.call)) continue;
    reported.add(d.second.call);
    const lock = d.second.obj;
    const what = lock.kind === 'semaphore'
      ? `semaphore ${lock.label}, all ${String(lock.size)} of whose units it already holds`
      : `${lock.variant === 'Lock' || !lock.variant ? 'Lock' : lock.variant} ${lock.label}, which it already holds (a Lock is not reentrant)`;
    const same = d.first.call === d.second.call;
    findings.push(finding(ctx, {
      rule: 'double-acquire',
      severity: 'error',
      message: `${processName(d.proc)} acquires ${what}: this ${d.second.method}()${d.second.access ? ` of ${d.second.access.label} (which takes ${lock.label})` : ''} waits for itself forever`,
      at: d.second.call,
      related: [{ message: same ? `${lock.label} was acquired here in an earlier iteration and not released` : `${lock.label} is first acquired here`, at: d.first.call }],
      sites: [lock, d.proc],
      ops: same ? [d.second] : [d.first, d.second],
    }));
  }
  return findings;
}
