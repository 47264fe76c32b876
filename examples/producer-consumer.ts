// Producers and consumers sharing one queue (seed 002). Three producers put ten items each; two
// consumers take items until they receive `null`, the sentinel main puts once per consumer after
// the producers are done. Run: npx tsx examples/producer-consumer.ts
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function consumer(q: Queue<string | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;            // the sentinel ends the loop
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
  for (const _ of consumers) await q.put(null);   // one sentinel per consumer
  for (const c of consumers) await c.join();
}
