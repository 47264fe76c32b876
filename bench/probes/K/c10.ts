// A lock is handed from main to a child that releases it; the child also nests a recursive lock.
import { BoundedSemaphore, Lock, Process, RLock, isMainProcess } from '@process-topology/multiprocessing';

async function depth(r: RLock, n: number): Promise<number> {
  if (n === 0) return 0;
  await r.acquire();
  try {
    return 1 + (await depth(r, n - 1));
  } finally {
    await r.release();
  }
}

export async function finisher(baton: Lock, nested: RLock, slots: BoundedSemaphore) {
  await slots.acquire();
  try {
    console.log('nested depth', await depth(nested, 4));
  } finally {
    await slots.release();
  }
  await baton.release();
}

if (isMainProcess()) {
  const baton = new Lock();
  const nested = new RLock();
  const slots = new BoundedSemaphore(1);
  await baton.acquire();
  const child = new Process({ target: finisher, args: [baton, nested, slots] });
  child.start();
  await baton.acquire();
  console.log('baton back in main');
  await baton.release();
  await child.join();
  console.log('slots free', await slots.getValue());
}
