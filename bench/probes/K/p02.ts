// Workers sort numbers into four buckets of a shared histogram; main prints the bucket totals.
import { Event, Process, Queue, SharedArray, isMainProcess, type SynchronizedArray } from '@process-topology/multiprocessing';

type Cells = SynchronizedArray<'i'>;

class Tally {
  constructor(private readonly cells: Cells) {}

  async bump(slot: number): Promise<void> {
    const before = await this.cells.get(slot);
    await new Promise((r) => setTimeout(r, 1));
    await this.cells.set(slot, before + 1);
  }
}

export async function classify(cells: Cells, ready: Queue<number>, go: Event, values: number[]) {
  const tally = new Tally(cells);
  await ready.put(process.pid);
  await go.wait();
  for (const v of values) await tally.bump(v % 4);
}

if (isMainProcess()) {
  const cells = SharedArray('i', 4);
  const ready = new Queue<number>();
  const go = new Event();
  const data = Array.from({ length: 90 }, (_, i) => i * 7);
  const parts = [data.slice(0, 30), data.slice(30, 60), data.slice(60)];
  const workers = parts.map((part) => new Process({ target: classify, args: [cells, ready, go, part] }));
  workers.forEach((w) => w.start());
  for (let i = 0; i < workers.length; i++) await ready.get();
  await go.set();
  for (const w of workers) await w.join();
  const totals = await cells.toArray();
  console.log('buckets', totals.join(','), 'sum', totals.reduce((a, b) => a + b, 0), 'of', data.length);
}
