// bounded-queue-full (docs/rules/bounded-queue-full.md): puts into a Queue(maxsize) can exceed maxsize while no process
// gets from it, or gets fewer than puts − maxsize: once the queue is full the next put waits
// forever. Counted along paths (a put in one branch of an if counts once, a loop of N puts N
// times), per process instance. Silent when a count is unknown (a loop of unknown length), when a
// put cannot wait (`block` false or a timeout: it fails with Full instead), or when code the
// analysis cannot see could take items.
import type { Finding } from '../../../../common/model';
import type { Op, ProcessRef } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { bySource, GaveUp, instances, mayBeUsedUnseen, orderedProcesses } from '../passes/flow-paths';
import { finding, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'bounded-queue-full',
  severity: 'error',
  family: 'blocking',
  summary: 'Puts into a bounded queue can exceed its size while nobody gets from it.',
  run: boundedQueueFull,
});

function boundedQueueFull(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  if (unknownOps(ctx, 'queue', 'get').length > 0) return [];
  const findings: Finding[] = [];
  for (const queue of ex.sites) {
    const maxsize = queue.maxsize ?? 0;
    if (queue.kind !== 'queue' || maxsize <= 0 || mayBeUsedUnseen(ctx, queue)) continue;
    const puts = ex.ops.filter((o) => o.kind === 'put' && o.obj === queue);
    const gets = ex.ops.filter((o) => o.kind === 'get' && o.obj === queue);
    if (puts.length === 0 || puts.some((p) => !p.blocking)) continue;
    const isPut = (o: Op): boolean => o.kind === 'put' && o.obj === queue;
    const isGet = (o: Op): boolean => o.kind === 'get' && o.obj === queue;
    try {
      const taken = total(ctx, gets.map((g) => g.proc), isGet);
      if (taken === undefined) continue;
      const threshold = maxsize + taken;
      // Walk the producers in a stable order, counting puts, to find the one that cannot complete.
      let offset = 0;
      let blocked: Op | undefined;
      let certain = true;
      for (const proc of orderedProcesses(puts.map((p) => p.proc))) {
        const flow = ex.flows.get(proc);
        const m = instances(proc);
        const per = flow ? ctx.passes.maxAlongPaths(flow, isPut).max : 'many';
        if (!flow || m === 'several' || per === 'many') { certain = false; break; }
        for (let i = 0; i < m; i++) {
          if (blocked || offset > threshold) { offset += per * (m - i); break; } // the rest only adds up
          blocked = ctx.passes.maxAlongPaths(flow, isPut, offset, threshold).crossing;
          offset += per;
        }
      }
      if (!certain || offset <= threshold || !blocked) continue;
      const getters = [...new Set(gets.map((g) => g.call))];
      const putters = [...new Set(puts.sort(bySource).map((p) => p.call))].filter((c) => c !== blocked!.call);
      findings.push(finding(ctx, {
        rule: 'bounded-queue-full',
        severity: 'error',
        message: `${queue.label} holds at most ${maxsize} item${maxsize === 1 ? '' : 's'}, and ${offset} can be put while ${taken === 0 ? 'no process ever gets from it' : `only ${taken} can ever be taken`}: this put waits forever once ${queue.label} is full`,
        at: blocked.call,
        related: [
          { message: `${queue.label} is created here with maxsize ${maxsize}`, at: queue.node },
          ...putters.map((c) => ({ message: `${queue.label} is also put here`, at: c })),
          ...getters.map((c) => ({ message: `${queue.label} is taken from here`, at: c })),
        ],
        sites: [queue, ...new Set(puts.map((p) => p.proc))],
        ops: [...puts, ...gets],
      }));
    } catch (err) {
      if (!(err instanceof GaveUp)) throw err;
    }
  }
  return findings;
}

/** The most operations the processes perform in all, or undefined when that is unknown. */
function total(ctx: RuleContext, procs: ProcessRef[], pred: (o: Op) => boolean): number | undefined {
  let sum = 0;
  for (const proc of new Set(procs)) {
    const flow = ctx.extraction.flows.get(proc);
    const m = instances(proc);
    if (!flow || m === 'several') return undefined;
    const per = ctx.passes.maxAlongPaths(flow, pred).max;
    if (per === 'many') return undefined;
    sum += m * per;
  }
  return sum;
}
