// release-unheld (docs/rules/release-unheld.md): `release()` on a lock that is not held on some path to it: the shim
// throws "release unlocked lock" (Lock) or "cannot release un-acquired lock" (RLock). A Lock may be
// released by any process, so when another process can hold it the rule stays silent. A
// Condition's wait() and notify() release or need its lock the same way: reached without this
// process holding it, they throw "cannot wait (notify) on un-acquired lock", whoever holds it.
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { conditionLock, escaped } from '../passes/process-paths';
import { finding, hasOpaqueCode, processName } from '../rule-helpers';
import { droppedPromise } from '../interpret/ast';

export default defineRule({
  id: 'release-unheld',
  severity: 'error',
  family: 'hygiene',
  summary: "release() on a lock that is not held (or a BoundedSemaphore released too often), or a Condition's wait()/notify() without its lock.",
  run: releaseUnheld,
});

function releaseUnheld(ctx: RuleContext): Finding[] {
  if (hasOpaqueCode(ctx)) return [];
  const ex = ctx.extraction;
  const pp = ctx.passes.processPaths;
  const findings: Finding[] = [];
  const reported = new Set<unknown>();
  for (const { proc, op, gaveUp, live } of pp.unheldReleases) {
    const lock = op.obj;
    // A BoundedSemaphore released more often than acquired goes above its initial value; a plain
    // Semaphore just counts up (no error).
    const bounded = lock.kind === 'semaphore' && lock.variant === 'BoundedSemaphore';
    if (!pp.done.has(proc) || (lock.kind !== 'lock' && !bounded) || lock.unknown || escaped(ex, lock) || reported.has(op.call)) continue;
    const acquires = ex.ops.filter((o) => o.obj === lock && o.kind === 'acquire');
    // Another process may hold a Lock, and then this release is legal; not after this process's
    // own acquire gave up (a timeout): then it releases a lock it does not hold, whoever holds it.
    // A BoundedSemaphore's units all come back when every process gives back what it took: one
    // release more than this process took then goes above the bound, whoever holds units now (unless
    // some process may keep a unit for good, a leak that would make up for it).
    const balanced = bounded && !pp.leaks.some((l) => l.acq.obj === lock) && acquires.every((a) => pp.done.has(a.proc));
    // Main's holds taken while no other process that acquires the lock runs, none starting before
    // they end (a drain after the joins), cannot be the hold this release frees when this process
    // acquires the lock too: it is not running then.
    const mine = acquires.filter((a) => a.proc === proc);
    const quiet = (a: (typeof acquires)[number]): boolean => mine.length > 0 && a.proc.kind === 'main' && pp.done.has(a.proc) && !pp.loudAcquires.has(a);
    // Another instance of this process may hold it too.
    const replicated = proc.kind !== 'main' && proc.multiplicity !== 1 && mine.length > 0;
    // Main releasing while a child that acquires the lock is not running (not started yet, or
    // joined, without keeping the lock for good): that child cannot be the holder.
    const notRunning = (a: (typeof acquires)[number]): boolean => proc.kind === 'main' && a.proc.kind !== 'main' && a.proc.role === 'child'
      && a.proc.multiplicity === 1 && !live.includes(a.proc) && !pp.leaks.some((l) => l.acq.obj === lock && l.acq.proc === a.proc);
    if (!gaveUp && !balanced && lock.variant !== 'RLock' && (replicated || acquires.some((a) => a.proc !== proc && !quiet(a) && !notRunning(a)))) continue;
    // An acquire whose promise is dropped (`lock.acquire();`) is still queued before the release:
    // the release frees some hold rather than failing; the race it opens is unsynchronized-update's.
    if (gaveUp && droppedPromise(gaveUp.call)) continue;
    reported.add(op.call);
    findings.push(finding(ctx, {
      rule: 'release-unheld',
      severity: 'error',
      message: bounded
        ? `${processName(proc)} can reach this release() of ${lock.label} ${gaveUp ? 'after its acquire() gave up (its timeout passed)' : 'more times than it acquired it'}: `
          + `the BoundedSemaphore goes above its initial value and fails with "Semaphore released too many times"`
        : gaveUp
        ? `${processName(proc)} reaches this release() of ${lock.label} after its acquire() gave up (its timeout passed): it fails with "release unlocked lock" when ${lock.label} is free, and otherwise releases another process's hold`
        : `${processName(proc)} can reach this release() of ${lock.label} without holding it${mine.length === 0 ? ' (it never acquires it)' : ''}: `
        + `it fails with "${lock.variant === 'RLock' ? 'cannot release un-acquired lock' : 'release unlocked lock'}"`,
      at: op.call,
      related: gaveUp ? [{ message: `this acquire() of ${lock.label} can give up without the lock`, at: gaveUp.call }]
        : mine.map((a) => ({ message: `${lock.label} is acquired here, but not on every path to the release`, at: a.call })),
      sites: [lock, proc],
      ops: [op],
    }));
  }
  for (const { proc, op } of pp.unheldConditionCalls) {
    const cond = op.obj;
    if (!pp.done.has(proc) || cond.unknown || escaped(ex, cond) || (cond.lock && (cond.lock.unknown || escaped(ex, cond.lock))) || reported.has(op.call)) continue;
    reported.add(op.call);
    const verb = op.kind === 'wait' ? 'wait' : 'notify';
    const takes = ex.ops.filter((o) => o.proc === proc && o.kind === 'acquire' && conditionLock(o.obj) === conditionLock(cond));
    findings.push(finding(ctx, {
      rule: 'release-unheld',
      severity: 'error',
      message: `${processName(proc)} can reach this ${op.method}() of ${cond.label} without holding its lock${takes.length === 0 ? ' (it never acquires it)' : ''}: `
        + `it fails with "cannot ${verb} on un-acquired lock"`,
      at: op.call,
      related: takes.map((a) => ({ message: `the lock of ${cond.label} is acquired here, but not held on every path to the ${op.method}()`, at: a.call })),
      sites: [cond, proc],
      ops: [op],
    }));
  }
  return findings;
}
