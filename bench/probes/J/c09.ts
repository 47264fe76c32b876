// Pool jobs: async results and an unordered map are collected inside the pool block; a failing job is handled.
import { Pool, isMainProcess } from '@process-topology/multiprocessing';

export function factorial(n: number): number {
  if (n < 0) throw new RangeError(`negative input ${n}`);
  return n <= 1 ? 1 : n * factorial(n - 1);
}

export async function slowSquare(x: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 50));
  return x * x;
}

if (isMainProcess()) {
  const inputs = [5, -1, 7];
  const failures: string[] = [];
  {
    await using pool = new Pool(2);
    const pending = inputs.map((n) =>
      pool.applyAsync(factorial, [n], { errorCallback: (e: Error) => void failures.push(e.message) }),
    );
    for (const [i, r] of pending.entries()) {
      try {
        console.log(`${inputs[i]}! =`, await r.get());
      } catch (e) {
        console.log(`${inputs[i]}! failed:`, (e as Error).message);
      }
    }
    const squares: number[] = [];
    for await (const s of pool.imapUnordered(slowSquare, [1, 2, 3, 4])) squares.push(s);
    console.log('squares', squares.sort((a, b) => a - b));
  }
  console.log('failures seen by callback:', failures.length);
}
