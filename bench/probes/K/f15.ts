// Thumbnails are rendered by a pool; main waits for the pool, shuts it and prints the sizes.
import { Pool, isMainProcess } from '@process-topology/multiprocessing';

export async function render(width: number): Promise<string> {
  await new Promise((r) => setTimeout(r, 20));
  const height = Math.round((width * 3) / 4);
  return `${width}x${height}`;
}

if (isMainProcess()) {
  const pool = new Pool(2);
  const widths = [64, 128, 256, 512];
  const pending = widths.map((w) => pool.applyAsync(render, [w]));
  pool.close();
  await pool.join();
  const sizes = await Promise.all(pending.map((r) => r.get()));
  console.log(sizes.join(' '));
}
