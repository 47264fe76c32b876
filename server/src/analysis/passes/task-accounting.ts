// Shared by task-done-missing and task-done-excess: along the paths of one process, how many items
// it took from a JoinableQueue with get() and has not yet marked with taskDone().
import type { Flow, ObjectSite, Op, ProcessRef } from '../facts';
import type { RuleContext } from '../rule-context';
import { flowHas, GaveUp, PathWalker, type Count } from './flow-paths';

interface Pending {
  /** Items taken and not yet marked done. */
  n: Count;
  /** The get that took the newest of them. */
  last?: Op;
}

export interface TaskPaths {
  /** taskDone() calls that can run with no item of this process left to mark. */
  excess: Op[];
  /** gets whose item the process can end without marking (done, returned or died of an error). */
  leftAtEnd: { get: Op; how: 'end' | 'error' }[];
  /** gets whose item a loop pass can leave unmarked before taking the next one. */
  leftInLoop: Op[];
  /** The walk ran out of budget: no claim. */
  gaveUp: boolean;
}

const CAP = 64;

export function taskPaths(ctx: RuleContext, queue: ObjectSite, proc: ProcessRef): TaskPaths {
  const result: TaskPaths = { excess: [], leftAtEnd: [], leftInLoop: [], gaveUp: false };
  const flow = ctx.extraction.flows.get(proc);
  if (!flow) return { ...result, gaveUp: true };
  const opIndex = new Map<Op, number>(ctx.extraction.ops.map((o, i) => [o, i]));
  const isGet = (o: Op): boolean => o.kind === 'get' && o.obj === queue;
  const isDone = (o: Op): boolean => o.kind === 'taskDone' && o.obj === queue;
  const add = <T>(list: T[], x: T): void => { if (!list.includes(x)) list.push(x); };
  const walker = new PathWalker<Pending>({
    key: (s) => `${s.n}@${s.last ? opIndex.get(s.last) : ''}`,
    op: (s, op) => {
      if (isGet(op)) return [{ n: s.n === 'many' || s.n + 1 > CAP ? 'many' : s.n + 1, last: op }];
      if (isDone(op)) {
        if (s.n === 0) {
          add(result.excess, op);
          return [];
        }
        const n = s.n === 'many' ? 'many' : s.n - 1;
        return [n === 0 ? { n } : { n, ...(s.last ? { last: s.last } : {}) }];
      }
      return [s];
    },
    // A get that cannot wait can fail with Empty, taking nothing; a taskDone too many fails.
    throws: (s, op) => ((isGet(op) && !op.blocking) || (isDone(op) && s.n === 0) ? [s] : []),
    afterOnce: (entry, after) => {
      const same = after.every((a) => entry.some((e) => e.n === a.n));
      return same ? [...entry, ...after] : [...entry, ...after].map((s) => ({ ...s, n: 'many' as const }));
    },
    widen: (s) => (typeof s.n === 'number' && s.n > CAP ? { ...s, n: 'many' } : s),
    backEdge: (loop: Extract<Flow, { k: 'loop' }>, entry, back) => {
      if (typeof entry.n !== 'number' || !flowHas(loop.body, isGet)) return;
      // An endless loop that keeps items unmarked piles them up; a loop of unknown count only
      // when it does mark items on other paths (a loop of gets alone may be marked by a later loop).
      if (loop.count !== 'loop' && !flowHas(loop.body, isDone)) return;
      for (const b of back) if (typeof b.n === 'number' && b.n > entry.n && b.last) add(result.leftInLoop, b.last);
    },
  });
  try {
    const o = walker.run(flow, [{ n: 0 }]);
    for (const s of [...o.normal, ...o.ret, ...o.brk, ...o.cont]) {
      if (typeof s.n === 'number' && s.n > 0 && s.last && !result.leftAtEnd.some((l) => l.get === s.last)) result.leftAtEnd.push({ get: s.last, how: 'end' });
    }
    for (const s of o.thr) {
      if (typeof s.n === 'number' && s.n > 0 && s.last && !result.leftAtEnd.some((l) => l.get === s.last)) result.leftAtEnd.push({ get: s.last, how: 'error' });
    }
  } catch (err) {
    if (!(err instanceof GaveUp)) throw err;
    result.gaveUp = true;
  }
  return result;
}

/** Does some process put on the queue after its own join() on it (on some path)? */
export function putsAfterJoin(ctx: RuleContext, queue: ObjectSite): boolean {
  let found = false;
  const walker = new PathWalker<boolean>({
    key: (s) => String(s),
    op: (joined, op) => {
      if (op.obj !== queue) return [joined];
      if (op.kind === 'put' && joined) found = true;
      return [joined || op.kind === 'joinQueue'];
    },
    unknownLoops: 'fixpoint',
  });
  for (const [proc, flow] of ctx.extraction.flows) {
    const mine = ctx.extraction.ops.filter((o) => o.proc === proc && o.obj === queue);
    if (!mine.some((o) => o.kind === 'joinQueue') || !mine.some((o) => o.kind === 'put')) continue;
    try {
      walker.run(flow, [false]);
    } catch (err) {
      if (!(err instanceof GaveUp)) throw err;
      return true;
    }
  }
  return found;
}
