// From what the interpreter recorded to the facts (facts.ts `Extraction`). Process instances that
// do exactly the same thing (the same operations on the same objects, up to values no branch
// tests) become one replicated process with a multiplicity, so the checker's symmetry applies; the
// others stay apart (philosopher i with its own forks). Then loops whose iterations became equal
// fold back into counted loops, operation counts are computed from the loops around them, and
// objects and processes get names (`forks[2]`, `philosopher#3`).
import ts from '../typescript';
import type { Multiplicity } from '../../../../common/model';
import type { AbsValue, BranchGuard, Extraction, Flow, FnValue, MainProcess, ObjectSite, OpaqueWhy, Op, PoolTask, ProcessRef } from '../facts';
import { guardAnswer, guardText } from '../guards';
import { assignCounts, lower, pruneOps, type RFlow } from './flow';
import { nodeKey, type Interpreter, type RecordedTask } from './interpreter';
import { REST, toFacts, type Value } from './values';

interface Recorded {
  interp: Interpreter;
  entry: ts.SourceFile;
  main: MainProcess;
  isEntry: boolean;
  mainFlow: RFlow | undefined;
}

/** Ops carry the interpreter's value of what they put, send or set a cell to until the facts' value is made. */
type OpWithValue = Op & { argValue?: Value };

