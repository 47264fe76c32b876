// BROKEN ON PURPOSE: the twin of producer-consumer.ts without the sentinels. The consumers wait in
// `get()` forever once the producers are done, so main's `join()` of the consumers never returns.
// Process Topology reports it as `missing-sentinel`; run, the shim reports the deadlock (exit 3):
//   npx tsx examples/producer-consumer-no-sentinel.ts     (PT_MP_DEADLOCK=hang: it hangs, as in Python)
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function consumer(q: Queue<string | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;            // the sentinel never comes
    console.log(`${process.pid} ate ${item}`);
  }
}

export async function producer(name: string, q: Queue<string | null>) {
  for (let i = 0; i < 10; i++) await q.put(`${name}${i}`);
}

if (isMainProcess()) {
  const q = new Queue<string | null>();
  const producers = ['bun', 'bone', 'slop'].map((n) => new Process({ target: producer, args: [n, q] }));
  const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));
  for (const p of [...producers, ...consumers]) p.start();
  for (const p of producers) await p.join();
  for (const c of consumers) await c.join();
}
