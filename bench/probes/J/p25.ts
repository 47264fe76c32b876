// Parallel summation: pool workers drain numbers from a shared queue that the main process feeds.
import { Pool, Queue, isMainProcess } from '@process-topology/multiprocessing';

const WORKERS = 2;
const NUMBERS = [3, 1, 4, 1, 5, 9, 2, 6];

export async function drain(q: Queue<number | null>): Promise<number> {
  let sum = 0;
  for (let x = await q.get(); x !== null; x = await q.get()) sum += x;
  return sum;
}

if (isMainProcess()) {
  const pool = new Pool(WORKERS);
  const q = new Queue<number | null>();
  const partials = await pool.map(drain, Array.from({ length: WORKERS }, () => q));
  for (const n of NUMBERS) await q.put(n);
  for (let i = 0; i < WORKERS; i++) await q.put(null);
  console.log('partials', partials, 'total', partials.reduce((a, b) => a + b, 0));
  pool.close();
  await pool.join();
}
