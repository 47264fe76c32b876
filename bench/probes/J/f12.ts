// Ledger: a teller process applies deposits under a lock and audits the balance after each change.
import { Lock, Process, RLock, Value, isMainProcess, type RawSharedValue } from '@process-topology/multiprocessing';

class Ledger {
  constructor(
    private readonly lock: Lock | RLock,
    private readonly balance: RawSharedValue<'i'>,
  ) {}

  async audit(): Promise<number> {
    return this.lock.withLock(async () => {
      const b = await this.balance.get();
      if (b < 0) throw new Error(`balance went negative: ${b}`);
      return b;
    });
  }

  async deposit(amount: number): Promise<void> {
    await this.lock.withLock(async () => {
      await this.balance.set((await this.balance.get()) + amount);
      await this.audit();
    });
  }
}

export async function teller(lock: Lock | RLock, balance: RawSharedValue<'i'>, amounts: number[]) {
  const ledger = new Ledger(lock, balance);
  for (const a of amounts) await ledger.deposit(a);
}

if (isMainProcess()) {
  const lock = new RLock();
  const balance = Value('i', 0, { lock: false });
  const p = new Process({ target: teller, args: [lock, balance, [100, 250, 75]] });
  p.start();
  await p.join();
  console.log('final balance', await balance.get(), 'exit', p.exitcode);
}
