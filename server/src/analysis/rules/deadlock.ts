// deadlock (docs/rules/deadlock.md): explores the interleavings of the program's processes (checker/) and reports
// each reachable state where processes wait for each other forever, with the shortest trace.
// Precision first: processes of unknown count, code the analysis cannot see, operations on
// objects it lost track of, or pools whose tasks it does not model make it stay silent; a budget
// that runs out is said in the model's notes, never taken for safety.
import { performance } from 'node:perf_hooks';
import type ts from 'typescript';
import type { Finding } from '../../../../common/model';
import { compile, compilePoolWorker, TooLarge, type Automaton } from '../checker/automaton';
import { correlateBranches } from '../checker/correlate';
import { Explorer, type Instance, type Reductions } from '../checker/explore';
import { cellIndex, type PoolModel } from '../checker/semantics';
import type { AbsValue, BranchGuard, Extraction, Flow, ObjectSite, Op, OpaqueWhy, ProcessRef } from '../facts';
import { guardAnswer } from '../guards';
import { GaveUp, PathWalker } from '../passes/flow-paths';
import { defineRule, type RuleContext } from '../rule-context';
import { finding, typeofByType, valueMatches } from '../rule-helpers';

export default defineRule({
  id: 'deadlock',
  severity: 'error',
  family: 'blocking',
  summary: 'Some interleaving reaches a state where processes wait on each other forever.',
  run: deadlock,
});

/** States explored at most per program (the editor keeps this small; the CLI may raise it). */
export const DEFAULT_STATE_BUDGET = 20_000;
/**
 * Time the exploration may take per program: far above what the state budget costs (well under a
 * second), so it only stops explorations whose states are unusually expensive; then it says so.
 */
export const DEFAULT_TIME_BUDGET_MS = 5_000;
/**
 * Processes (besides main) the checker models at most per program: its reductions make
 * pipelines, pools and worker arrays of this size cheap (see checker/); beyond it a program is
 * not checked, and the notes say so.
 */
export const MAX_PROCESSES = 256;

const DESCRIBE: Partial<Record<Op['kind'], string>> = {
  get: 'get()', put: 'put()', recv: 'recv()', acquire: 'acquire()', wait: 'wait()', join: 'join()', joinQueue: 'join()',
};

/** The program as the checker sees it: its process instances and the explorer over them. */
export interface CheckerModel {
  instances: Instance[];
  explorer: Explorer;
}

/**
 * Builds the checker's model of a program, or undefined when the program is not checked (with a
 * note saying why, where that is a limit of the checker rather than a reason to stay silent).
 */
const OPAQUE_REASON: Record<OpaqueWhy, string> = {
  budget: "is too costly to follow (the interpreter's step budget ran out)",
  eval: 'runs code made at run time (eval, new Function)',
  generator: 'runs operations inside a generator, and the order of those against the loop that consumes it is not followed',
  concurrent: 'runs waits side by side (async functions not awaited one at a time, or a wait raced against something else), which is not followed',
};

