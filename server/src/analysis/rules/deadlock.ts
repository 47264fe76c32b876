// deadlock (docs/rules/deadlock.md): explores the interleavings of the program's processes (checker/) and reports
// each reachable state where processes wait for each other forever, with the shortest trace.
// Precision first: processes of unknown count, code the analysis cannot see, operations on
// objects it lost track of, or pools whose tasks it does not model make it stay silent; a budget
// that runs out is said in the model's notes, never taken for safety.
import { performance } from 'node:perf_hooks';
import type { Finding } from '../../../../common/model';
import { compile, TooLarge, type Automaton } from '../checker/automaton';
import { Explorer, type Instance } from '../checker/explore';
import type { ConstValue, Flow, ObjectSite, Op, ProcessRef } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { finding, valueMatches } from '../rule-helpers';

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
  // What a put or send carries, as far as the guards that test received values care: one of the
  // constants they compare with, surely none of them, or maybe one (its type allows it).
  const constants: ConstValue[] = [];
  for (const flow of ex.flows.values()) collectGuards(flow, constants);
  const tokenOf = (op: Op): 'item' | 'maybe' | { v: ConstValue } => {
    if (op.arg?.t === 'const') return { v: op.arg.v };
    return constants.some((c) => valueMatches(op, c, ctx.checker) !== 'no') ? 'maybe' : 'item';
  };
  return { instances, explorer: new Explorer(instances, relevant, tokenOf, symmetry) };
}

function deadlock(ctx: RuleContext): Finding[] {
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
