// Lock-step batches: each worker handles one item per round and all workers meet at a barrier after every round.
import { Barrier, Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const ITEMS = Array.from({ length: 10 }, (_, i) => i + 1);
const WORKERS = 3;

function itemsFor(worker: number): number[] {
  return ITEMS.filter((_, i) => i % WORKERS === worker);
}

export async function stepper(id: number, roundDone: Barrier, out: Queue<[number, number]>) {
  for (const item of itemsFor(id)) {
    await out.put([id, item * item]);
    await roundDone.wait();
  }
}

if (isMainProcess()) {
  const roundDone = new Barrier(WORKERS);
  const out = new Queue<[number, number]>();
  const procs = Array.from({ length: WORKERS }, (_, id) => new Process({ target: stepper, args: [id, roundDone, out] }));
  procs.forEach((p) => p.start());
  let total = 0;
  for (let i = 0; i < ITEMS.length; i++) total += (await out.get())[1];
  for (const p of procs) await p.join();
  console.log('sum of squares', total);
}
