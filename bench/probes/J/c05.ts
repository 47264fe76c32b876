// Polling consumer: main reads with a short timeout and stops once the producer has signalled completion and the queue is empty.
import { Empty, Event, Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const ITEMS = 7;
const POLL_SECONDS = 0.1;

export async function produce(q: Queue<number>, finished: Event) {
  for (let i = 0; i < ITEMS; i++) {
    await q.put(i * 3);
    if (i % 3 === 0) await new Promise((r) => setTimeout(r, 150));
  }
  await finished.set();
}

async function drainRest(q: Queue<number>, into: number[]): Promise<void> {
  for (;;) {
    try {
      into.push(await q.getNowait());
    } catch (e) {
      if (e instanceof Empty) return;
      throw e;
    }
  }
}

if (isMainProcess()) {
  const q = new Queue<number>();
  const finished = new Event();
  const producer = new Process({ target: produce, args: [q, finished] });
  producer.start();
  const got: number[] = [];
  for (;;) {
    if (await finished.isSet()) {
      await drainRest(q, got);
      break;
    }
    try {
      got.push(await q.get(true, POLL_SECONDS));
    } catch (e) {
      if (!(e instanceof Empty)) throw e;
    }
  }
  await producer.join();
  console.log(`received ${got.length}/${ITEMS}:`, got);
  if (got.length !== ITEMS) process.exitCode = 1;
}
