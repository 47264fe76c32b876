// (a) 50,000 small items through a Queue, from one child to the parent. Twin of a_queue.py.
// Prints one JSON line: {"elapsed": s, "check": bool, "phases": {...}}. Timed from inside, after imports.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';
import { report, seconds } from './common.js';

export async function producer(q: Queue<number>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await q.put(i);
}

if (isMainProcess()) {
  const n = Number(process.argv[2] ?? 50_000);
  const t0 = performance.now();
  const q = new Queue<number>();
  const p = new Process({ target: producer, args: [q, n] });
  p.start();
  let total = await q.get();
  const tFirst = performance.now();
  for (let i = 1; i < n; i++) total += await q.get();
  await p.join();
  const tEnd = performance.now();
  report({
    elapsed: seconds(t0, tEnd),
    check: total === (n * (n - 1)) / 2 && p.exitcode === 0,
    phases: { first_item: seconds(t0, tFirst), transfer: seconds(tFirst, tEnd) },
  });
}
