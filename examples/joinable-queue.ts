// Producers and consumers with a JoinableQueue (seed 002), no sentinels needed. Each consumer
// marks every item done with taskDone(); each producer, after putting its items, waits in
// q.join() until every item put so far is done. The consumers are daemons: once main has joined
// the producers (so every item was processed), main ends, and its daemon consumers, still blocked
// in get(), are terminated with it. Run: npx tsx examples/joinable-queue.ts
import { JoinableQueue, Process, isMainProcess } from '@process-topology/multiprocessing';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function consumer(q: JoinableQueue<string>) {
  for (;;) {
    const item = await q.get();
    await pause(10 + Math.random() * 40); // eating takes a while
    console.log(`${process.pid} ate ${item}`);
    await q.taskDone();
  }
}

export async function producer(name: string, q: JoinableQueue<string>) {
  for (let i = 0; i < 10; i++) {
    await pause(Math.random() * 30); // cooking takes a while
    await q.put(`${name}${i}`);
    console.log(`${process.pid} made ${name}${i}`);
  }
  await q.join(); // returns once the consumers have eaten everything put so far
}

if (isMainProcess()) {
  const q = new JoinableQueue<string>();
  const producers = ['bun', 'bone', 'slop'].map((name) => new Process({ target: producer, args: [name, q] }));
  const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q], daemon: true }));
  for (const p of [...producers, ...consumers]) p.start();
  for (const p of producers) await p.join();
  console.log('main: every item was eaten; the daemon consumers end with main');
}
