// Depositor processes (a Process subclass) add their amounts to one shared account balance.
import { Barrier, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

export class Depositor extends Process {
  account: SynchronizedValue<'d'>;
  amounts: number[];
  sync: Barrier;

  constructor(account: SynchronizedValue<'d'>, amounts: number[], sync: Barrier) {
    super();
    this.account = account;
    this.amounts = amounts;
    this.sync = sync;
  }

  override async run() {
    await this.sync.wait();
    for (const amount of this.amounts) {
      const current = await this.account.get();
      await new Promise((r) => setTimeout(r, 2));
      await this.account.set(current + amount);
    }
  }
}

if (isMainProcess()) {
  const account = Value('d', 0);
  const batches = [
    [5, 10, 20, 5, 5, 10, 50, 5],
    [1, 2, 3, 4, 5, 6, 7, 8],
    [100, 100, 25, 25, 10, 10, 1, 1],
  ];
  const sync = new Barrier(batches.length);
  const depositors = batches.map((b) => new Depositor(account, b, sync));
  for (const d of depositors) d.start();
  await Promise.all(depositors.map((d) => d.join()));
  const expected = batches.flat().reduce((a, b) => a + b, 0);
  console.log(`balance=${await account.get()} expected=${expected}`);
}