export function finish(r: Recorded): Extraction {
  const I = r.interp;
  // A value's own lock that only its gets and sets take is no object of the program's: out go the
  // lock and the accesses' acquires and releases of it.
  if (I.unexposedLocks.size > 0) {
    const drop = (op: Op): boolean => op.access !== undefined && I.unexposedLocks.has(op.obj);
    if (r.mainFlow) pruneOps(r.mainFlow, drop);
    for (const f of I.flows.values()) pruneOps(f, drop);
    for (const t of [...I.poolTasks.values()].flat()) pruneOps(t.flow, drop);
    for (let i = I.sites.length - 1; i >= 0; i--) if (I.unexposedLocks.has(I.sites[i]!)) I.sites.splice(i, 1);
  }
  const siteIds = new Map<ObjectSite, number>();
  I.sites.forEach((s, i) => siteIds.set(s, i));
  const sid = (s: ObjectSite): number => {
    let id = siteIds.get(s);
    if (id === undefined) siteIds.set(s, (id = siteIds.size));
    return id;
  };

  // Every guard the program's branches test: put values are told apart by their answers.
  const guards = new Map<string, BranchGuard>();
  const allFlows: RFlow[] = [...(r.mainFlow ? [r.mainFlow] : []), ...I.flows.values(), ...[...I.poolTasks.values()].flat().map((t) => t.flow)];
  for (const f of allFlows) collectGuards(f, guards);
  const guardList = [...guards.values()];
  const factsArg = new Map<Op, AbsValue>();
  const argOf = (op: OpWithValue): AbsValue => {
    let a = factsArg.get(op);
    if (!a) factsArg.set(op, (a = op.argValue ? toFacts(op.argValue) : { t: 'unknown' }));
    return a;
  };

  // ---- grouping ----
  const rep = new Map<ObjectSite, ObjectSite>();
  const repOf = (s: ObjectSite): ObjectSite => rep.get(s) ?? s;
  const procSites = I.sites.filter((s) => s.kind === 'process' && s.role === 'child' && !s.unknown);
  const used = new Set<ObjectSite>();
  // What other processes do to each process instance (start it, join it, terminate it): two
  // instances started a different number of times are not interchangeable.
  const usage = new Map<ObjectSite, Op[]>();
  for (const f of allFlows) {
    visitOps(f, (op) => {
      used.add(op.obj);
      if (op.obj.kind === 'process') {
        const list = usage.get(op.obj) ?? [];
        list.push(op);
        usage.set(op.obj, list);
      }
    });
  }
  const usageKey = (s0: ObjectSite): string => (usage.get(s0) ?? [])
    .map((op) => `${nodeKey(op.call)}${op.kind}${op.proc.kind === 'main' ? 'm' : sid(repOf(op.proc))}`).sort().join(',');
  const keyCache = new Map<RFlow, string>();
  const tasksBySubmit = new Map<Op, RecordedTask[]>();
  for (const recorded of I.poolTasks.values()) {
    for (const t of recorded) if (t.submission) tasksBySubmit.set(t.submission.op, [...tasksBySubmit.get(t.submission.op) ?? [], t]);
  }
  const opKey = (op: OpWithValue): string => {
    let arg = '';
    if (op.kind === 'put' || op.kind === 'send' || (op.kind === 'write' && op.argValue)) {
      if (op.argFrom) arg = `<${(op.argFrom.sources ?? [op.argFrom.source]).map((o) => nodeKey(o.call)).join('+')}${op.argFrom.path.join('.')}${op.argFrom.map ? `~${op.argFrom.map.key}` : ''}`;
      else {
        const a = argOf(op);
        arg = `${coarse(a, (s) => sid(repOf(s)))}:${guardList.map((g) => { const x = guardAnswer(g, a); return x === undefined ? '?' : x ? '1' : '0'; }).join('')}`;
      }
    }
    const submits = `${op.submits ? `${op.submits.map((x) => nodeKey(x)).join('+')}/${(op.tasks ?? []).join('+')}` : ''}${op.item !== undefined ? `i${op.item}` : ''}`;
    // What a submit puts in the pool: passes of a loop that submit different tasks (each its own
    // queue, `qs.map((q) => pool.applyAsync(consume, [q]))`) are not the same pass, so the checker
    // runs each pass's task, in order.
    const tasks = op.kind === 'submit' ? tasksBySubmit.get(op) : undefined;
    const taskKey = tasks ? `{${tasks.map((t) => `${String(t.submission!.tasks)}:${key(t.flow)}`).join(',')}}` : '';
    // The slot of a shared array, dict or list an operation reads or writes: instances that each
    // update their own slot (`counts[slot]`, slot their argument) do not do the same thing.
    const slotValue = (op as OpWithValue & { slotValue?: Value }).slotValue;
    const slot = slotValue?.t === 'const' ? JSON.stringify(slotValue.v) : '';
    return `${nodeKey(op.call)}.${op.kind}.${op.method}.${sid(repOf(op.obj))}.${op.end ?? ''}.${op.blocking ? 1 : 0}.${op.fails ?? ''}.${arg}.${submits}.${slot}${taskKey}`;
  };
  const key = (f: RFlow): string => {
    let k = keyCache.get(f);
    if (k !== undefined) return k;
    switch (f.k) {
      case 'op': k = opKey(f.op); break;
      case 'seq': k = `[${f.items.map(key).join(',')}]`; break;
      case 'branch': k = `b${f.guard ? `${nodeKey(f.guard.source.call)}:${guardText(f.guard)}` : ''}(${f.alts.map(key).join('|')})`; break;
      case 'loop': k = `l${String(f.count)}{${key(f.body)}}`; break;
      case 'unrolled': k = `u{${f.iterations.map(key).join(';')}${f.tail ? `;t${key(f.tail)}` : ''}}`; break;
      case 'block': k = `k{${key(f.body)}}`; break;
      case 'try': k = `t{${key(f.body)}}c{${f.handler ? key(f.handler) : '-'}}f{${f.finalizer ? key(f.finalizer) : '-'}}`; break;
      case 'call': k = `c{${key(f.body)}}`; break;
      case 'exit': k = `x${f.how}${f.target === undefined ? '' : I.targetKeys.get(f.target) ?? f.target}`; break;
    }
    // Interned: a parent's key is made of its children's short ids, not of their whole text.
    let id = interned.get(k);
    if (id === undefined) interned.set(k, (id = `#${interned.size}`));
    keyCache.set(f, id);
    return id;
  };
  const interned = new Map<string, string>();
  // Partition refinement: start from every instance of one allocation in one class (per what
  // they run), split classes whose members do different things, until nothing splits. The
  // coarsest such grouping also groups processes made by interchangeable processes.
  const classOf = new Map<ObjectSite, string>();
  for (const s0 of procSites) {
    const info = I.processInfo.get(s0);
    classOf.set(s0, `p${nodeKey(s0.node)}|${s0.daemon ? 1 : 0}|${typeof s0.multiplicity}|${(info?.fns ?? []).map((f) => nodeKey(f.decl)).join(',')}|${I.flows.has(s0) ? 's' : 'u'}`);
  }
  // Objects no operation touches are interchangeable too (an array of unused locks).
  for (const s0 of I.sites) {
    if (s0.kind === 'process' || s0.kind === 'file' || s0.unknown || used.has(s0) || s0.owner) continue;
    classOf.set(s0, `o${nodeKey(s0.node)}|${s0.kind}|${s0.variant ?? ''}|${s0.maxsize ?? ''}|${String(s0.size)}|${typeof s0.multiplicity}`);
  }
  const regroup = (): boolean => {
    const byClass = new Map<string, ObjectSite[]>();
    for (const [s0, c] of classOf) {
      const list = byClass.get(c) ?? [];
      list.push(s0);
      byClass.set(c, list);
    }
    rep.clear();
    for (const list of byClass.values()) {
      list.sort((a, b) => sid(a) - sid(b));
      for (const s0 of list.slice(1)) rep.set(s0, list[0]!);
    }
    return byClass.size > 0;
  };
  regroup();
  for (let round = 0; round < 16; round++) {
    keyCache.clear();
    let classes = new Set(classOf.values()).size;
    const next = new Map<ObjectSite, string>();
    for (const [s0, c] of classOf) {
      if (s0.kind !== 'process') { next.set(s0, c); continue; }
      const flow = I.flows.get(s0);
      const madeBy = s0.madeBy && s0.madeBy.kind !== 'main' ? sid(repOf(s0.madeBy)) : -1;
      next.set(s0, `${c}#${madeBy}|${usageKey(s0)}|${flow ? key(flow) : ''}`);
    }
    // Compact the class names (they would grow with each round).
    const names = new Map<string, string>();
    for (const [s0, c] of next) {
      let n = names.get(c);
      if (n === undefined) names.set(c, (n = `g${names.size}`));
      classOf.set(s0, n);
    }
    const now = names.size;
    regroup();
    if (now === classes) break;
    classes = now;
  }

  // ---- sites ----
  const members = new Map<ObjectSite, ObjectSite[]>();
  for (const s of I.sites) {
    const r0 = repOf(s);
    const list = members.get(r0) ?? [];
    list.push(s);
    members.set(r0, list);
  }
  const sites: ObjectSite[] = [];
  for (const [r0, list] of members) {
    if (list.length > 1) {
      let m: Multiplicity = 0;
      for (const s of list) m = m === 'several' || s.multiplicity === 'several' ? 'several' : m + s.multiplicity;
      r0.multiplicity = m;
    }
    sites.push(r0);
  }
  // Owners and makers point at representatives.
  for (const s of sites) {
    if (s.owner) s.owner = repOf(s.owner);
    if (s.madeBy && s.madeBy.kind !== 'main') s.madeBy = repOf(s.madeBy);
  }
  nameInstances(I, sites, members);

  // ---- flows ----
  // The instances of replicated sites an iteration acts on (bottom-up, once per flow node).
  const replicated = (o: ObjectSite): boolean => repOf(o) !== o || (members.get(o)?.length ?? 1) > 1;
  const renamedMemo = new Map<RFlow, Set<ObjectSite>>();
  const NONE = new Set<ObjectSite>();
  const renamedIn = (f: RFlow): Set<ObjectSite> => {
    let out = renamedMemo.get(f);
    if (out) return out;
    const children: RFlow[] = f.k === 'seq' ? f.items : f.k === 'branch' ? f.alts : f.k === 'unrolled' ? [...f.iterations, ...(f.tail ? [f.tail] : [])]
      : f.k === 'loop' || f.k === 'call' || f.k === 'block' ? [f.body] : f.k === 'try' ? [f.body, ...(f.handler ? [f.handler] : []), ...(f.finalizer ? [f.finalizer] : [])] : [];
    if (f.k === 'op') out = replicated(f.op.obj) ? new Set([f.op.obj]) : NONE;
    else {
      out = NONE;
      for (const c of children) {
        const r = renamedIn(c);
        if (r.size === 0) continue;
        if (out === NONE) out = new Set(r);
        else for (const x of r) out.add(x);
      }
    }
    renamedMemo.set(f, out);
    return out;
  };
  const flows = new Map<ProcessRef, Flow>();
  const lowering = {
    key,
    renamed: (f: RFlow): Set<ObjectSite> => renamedIn(f),
    rep: repOf,
  };
  for (const [site, f] of I.flows) {
    if (site.kind === 'main' || repOf(site) !== site) continue;
    flows.set(site, lower(f, lowering));
  }
  // A pool's workers run any of its tasks, any number of times (the flow the rules read); the
  // checker runs each task per submission (poolTasks).
  if (r.mainFlow && r.isEntry) flows.set(r.main, lower(r.mainFlow, lowering));
  // Submit operations as the flows kept them: passes of a loop folded into one keep the first
  // pass's operations, so a task submitted in a later pass names the operation that stands for it.
  const keptSubmits = new Map<string, Op>();
  for (const flow of flows.values()) visitFlowOps(flow, (op) => { if (op.kind === 'submit') keptSubmits.set(key({ k: 'op', op }), op); });
  const poolTasks = new Map<ObjectSite, PoolTask[]>();
  const sameSubmission = new Map<number, number>();
  for (const [worker, recorded] of I.poolTasks) {
    const tasks = recorded.map((t) => (t.submission ? { ...t, submission: { ...t.submission, op: keptSubmits.get(key({ k: 'op', op: t.submission.op })) ?? t.submission.op } } : t));
    const runs = submissionsOfOneOp(tasks, key);
    for (const [id, first] of runs.alias) sameSubmission.set(id, first);
    const lowered: PoolTask[] = tasks.filter((t) => !t.submission || !runs.alias.has(t.submission.id)).map((t) => {
      const known = t.submission && !runs.unknown.has(t.submission.op);
      return { submit: t.submission?.op, ...(known ? { id: t.submission!.id } : {}), tasks: t.submission?.tasks ?? 1, flow: lower(t.flow, lowering) };
    });
    poolTasks.set(worker, lowered);
    flows.set(worker, { k: 'loop', count: 'loop', body: { k: 'branch', alts: lowered.map((t): Flow => ({ k: 'call', body: t.flow, task: true })) } });
  }
  // Operations: those in the flows kept, on representatives.
  const ops: Op[] = [];
  const seen = new Set<Op>();
  for (const [proc, flow] of flows) {
    visitFlowOps(flow, (op) => {
      if (seen.has(op)) return;
      seen.add(op);
      op.obj = repOf(op.obj);
      if (op.proc.kind !== 'main') op.proc = repOf(op.proc);
      if (proc.kind !== 'main' && proc.role === 'pool-worker') op.proc = proc;
      const withValue = op as OpWithValue & { slotValue?: Value };
      if (op.kind === 'put' || op.kind === 'send' || (op.kind === 'write' && withValue.argValue)) op.arg = argOf(withValue);
      if (op.tasks) op.tasks = [...new Set(op.tasks.map((id) => sameSubmission.get(id) ?? id))];
      if (withValue.slotValue) op.slot = toFacts(withValue.slotValue);
      delete withValue.argValue;
      delete withValue.slotValue;
      ops.push(op);
    });
  }
  for (const flow of flows.values()) assignCounts(flow);
  for (const op of ops) if (op.count === 0) op.count = 1;
  // Main's top-level code that a child re-importing the entry reaches surely is not guarded.
  for (const op of ops) {
    if (op.proc.kind === 'main') op.guarded = !I.dryReached.has(op.call);
  }
  for (const s of sites) {
    if (s.madeBy?.kind === 'main') s.madeGuarded = !I.dryReached.has(s.node);
  }
  // What each process runs, as the facts say it.
  for (const s of sites) {
    if (s.kind !== 'process' || s.role !== 'child') continue;
    const info = I.processInfo.get(s);
    if (!info) continue;
    const fns: FnValue[] = info.fns.map((f) => {
      const fv: FnValue = { t: 'fn', decl: f.decl, closure: undefined };
      if (info.self) fv.self = toFacts(info.self);
      return fv;
    });
    if (fns.length > 0) s.targets = fns;
    const group = members.get(s) ?? [s];
    s.args = info.args.map((a, i) => {
      const vals = group.map((g) => I.processInfo.get(g)?.args[i]).filter((x): x is Value => !!x);
      return toFacts(vals.length > 1 && !vals.every((x) => x === vals[0]) ? { t: 'union', alts: vals } : a);
    });
    if (info.kwargs) s.kwargs = toFacts(info.kwargs);
    if (info.self) s.self = toFacts(info.self);
  }
  const escaped = new Set<ObjectSite>();
  for (const s of I.escaped) escaped.add(repOf(s));
  const opaque = new Map<ProcessRef, OpaqueWhy>();
  for (const [p, why] of I.opaque) opaque.set(p.kind === 'main' ? r.main : repOf(p), why);
  const functionsRun = new Map<ProcessRef, Set<ts.Node>>();
  for (const [p, fns] of I.functionsRun) {
    const key0: ProcessRef = p.kind === 'main' ? r.main : repOf(p);
    let set = functionsRun.get(key0);
    if (!set) functionsRun.set(key0, (set = new Set()));
    for (const f of fns) set.add(f);
  }
  const keptSites = sites.filter((s) => s.kind !== 'process' || s.role !== 'child' || !s.unknown);
  return {
    entry: r.entry, main: r.main, isEntry: r.isEntry, reached: I.reached, sites: keptSites, ops, flows,
    opaque, functionsRun, escaped, escapedResults: I.escapedResults, ...(poolTasks.size > 0 ? { poolTasks } : {}),
  };
}

