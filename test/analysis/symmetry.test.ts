// The deadlock checker's reductions against the full search: symmetry (instances of one process
// started N times are interchangeable, states are explored up to renaming them), partial-order
// reduction by stubborn sets (only moves nobody else can interfere with), and atomic critical
// sections (an acquire and its release with nothing the checker sees in between are one step).
// Reduced, the search must finish where the full one runs out of budget, and otherwise find the
// same deadlocks, with traces that are real runs of the program (checked step by step in the full
// model) and just as short; each reduction on its own, and all together.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles, analyzePrograms } from '../../server/src/analysis/analyze';
import type { Deadlock, Instance, Reductions } from '../../server/src/analysis/checker/explore';
import { verifyEnabledChecks } from '../../server/src/analysis/checker/semantics';
import { createProgram } from '../../server/src/analysis/program';
import type { AnalysisStats } from '../../server/src/analysis/rule-context';
import { checkerModel, type CheckerModel } from '../../server/src/analysis/rules/deadlock';
import { EXAMPLES, ROOT } from '../helpers/paths';

const BUDGET = 20_000;
const DEADLOCK_DIR = path.join(ROOT, 'test/fixtures/rules/deadlock');
const REPLICATED = path.join(DEADLOCK_DIR, 'bad-replicated-workers.ts');
const SHIM = "import { Barrier, Condition, Event, JoinableQueue, Lock, Manager, Pipe, Pool, Process, Queue, RLock, Semaphore, isMainProcess, Connection } from '@process-topology/multiprocessing';";
/** No reduction at all: the reference. */
const FULL: Reductions = { symmetry: false, partialOrder: false, sections: false };
/** Each reduction alone, then all of them (the checker's default). */
const MODES: [string, Reductions][] = [
  ['symmetry', { ...FULL, symmetry: true }],
  ['partial order', { ...FULL, partialOrder: true }],
  ['sections', { ...FULL, sections: true }],
  ['all', {}],
];

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
  // Two producers put items and a sentinel each into one queue: the order of their puts decides
  // whether the consumer sees both items before the first sentinel (puts of different values
  // do not commute).
  'mixed-sentinels': `${SHIM}
export async function producer(q: Queue<number | null>) {
  await q.put(1);
  await q.put(null);
}
export async function consumer(q: Queue<number | null>, results: Queue<number>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
    await results.put(item);
  }
}
if (isMainProcess()) {
  const q = new Queue<number | null>();
  const results = new Queue<number>();
  const ps = Array.from({ length: 2 }, () => new Process({ target: producer, args: [q] }));
  const c = new Process({ target: consumer, args: [q, results] });
  c.start();
  for (const p of ps) p.start();
  for (let i = 0; i < 2; i++) await results.get();
  for (const p of ps) await p.join();
  await c.join();
}
`,
  // A pipe read until EOF: recv ends only once the other end is closed; one child forgets to.
  'pipe-eof': `${SHIM}
export async function reader(conn: Connection<number>) {
  for (;;) await conn.recv();
}
export async function writer(conn: Connection<number>, close: boolean) {
  await conn.send(1);
  await conn.send(2);
  if (close) conn.close();
}
if (isMainProcess()) {
  const [a, b] = Pipe<number>();
  const r = new Process({ target: reader, args: [a] });
  const w = new Process({ target: writer, args: [b, Math.random() > 0.5] });
  r.start();
  w.start();
  await w.join();
  await r.join();
}
`,
  // Task accounting: two workers mark tasks done; one of them skips it for an odd item.
  'joinable-tasks': `${SHIM}
export async function worker(q: JoinableQueue<number | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) { await q.taskDone(); break; }
    if (Math.random() > 0.9) continue;
    await q.taskDone();
  }
}
if (isMainProcess()) {
  const q = new JoinableQueue<number | null>();
  const ws = Array.from({ length: 2 }, () => new Process({ target: worker, args: [q] }));
  for (const w of ws) w.start();
  for (let i = 0; i < 3; i++) await q.put(i);
  await q.join();
  for (const _ of ws) await q.put(null);
  for (const w of ws) await w.join();
}
`,
  // A semaphore of two slots held across a wait on an event that main sets only after a get.
  'semaphore-event': `${SHIM}
export async function worker(slots: Semaphore, go: Event, done: Queue<number>) {
  await slots.acquire();
  await done.put(1);
  await go.wait();
  await slots.release();
}
if (isMainProcess()) {
  const slots = new Semaphore(2);
  const go = new Event();
  const done = new Queue<number>();
  const ws = Array.from({ length: 3 }, () => new Process({ target: worker, args: [slots, go, done] }));
  for (const w of ws) w.start();
  for (let i = 0; i < 3; i++) await done.get();
  await go.set();
  for (const w of ws) await w.join();
}
`,
  // An event cleared again by another process: whether the waiter sees it set is a race.
  'event-cleared': `${SHIM}
export async function waiter(e: Event, out: Queue<number>) {
  await e.wait();
  await out.put(1);
}
export async function clearer(e: Event) {
  await e.clear();
}
if (isMainProcess()) {
  const e = new Event();
  const out = new Queue<number>();
  const w = new Process({ target: waiter, args: [e, out] });
  const c = new Process({ target: clearer, args: [e] });
  w.start();
  await e.set();
  c.start();
  await c.join();
  await out.get();
  await w.join();
}
`,
  // A worker terminated while it holds the lock the other workers need.
  'terminate-holder': `${SHIM}
export async function holder(lock: Lock, ready: Queue<number>) {
  await lock.acquire();
  await ready.put(1);
  await ready.put(2);
  await lock.release();
}
export async function needer(lock: Lock) {
  await lock.acquire();
  await lock.release();
}
if (isMainProcess()) {
  const lock = new Lock();
  const ready = new Queue<number>(1);
  const h = new Process({ target: holder, args: [lock, ready] });
  const ns = Array.from({ length: 2 }, () => new Process({ target: needer, args: [lock] }));
  h.start();
  for (const n of ns) n.start();
  await ready.get();
  h.terminate();
  for (const n of ns) await n.join();
}
`,
  // Empty critical sections (atomic) next to a section that waits, and a reentrant lock.
  'sections-and-waits': `${SHIM}
export async function counter(lock: RLock, log: Lock) {
  for (let i = 0; i < 3; i++) {
    await log.acquire();
    await log.release();
    await lock.acquire();
    await lock.acquire();
    await lock.release();
    await lock.release();
  }
}
export async function waiter(lock: RLock, q: Queue<number>) {
  await lock.acquire();
  await q.get();
  await lock.release();
}
if (isMainProcess()) {
  const lock = new RLock();
  const log = new Lock();
  const q = new Queue<number>();
  const cs = Array.from({ length: 2 }, () => new Process({ target: counter, args: [lock, log] }));
  const w = new Process({ target: waiter, args: [lock, q] });
  for (const c of cs) c.start();
  w.start();
  for (const c of cs) await c.join();
  await q.put(1);
  await w.join();
}
`,
  // A lock handed over: released by a process that did not take it (so it protects nothing).
  'lock-handover': `${SHIM}
export async function taker(lock: Lock, q: Queue<number>) {
  await lock.acquire();
  await q.put(1);
  await lock.acquire();
  await q.put(2);
}
export async function giver(lock: Lock, q: Queue<number>) {
  await q.get();
  await lock.release();
}
if (isMainProcess()) {
  const lock = new Lock();
  const q = new Queue<number>();
  const t = new Process({ target: taker, args: [lock, q] });
  const g = new Process({ target: giver, args: [lock, q] });
  t.start();
  g.start();
  await g.join();
  await q.get();
  await t.join();
}
`,
  // Producers holding a lock around a put into a bounded queue (the benchmark's blocks, smaller).
  'lock-around-bounded-put': `${SHIM}
export async function producer(q: Queue<number | null>, lock: Lock) {
  for (let k = 0; k < 3; k++) {
    await lock.acquire();
    await q.put(k);
    await lock.release();
  }
}
export async function consumer(q: Queue<number | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}
if (isMainProcess()) {
  const q = new Queue<number | null>(1);
  const lock = new Lock();
  const ps = Array.from({ length: 2 }, () => new Process({ target: producer, args: [q, lock] }));
  const cs = Array.from({ length: 2 }, () => new Process({ target: consumer, args: [q] }));
  for (const p of [...ps, ...cs]) p.start();
  for (const p of ps) await p.join();
  await q.put(null);
  for (const c of cs) await c.join();
}
`,
  // Pool tasks from apply and applyAsync putting into one queue under a lock, one of them reading
  // the others' items.
  'pool-apply-and-async': `${SHIM}
export async function square(q: Queue<number>, lock: Lock, n: number) {
  await lock.acquire();
  await q.put(n * n);
  await lock.release();
  return n * n;
}
export async function drain(q: Queue<number>, n: number) {
  for (let i = 0; i < n; i++) await q.get();
}
if (isMainProcess()) {
  const manager = new Manager();
  await manager.start();
  const q = await manager.Queue<number>();
  const lock = await manager.Lock();
  const pool = new Pool(2);
  const later = pool.applyAsync(drain, [q, 3]);
  await pool.apply(square, [q, lock, 1]);
  await pool.apply(square, [q, lock, 2]);
  await q.put(0);
  await later.get();
  pool.close();
  await pool.join();
  await manager.shutdown();
}
`,
  // The result of a task of a terminated pool never comes.
  'pool-terminated': `${SHIM}
export async function wait(go: Event) {
  await go.wait();
  return 1;
}
if (isMainProcess()) {
  const manager = new Manager();
  await manager.start();
  const go = await manager.Event();
  const pool = new Pool(2);
  const r = pool.applyAsync(wait, [go]);
  await pool.terminate();
  await pool.join();
  await go.set();
  await r.get();
  await manager.shutdown();
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

/** The checker's model of every program among `files` (one TypeScript program for all), in each mode and in full. */
function checkerModels(files: string[], overlay?: Map<string, string>): { name: string; modes: Map<string, CheckerModel>; full: CheckerModel }[] {
  const program = createProgram({ rootNames: files, ...(overlay ? { overlay } : {}) });
  const checker = program.getTypeChecker();
  const out: { name: string; modes: Map<string, CheckerModel>; full: CheckerModel }[] = [];
  for (const r of analyzePrograms(program, { rootDir: ROOT, files })) {
    const full = checkerModel({ extraction: r.extraction, checker }, FULL);
    const modes = new Map(MODES.map(([mode, reductions]) => [mode, checkerModel({ extraction: r.extraction, checker }, reductions)!]));
    if (full && [...modes.values()].every(Boolean)) out.push({ name: path.relative(ROOT, r.extraction.entry.fileName), modes, full });
  }
  return out;
}

/** The checker's model of one program file with the given reductions. */
function modelOf(file: string, reductions: Reductions): CheckerModel {
  const program = createProgram({ rootNames: [file] });
  const [r] = analyzePrograms(program, { rootDir: ROOT, files: [file] });
  const m = r && checkerModel({ extraction: r.extraction, checker: program.getTypeChecker() }, reductions);
  assert.ok(m, `${file} is checked`);
  return m;
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

/** The deadlock shapes of a search, with the shortest trace (in steps) of each. */
function shapes(deadlocks: Deadlock[], instances: Instance[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of deadlocks) {
    const k = shape(d, instances);
    out.set(k, Math.min(out.get(k) ?? Infinity, d.trace.length));
  }
  return out;
}

const UNSYNCHRONIZED = path.join(ROOT, 'test/fixtures/rules/unsynchronized-update/good-value.ts');

describe('deadlock checker: reductions against the full search', () => {
  it('explores the ten identical buyers of ticket-office-locked to the end, a small fraction of the full search', () => {
    const file = path.join(EXAMPLES, 'ticket-office-locked.ts');
    const stats: AnalysisStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
    const model = analyzeFiles([file], { rootDir: EXAMPLES, stats });
    assert.equal(model.notes, undefined, `no note about the checker: ${JSON.stringify(model.notes)}`);
    assert.equal(stats.budgetExhausted, 0);
    assert.ok(stats.deadlockStates > 10 && stats.deadlockStates < BUDGET / 100, `states explored: ${stats.deadlockStates}`);
    assert.deepEqual(model.findings.filter((f) => f.rule === 'deadlock'), []);
    const [m] = checkerModels([file]);
    assert.ok(m && m.full.instances.length === 11, 'main and ten buyers');
    const reduced = m.modes.get('all')!.explorer.explore({ maxStates: BUDGET });
    assert.equal(reduced.exhausted, false);
    assert.equal(reduced.states, stats.deadlockStates);
    const full = m.full.explorer.explore({ maxStates: 4 * BUDGET });
    assert.equal(full.exhausted, false);
    assert.ok(full.states > 50 * reduced.states, `${full.states} states in full, ${reduced.states} reduced`);
  });

  it('four workers looping over one lock: the full search runs out of budget, the reduced one takes a few states', () => {
    // Each worker takes the lock 25 times around reads and writes of a Value (nothing the checker
    // models): every order in which the workers take it is a state of the full search.
    const [m] = checkerModels([UNSYNCHRONIZED]);
    assert.ok(m);
    assert.equal(m.full.explorer.explore({ maxStates: 4 * BUDGET }).exhausted, 'states');
    const reduced = m.modes.get('all')!.explorer.explore({ maxStates: BUDGET });
    assert.equal(reduced.exhausted, false);
    assert.ok(reduced.states < 500, `states: ${reduced.states}`);
    assert.deepEqual(reduced.deadlocks, []);
    // Without the atomic sections, symmetry and partial order together do not finish either.
    assert.equal(modelOf(UNSYNCHRONIZED, { sections: false }).explorer.explore({ maxStates: BUDGET }).exhausted, 'states');
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
    const sym = m.modes.get('all')!.explorer.explore({ maxStates: BUDGET });
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
    const dl = v.modes.get('all')!.explorer.explore({ maxStates: BUDGET }).deadlocks;
    assert.equal(dl.length, 1);
    const workers = new Set(dl[0]!.trace.filter((s) => v.full.instances[s.instance]!.proc.kind !== 'main').map((s) => s.instance));
    assert.equal(workers.size, 2, 'two different workers take the lock in the trace');
    assert.ok(v.full.explorer.replays(dl[0]!));
  });

  it('agrees with the full search on every fixture, example and variant, each reduction alone and all together', () => {
    const overlay = new Map(Object.entries(VARIANTS).map(([name, text]) => [path.join(DEADLOCK_DIR, `.symmetry-${name}.ts`), text]));
    const files = [...sourcesUnder(path.join(ROOT, 'test/fixtures/rules')), ...sourcesUnder(EXAMPLES), ...overlay.keys()];
    // The full search is exhaustive: programs of a few processes (the 32-process fixtures are
    // checked at scale elsewhere).
    const models = checkerModels(files, overlay).filter((m) => m.full.instances.length <= 16);
    // The searches ask whether an instance can move without building its moves: checked here
    // against the moves in every state visited.
    verifyEnabledChecks(true);
    let compared = 0;
    let withDeadlocks = 0;
    let replicatedCompared = 0;
    const variantsCompared = new Set<string>();
    for (const { name, modes, full: f } of models) {
      const full = f.explorer.explore({ maxStates: 4 * BUDGET, maxDeadlocks: 1000 });
      for (const [mode, m] of modes) {
        const reduced = m.explorer.explore({ maxStates: 4 * BUDGET, maxDeadlocks: 1000 });
        if (reduced.exhausted) {
          assert.equal(full.exhausted, 'states', `${name} (${mode}): the full search runs out of budget too`);
          continue;
        }
        assert.ok(reduced.states <= full.states || full.exhausted, `${name} (${mode}): ${reduced.states} states reduced, ${full.states} in full`);
        if (full.exhausted) continue;
        const fullShapes = shapes(full.deadlocks, f.instances);
        const reducedShapes = shapes(reduced.deadlocks, m.instances);
        assert.deepEqual([...reducedShapes.keys()].sort(), [...fullShapes.keys()].sort(), `${name} (${mode}): the same deadlocks`);
        for (const [k, len] of reducedShapes) assert.equal(len, fullShapes.get(k), `${name} (${mode}): trace of ${k} as short as in the full search`);
        for (const d of reduced.deadlocks) assert.ok(f.explorer.replays(d), `${name} (${mode}): the trace of ${shape(d, m.instances)} is a real run`);
        if (mode !== 'all') continue;
        compared++;
        if (replicated(m)) replicatedCompared++;
        if (reduced.deadlocks.length > 0) withDeadlocks++;
        if (name.includes('.symmetry-')) variantsCompared.add(name);
      }
    }
    assert.ok(models.length >= 40, `programs: ${models.length}`);
    assert.ok(compared >= 30 && replicatedCompared >= 8 && withDeadlocks >= 8, `compared ${compared} (${replicatedCompared} with replicated processes), with deadlocks ${withDeadlocks}`);
    verifyEnabledChecks(false);
    assert.equal(variantsCompared.size, Object.keys(VARIANTS).length, `every variant compared: ${[...variantsCompared].join(', ')}`);
    console.log(`compared ${compared} of ${models.length} programs (${replicatedCompared} with replicated processes), ${withDeadlocks} with deadlocks`);
  });
});
