// Two small pipelines run their stages through one pool; each stage maps over the previous results.
import { Pool, isMainProcess } from '@process-topology/multiprocessing';

export const square = (x: number) => x * x;
export const half = (x: number) => x / 2;
export const negate = (x: number) => -x;

type Stage = (x: number) => number;

async function runPipeline(pool: Pool, input: number[], stages: Stage[]): Promise<number[]> {
  let data = input;
  try {
    for (const stage of stages) data = await pool.map(stage, data);
  } finally {
    pool.close();
  }
  return data;
}

if (isMainProcess()) {
  const pool = new Pool(2);
  const first = await runPipeline(pool, [1, 2, 3, 4], [square, half]);
  const second = await runPipeline(pool, first, [negate]);
  await pool.join();
  console.log('first', first.join(' '), 'second', second.join(' '));
}
