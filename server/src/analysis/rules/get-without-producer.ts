// get-without-producer (docs/rules/get-without-producer.md): a blocking get()/recv()/recvBytes() on a queue or pipe end that no
// process can ever put or send to. Precision first: code the analysis cannot see (an `eval`, a
// library the object is handed to, an operation on an object it lost track of) could be the
// producer, so the rule is silent then; a pipe whose other end is closed somewhere makes recv()
// fail with EOFError rather than wait, so it is silent there too. A consumer that loops until a
// sentinel is missing-sentinel's (the more specific rule), and recv() on the send-only end of a
// one-way pipe is wrong-pipe-end's.
import type { Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { bySource, mayBeUsedUnseen } from '../passes/flow-paths';
import { sentinelLoop } from '../passes/sentinels';
import { endName, finding, unknownOps } from '../rule-helpers';

export default defineRule({
  id: 'get-without-producer',
  severity: 'error',
  family: 'blocking',
  summary: 'A blocking get/recv on a queue or pipe end that nothing can ever put or send to.',
  run: getWithoutProducer,
});

function getWithoutProducer(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const groups = new Map<string, { site: ObjectSite; end: 0 | 1 | undefined; ops: Op[] }>();
  const ids = new Map<ObjectSite, number>();
  for (const op of ctx.extraction.ops) {
    if (!op.blocking || (op.kind !== 'get' && op.kind !== 'recv')) continue;
    if (op.kind === 'recv' && (op.end === undefined || (op.obj.duplex === false && op.end === 1))) continue;
    if (!ids.has(op.obj)) ids.set(op.obj, ids.size);
    const key = `${ids.get(op.obj)}:${op.end ?? ''}`;
    const g = groups.get(key) ?? { site: op.obj, end: op.end, ops: [] };
    g.ops.push(op);
    groups.set(key, g);
  }
  for (const { site, end, ops } of groups.values()) {
    if (mayBeUsedUnseen(ctx, site)) continue;
    let blocked = ops;
    let message: string;
    if (site.kind === 'queue') {
      const puts = ctx.extraction.ops.filter((o) => o.kind === 'put' && o.obj === site);
      if (puts.length > 0 || unknownOps(ctx, 'queue', 'put').length > 0) continue;
      // A sentinel loop on a queue nobody feeds is reported by missing-sentinel.
      blocked = ops.filter((o) => !sentinelLoop(o.call, ctx.checker));
      if (blocked.length === 0) continue;
      message = `${site.label}.${blocked.sort(bySource)[0]!.method}() waits forever: no process ever puts anything on ${site.label}`;
    } else if (site.kind === 'pipe' && end !== undefined) {
      const peer = end === 0 ? 1 : 0;
      const peerOps = ctx.extraction.ops.filter((o) => o.obj === site && (o.end === peer || o.end === undefined));
      if (peerOps.some((o) => o.kind === 'send' || o.kind === 'closeEnd')) continue;
      if (unknownOps(ctx, 'pipe', 'send').length > 0) continue;
      message = `${endName(site, end)}.${ops.sort(bySource)[0]!.method}() waits forever: nothing is ever sent from the other end (${endName(site, peer)}) of the pipe`;
    } else {
      continue;
    }
    const sorted = [...blocked].sort(bySource);
    const first = sorted[0]!;
    const others = [...new Set(sorted.map((o) => o.call))].filter((c) => c !== first.call);
    findings.push(finding(ctx, {
      rule: 'get-without-producer',
      severity: 'error',
      message,
      at: first.call,
      related: [
        { message: `${site.kind === 'pipe' ? 'the pipe' : site.label} is created here`, at: site.node },
        ...others.map((c) => ({ message: 'also waits here', at: c })),
      ],
      sites: [site, ...new Set(sorted.map((o) => o.proc))],
      ops: sorted,
    }));
  }
  return findings;
}
