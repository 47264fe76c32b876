// A publisher fills a snapshot and announces it on a condition; a reader then waits for the announcement.
import { Condition, Process, SharedArray, isMainProcess, type SynchronizedArray } from '@process-topology/multiprocessing';

type Snap = SynchronizedArray<'i'>;

export async function publisher(cond: Condition, snap: Snap) {
  await cond.acquire();
  try {
    for (let i = 0; i < snap.length; i++) await snap.set(i, (i + 1) * 11);
    await cond.notifyAll();
  } finally {
    await cond.release();
  }
}

export async function reader(cond: Condition, snap: Snap) {
  await cond.acquire();
  try {
    await cond.wait();
    const values = await snap.toArray();
    console.log('snapshot sum', values.reduce((a, b) => a + b, 0));
  } finally {
    await cond.release();
  }
}

if (isMainProcess()) {
  const cond = new Condition();
  const snap = SharedArray('i', 5);
  for (const phase of ['publish', 'read'] as const) {
    let proc: Process;
    switch (phase) {
      case 'publish':
        proc = new Process({ target: publisher, args: [cond, snap] });
        break;
      case 'read':
        proc = new Process({ target: reader, args: [cond, snap] });
        break;
    }
    proc.start();
    await proc.join();
  }
}
