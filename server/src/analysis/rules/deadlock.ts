// deadlock (docs/rules/deadlock.md): explores the interleavings of the program's processes (checker/) and reports
// each reachable state where processes wait for each other forever, with the shortest trace.
// Precision first: processes of unknown count, code the analysis cannot see, operations on
// objects it lost track of, or pools whose tasks it does not model make it stay silent; a budget
// that runs out is said in the model's notes, never taken for safety.
import { performance } from 'node:perf_hooks';
import type { Finding } from '../../../../common/model';
import { compile, TooLarge, type Automaton } from '../checker/automaton';
import { Explorer, type Instance } from '../checker/explore';
import type { BranchGuard, ObjectSite, Op, ProcessRef } from '../facts';
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
const MAX_INSTANCES = 16;

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
export function checkerModel(ctx: Pick<RuleContext, 'extraction' | 'checker' | 'notes'>, symmetry = true): CheckerModel | undefined {
  const ex = ctx.extraction;
  if (!ex.isEntry || ex.opaque.size > 0) return undefined;
  if (ex.ops.some((o) => o.obj.unknown && o.kind !== 'read' && o.kind !== 'write')) return undefined;
  // Pool workers run whatever is submitted, whenever: their operations on shared objects are not
  // modelled, so a program whose pool tasks touch them is not checked.
  if (ex.ops.some((o) => o.proc.kind !== 'main' && o.proc.role === 'pool-worker' && o.obj.kind !== 'pool')) return undefined;
  const instances: Instance[] = [];
  const tooMany = (n: number): undefined => {
    ctx.notes?.push(`deadlock: ${n} process instances is more than the checker models (${MAX_INSTANCES}); not checked`);
    return undefined;
  };
  for (const [proc, flow] of ex.flows) {
    if (proc.kind !== 'main' && proc.role === 'pool-worker') continue;
    const m = proc.kind === 'main' ? 1 : proc.multiplicity;
    if (m === 'several') {
      // How many run is unknown: only matters if this process is ever started.
      if (ex.ops.some((o) => o.kind === 'start' && o.obj === proc)) return undefined;
      continue;
    }
    // Before building anything per instance: a loop may start millions.
    if (instances.length + m > MAX_INSTANCES) return tooMany(instances.length + m);
    let aut: Automaton;
    try {
      aut = compile(flow);
    } catch (err) {
      if (err instanceof TooLarge) { ctx.notes?.push('deadlock: a process is too large to model; no deadlock check for this program'); return undefined; }
      throw err;
    }
    for (let index = 0; index < m; index++) {
      instances.push({ proc, index, aut, daemon: proc.kind !== 'main' && (proc.daemon ?? false), isMain: proc.kind === 'main' });
    }
  }
  const relevant = ex.ops.filter((o) => instances.some((i) => i.proc === o.proc));
  // What a put or send carries, as the branches that test received values see it: decided by its
  // abstract value, or by its type when that rules a tested constant out.
  const answer = (op: Op, g: BranchGuard): boolean | undefined => {
    const known = op.arg ? guardAnswer(g, op.arg) : undefined;
    if (known !== undefined) return known;
    if (g.path.length > 0 || g.test === 'truthy') return undefined;
    if (g.test === 'typeof') {
      const t = typeofByType(op, ctx.checker);
      return t === undefined ? undefined : t === g.value;
    }
    const value = g.test === 'nullish' ? null : g.value;
    return valueMatches(op, value ?? null, ctx.checker) === 'no' && (g.test !== 'eq' || g.value !== undefined || valueMatches(op, undefined, ctx.checker) === 'no') ? false : undefined;
  };
  return { instances, explorer: new Explorer(instances, relevant, answer, symmetry) };
}

function deadlock(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const abandoned = abandonedResults(ctx);
  const model = checkerModel(ctx);
  if (!model) return abandoned;
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
  return [...abandoned, ...result.deadlocks.map((d) => {
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
  })];
}

/**
 * An AsyncResult read without a timeout after its pool was terminated while its task may not have
 * finished: terminate() abandons unfinished tasks, whose results never come, so the read waits
 * forever (the pool's workers are not modelled by the checker; this is read on each process's
 * paths). A task is finished once its result was read, or once the pool was joined after close().
 */
function abandonedResults(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  if (ex.opaque.size > 0) return [];
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
  return [...found.values()].map(({ read, terminate }) => finding(ctx, {
    rule: 'deadlock',
    severity: 'error',
    message: `Deadlock: ${read.proc.kind === 'main' ? 'main' : read.proc.label} waits in ${read.method}() for the result of a task of ${read.obj.label}, which terminate() abandoned before the task could finish: its result never comes`,
    at: read.call,
    related: [{ message: `${read.obj.label} is terminated here, abandoning the tasks not finished yet`, at: terminate.call }],
    sites: [read.obj, read.proc],
    ops: [read, terminate],
  }));
}