/**
 * One submit operation run several times (in a callback or a loop whose passes are alike) makes a
 * submission numbered anew each time, yet the flows, and so the checker, see one operation. When
 * every run submits tasks that do the same, they are one submission run several times: the later
 * numbers are aliases of the first (`alias`, their tasks dropped). When they differ, the checker
 * cannot tell which run is which: their submissions are left unnumbered (`unknown`).
 */
function submissionsOfOneOp(tasks: readonly RecordedTask[], key: (f: RFlow) => string): { alias: Map<number, number>; unknown: Set<Op> } {
  const byOp = new Map<Op, Map<number, string[]>>();
  for (const t of tasks) {
    if (!t.submission) continue;
    let runs = byOp.get(t.submission.op);
    if (!runs) byOp.set(t.submission.op, (runs = new Map()));
    const list = runs.get(t.submission.id) ?? [];
    list.push(`${String(t.submission.tasks)}:${key(t.flow)}`);
    runs.set(t.submission.id, list);
  }
  const alias = new Map<number, number>();
  const unknown = new Set<Op>();
  for (const [op, runs] of byOp) {
    if (runs.size < 2) continue;
    const [[first, shape], ...rest] = [...runs];
    if (rest.every(([, other]) => other.join('|') === shape!.join('|'))) for (const [id] of rest) alias.set(id, first!);
    else unknown.add(op);
  }
  return { alias, unknown };
}

