// Workers replay journal entries against shared counters under one lock; main prints the counters.
import { Lock, Process, SharedArray, isMainProcess, type SynchronizedArray } from '@process-topology/multiprocessing';

type Entry = { op: 'inc' | 'reset' | 'end'; at: number };
type Cells = SynchronizedArray<'i'>;

export async function replay(lock: Lock, cells: Cells, journal: Entry[]) {
  for (const entry of journal) {
    await lock.acquire();
    switch (entry.op) {
      case 'inc':
        await cells.set(entry.at, (await cells.get(entry.at)) + 1);
        break;
      case 'reset':
        await cells.set(entry.at, 0);
        break;
      case 'end':
        return;
    }
    await lock.release();
  }
}

if (isMainProcess()) {
  const lock = new Lock();
  const cells = SharedArray('i', 3);
  const journals: Entry[][] = [
    [{ op: 'inc', at: 0 }, { op: 'inc', at: 1 }, { op: 'end', at: 0 }, { op: 'inc', at: 2 }],
    [{ op: 'inc', at: 2 }, { op: 'reset', at: 2 }, { op: 'inc', at: 0 }],
  ];
  const workers = journals.map((j) => new Process({ target: replay, args: [lock, cells, j] }));
  workers.forEach((w) => w.start());
  for (const w of workers) await w.join();
  const snapshot = await lock.withLock(() => cells.toArray());
  console.log('counters', snapshot.join(' '));
}