export function checkerModel(ctx: Pick<RuleContext, 'extraction' | 'checker' | 'notes'>, reductions: Reductions = {}): CheckerModel | undefined {
  const ex = ctx.extraction;
  if (!ex.isEntry) return undefined;
  if (ex.opaque.size > 0) {
    // The interpreter could not follow some process's code exactly: what it does is not known, so
    // nothing is claimed, and the user is told which code and why.
    const byWhy = new Map<OpaqueWhy, Set<string>>();
    for (const [p, why] of ex.opaque) {
      const names = byWhy.get(why) ?? new Set<string>();
      names.add(p.kind === 'main' ? `the main code of ${ex.entry.fileName.split('/').pop()}` : p.targetName ?? p.label);
      byWhy.set(why, names);
    }
    const reasons = [...byWhy].map(([why, names]) => `${[...names].join(', ')} ${OPAQUE_REASON[why]}`);
    ctx.notes?.push(`deadlock: ${reasons.join('; ')}; this program is not checked for deadlocks`);
    return undefined;
  }
  if (ex.ops.some((o) => o.obj.unknown && o.kind !== 'read' && o.kind !== 'write')) return undefined;
  // A pool's workers run its tasks: modelled when the checker knows what each submit runs and how
  // many tasks it makes. Otherwise they run whatever is submitted, whenever: a program whose pool
  // tasks touch shared objects is then not checked, and a pool whose tasks do not is left out.
  const pools = new Map<ObjectSite, PoolModel & { initializers: Flow[]; tasks: Flow[] }>();
  for (const proc of ex.flows.keys()) {
    if (proc.kind === 'main' || proc.role !== 'pool-worker') continue;
    const model = poolModel(ex, proc);
    if (model) pools.set(proc, model);
    else if (ex.ops.some((o) => o.proc === proc && o.obj.kind !== 'pool')) return undefined;
  }
  // Count before building anything per instance: a loop may start millions.
  let processes = 0;
  let uncounted = false;
  for (const proc of ex.flows.keys()) {
    if (proc.kind === 'main' || (proc.role === 'pool-worker' && !pools.has(proc))) continue;
    if (proc.multiplicity === 'several') {
      // How many run is unknown: only matters if this process is ever started.
      if (ex.ops.some((o) => o.kind === 'start' && o.obj === proc)) uncounted = true;
      continue;
    }
    processes += proc.multiplicity;
  }
  // Processes of unknown count come on top of those counted (a loop the interpreter stopped
  // following after its first passes): at least one more.
  if (processes > MAX_PROCESSES || (uncounted && processes >= MAX_PROCESSES)) {
    const how = uncounted ? `at least ${processes + 1}` : String(processes);
    ctx.notes?.push(`deadlock: ${how} processes are more than the deadlock checker models (${MAX_PROCESSES}); this program is not checked for deadlocks`);
    return undefined;
  }
  if (uncounted) return undefined;
  const instances: Instance[] = [];
  for (const [proc, flow] of ex.flows) {
    const pool = proc.kind === 'main' ? undefined : pools.get(proc);
    if (proc.kind !== 'main' && proc.role === 'pool-worker' && !pool) continue;
    const m = proc.kind === 'main' ? 1 : proc.multiplicity;
    if (m === 'several') continue;
    // The instances of one site are alike (the interpreter gives instances that differ, each with
    // its own objects, sites of their own): they share one automaton and are interchangeable
    // (see checker/symmetry.ts).
    let aut: Automaton;
    try {
      const correlated = (f: Flow): Flow => correlateBranches(f, ctx.checker);
      aut = pool ? compilePoolWorker(pool.pool, pool.initializers.map(correlated), pool.tasks.map(correlated)) : compile(correlated(flow));
    } catch (err) {
      if (err instanceof TooLarge) { ctx.notes?.push('deadlock: a process is too large to model; no deadlock check for this program'); return undefined; }
      throw err;
    }
    for (let index = 0; index < m; index++) {
      instances.push({ proc, index, aut, daemon: proc.kind !== 'main' && (proc.daemon ?? false), isMain: proc.kind === 'main' });
    }
  }
  const procs = new Set(instances.map((i) => i.proc));
  const relevant = ex.ops.filter((o) => procs.has(o.proc));
  // What a put or send carries, as the branches that test received values see it: decided by its
  // abstract value, or by its type when that rules a tested constant out.
  const answer = (op: Op, g: BranchGuard): boolean | undefined => {
    const known = op.arg ? guardAnswer(g, op.arg) : undefined;
    if (known !== undefined) return known;
    if (g.path.length > 0 || g.test === 'truthy' || g.map) return undefined;
    if (g.test === 'typeof') {
      const t = typeofByType(op, ctx.checker);
      return t === undefined ? undefined : t === g.value;
    }
    const value = g.test === 'nullish' ? null : g.value;
    return valueMatches(op, value ?? null, ctx.checker) === 'no' && (g.test !== 'eq' || g.value !== undefined || valueMatches(op, undefined, ctx.checker) === 'no') ? false : undefined;
  };
  const explorer = new Explorer(instances, relevant, answer, reductions, [...pools.values()], followedCells(ex), pipeCopies(ex, procs));
  // Tasks submitted in a loop of unknown count: their results cannot be counted exactly.
  if ([...explorer.sem.pools.values()].some((p) => p.saturate !== Infinity)) return undefined;
  return { instances, explorer };
}