/** A coarse kind of a value for operation keys: what the rules look at besides guard answers. */
function coarse(v: AbsValue, id: (s: ObjectSite) => number): string {
  switch (v.t) {
    case 'const': return 'c';
    case 'obj': return `o${id(v.site)}${v.end ?? ''}`;
    case 'fn': return 'f';
    case 'coll': return `a(${v.items.map((x) => coarse(x, id)).join(',')})`;
    case 'record': return `r(${[...v.fields].filter(([k]) => k !== REST).map(([k, x]) => `${k}:${coarse(x, id)}`).join(',')})`;
    case 'union': return `u(${v.alts.map((x) => coarse(x, id)).sort().join('|')})`;
    case 'pending': return 'p';
    default: return '?';
  }
}

function collectGuards(f: RFlow, out: Map<string, BranchGuard>): void {
  switch (f.k) {
    case 'branch':
      if (f.guard) out.set(guardText(f.guard), f.guard);
      f.alts.forEach((a) => collectGuards(a, out));
      return;
    case 'seq': f.items.forEach((x) => collectGuards(x, out)); return;
    case 'loop': case 'call': case 'block': collectGuards(f.body, out); return;
    case 'unrolled': f.iterations.forEach((x) => collectGuards(x, out)); if (f.tail) collectGuards(f.tail, out); return;
    case 'try':
      collectGuards(f.body, out);
      if (f.handler) collectGuards(f.handler, out);
      if (f.finalizer) collectGuards(f.finalizer, out);
      return;
    default:
  }
}

