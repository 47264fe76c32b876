// Workers and main meet at a barrier after each of two rounds; the barrier action logs each round.
import { Barrier, Process, SharedArray, isMainProcess, type SynchronizedArray } from '@process-topology/multiprocessing';

const WORKERS = 3;
const ROUNDS = 2;

export function roundDone() {
  console.log('round finished');
}

export async function worker(me: number, meet: Barrier, grid: SynchronizedArray<'i'>) {
  for (let round = 0; round < ROUNDS; round++) {
    await grid.set(me, (await grid.get(me)) + me + round);
    await meet.wait();
  }
}

if (isMainProcess()) {
  const meet = new Barrier(WORKERS + 1, roundDone);
  const grid = SharedArray('i', WORKERS);
  const procs = [...Array(WORKERS).keys()].map((me) => new Process({ target: worker, args: [me, meet, grid] }));
  procs.forEach((p) => p.start());
  for (let round = 0; round < ROUNDS; round++) await meet.wait();
  for (const p of procs) await p.join();
  console.log('grid', (await grid.toArray()).join(' '));
}
