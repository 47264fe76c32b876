// (d) Pool(2).map of x*x over 100,000 items, default chunksize. Twin of d_pool_map.py.
import { isMainProcess } from '@process-topology/multiprocessing';
import { planned, report, seconds, unavailable } from './common.js';

export function square(x: number): number {
  return x * x;
}

if (isMainProcess() && !unavailable('Pool')) {
  const n = Number(process.argv[2] ?? 100_000);
  const items = Array.from({ length: n }, (_, i) => i);
  const t0 = performance.now();
  const pool = new planned.Pool!(2);
  const tPool = performance.now();
  const result = await pool.map(square, items);
  const tMap = performance.now();
  pool.close();
  await pool.join();
  const tEnd = performance.now();
  let sum = 0;
  let expected = 0;
  for (let i = 0; i < n; i++) {
    sum += result[i]!;
    expected += i * i;
  }
  report({
    elapsed: seconds(t0, tEnd),
    check: result.length === n && sum === expected,
    phases: { pool_start: seconds(t0, tPool), map: seconds(tPool, tMap), close_join: seconds(tMap, tEnd) },
  });
}
