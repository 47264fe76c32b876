// Inventory reservation: worker processes reserve stock from a manager dict under a shared manager lock.
import { Manager, Process, isMainProcess, type DictProxy, type LockProxy, type QueueProxy } from '@process-topology/multiprocessing';

const ORDERS: Array<[string, number]> = [['bolts', 5], ['nuts', 50], ['bolts', 3]];

export async function reserve(item: string, qty: number, stock: DictProxy<string, number>, lock: LockProxy, log: QueueProxy<string>) {
  await lock.acquire();
  try {
    const have = (await stock.get(item)) ?? 0;
    if (have < qty) {
      await log.put(`${item}: only ${have}, wanted ${qty}`);
      return;
    }
    await stock.set(item, have - qty);
  } finally {
    await lock.release();
  }
  await log.put(`${item}: reserved ${qty}`);
}

if (isMainProcess()) {
  await using m = await Manager.start();
  const stock = await m.dict<string, number>({ bolts: 20, nuts: 10 });
  const lock = await m.Lock();
  const log = await m.Queue<string>();
  const workers = ORDERS.map(([item, qty]) => new Process({ target: reserve, args: [item, qty, stock, lock, log] }));
  workers.forEach((w) => w.start());
  for (const _ of ORDERS) console.log(await log.get());
  for (const w of workers) await w.join();
  const left = await lock.withLock(() => stock.toObject());
  console.log('left in stock', left);
}
