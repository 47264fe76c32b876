// Pickers remove widgets from a stock count kept in a manager dict; main prints what is left.
import { Barrier, Manager, Process, isMainProcess, type DictProxy, type LockProxy } from '@process-topology/multiprocessing';

const OPENING = 100;

export async function picker(stock: DictProxy<string, number>, guard: LockProxy, start: Barrier, count: number) {
  await start.wait();
  for (let i = 0; i < count; i++) {
    await guard.withLock(async () => {
      const left = (await stock.get('widgets')) ?? 0;
      await new Promise((r) => setTimeout(r, 1));
      await stock.set('widgets', left - 1);
    });
  }
}

if (isMainProcess()) {
  await using m = await Manager.start();
  const stock = await m.dict<string, number>({ widgets: OPENING });
  const orders = [12, 15, 9];
  const start = new Barrier(orders.length);
  const pickers: Process[] = [];
  for (const count of orders) {
    const guard = await m.Lock();
    pickers.push(new Process({ target: picker, args: [stock, guard, start, count] }));
  }
  pickers.forEach((p) => p.start());
  for (const p of pickers) await p.join();
  const picked = orders.reduce((a, b) => a + b, 0);
  console.log(`left=${await stock.get('widgets')} expected=${OPENING - picked}`);
}
