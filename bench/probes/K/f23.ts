// Two tellers move money between a checking and a savings balance, each guarded by its own lock.
import { Barrier, Lock, Process, SharedArray, isMainProcess, type SynchronizedArray } from '@process-topology/multiprocessing';

type Side = 'checking' | 'savings';
type Parts = { locks: Record<Side, Lock>; cash: SynchronizedArray<'i'>; open: Barrier };

class Accounts {
  readonly #locks: Record<Side, Lock>;
  readonly #cash: Parts['cash'];
  static readonly #slot: Record<Side, number> = { checking: 0, savings: 1 };

  constructor(parts: Parts) {
    this.#locks = parts.locks;
    this.#cash = parts.cash;
  }

  async move(from: Side, to: Side, amount: number) {
    const [first, second] = [from, to].sort().map((side) => this.#locks[side as Side]);
    await first.acquire();
    try {
      await new Promise((r) => setTimeout(r, 200));
      await second.acquire();
      try {
        const [a, b] = [Accounts.#slot[from], Accounts.#slot[to]];
        await this.#cash.set(a, (await this.#cash.get(a)) - amount);
        await this.#cash.set(b, (await this.#cash.get(b)) + amount);
      } finally {
        await second.release();
      }
    } finally {
      await first.release();
    }
  }
}

export async function teller(parts: Parts, from: Side, to: Side, amount: number) {
  const accounts = new Accounts(parts);
  await parts.open.wait();
  await accounts.move(from, to, amount);
}

if (isMainProcess()) {
  const parts: Parts = {
    locks: { checking: new Lock(), savings: new Lock() },
    cash: SharedArray('i', [500, 500]),
    open: new Barrier(2),
  };
  const a = new Process({ target: teller, args: [parts, 'checking', 'savings', 70] });
  const b = new Process({ target: teller, args: [parts, 'savings', 'checking', 30] });
  a.start();
  b.start();
  await a.join();
  await b.join();
  console.log('balances', (await parts.cash.toArray()).join(' '));
}