/**
 * What the checker needs to run a pool's workers: the pool's size, the tasks of each submission
 * (with how many per run of its submit), and, for each read of a result, the submissions it may
 * be reading (their numbers: `Op.tasks`).
 */
function poolModel(ex: Extraction, worker: ObjectSite): (PoolModel & { initializers: Flow[]; tasks: Flow[] }) | undefined {
  const pool = worker.owner;
  const tasks = ex.poolTasks?.get(worker);
  if (!pool || !tasks || typeof worker.multiplicity !== 'number') return undefined;
  const submitted = tasks.filter((t) => t.submit);
  if (submitted.some((t) => typeof t.tasks !== 'number' || t.id === undefined)) return undefined;
  const submits = submitted.map((t) => t.submit!);
  const ops = ex.ops.filter((o) => o.obj === pool);
  if (ops.some((o) => o.kind === 'submit' && !submits.includes(o))) return undefined;
  const ids = new Set(submitted.map((t) => t.id!));
  if (ops.some((o) => o.kind === 'result' && (!o.tasks || o.tasks.length === 0 || o.tasks.some((id) => !ids.has(id))))) return undefined;
  return {
    pool, worker, submits, ids: submitted.map((t) => t.id!), perCall: submitted.map((t) => t.tasks as number),
    initializers: tasks.filter((t) => !t.submit).map((t) => t.flow), tasks: submitted.map((t) => t.flow),
  };
}

