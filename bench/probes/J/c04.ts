// Model warm-up: a child flags the model as loaded under a condition; main checks the flag in a loop before waiting.
import { Condition, Process, Queue, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

export async function warmUp(loaded: SynchronizedValue<'b'>, cond: Condition, info: Queue<string>) {
  await cond.acquire();
  try {
    await loaded.set(1);
    await cond.notifyAll();
  } finally {
    await cond.release();
  }
  await info.put(`warmed up in pid ${process.pid}`);
}

async function untilLoaded(cond: Condition, loaded: SynchronizedValue<'b'>): Promise<void> {
  await cond.acquire();
  try {
    while ((await loaded.get()) !== 1) await cond.wait();
  } finally {
    await cond.release();
  }
}

if (isMainProcess()) {
  const loaded = Value('b', 0);
  const cond = new Condition();
  const info = new Queue<string>();
  const p = new Process({ target: warmUp, args: [loaded, cond, info] });
  p.start();
  console.log(await info.get());
  await untilLoaded(cond, loaded);
  console.log('model ready');
  await p.join();
}
