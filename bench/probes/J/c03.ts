// Bank transfers: two tellers move money in opposite directions between two accounts, locking both accounts per transfer.
import { Barrier, Lock, Process, SharedArray, isMainProcess, type RawSharedArray } from '@process-topology/multiprocessing';

type Account = { id: number; lock: Lock };
type Balances = RawSharedArray<'i'>;

async function withBoth<R>(a: Account, b: Account, fn: () => Promise<R>): Promise<R> {
  const [first, second] = a.id < b.id ? [a, b] : [b, a];
  return first.lock.withLock(() => second.lock.withLock(fn));
}

export async function teller(from: Account, to: Account, balances: Balances, start: Barrier, times: number) {
  await start.wait();
  for (let i = 0; i < times; i++) {
    await withBoth(from, to, async () => {
      await balances.set(from.id, (await balances.get(from.id)) - 10);
      await balances.set(to.id, (await balances.get(to.id)) + 10);
    });
  }
}

if (isMainProcess()) {
  const accounts: Account[] = [0, 1].map((id) => ({ id, lock: new Lock() }));
  const balances = SharedArray('i', [100, 100], { lock: false });
  const start = new Barrier(2);
  const [a, b] = accounts;
  const tellers = [
    new Process({ target: teller, args: [a, b, balances, start, 5] }),
    new Process({ target: teller, args: [b, a, balances, start, 3] }),
  ];
  tellers.forEach((t) => t.start());
  await Promise.all(tellers.map((t) => t.join()));
  console.log('balances', await balances.toArray());
}
