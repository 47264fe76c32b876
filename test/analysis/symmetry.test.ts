// The deadlock checker's symmetry reduction: instances of one process started N times are
// interchangeable, so the checker explores states up to renaming them. It must finish where the
// full search runs out of budget, and otherwise find the same deadlocks, with traces that are real
// runs of the program (checked step by step without the reduction) and just as short.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles, analyzePrograms } from '../../server/src/analysis/analyze';
import type { Deadlock, Instance } from '../../server/src/analysis/checker/explore';
import { createProgram } from '../../server/src/analysis/program';
import type { AnalysisStats } from '../../server/src/analysis/rule-context';
import { checkerModel, type CheckerModel } from '../../server/src/analysis/rules/deadlock';
import { EXAMPLES, ROOT } from '../helpers/paths';

const BUDGET = 20_000;
const DEADLOCK_DIR = path.join(ROOT, 'test/fixtures/rules/deadlock');
const REPLICATED = path.join(DEADLOCK_DIR, 'bad-replicated-workers.ts');
const SHIM = "import { Barrier, Condition, Lock, Process, Queue, RLock, isMainProcess } from '@process-topology/multiprocessing';";

/** Small programs with replicated processes that use what the renaming must carry along. */
const VARIANTS: Record<string, string> = {
  // Condition waiters are a bit mask by instance; one notify too few leaves one waiter.
  'condition-one-short': `${SHIM}
export async function waiter(cond: Condition) {
  await cond.acquire();
  await cond.wait();
  await cond.release();
}
if (isMainProcess()) {
  const cond = new Condition();
  const ws = Array.from({ length: 3 }, () => new Process({ target: waiter, args: [cond] }));
  for (const w of ws) w.start();
  for (let i = 0; i < 2; i++) { await cond.acquire(); await cond.notify(); await cond.release(); }
  for (const w of ws) await w.join();
}
`,
  // Barrier arrivals are a bit mask too; four parties, three workers and main.
  'barrier-with-main': `${SHIM}
export async function party(b: Barrier, q: Queue<number>) {
  await b.wait();
  await q.put(1);
}
if (isMainProcess()) {
  const b = new Barrier(4);
  const q = new Queue<number>();
  const ps = Array.from({ length: 3 }, () => new Process({ target: party, args: [b, q] }));
  for (const p of ps) p.start();
  await q.get();
  await b.wait();
  for (const p of ps) await p.join();
}
`,
  // Lock owners are instance numbers; a reentrant lock counts its holds.
  'rlock-held-across-get': `${SHIM}
export async function worker(lock: RLock, q: Queue<number>, done: Queue<number>) {
  await lock.acquire();
  await lock.acquire();
  await done.put(await q.get());
  await lock.release();
  await lock.release();
}
if (isMainProcess()) {
  const lock = new RLock();
  const q = new Queue<number>();
  const done = new Queue<number>();
  const ws = Array.from({ length: 3 }, () => new Process({ target: worker, args: [lock, q, done] }));
  for (const w of ws) w.start();
  await q.put(1);
  await done.get();
  await lock.acquire();
  await q.put(2);
  await lock.release();
  for (const w of ws) await w.join();
}
`,
  // Two groups, started one after the other, and a sentinel guard per consumer instance.
  'two-groups-sentinels': `${SHIM}
export async function producer(q: Queue<number | null>) {
  for (let i = 0; i < 2; i++) await q.put(i);
}
export async function consumer(q: Queue<number | null>, lock: Lock) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
    await lock.acquire();
    await lock.release();
  }
}
if (isMainProcess()) {
  const q = new Queue<number | null>(2);
  const lock = new Lock();
  const ps = Array.from({ length: 2 }, () => new Process({ target: producer, args: [q] }));
  const cs = Array.from({ length: 3 }, () => new Process({ target: consumer, args: [q, lock] }));
  for (const c of cs) c.start();
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
  await lock.acquire();
  for (let i = 0; i < 2; i++) await q.put(null);
  await lock.release();
  for (const c of cs) await c.join();
}
`,
};

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourcesUnder(p);
    return /\.ts$/.test(e.name) && !e.name.startsWith('.') ? [p] : [];
  });
}

/** The checker's model of every program among `files` (one TypeScript program for all), with and without symmetry. */
function checkerModels(files: string[], overlay?: Map<string, string>): { name: string; sym: CheckerModel; full: CheckerModel }[] {
  const program = createProgram({ rootNames: files, ...(overlay ? { overlay } : {}) });
  const checker = program.getTypeChecker();
  const out: { name: string; sym: CheckerModel; full: CheckerModel }[] = [];
  for (const r of analyzePrograms(program, { rootDir: ROOT, files })) {
    const sym = checkerModel({ extraction: r.extraction, checker });
    const full = checkerModel({ extraction: r.extraction, checker }, false);
    if (sym && full) out.push({ name: path.relative(ROOT, r.extraction.entry.fileName), sym, full });
  }
  return out;
}

/** A deadlock up to renaming the instances of a process: which process waits where. */
function shape(d: Deadlock, instances: Instance[]): string {
  return d.blocked.map((b) => {
    const proc = instances[b.instance]!.proc;
    return `${proc.kind === 'main' ? 'main' : proc.label}@${b.op.call.pos}`;
  }).sort().join(' ');
}

function replicated(m: CheckerModel): boolean {
  return m.instances.some((x) => x.index > 0);
}

