// Programs of the shapes the deadlock checker must handle at scale, generated at any size: a
// pipeline of distinct stages (each its own function and queues), an array of identical workers
// fed from one queue, workers that ask main for a reply while holding a lock, and a Pool whose
// tasks use shared queues. Each comes correct or with one bug (`bug: true`), for tests and the
// benchmark. The texts import the shim, so they run as they are.
const SHIM = "import { Lock, Manager, Pool, Process, Queue, isMainProcess, type AsyncResult, type Event } from '@process-topology/multiprocessing';";

export interface ShapeOptions {
  /** Items sent through (pipeline, worker array). */
  items?: number;
  bug?: boolean;
}

/**
 * `stages` distinct stage functions, each reading its own queue and writing the next one; the
 * queues hold one item at most. Main puts every item, then reads the results. With `bug` the
 * result queue is bounded too: with more items than the pipeline holds (about 2 × stages), once
 * it is full every stage waits to put and main waits to put the next item.
 */
export function pipeline(stages: number, opts: ShapeOptions = {}): string {
  const items = opts.items ?? 3;
  const out = [SHIM, ''];
  for (let i = 0; i < stages; i++) {
    out.push(`export async function stage${i}(inbox: Queue<number | null>, outbox: Queue<number | null>) {
  for (;;) {
    const x = await inbox.get();
    if (x === null) break;
    await outbox.put(x + ${i});
  }
  await outbox.put(null);
}
`);
  }
  out.push('if (isMainProcess()) {');
  for (let i = 0; i < stages; i++) out.push(`  const q${i} = new Queue<number | null>(1);`);
  // The results: bounded in the buggy version, so that the last stage waits for main.
  out.push(`  const q${stages} = new Queue<number | null>(${opts.bug ? 1 : ''});`);
  for (let i = 0; i < stages; i++) out.push(`  const p${i} = new Process({ target: stage${i}, args: [q${i}, q${i + 1}] });`);
  for (let i = 0; i < stages; i++) out.push(`  p${i}.start();`);
  out.push(`  for (let n = 0; n < ${items}; n++) await q0.put(n);`, '  await q0.put(null);');
  out.push(`  for (;;) { const r = await q${stages}.get(); if (r === null) break; }`);
  for (let i = 0; i < stages; i++) out.push(`  await p${i}.join();`);
  out.push('}', '');
  return out.join('\n');
}

/**
 * The same pipeline written as a user would for many stages: one stage function given its index,
 * its queues in an array, the stages made and started in loops. The interpreter tells the stages
 * apart (each reads its own queues), so the checker sees the same distinct stages as `pipeline`.
 */
export function pipelineLoop(stages: number, opts: ShapeOptions = {}): string {
  const items = opts.items ?? 3;
  return `${SHIM}

export async function stage(k: number, inbox: Queue<number | null>, outbox: Queue<number | null>) {
  for (;;) {
    const x = await inbox.get();
    if (x === null) break;
    await outbox.put(x + k);
  }
  await outbox.put(null);
}

const STAGES = ${stages};

if (isMainProcess()) {
  const queues = Array.from({ length: STAGES }, () => new Queue<number | null>(1));
  queues.push(new Queue<number | null>(${opts.bug ? 1 : ''}));
  const stages: Process[] = [];
  for (let k = 0; k < STAGES; k++) stages.push(new Process({ target: stage, args: [k, queues[k], queues[k + 1]] }));
  for (const p of stages) p.start();
  for (let n = 0; n < ${items}; n++) await queues[0]!.put(n);
  await queues[0]!.put(null);
  for (;;) { const r = await queues[STAGES]!.get(); if (r === null) break; }
  for (const p of stages) await p.join();
}
`;
}

/**
 * `workers` identical workers started from one site, taking tasks from one queue until a null
 * sentinel and putting results; main puts the tasks and one sentinel per worker, reads the
 * results and joins. With `bug`, each worker also waits for an acknowledgement main never sends
 * to the last one.
 */
export function workerArray(workers: number, opts: ShapeOptions = {}): string {
  const items = opts.items ?? 4;
  return `${SHIM}

export async function worker(tasks: Queue<number | null>, results: Queue<number>, acks: Queue<number>) {
  for (;;) {
    const t = await tasks.get();
    if (t === null) break;
    await results.put(t * 2);
  }
  await acks.get();
}

if (isMainProcess()) {
  const tasks = new Queue<number | null>();
  const results = new Queue<number>();
  const acks = new Queue<number>();
  const ws: Process[] = [];
  for (let i = 0; i < ${workers}; i++) ws.push(new Process({ target: worker, args: [tasks, results, acks] }));
  for (const w of ws) w.start();
  for (let i = 0; i < ${items}; i++) await tasks.put(i);
  for (let i = 0; i < ${workers}; i++) await tasks.put(null);
  for (let i = 0; i < ${items}; i++) await results.get();
  for (let i = 0; i < ${opts.bug ? workers - 1 : workers}; i++) await acks.put(i);
  for (const w of ws) await w.join();
}
`;
}

