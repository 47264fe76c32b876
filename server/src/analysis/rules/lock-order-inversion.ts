// lock-order-inversion (docs/rules/lock-order-inversion.md): processes that can run at the same time hold lock A while
// acquiring B and hold B while acquiring A (or a longer cycle): each can wait for the other
// forever. A cycle counts only when its processes can overlap (two instances of one process,
// siblings running together, or a parent with the child running) and no common "gate" lock keeps
// them apart; locks must be one object for the whole program. One finding per cycle of locks.
import type ts from 'typescript';
import type { Finding } from '../../../../common/model';
import type { ObjectSite } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { concurrent, escaped, ordered, singleObject, type LockPair } from '../passes/process-paths';
import { finding, hasOpaqueCode, processName } from '../rule-helpers';

export default defineRule({
  id: 'lock-order-inversion',
  severity: 'error',
  family: 'blocking',
  summary: 'Two processes take the same locks in opposite orders.',
  run: lockOrderInversion,
});

const MAX_CYCLE = 4;

function lockOrderInversion(ctx: RuleContext): Finding[] {
  if (hasOpaqueCode(ctx)) return [];
  const pp = ctx.passes.processPaths;
  const ex = ctx.extraction;
  const pairs = pp.pairs.filter((p) => pp.done.has(p.proc) && p.inner.blocking && singleObject(p.held) && singleObject(p.wanted)
    && !escaped(ex, p.held) && !escaped(ex, p.wanted));
  const from = new Map<ObjectSite, LockPair[]>();
  for (const p of pairs) {
    const list = from.get(p.held) ?? [];
    list.push(p);
    from.set(p.held, list);
  }
  const index = (s: ObjectSite): number => pp.siteIndex.get(s) ?? -1;
  const compatible = (a: LockPair, b: LockPair): boolean =>
    a !== b && concurrent(pp, a, b) && !a.gate.some((g) => b.gate.includes(g))
    // One takes its locks only after the other has released its own and signalled it to go on.
    && !ordered(pp, { proc: a.proc, before: a.sync }, { proc: b.proc, after: b.sync }, true)
    && !ordered(pp, { proc: b.proc, before: b.sync }, { proc: a.proc, after: a.sync }, true);
  const cycles = new Map<string, LockPair[]>();
  const search = (start: ObjectSite, at: ObjectSite, path: LockPair[]): void => {
    for (const p of from.get(at) ?? []) {
      if (index(p.wanted) < index(start)) continue; // each cycle is found from its lowest lock
      if (!path.every((q) => compatible(q, p))) continue;
      const next = [...path, p];
      if (p.wanted === start) {
        if (next.length < 2) continue;
        const key = next.map((q) => index(q.held)).sort((x, y) => x - y).join(',');
        if (!cycles.has(key)) cycles.set(key, next);
      } else if (next.length < MAX_CYCLE && !next.some((q) => q.held === p.wanted)) {
        search(start, p.wanted, next);
      }
    }
  };
  for (const lock of from.keys()) search(lock, lock, []);

  const findings: Finding[] = [];
  for (const cycle of cycles.values()) {
    const ordered = [...cycle].sort(byPosition);
    const anchor = ordered[0]!;
    const name = (p: LockPair): string => (p !== anchor && p.proc === anchor.proc ? `another instance of ${processName(p.proc)}` : processName(p.proc));
    const chain = `while ${cycle.filter((p) => p !== anchor).map((p) => `${name(p)} holds ${p.held.label} and waits for ${p.wanted.label}`).join(', and ')}`;
    const related: { message: string; at: ts.Node }[] = [{ message: `${processName(anchor.proc)} holds ${anchor.held.label} from here`, at: anchor.outer.call }];
    for (const p of cycle) {
      if (p === anchor) continue;
      related.push({ message: `${name(p)} holds ${p.held.label} from here`, at: p.outer.call });
      related.push({ message: `${name(p)} then waits for ${p.wanted.label} here`, at: p.inner.call });
    }
    findings.push(finding(ctx, {
      rule: 'lock-order-inversion',
      severity: 'error',
      message: `Lock order inversion: ${processName(anchor.proc)} holds ${anchor.held.label} and waits for ${anchor.wanted.label} here, ${chain}: they can wait for each other forever`,
      at: anchor.inner.call,
      related,
      sites: [...new Set(cycle.flatMap((p) => [p.held, p.proc]))],
      ops: cycle.flatMap((p) => [p.outer, p.inner]),
    }));
  }
  return findings;
}

function byPosition(a: LockPair, b: LockPair): number {
  const fa = a.inner.call.getSourceFile();
  const fb = b.inner.call.getSourceFile();
  return fa.fileName.localeCompare(fb.fileName) || a.inner.call.getStart(fa) - b.inner.call.getStart(fb);
}