function visitOps(f: RFlow, visit: (op: Op) => void): void {
  switch (f.k) {
    case 'op': visit(f.op); return;
    case 'seq': f.items.forEach((x) => visitOps(x, visit)); return;
    case 'branch': f.alts.forEach((x) => visitOps(x, visit)); return;
    case 'loop': case 'call': case 'block': visitOps(f.body, visit); return;
    case 'unrolled': f.iterations.forEach((x) => visitOps(x, visit)); if (f.tail) visitOps(f.tail, visit); return;
    case 'try':
      visitOps(f.body, visit);
      if (f.handler) visitOps(f.handler, visit);
      if (f.finalizer) visitOps(f.finalizer, visit);
      return;
    default:
  }
}

function visitFlowOps(f: Flow, visit: (op: Op) => void): void {
  switch (f.k) {
    case 'op': visit(f.op); return;
    case 'seq': f.items.forEach((x) => visitFlowOps(x, visit)); return;
    case 'branch': f.alts.forEach((x) => visitFlowOps(x, visit)); return;
    case 'loop': case 'call': visitFlowOps(f.body, visit); return;
    case 'try':
      visitFlowOps(f.body, visit);
      if (f.handler) visitFlowOps(f.handler, visit);
      if (f.finalizer) visitFlowOps(f.finalizer, visit);
      return;
    default:
  }
}

