// Round-based aggregation: workers and the main process meet at a barrier each round; partial sums go into a manager dict.
import { Barrier, Manager, Process, isMainProcess, type DictProxy } from '@process-topology/multiprocessing';

const WORKERS = 3;
const ROUNDS = 3;
const DATA = Array.from({ length: 8 }, (_, i) => i + 1);

export async function worker(id: number, sums: DictProxy<string, number>, round: Barrier) {
  const mine = DATA.filter((_, i) => i % WORKERS === id);
  for (let r = 0; r < ROUNDS; r++) {
    const partial = mine.reduce((acc, x) => acc + x * (r + 1), 0);
    await sums.set(`${r}:${id}`, partial);
    await round.wait();
  }
}

if (isMainProcess()) {
  await using m = await Manager.start();
  const sums = await m.dict<string, number>();
  const round = new Barrier(WORKERS + 1);
  const procs = Array.from({ length: WORKERS }, (_, id) => new Process({ target: worker, args: [id, sums, round] }));
  procs.forEach((p) => p.start());
  for (let r = 0; r < ROUNDS; r++) {
    await round.wait();
    let total = 0;
    for (let id = 0; id < WORKERS; id++) total += (await sums.get(`${r}:${id}`)) ?? 0;
    console.log(`round ${r}: total ${total}`);
  }
  await Promise.all(procs.map((p) => p.join()));
}
