// @ts-nocheck: this copy ships inside the extension, without the shim installed next to it.
// BROKEN ON PURPOSE: three workers take numbers from a queue until a `null` sentinel, but main puts
// only one. Two workers wait in get() forever, and main's join() never returns. Hover the squiggle.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function worker(jobs: Queue<number | null>) {
  for (;;) {
    const n = await jobs.get();
    if (n === null) break;               // the sentinel: no more jobs
    console.log(`${process.pid}: ${n} squared is ${n * n}`);
  }
}

if (isMainProcess()) {
  const jobs = new Queue<number | null>();
  const workers = [1, 2, 3].map(() => new Process({ target: worker, args: [jobs] }));
  for (const w of workers) w.start();
  for (let n = 1; n <= 10; n++) await jobs.put(n);
  await jobs.put(null);                  // one sentinel, three workers
  for (const w of workers) await w.join();
}