function deadlock(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const model = checkerModel(ctx);
  // Results that terminate() abandoned, read on each path of the reading process: for every pool,
  // the checker's too (a terminate in an error callback runs where main awaits, and the checker
  // need not reach the interleaving that cuts a task off); one finding per blocked read.
  const { findings: abandoned, reads: readsAbandoned } = abandonedResults(ctx);
  if (!model) return abandoned;
  const { instances } = model;
  const started = performance.now();
  const result = model.explorer.explore({
    maxStates: ctx.stateBudget ?? DEFAULT_STATE_BUDGET,
    ...(ctx.phaseBudgets ? { phaseBudgets: ctx.phaseBudgets } : {}),
    maxMs: ctx.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS,
    ...(ctx.shouldStop ? { shouldStop: ctx.shouldStop } : {}),
  });
  if (ctx.stats) {
    ctx.stats.deadlockStates += result.states;
    ctx.stats.deadlockMs += performance.now() - started;
    if (result.exhausted) ctx.stats.budgetExhausted++;
  }
  if (result.exhausted) {
    const why = result.exhausted === 'states' ? 'budget' : result.exhausted === 'time' ? 'time budget' : 'cancelled';
    ctx.notes?.push(`deadlock: explored ${result.states} states of ${ex.entry.fileName.split('/').pop()} without finishing (${why}); no claim either way`);
  }
  // One finding per blocked operation it is anchored at: the states that block there (more or
  // fewer of the same processes waiting with it) are one cause, shown by its shortest trace.
  const anchored = new Set<ts.Node>();
  const deadlocks = result.deadlocks.filter((d) => {
    const at = d.blocked[0]?.op.call;
    if (!at || anchored.has(at)) return false;
    anchored.add(at);
    return true;
  });
  return [...abandoned, ...deadlocks.filter((d) => !readsAbandoned.has(d.blocked[0]!.op.call)).map((d) => {
    // Two sites running the same target are told apart by the variable that holds them.
    const siteName = (site: ObjectSite): string => {
      const shared = instances.some((x) => x.proc !== site && x.proc.kind !== 'main' && x.proc.label === site.label);
      return shared && site.name ? `${site.label} (${site.name})` : site.label;
    };
    const name = (i: number): string => {
      const inst = instances[i]!;
      if (inst.proc.kind === 'main') return 'main';
      const count = inst.proc.multiplicity;
      return count === 1 ? siteName(inst.proc) : `${siteName(inst.proc)}#${inst.index + 1}`;
    };
    const what = (op: Op): string => op.access
      ? `${op.method}() on ${siteName(op.access)} (it takes ${siteName(op.obj)})`
      : op.item !== undefined
        ? `${op.method}() on ${siteName(op.obj)} for the result of item ${op.item + 1} (imap gives them in order)`
        : `${DESCRIBE[op.kind] ?? op.method + '()'} on ${siteName(op.obj)}`;
    // A recv that waits although its other end was closed: say who still holds a copy of it.
    const copies = (op: Op): string => {
      const counted = op.kind === 'recv' && op.end !== undefined ? model.explorer.sem.copyHolders.get(op.obj) : undefined;
      if (!counted || op.end === undefined) return '';
      const other = 1 - op.end;
      const closers = new Set(d.trace.filter((s) => s.op.kind === 'closeEnd' && s.op.obj === op.obj && s.op.end === other).map((s) => s.instance));
      const keep = counted.holders[other]!.filter((h) => !closers.has(h) && d.blocked.some((x) => x.instance === h));
      if (closers.size === 0 || keep.length === 0) return '';
      return ` (its other end was closed, but ${keep.map(name).join(' and ')} still ${keep.length === 1 ? 'holds' : 'hold'} a copy of it: recv() ends with EOF only once every copy is closed)`;
    };
    const [first, ...rest] = d.blocked;
    // A process that retries (a try-lock loop) is not blocked in a call, but its attempts keep failing.
    const spins = (b: { instance: number }): boolean => d.spinning?.includes(b.instance) === true;
    const waits = d.blocked.map((b) => (spins(b)
      ? `${name(b.instance)} retries ${b.op.method}() on ${siteName(b.op.obj)} for ever (each attempt fails)`
      : `${name(b.instance)} waits in ${what(b.op)}${copies(b.op)}`)).join(', ');
    const f = finding(ctx, {
      rule: 'deadlock',
      severity: 'error',
      message: `Deadlock: ${waits}, and nothing left can wake them`,
      at: first!.op.call,
      related: rest.map((b) => ({ message: `${name(b.instance)} ${spins(b) ? 'retries' : 'waits'} here`, at: b.op.call })),
      sites: [...new Set<ObjectSite | ProcessRef>(d.blocked.flatMap((b) => [instances[b.instance]!.proc, b.op.obj]))],
      ops: d.blocked.map((b) => b.op),
    });
    // A process blocked in a condition's wait() gave the condition's lock up as it began to wait,
    // right after its last step: that is a step of its own (what others do with the lock next
    // depends on it, and steered replay must let the wait in there, not at the trace's end).
    const steps = [...d.trace];
    for (const b of d.blocked) {
      if (b.op.kind !== 'wait' || b.op.obj.kind !== 'condition') continue;
      let last = -1;
      steps.forEach((s, k) => { if (s.instance === b.instance) last = k; });
      steps.splice(last + 1, 0, { instance: b.instance, op: b.op });
    }
    f.trace = steps.map((s) => ({
      process: ctx.topology.idOf(instances[s.instance]!.proc),
      op: `${name(s.instance)}: ${s.op.method} ${siteName(s.op.obj)}`,
      loc: ctx.locator.of(s.op.call),
    }));
    return f;
  })];
}

/**
 * An AsyncResult read without a timeout after its pool was terminated while its task may not have
 * finished: terminate() abandons unfinished tasks, whose results never come, so the read waits
 * forever. Read on each process's paths, for every pool. A task is finished once its result was
 * read, or once the pool was joined after close(). Returns the findings and the reads they are at.
 */
