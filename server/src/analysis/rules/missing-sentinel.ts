// missing-sentinel (docs/rules/missing-sentinel.md): consumers that leave their `get()` loop only on a sentinel value,
// with fewer sentinels put than consumer processes running that loop.
import type ts from 'typescript';
import type { FixData, Finding, Multiplicity } from '../../../../common/model';
import { processMultiplicity, type ConstValue, type ObjectSite, type Op, type ProcessRef } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { endsLoop, sentinelLoops, written, type SentinelLoop } from '../passes/sentinels';
import { enclosingStatement, finding, harmlessWait, insertAfter, processName } from '../rule-helpers';

export default defineRule({
  id: 'missing-sentinel',
  severity: 'error',
  family: 'blocking',
  summary: 'Consumers loop until a sentinel, and fewer sentinels can be put than there are consumers.',
  run: missingSentinel,
});

function missingSentinel(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const loops = sentinelLoops(ctx.extraction);
  const gets = new Map<ts.CallExpression, Op[]>();
  for (const op of ctx.extraction.ops) {
    if (op.kind !== 'get' || !op.blocking || !loops.has(op)) continue;
    const list = gets.get(op.call) ?? [];
    list.push(op);
    gets.set(op.call, list);
  }
  for (const [call, ops] of gets) {
    const loop = loops.get(ops[0]!)!;
    // Every get of this call must stop on the same test (they are the same code).
    if (!ops.every((o) => { const l = loops.get(o)!; return l.when === loop.when && l.stop.test === loop.stop.test && l.stop.value === loop.stop.value && l.stop.path.join('.') === loop.stop.path.join('.'); })) continue;
    for (const queue of new Set(ops.map((o) => o.obj))) {
      // Who else puts on a queue the analysis could not follow is unknown: no claim.
      if (queue.unknown) continue;
      const consumerOps = ops.filter((o) => o.obj === queue && !harmlessWait(ctx, o.proc));
      if (consumerOps.length === 0) continue;
      let consumers: Multiplicity = 0;
      for (const proc of new Set(consumerOps.map((o) => o.proc))) {
        const m = processMultiplicity(proc);
        consumers = consumers === 'several' || m === 'several' ? 'several' : consumers + m;
      }
      const puts = ctx.extraction.ops.filter((o) => o.kind === 'put' && o.obj === queue);
      let sentinels = 0;
      // A put on a queue the analysis lost track of could be the missing sentinel.
      let certain = !ctx.extraction.ops.some((o) => o.kind === 'put' && o.obj.unknown && o.obj.kind === 'queue')
        && ctx.extraction.opaque.size === 0;
      for (const put of certain ? puts : []) {
        const verdict = endsLoop(put, loop, ctx.checker);
        if (verdict === 'no') continue;
        if (verdict === 'maybe') { certain = false; break; }
        const per = put.count;
        const procs = processMultiplicity(put.proc);
        if (typeof per !== 'number' || procs === 'several') { certain = false; break; }
        sentinels += per * procs;
      }
      if (!certain) continue;
      const short = consumers === 'several' ? sentinels === 0 : sentinels < consumers;
      if (!short) continue;
      const what = `${describeLoop(loop)} sentinel`;
      const who = consumers === 'several' ? 'Several consumers wait' : consumers === 1 ? '1 consumer waits' : `${consumers} consumers wait`;
      const got = sentinels === 0 ? 'none is ever put' : `only ${sentinels} can be put`;
      const consumerProcs = [...new Set(consumerOps.map((o) => o.proc))];
      findings.push(finding(ctx, {
        rule: 'missing-sentinel',
        severity: 'error',
        message: `${who} for ${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what} on ${queue.label}, but ${got}: the extra consumers block in get() forever once the producers finish`,
        at: call,
        related: [
          ...puts.map((p) => ({ message: `${queue.label} is put here (${processName(p.proc)})`, at: p.call })),
          // The loop's other gets (`for (let x = await q.get(); x !== null; x = await q.get())`).
          ...[...new Set((loop.stop.sources ?? []).filter((o) => o.call !== call && o.obj === queue).map((o) => o.call))]
            .map((c) => ({ message: 'the loop also waits here', at: c })),
        ],
        sites: [queue, ...consumerProcs],
        ops: consumerOps,
        // A stop tested through a function of the item (`x < 0`) names no one value to put.
        fixes: loop.stop.map ? [] : sentinelFix(ctx, queue, puts, consumerProcs, typeof consumers === 'number' ? consumers - sentinels : undefined, loop.value),
      }));
    }
  }
  return findings;
}

/**
 * rules.md: "after the producers are joined, put one null per consumer". The sentinels go right
 * after main's last join of a producer (or of any process, when no producer is joined).
 */
function sentinelFix(ctx: RuleContext, queue: ObjectSite, puts: Op[], consumers: ProcessRef[], missing: number | undefined, value: ConstValue): FixData[] {
  const main = ctx.extraction.main;
  const producers = new Set(puts.map((p) => p.proc));
  const joins = ctx.extraction.ops.filter((o) => o.proc === main && o.kind === 'join');
  const after = joins.filter((j) => producers.has(j.obj)).at(-1) ?? joins.filter((j) => !consumers.includes(j.obj)).at(-1);
  if (!after || !ctx.extraction.isEntry) return [];
  const stmt = enclosingStatement(after.call);
  if (!stmt) return [];
  const sentinel = written(value);
  const count = missing === undefined || missing < 1 ? undefined : missing;
  const line = count === 1 ? `await ${queue.label}.put(${sentinel});`
    : `for (let i = 0; i < ${count ?? 'CONSUMERS'}; i++) await ${queue.label}.put(${sentinel}); // one sentinel per consumer`;
  return [{ title: `Put ${count === 1 ? 'a' : 'one'} ${sentinel} sentinel${count === 1 ? '' : ' per consumer'} on ${queue.label} after the producers are joined`, edits: [insertAfter(ctx, stmt, [line])] }];
}

function describeLoop(loop: SentinelLoop): string {
  if (loop.stop.map) return 'stopping';
  if (loop.stop.path.length > 0) return `${loop.stop.path.join('.')} = ${written(loop.value)}`;
  if (loop.stop.test === 'truthy') return 'falsy (null)';
  return written(loop.value);
}
