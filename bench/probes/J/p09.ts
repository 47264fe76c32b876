// Thumbnail sizes: a helper submits resize jobs to a pool and hands back the pending results.
import { Pool, isMainProcess, type AsyncResult } from '@process-topology/multiprocessing';

export async function resize(w: number, h: number): Promise<string> {
  await new Promise((r) => setTimeout(r, 100));
  return `${Math.round(w / 4)}x${Math.round(h / 4)}`;
}

async function submitAll(sizes: Array<[number, number]>): Promise<AsyncResult<string>[]> {
  const pool = new Pool(2);
  try {
    return sizes.map((s) => pool.applyAsync(resize, s));
  } finally {
    await pool.terminate();
  }
}

if (isMainProcess()) {
  const jobs = await submitAll([
    [640, 480],
    [1920, 1080],
    [800, 600],
  ]);
  for (const j of jobs) console.log(await j.get());
}