function abandonedResults(ctx: RuleContext): { findings: Finding[]; reads: ReadonlySet<ts.Node> } {
  const ex = ctx.extraction;
  if (ex.opaque.size > 0) return { findings: [], reads: new Set() };
  const found = new Map<Op['call'], { read: Op; terminate: Op }>();
  interface S { terminated: ReadonlyMap<ObjectSite, Op>; done: ReadonlySet<number>; joined: ReadonlySet<ObjectSite> }
  const walker = new PathWalker<S>({
    key: (s) => `${[...s.terminated.keys()].map((p) => ex.sites.indexOf(p)).sort()}|${[...s.done].sort()}|${[...s.joined].map((p) => ex.sites.indexOf(p)).sort()}`,
    op: (s, op) => {
      if (op.obj.kind !== 'pool' || op.obj.unknown || op.obj.multiplicity !== 1) return [s];
      switch (op.kind) {
        case 'terminatePool':
          if (s.joined.has(op.obj) || s.terminated.has(op.obj)) return [s];
          return [{ ...s, terminated: new Map([...s.terminated, [op.obj, op]]) }];
        case 'joinPool':
          return op.blocking ? [{ ...s, joined: new Set([...s.joined, op.obj]) }] : [s];
        case 'result': {
          const tasks = op.tasks ?? [];
          const terminate = s.terminated.get(op.obj);
          if (terminate && op.blocking && tasks.length > 0 && tasks.some((t) => !s.done.has(t)) && !found.has(op.call)
            && !(op.submits ?? []).some((c) => ex.escapedResults?.has(c))) {
            found.set(op.call, { read: op, terminate });
            return [];
          }
          return [{ ...s, done: new Set([...s.done, ...tasks]) }];
        }
        default: return [s];
      }
    },
  });
  for (const [proc, flow] of ex.flows) {
    if (!ex.ops.some((o) => o.proc === proc && o.kind === 'terminatePool')) continue;
    try {
      walker.run(flow, [{ terminated: new Map(), done: new Set(), joined: new Set() }]);
    } catch (err) {
      if (!(err instanceof GaveUp)) throw err;
    }
  }
  const findings = [...found.values()].map(({ read, terminate }) => finding(ctx, {
    rule: 'deadlock',
    severity: 'error',
    message: `Deadlock: ${read.proc.kind === 'main' ? 'main' : read.proc.label} waits in ${read.method}() for the result of a task of ${read.obj.label}, which terminate() abandoned before the task could finish: its result never comes`,
    at: read.call,
    related: [{ message: `${read.obj.label} is terminated here, abandoning the tasks not finished yet`, at: terminate.call }],
    sites: [read.obj, read.proc],
    ops: [read, terminate],
  }));
  return { findings, reads: new Set(found.keys()) };
}

/**
 * The shared Values and SharedArrays whose cells the checker can follow exactly: one object made
 * with known contents, that no code the analysis cannot see may touch, read and set only by
 * `get` and `set` at constant indices (anything else could change a cell behind the checker's back).
 */
/**
 * Pipes whose copies of each end the checker counts: per end, the processes that hold a copy (the
 * one that made the pipe, and each process given the end in its arguments). As in Python, recv()
 * ends with EOFError only once every copy of the other end is closed or its process has ended;
 * a child that keeps the end it was given and never closes it keeps the reader waiting. Left out
 * (any close of the other end then counts, as before) when that is not known for certain: a pipe
 * made more than once, an end sent in a message or handed to code the analysis cannot see, or an
 * end used by a process that is not seen holding it.
 */
