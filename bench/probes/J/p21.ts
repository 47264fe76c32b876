// Generation swap: two workers each update their half of a shared array under a lock and meet at a barrier per generation.
import { Barrier, Lock, Process, SharedArray, isMainProcess, type RawSharedArray } from '@process-topology/multiprocessing';

const CELLS = 4;
const GENERATIONS = 2;
type Grid = RawSharedArray<'i'>;

export async function updater(half: number, grid: Grid, gridLock: Lock, generation: Barrier) {
  const lo = half * (CELLS / 2);
  for (let g = 0; g < GENERATIONS; g++) {
    await gridLock.withLock(async () => {
      for (let c = lo; c < lo + CELLS / 2; c++) await grid.set(c, (await grid.get(c)) + c + g);
      await generation.wait();
    });
  }
}

if (isMainProcess()) {
  const grid = SharedArray('i', CELLS, { lock: false });
  const gridLock = new Lock();
  const generation = new Barrier(2);
  const workers = [0, 1].map((half) => new Process({ target: updater, args: [half, grid, gridLock, generation] }));
  for (const w of workers) w.start();
  for (const w of workers) await w.join();
  console.log('grid', await grid.toArray());
}
