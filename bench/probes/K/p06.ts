// A pool of three workers records weighted page hits in a counter held by a manager.
import { Barrier, Manager, Pool, isMainProcess, type ValueProxy } from '@process-topology/multiprocessing';

type Counter = ValueProxy<number>;

export async function warmUp(all: Barrier) {
  await all.wait();
}

export async function hit(counter: Counter, weight: number) {
  const now = await counter.get();
  await new Promise((r) => setTimeout(r, 2));
  await counter.set(now + weight);
  return weight;
}

if (isMainProcess()) {
  const m = await Manager.start();
  const counter = await m.Value('i', 0);
  const all = new Barrier(3);
  const pool = new Pool({ processes: 3, initializer: warmUp, initargs: [all] });
  const weights = Array.from({ length: 30 }, (_, i) => (i % 5) + 1);
  const done = await pool.starmap(hit, weights.map((w) => [counter, w]), 1);
  pool.close();
  await pool.join();
  const expected = done.reduce((a, b) => a + b, 0);
  console.log(`hits=${await counter.get()} expected=${expected}`);
  await m.shutdown();
}