/**
 * `workers` identical workers that each take a lock, ask main for a reply and wait for it before
 * releasing the lock. With `bug`, main takes the same lock to reply: the first worker holds it
 * while it waits for that reply.
 */
export function lockedRequests(workers: number, opts: ShapeOptions = {}): string {
  return `${SHIM}

export async function worker(lock: Lock, requests: Queue<number>, replies: Queue<number>) {
  await lock.acquire();
  await requests.put(1);
  await replies.get();
  await lock.release();
}

if (isMainProcess()) {
  const lock = new Lock();
  const requests = new Queue<number>();
  const replies = new Queue<number>();
  const ws = Array.from({ length: ${workers} }, () => new Process({ target: worker, args: [lock, requests, replies] }));
  for (const w of ws) w.start();
  for (let i = 0; i < ${workers}; i++) {
    await requests.get();
${opts.bug ? '    await lock.acquire();\n    await replies.put(i);\n    await lock.release();' : '    await replies.put(i);'}
  }
  for (const w of ws) await w.join();
}
`;
}

/**
 * A Pool of `workers` running `tasks` applyAsync tasks (default: as many), each putting its item
 * into a manager queue under a manager lock; main reads every item, then every result, then
 * closes and joins the pool. With `bug`, the tasks also wait for an event main sets only after
 * it has read their results.
 */
export function poolTasks(workers: number, opts: ShapeOptions & { tasks?: number } = {}): string {
  const tasks = opts.tasks ?? workers;
  return `${SHIM}

export async function task(q: Queue<number>, lock: Lock, go: Event, n: number): Promise<number> {
  await lock.acquire();
  await q.put(n);
  await lock.release();
${opts.bug ? '  await go.wait();\n' : ''}  return n * 2;
}

if (isMainProcess()) {
  const manager = new Manager();
  await manager.start();
  const q = await manager.Queue<number>();
  const lock = await manager.Lock();
  const go = await manager.Event();
  const pool = new Pool(${workers});
  const results: AsyncResult<number>[] = [];
  for (let i = 0; i < ${tasks}; i++) results.push(pool.applyAsync(task, [q, lock, go, i]));
  for (let i = 0; i < ${tasks}; i++) await q.get();
  for (const r of results) await r.get();
  await go.set();
  pool.close();
  await pool.join();
  await manager.shutdown();
}
`;
}

/**
 * A program in `count` phases run one after another: each its own functions, lock and bounded
 * queue, three producers putting ten items each under the lock and two consumers taking them until
 * a null sentinel, all joined before the next phase starts. Each phase alone is about 2,500 states
 * of the checker; 12 of them add up past the default budget. With `bug` the last phase joins its
 * consumers before it puts their sentinels: they wait in get, main waits in join.
 */
export function phases(count: number, opts: ShapeOptions = {}): string {
  const blocks: string[] = [];
  for (let k = 0; k < count; k++) {
    const late = opts.bug && k === count - 1;
    blocks.push(`
export async function producer${k}(q: Queue<number | null>, lock: Lock, base: number) {
  for (let i = 0; i < 10; i++) await lock.withLock(async () => { await q.put(base + i); });
}

export async function consumer${k}(q: Queue<number | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}

async function phase${k}() {
  const q = new Queue<number | null>(${(k % 5) + 1});
  const lock = new Lock();
  const producers = [1, 2, 3].map((n) => new Process({ target: producer${k}, args: [q, lock, n * 100] }));
  const consumers = [0, 1].map(() => new Process({ target: consumer${k}, args: [q] }));
  for (const p of [...producers, ...consumers]) p.start();
  for (const p of producers) await p.join();
${late ? '  for (const c of consumers) await c.join();\n  for (const _ of consumers) await q.put(null);' : '  for (const _ of consumers) await q.put(null);\n  for (const c of consumers) await c.join();'}
}
`);
  }
  return `${SHIM}
${blocks.join('')}
if (isMainProcess()) {
${Array.from({ length: count }, (_, k) => `  await phase${k}();`).join('\n')}
}
`;
}
