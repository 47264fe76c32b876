// deadlock (rules.md): explores the interleavings of the program's processes (checker/) and reports
// each reachable state where processes wait for each other forever, with the shortest trace.
// Precision first: processes of unknown count, code the analysis cannot see, operations on
// objects it lost track of, or pools whose tasks it does not model make it stay silent; a budget
// that runs out is said in the model's notes, never taken for safety.
import { performance } from 'node:perf_hooks';
import type { Finding } from '../../../../common/model';
import { compile, compilePoolWorker, TooLarge, type Automaton } from '../checker/automaton';
import { Explorer, type Instance, type Reductions } from '../checker/explore';
import type { PoolModel } from '../checker/semantics';
import type { ConstValue, Extraction, Flow, ObjectSite, Op, ProcessRef } from '../facts';
import type { RuleContext } from './context';
import { finding, valueMatches } from './util';

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
export function checkerModel(ctx: Pick<RuleContext, 'extraction' | 'checker' | 'notes'>, reductions: Reductions = {}): CheckerModel | undefined {
  const ex = ctx.extraction;
  if (!ex.isEntry || ex.opaque.size > 0) return undefined;
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
  for (const proc of ex.flows.keys()) {
    if (proc.kind === 'main' || (proc.role === 'pool-worker' && !pools.has(proc))) continue;
    if (proc.multiplicity === 'several') {
      // How many run is unknown: only matters if this process is ever started.
      if (ex.ops.some((o) => o.kind === 'start' && o.obj === proc)) return undefined;
      continue;
    }
    processes += proc.multiplicity;
  }
  if (processes > MAX_PROCESSES) {
    ctx.notes?.push(`deadlock: ${processes} processes are more than the deadlock checker models (${MAX_PROCESSES}); this program is not checked for deadlocks`);
    return undefined;
  }
  const instances: Instance[] = [];
  for (const [proc, flow] of ex.flows) {
    const pool = proc.kind === 'main' ? undefined : pools.get(proc);
    if (proc.kind !== 'main' && proc.role === 'pool-worker' && !pool) continue;
    const m = proc.kind === 'main' ? 1 : proc.multiplicity;
    if (m === 'several') continue;
    // Instances that each have their own flow (their own objects) get their own automaton; alike
    // ones share one (and are interchangeable: see checker/symmetry.ts).
    const own = proc.kind === 'main' ? undefined : ex.instanceFlows?.get(proc);
    if (own && own.length !== m) return undefined;
    const auts: Automaton[] = [];
    try {
      if (own) for (const f of own) auts.push(compile(f));
      else auts.push(pool ? compilePoolWorker(pool.pool, pool.initializers, pool.tasks) : compile(flow));
    } catch (err) {
      if (err instanceof TooLarge) { ctx.notes?.push('deadlock: a process is too large to model; no deadlock check for this program'); return undefined; }
      throw err;
    }
    for (let index = 0; index < m; index++) {
      instances.push({ proc, index, aut: auts[own ? index : 0]!, daemon: proc.kind !== 'main' && (proc.daemon ?? false), isMain: proc.kind === 'main' });
    }
  }
  const procs = new Set(instances.map((i) => i.proc));
  const relevant = ex.ops.filter((o) => procs.has(o.proc));
  // What a put or send carries, as far as the guards that test received values care: one of the
  // constants they compare with, surely none of them, or maybe one (its type allows it).
  const constants: ConstValue[] = [];
  for (const flow of ex.flows.values()) collectGuards(flow, constants);
  const tokenOf = (op: Op): 'item' | 'maybe' | { v: ConstValue } => {
    if (op.arg?.t === 'const') return { v: op.arg.v };
    return constants.some((c) => valueMatches(op, c, ctx.checker) !== 'no') ? 'maybe' : 'item';
  };
  const explorer = new Explorer(instances, relevant, tokenOf, reductions, [...pools.values()]);
  // Tasks submitted in a loop of unknown count: their results cannot be counted exactly.
  if ([...explorer.sem.pools.values()].some((p) => p.saturate !== Infinity)) return undefined;
  return { instances, explorer };
}

/**
 * What the checker needs to run a pool's workers: the pool's size, the task each submit makes
 * (with how many per call), and for each wait on a result the tasks it may be waiting for.
 */
function poolModel(ex: Extraction, worker: ObjectSite): (PoolModel & { initializers: Flow[]; tasks: Flow[] }) | undefined {
  const pool = worker.owner;
  const tasks = ex.poolTasks?.get(worker);
  if (!pool || !tasks || typeof worker.multiplicity !== 'number') return undefined;
  const submitted = tasks.filter((t) => t.submit);
  if (submitted.some((t) => typeof t.tasks !== 'number')) return undefined;
  const submits = submitted.map((t) => t.submit!);
  const ops = ex.ops.filter((o) => o.obj === pool);
  if (ops.some((o) => o.kind === 'submit' && !submits.includes(o))) return undefined;
  const calls = new Set(submits.map((o) => o.call));
  if (ops.some((o) => o.kind === 'result' && !(o.submits ?? [o.call]).some((c) => calls.has(c)))) return undefined;
  return {
    pool, worker, submits, perCall: submitted.map((t) => t.tasks as number),
    initializers: tasks.filter((t) => !t.submit).map((t) => t.flow), tasks: submitted.map((t) => t.flow),
  };
}

export function deadlock(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const model = checkerModel(ctx);
  if (!model) return [];
  const { instances } = model;
  const started = performance.now();
  const result = model.explorer.explore({
    maxStates: ctx.stateBudget ?? DEFAULT_STATE_BUDGET,
    maxMs: DEFAULT_TIME_BUDGET_MS,
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
  return result.deadlocks.map((d) => {
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
    const what = (op: Op): string => `${DESCRIBE[op.kind] ?? op.method + '()'} on ${siteName(op.obj)}`;
    const [first, ...rest] = d.blocked;
    const waits = d.blocked.map((b) => `${name(b.instance)} waits in ${what(b.op)}`).join(', ');
    const f = finding(ctx, {
      rule: 'deadlock',
      severity: 'error',
      message: `Deadlock: ${waits}, and nothing left can wake them`,
      at: first!.op.call,
      related: rest.map((b) => ({ message: `${name(b.instance)} waits here`, at: b.op.call })),
      sites: [...new Set<ObjectSite | ProcessRef>(d.blocked.flatMap((b) => [instances[b.instance]!.proc, b.op.obj]))],
      ops: d.blocked.map((b) => b.op),
    });
    f.trace = d.trace.map((s) => ({
      process: ctx.topology.idOf(instances[s.instance]!.proc),
      op: `${name(s.instance)}: ${s.op.method} ${siteName(s.op.obj)}`,
      loc: ctx.locator.of(s.op.call),
    }));
    return f;
  });
}

function collectGuards(flow: Flow, out: ConstValue[]): void {
  switch (flow.k) {
    case 'branch':
      if (flow.guard && !out.includes(flow.guard.value)) out.push(flow.guard.value);
      for (const a of flow.alts) collectGuards(a, out);
      return;
    case 'seq': for (const i of flow.items) collectGuards(i, out); return;
    case 'loop': case 'call': collectGuards(flow.body, out); return;
    case 'try':
      collectGuards(flow.body, out);
      if (flow.handler) collectGuards(flow.handler, out);
      if (flow.finalizer) collectGuards(flow.finalizer, out);
      return;
    default:
  }
}