function pipeCopies(ex: Extraction, procs: ReadonlySet<ProcessRef>): Map<ObjectSite, [ProcessRef[], ProcessRef[]]> {
  const out = new Map<ObjectSite, [ProcessRef[], ProcessRef[]]>();
  const pipes = new Set(ex.ops.filter((o) => o.obj.kind === 'pipe').map((o) => o.obj));
  if (pipes.size === 0) return out;
  const holders = new Map<ObjectSite, [Set<ProcessRef>, Set<ProcessRef>]>();
  const bad = new Set<ObjectSite>();
  const ends = (v: AbsValue, found: (site: ObjectSite, end: 0 | 1 | undefined) => void, depth = 0): void => {
    if (depth > 6) return;
    switch (v.t) {
      case 'obj': found(v.site, v.end); return;
      case 'coll': v.items.forEach((x) => ends(x, found, depth + 1)); return;
      case 'union': v.alts.forEach((x) => ends(x, found, depth + 1)); return;
      case 'record': for (const x of v.fields.values()) ends(x, found, depth + 1); return;
      default: return;
    }
  };
  for (const pipe of pipes) {
    const made = pipe.madeBy;
    if (pipe.unknown || pipe.multiplicity !== 1 || !made || !procs.has(made) || (made.kind !== 'main' && made.multiplicity !== 1) || ex.escaped?.has(pipe)) bad.add(pipe);
    else holders.set(pipe, [new Set([made]), new Set([made])]);
  }
  for (const p of ex.flows.keys()) {
    if (p.kind === 'main') continue;
    for (const v of [...(p.args ?? []), ...(p.kwargs ? [p.kwargs] : [])]) {
      ends(v, (site, end) => {
        const h = holders.get(site);
        if (!h) return;
        // A holder the checker does not run as instances of its own, or a copy of an unknown end.
        if (end === undefined || !procs.has(p) || p.multiplicity === 'several') bad.add(site);
        else h[end].add(p);
      });
    }
  }
  for (const op of ex.ops) {
    // An end sent in a message (or to a pool task): its copies travel where this does not follow.
    if (op.arg && op.kind !== 'closeEnd') ends(op.arg, (site) => { if (holders.has(site)) bad.add(site); });
    const h = holders.get(op.obj);
    if (h && (op.end === undefined || !h[op.end].has(op.proc))) bad.add(op.obj);
  }
  for (const [pipe, [a, b]] of holders) if (!bad.has(pipe)) out.set(pipe, [[...a], [...b]]);
  return out;
}

function followedCells(ex: Extraction): Set<ObjectSite> {
  const out = new Set<ObjectSite>();
  const bad = new Set<ObjectSite>();
  // A write to an object the analysis lost track of could be to any of them.
  if (ex.ops.some((o) => o.kind === 'write' && o.obj.unknown)) return out;
  // Only what some branch tests matters to who waits: a counter no branch reads stays out of the
  // state (following it would only multiply states, and break the atomic sections around it).
  const tested = new Set<ObjectSite>();
  const visit = (f: Flow): void => {
    switch (f.k) {
      case 'seq': f.items.forEach(visit); return;
      case 'branch':
        if (f.guard) for (const o of f.guard.sources ?? [f.guard.source]) if (o.kind === 'read') tested.add(o.obj);
        f.alts.forEach(visit);
        return;
      case 'loop': visit(f.body); return;
      case 'try': visit(f.body); if (f.handler) visit(f.handler); if (f.finalizer) visit(f.finalizer); return;
      case 'call': visit(f.body); return;
      default: return;
    }
  };
  for (const f of ex.flows.values()) visit(f);
  for (const op of ex.ops) {
    const site = op.obj;
    if (site.kind !== 'value' && site.kind !== 'array') continue;
    if (!tested.has(site)) continue;
    if (op.kind !== 'read' && op.kind !== 'write') continue;
    // (A read of the whole array, such as toArray(), changes nothing: what it returns is not
    // followed, so a branch on it takes either way.)
    const ok = site.initial !== undefined && site.multiplicity === 1 && !site.unknown && !ex.escaped?.has(site)
      && (op.kind === 'read' ? op.method !== 'get' || cellIndex(op) !== undefined : op.method === 'set' && cellIndex(op) !== undefined);
    if (ok) out.add(site);
    else bad.add(site);
  }
  for (const site of bad) out.delete(site);
  return out;
}
