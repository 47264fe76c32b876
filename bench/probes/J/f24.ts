// Thumbnail queue: consumers take image names from a joinable queue and stop at a null marker; main joins the queue.
import { JoinableQueue, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

const IMAGES = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png'];
const CONSUMERS = 2;

export async function consumer(q: JoinableQueue<string | null>, done: SynchronizedValue<'i'>) {
  for (;;) {
    const name = await q.get();
    if (name === null) {
      await q.taskDone();
      break;
    }
    await done.getLock().withLock(async () => done.set((await done.get()) + 1));
    await q.taskDone();
  }
}

if (isMainProcess()) {
  const q = new JoinableQueue<string | null>();
  const done = Value('i', 0);
  const procs = Array.from({ length: CONSUMERS }, () => new Process({ target: consumer, args: [q, done] }));
  procs.forEach((p) => p.start());
  for (const img of IMAGES) await q.put(img);
  for (const _ of procs) await q.put(null);
  await q.join();
  await Promise.all(procs.map((p) => p.join()));
  console.log('thumbnails made:', await done.get());
}
