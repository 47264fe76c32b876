// Checksums of a few blobs are computed by a pool; each result is collected by a callback.
import { createHash } from 'node:crypto';
import { Pool, isMainProcess } from '@process-topology/multiprocessing';

export async function checksum(blob: string): Promise<string> {
  await new Promise((r) => setTimeout(r, 50));
  return createHash('sha256').update(blob).digest('hex').slice(0, 12);
}

if (isMainProcess()) {
  const blobs = ['alpha', 'beta', 'gamma', 'delta'];
  const sums = new Map<string, string>();
  const pool = new Pool(2);
  for (const blob of blobs) {
    pool.applyAsync(checksum, [blob], { callback: (sum) => sums.set(blob, sum) });
  }
  pool.close();
  await pool.join();
  console.log(`checksums ${sums.size}/${blobs.length}`);
  for (const [blob, sum] of [...sums].sort()) console.log(blob, sum);
}
