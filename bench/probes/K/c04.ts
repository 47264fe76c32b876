// Workers process jobs from a joinable queue, skipping malformed ones; every job is acknowledged once.
import { JoinableQueue, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

type Job = { id: number; size?: number } | null;

export async function worker(q: JoinableQueue<Job>, bytes: SynchronizedValue<'i'>) {
  for (;;) {
    const job = await q.get();
    try {
      if (job === null) return;
      if (job.size === undefined) continue;
      const size = job.size;
      await bytes.getLock().withLock(async () => bytes.set((await bytes.get()) + size));
    } finally {
      await q.taskDone();
    }
  }
}

if (isMainProcess()) {
  const q = new JoinableQueue<Job>();
  const bytes = Value('i', 0);
  const workers = Array.from({ length: 3 }, () => new Process({ target: worker, args: [q, bytes] }));
  workers.forEach((w) => w.start());
  const jobs: Job[] = [{ id: 1, size: 10 }, { id: 2 }, { id: 3, size: 32 }, { id: 4, size: 5 }, { id: 5 }];
  for (const job of jobs) await q.put(job);
  await q.join();
  console.log('bytes after join', await bytes.get());
  for (const _ of workers) await q.put(null);
  await q.join();
  for (const w of workers) await w.join();
}
