// A dispatcher hands work items, then one stop marker per worker, to two workers over a queue.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function worker(inbox: Queue<string | null>, counts: Queue<number>) {
  let handled = 0;
  for (let item = await inbox.get(); item !== null; item = await inbox.get()) handled++;
  await counts.put(handled);
}

class Dispatcher {
  constructor(private readonly q: Queue<string | null>) {}

  async send(items: string[]): Promise<void> {
    for (const item of items) await this.q.put(item);
  }

  async stop(workers: number): Promise<void> {
    try {
      for (let i = 0; i < workers; i++) await this.q.put(null);
    } finally {
      this.q.close();
    }
  }
}

if (isMainProcess()) {
  const inbox = new Queue<string | null>();
  const counts = new Queue<number>();
  const workers = [0, 1].map(() => new Process({ target: worker, args: [inbox, counts] }));
  workers.forEach((w) => w.start());
  const d = new Dispatcher(inbox);
  await d.send(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  await d.stop(workers.length);
  let total = 0;
  for (const _ of workers) total += await counts.get();
  for (const w of workers) await w.join();
  console.log('handled', total);
}
