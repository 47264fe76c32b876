// Batch hasher: the main process submits all jobs to a worker over a bounded queue, then collects the digests.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const JOBS = 8;
const DEPTH = 2;

export async function hasher(jobs: Queue<string | null>, digests: Queue<number>) {
  for (let s = await jobs.get(); s !== null; s = await jobs.get()) {
    let h = 0;
    for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    await digests.put(h);
  }
}

if (isMainProcess()) {
  const jobs = new Queue<string | null>(DEPTH);
  const digests = new Queue<number>(DEPTH);
  const worker = new Process({ target: hasher, args: [jobs, digests] });
  worker.start();
  for (let i = 0; i < JOBS; i++) await jobs.put(`file-${i}.bin`);
  await jobs.put(null);
  const out: number[] = [];
  for (let i = 0; i < JOBS; i++) out.push(await digests.get());
  await worker.join();
  console.log(out.map((h) => h.toString(16)).join(' '));
}