/**
 * Names: a site that is the only one of its allocation keeps its label; instances of one
 * allocation that stay apart are named after where they were stored (`forks[2]`) or numbered
 * (`philosopher#3`), so findings can say which one.
 */
function nameInstances(I: Interpreter, sites: ObjectSite[], members: Map<ObjectSite, ObjectSite[]>): void {
  const byNode = new Map<ts.Node, ObjectSite[]>();
  for (const s of sites) {
    if (s.owner || s.kind === 'file' || s.unknown) continue;
    const list = byNode.get(s.node) ?? [];
    list.push(s);
    byNode.set(s.node, list);
  }
  for (const list of byNode.values()) {
    if (list.length < 2) continue;
    const used = new Set<string>();
    list.forEach((s) => {
      const home = I.homes.get(s);
      let label: string | undefined;
      if (s.kind !== 'process' && home && home.o.home && home.key !== REST) label = `${home.o.home}[${home.key}]`;
      if (!label || used.has(label)) {
        const all = I.instancesOf.get(s.node) ?? [];
        const group = members.get(s) ?? [s];
        const index = Math.min(...group.map((g) => all.indexOf(g)).filter((i) => i >= 0)) + 1;
        label = `${s.label}#${Number.isFinite(index) ? index : list.indexOf(s) + 1}`;
      }
      used.add(label);
      s.label = label;
    });
  }
  // Pool workers are named after their pool.
  for (const s of sites) if (s.role === 'pool-worker' && s.owner) s.label = `${s.owner.label} worker`;
}
