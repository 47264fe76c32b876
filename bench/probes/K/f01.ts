// Three tellers each add 25 deposits of 1 to a shared balance; main prints the final balance.
import { Barrier, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

const TELLERS = 3;
const DEPOSITS = 25;
const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function teller(balance: SynchronizedValue<'i'>, gate: Barrier) {
  await gate.wait();
  for (let n = 0; n < DEPOSITS; n++) {
    await balance.getLock().withLock(async () => {
      const seen = await balance.get();
      await tick(1);
      await balance.set(seen + 1);
    });
  }
}

if (isMainProcess()) {
  const balance = Value('i', 0);
  const gate = new Barrier(TELLERS);
  const tellers = Array.from({ length: TELLERS }, () => new Process({ target: teller, args: [balance, gate] }));
  for (const t of tellers) t.start();
  for (const t of tellers) await t.join();
  console.log(`balance=${await balance.get()} expected=${TELLERS * DEPOSITS}`);
}
