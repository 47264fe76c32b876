// use-after-close (docs/rules/use-after-close.md): put/get after the queue's close(), send/recv after the connection's
// close(), submitting to a pool after close()/terminate(), a manager proxy used after the manager's
// shutdown(): the call fails. close() acts on the calling process's own handle, so the use and the
// close are looked for on one path of one process. Objects made more than once (in a loop, by a
// helper called twice) are left out: a later use may be of a new object.
import type { Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { GaveUp, PathWalker } from '../passes/flow-paths';
import { endName } from '../rule-helpers';
import { finding, processName } from '../rule-helpers';

export default defineRule({
  id: 'use-after-close',
  severity: 'error',
  family: 'lifecycle',
  summary: 'A queue, connection, pool or manager proxy used after it was closed.',
  run: useAfterClose,
});

type Closed = ReadonlyMap<string, Op>;

const CLOSES = new Set<Op['kind']>(['closeQueue', 'closeEnd', 'closePool', 'terminatePool', 'shutdown']);

function useAfterClose(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const index = new Map<ObjectSite, number>();
  const opIndex = new Map<Op, number>(ex.ops.map((o, i) => [o, i]));
  const keyOf = (site: ObjectSite, end?: 0 | 1): string => {
    if (!index.has(site)) index.set(site, index.size);
    return `${index.get(site)}${end !== undefined ? `:${end}` : ''}`;
  };
  /** The handle an operation closes, or undefined. */
  const closes = (op: Op): string | undefined => {
    // A pool callback's close runs when a result comes back, not where its submit is: what the
    // submitting code does next may still come before it.
    if (!CLOSES.has(op.kind) || op.obj.multiplicity !== 1 || op.obj.unknown || op.callback) return undefined;
    if (op.kind === 'closeEnd') return op.end === undefined ? undefined : keyOf(op.obj, op.end);
    return keyOf(op.obj);
  };
  /** The handle an operation needs open, or undefined. */
  const uses = (op: Op): string | undefined => {
    const o = op.obj;
    if (o.unknown) return undefined;
    if (o.owner?.kind === 'manager' && o.owner.multiplicity === 1) return keyOf(o.owner);
    if (o.multiplicity !== 1) return undefined;
    if (o.kind === 'queue' && (op.kind === 'put' || op.kind === 'get')) return keyOf(o);
    if (o.kind === 'pipe' && (op.kind === 'send' || op.kind === 'recv') && op.end !== undefined) return keyOf(o, op.end);
    if (o.kind === 'pool' && op.kind === 'submit') return keyOf(o);
    return undefined;
  };
  const found = new Map<Op['call'], { use: Op; close: Op }>();
  const walker = new PathWalker<Closed>({
    key: (s) => [...s].map(([k, op]) => `${k}@${opIndex.get(op)}`).sort().join('|'),
    op: (s, op) => {
      const need = uses(op);
      const closedBy = need !== undefined ? s.get(need) : undefined;
      if (closedBy && !found.has(op.call)) found.set(op.call, { use: op, close: closedBy });
      const shut = closes(op);
      if (shut === undefined || s.has(shut)) return [s];
      return [new Map([...s, [shut, op]])];
    },
  });
  for (const [proc, flow] of ex.flows) {
    if (!ex.ops.some((o) => o.proc === proc && CLOSES.has(o.kind))) continue;
    try {
      walker.run(flow, [new Map()]);
    } catch (err) {
      if (!(err instanceof GaveUp)) throw err;
    }
  }
  const early = shutWhileRunning(ctx);
  return [...early, ...[...found.values()].map(({ use, close }) => finding(ctx, {
    rule: 'use-after-close',
    severity: 'error',
    message: describe(use, close),
    at: use.call,
    related: [{ message: `${closeWhat(close)} here (${processName(close.proc)})`, at: close.call }],
    sites: [use.obj, ...(use.obj.owner ? [use.obj.owner] : []), use.proc],
    ops: [use, close],
  }))];
}

/**
 * Main shuts a manager down while a child it started, and has not waited for since, uses the
 * manager's proxies (an `await using` manager in a helper that returns the running child): the
 * child's proxy calls fail whenever it is slower than main. Main waits for nothing between the
 * start and the shutdown, so nothing orders the child's calls first. A warning: a fast child may
 * finish its calls in time.
 */
function shutWhileRunning(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const main = [...ex.flows.keys()].find((p) => p.kind === 'main');
  const mainFlow = main ? ex.flows.get(main) : undefined;
  if (!main || !mainFlow || ex.opaque.size > 0) return [];
  // Per child started once, its proxy calls by manager.
  const users = new Map<ObjectSite, Map<ObjectSite, Op>>();
  for (const op of ex.ops) {
    const m = op.obj.owner;
    if (op.proc.kind === 'main' || op.proc.multiplicity !== 1 || !m || m.kind !== 'manager' || m.multiplicity !== 1 || op.obj.unknown) continue;
    const byManager = users.get(op.proc) ?? new Map<ObjectSite, Op>();
    if (!byManager.has(m)) byManager.set(m, op);
    users.set(op.proc, byManager);
  }
  if (users.size === 0 || !ex.ops.some((o) => o.proc === main && o.kind === 'shutdown' && !o.callback)) return [];
  const found = new Map<Op, { use: Op; shutdown: Op; child: ObjectSite }>();
  /** The children running, each with whether main has waited for anything since it started. */
  type Live = ReadonlyMap<ObjectSite, boolean>;
  const walker = new PathWalker<Live>({
    key: (s) => [...s].map(([p, w]) => `${ex.sites.indexOf(p)}${w ? 'w' : ''}`).sort().join('|'),
    op: (s, op) => {
      if (op.kind === 'start' && users.has(op.obj)) return [new Map([...s, [op.obj, false]])];
      if (op.kind === 'join' && op.blocking && s.has(op.obj)) return [new Map([...s].filter(([p]) => p !== op.obj))];
      if (op.blocking && [...s.values()].some((w) => !w)) return [new Map([...s].map(([p]) => [p, true] as const))];
      if (op.kind === 'shutdown' && !op.callback) {
        for (const [child, waited] of s) {
          const use = users.get(child)?.get(op.obj);
          if (!waited && use && !found.has(use)) found.set(use, { use, shutdown: op, child });
        }
      }
      return [s];
    },
  });
  try {
    walker.run(mainFlow, [new Map()]);
  } catch (err) {
    if (!(err instanceof GaveUp)) throw err;
    return [];
  }
  return [...found.values()].map(({ use, shutdown, child }) => finding(ctx, {
    rule: 'use-after-close',
    severity: 'warning',
    message: `${processName(use.proc)} can call ${use.obj.label}.${use.method}() after ${shutdown.obj.label}.shutdown(): main shuts the manager down while ${child.label} runs, without waiting for it, so the proxy call fails when ${child.label} is slower`,
    at: use.call,
    related: [{ message: `${shutdown.obj.label} is shut down here (main), while ${child.label} still runs`, at: shutdown.call }],
    sites: [use.obj, shutdown.obj, use.proc],
    ops: [use, shutdown],
  }));
}

function closeWhat(close: Op): string {
  const o = close.obj;
  switch (close.kind) {
    case 'closeEnd': return `${endName(o, close.end)} is closed`;
    case 'closeQueue': return `${o.label} is closed`;
    case 'closePool': return `${o.label} is closed`;
    case 'terminatePool': return `${o.label} is terminated`;
    default: return `${o.label} is shut down`;
  }
}

function describe(use: Op, close: Op): string {
  const o = use.obj;
  if (close.kind === 'shutdown') {
    return `${o.label}.${use.method}() after ${close.obj.label}.shutdown(): the manager process is gone, so the proxy call fails`;
  }
  switch (o.kind) {
    case 'queue': return `${o.label}.${use.method}() after ${o.label}.close() in the same process: it fails (the queue handle is closed)`;
    case 'pipe': return `${endName(o, use.end)}.${use.method}() after ${endName(o, use.end)}.close(): it fails with "handle is closed"`;
    default: return `${o.label}.${use.method}() after ${o.label}.${close.method}(): it fails with "Pool not running"`;
  }
}