describe('deadlock checker: symmetry reduction', () => {
  it('explores the ten identical buyers of ticket-office-locked to the end, well under the budget', () => {
    const file = path.join(EXAMPLES, 'ticket-office-locked.ts');
    const stats: AnalysisStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
    const model = analyzeFiles([file], { rootDir: EXAMPLES, stats });
    assert.equal(model.notes, undefined, `no note about the checker: ${JSON.stringify(model.notes)}`);
    assert.equal(stats.budgetExhausted, 0);
    assert.ok(stats.deadlockStates > 10 && stats.deadlockStates < BUDGET / 10, `states explored: ${stats.deadlockStates}`);
    assert.deepEqual(model.findings.filter((f) => f.rule === 'deadlock'), []);
    // Without the reduction the same search runs out of budget: the reduction is what finishes it.
    const [m] = checkerModels([file]);
    assert.ok(m && m.sym.instances.length === 11, 'main and ten buyers');
    assert.equal(m.full.explorer.explore({ maxStates: BUDGET }).exhausted, 'states');
    const sym = m.sym.explorer.explore({ maxStates: BUDGET });
    assert.equal(sym.exhausted, false);
    assert.equal(sym.states, stats.deadlockStates);
  });

  it('finds the deadlock among four replicated workers, with a real and shortest trace', () => {
    const model = analyzeFiles([REPLICATED], { rootDir: ROOT });
    assert.deepEqual(model.findings.map((f) => f.rule), ['deadlock']);
    const f = model.findings[0]!;
    assert.equal(f.message, 'Deadlock: worker#1 waits in get() on replies, worker#2 waits in acquire() on lock, '
      + 'worker#3 waits in acquire() on lock, worker#4 waits in acquire() on lock, main waits in acquire() on lock, and nothing left can wake them');
    assert.deepEqual(f.trace?.map((s) => s.op), [
      'main: start worker', 'main: start worker', 'main: start worker', 'main: start worker',
      'worker#1: acquire lock', 'worker#1: put requests', 'main: get requests',
    ]);
    const [m] = checkerModels([REPLICATED]);
    assert.ok(m);
    const sym = m.sym.explorer.explore({ maxStates: BUDGET });
    const full = m.full.explorer.explore({ maxStates: BUDGET });
    assert.equal(sym.exhausted, false);
    assert.equal(full.exhausted, false);
    assert.equal(sym.deadlocks.length, 1, 'one deadlock up to renaming the workers');
    assert.ok(m.full.explorer.replays(sym.deadlocks[0]!), 'the trace runs in the full model');
    assert.equal(sym.deadlocks[0]!.trace.length, Math.min(...full.deadlocks.map((d) => d.trace.length)), 'as short as the shortest without the reduction');
    assert.ok(sym.states < full.states, `fewer states: ${sym.states} < ${full.states}`);
    // A worker that is not the first one to get the lock is named by its real instance.
    const later = fs.readFileSync(REPLICATED, 'utf8').replace('for (let i = 0; i < 4; i++) {\n    await requests.get();',
      'await requests.get();\n  await replies.put(-1);\n  for (let i = 1; i < 4; i++) {\n    await requests.get();');
    const [v] = checkerModels([REPLICATED], new Map([[REPLICATED, later]]));
    assert.ok(v);
    const dl = v.sym.explorer.explore({ maxStates: BUDGET }).deadlocks;
    assert.equal(dl.length, 1);
    const workers = new Set(dl[0]!.trace.filter((s) => v.sym.instances[s.instance]!.proc.kind !== 'main').map((s) => s.instance));
    assert.equal(workers.size, 2, 'two different workers take the lock in the trace');
    assert.ok(v.full.explorer.replays(dl[0]!));
  });

  it('agrees with the full search on every fixture, example and variant with replicated processes', () => {
    const overlay = new Map(Object.entries(VARIANTS).map(([name, text]) => [path.join(DEADLOCK_DIR, `.symmetry-${name}.ts`), text]));
    const files = [...sourcesUnder(path.join(ROOT, 'test/fixtures/rules')), ...sourcesUnder(EXAMPLES), ...overlay.keys()];
    const models = checkerModels(files, overlay).filter((m) => replicated(m.sym));
    let compared = 0;
    let withDeadlocks = 0;
    for (const { name, sym: s, full: f } of models) {
      const sym = s.explorer.explore({ maxStates: BUDGET, maxDeadlocks: 1000 });
      const full = f.explorer.explore({ maxStates: 4 * BUDGET, maxDeadlocks: 1000 });
      // Four workers looping 25 times over one lock (good-value.ts) are still too many states.
      if (sym.exhausted) {
        assert.equal(full.exhausted, 'states', `${name}: the full search runs out of budget too`);
        continue;
      }
      assert.ok(sym.states <= full.states, `${name}: ${sym.states} states with the reduction, ${full.states} without`);
      if (full.exhausted) continue;
      compared++;
      const fullShapes = new Map<string, number>();
      for (const d of full.deadlocks) {
        const k = shape(d, f.instances);
        fullShapes.set(k, Math.min(fullShapes.get(k) ?? Infinity, d.trace.length));
      }
      const symShapes = new Map(sym.deadlocks.map((d) => [shape(d, s.instances), d.trace.length]));
      assert.deepEqual([...symShapes.keys()].sort(), [...fullShapes.keys()].sort(), `${name}: the same deadlocks up to renaming`);
      for (const [k, len] of symShapes) assert.equal(len, fullShapes.get(k), `${name}: trace of ${k} as short as without the reduction`);
      for (const d of sym.deadlocks) assert.ok(f.explorer.replays(d), `${name}: the trace of ${shape(d, s.instances)} is a real run`);
      if (sym.deadlocks.length > 0) withDeadlocks++;
    }
    assert.ok(models.length >= 8, `programs with replicated processes: ${models.map((m) => m.name).join(', ')}`);
    assert.ok(compared >= 6 && withDeadlocks >= 3, `compared ${compared}, with deadlocks ${withDeadlocks}`);
    console.log(`compared ${compared} of ${models.length} programs, ${withDeadlocks} with deadlocks`);
  });
});
