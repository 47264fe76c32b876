// apply vs applyAsync on a pool of 3 worker processes (seed 004). apply waits for each task before
// submitting the next, so the tasks run one after another; applyAsync submits them all at once and
// the three workers run them in parallel. Each task prints which worker ran it.
// Run: npx tsx examples/pool-apply.ts
import { Pool, isMainProcess, type AsyncResult } from '@process-topology/multiprocessing';

export async function work(n: number): Promise<number> {
  console.log(`${process.pid} run ${n}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return n ** 2;
}

if (isMainProcess()) {
  const pool = new Pool(3);
  await pool.map(work, [-1, -2, -3], 1); // let the three workers start before timing anything

  let t0 = performance.now();
  const serial: number[] = [];
  for (let i = 0; i < 6; i++) serial.push(await pool.apply(work, [i])); // waits for each result
  console.log(`apply: ${JSON.stringify(serial)} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

  t0 = performance.now();
  const pending: AsyncResult<number>[] = [];
  for (let i = 0; i < 6; i++) pending.push(pool.applyAsync(work, [i])); // returns at once
  pool.close();
  await pool.join(); // every task is done once join() resolves
  const parallel = await Promise.all(pending.map((r) => r.get()));
  console.log(`applyAsync: ${JSON.stringify(parallel)} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
