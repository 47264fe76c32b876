// Order validation: daemon workers validate orders from a joinable queue; main waits until every order is processed.
import { JoinableQueue, Process, isMainProcess } from '@process-topology/multiprocessing';

type Order = { id: number; qty: number };

const ORDERS: Order[] = [
  { id: 1, qty: 2 },
  { id: 2, qty: -1 },
  { id: 3, qty: 5 },
];

function validate(o: Order): number {
  if (o.qty <= 0) throw new RangeError(`order ${o.id}: bad quantity ${o.qty}`);
  return o.qty * 10;
}

export async function validator(tasks: JoinableQueue<Order>) {
  for (;;) {
    const order = await tasks.get();
    try {
      const total = validate(order);
      console.log(`order ${order.id} ok: ${total}`);
      await tasks.taskDone();
    } catch (err) {
      console.error(`rejected: ${(err as Error).message}`);
    }
  }
}

if (isMainProcess()) {
  const tasks = new JoinableQueue<Order>();
  for (let i = 0; i < 2; i++) {
    new Process({ target: validator, args: [tasks], daemon: true }).start();
  }
  for (const o of ORDERS) await tasks.put(o);
  await tasks.join();
  console.log('all orders processed');
}
