// Name registry: two processes register names through helpers that re-enter the same recursive lock.
import { Process, RLock, Value, isMainProcess, type DictProxy, Manager, type SynchronizedValue } from '@process-topology/multiprocessing';

class Registry {
  constructor(
    private readonly lock: RLock,
    private readonly names: DictProxy<string, number>,
    private readonly count: SynchronizedValue<'i'>,
  ) {}

  has(name: string): Promise<boolean> {
    return this.lock.withLock(() => this.names.has(name));
  }

  async register(name: string, owner: number): Promise<boolean> {
    return this.lock.withLock(async () => {
      if (await this.has(name)) return false;
      await this.names.set(name, owner);
      await this.count.getLock().withLock(async () => this.count.set((await this.count.get()) + 1));
      return true;
    });
  }
}

export async function registrant(id: number, wanted: string[], lock: RLock, names: DictProxy<string, number>, count: SynchronizedValue<'i'>) {
  const reg = new Registry(lock, names, count);
  for (const n of wanted) console.log(`p${id} ${n}: ${(await reg.register(n, id)) ? 'registered' : 'taken'}`);
}

if (isMainProcess()) {
  await using m = await Manager.start();
  const lock = new RLock();
  const names = await m.dict<string, number>();
  const count = Value('i', 0);
  const wanted = [['alpha', 'beta', 'gamma'], ['beta', 'delta', 'alpha']];
  const procs = wanted.map((w, id) => new Process({ target: registrant, args: [id, w, lock, names, count] }));
  procs.forEach((p) => p.start());
  for (const p of procs) await p.join();
  console.log('registered', await count.get(), 'names:', (await names.keys()).sort());
}
