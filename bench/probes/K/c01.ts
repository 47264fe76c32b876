// Two maintenance tasks each need both the index lock and the cache lock, taken in their own order.
import { Event, Lock, Process, isMainProcess } from '@process-topology/multiprocessing';

type Locks = { index: Lock; cache: Lock };

async function both(first: Lock, second: Lock, label: string) {
  await first.acquire();
  try {
    await second.acquire();
    try {
      await new Promise((r) => setTimeout(r, 20));
      console.log(`${label} done`);
    } finally {
      await second.release();
    }
  } finally {
    await first.release();
  }
}

export async function rebuild(locks: Locks, finished: Event) {
  await both(locks.index, locks.cache, 'rebuild');
  await finished.set();
}

export async function evict(locks: Locks, after: Event) {
  await after.wait();
  await both(locks.cache, locks.index, 'evict');
}

if (isMainProcess()) {
  const locks: Locks = { index: new Lock(), cache: new Lock() };
  const handoff = new Event();
  const tasks = [
    new Process({ target: evict, args: [locks, handoff] }),
    new Process({ target: rebuild, args: [locks, handoff] }),
  ];
  tasks.forEach((t) => t.start());
  await Promise.all(tasks.map((t) => t.join()));
  console.log('maintenance finished');
}
