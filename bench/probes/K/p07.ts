// Workers bump a shared counter through a small accessor object built by a factory.
import { Barrier, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

function accessors(v: SynchronizedValue<'i'>) {
  const lock = v.getLock();
  return {
    read: () => lock.withLock(() => v.get()),
    write: (x: number) => lock.withLock(() => v.set(x)),
    settle: () => new Promise<void>((r) => setTimeout(r, 1)),
  };
}

export async function worker(v: SynchronizedValue<'i'>, start: Barrier, rounds: number) {
  const { read, write, settle } = accessors(v);
  await start.wait();
  for (let r = 0; r < rounds; r++) {
    const x = await read();
    await settle();
    await write(x + 1);
  }
}

if (isMainProcess()) {
  const counter = Value('i', 0);
  const rounds = [20, 20];
  const start = new Barrier(rounds.length);
  const procs = rounds.map((n) => new Process({ target: worker, args: [counter, start, n] }));
  procs.forEach((p) => p.start());
  for (const p of procs) await p.join();
  console.log('count', await counter.get(), 'want', rounds.reduce((a, b) => a + b));
}
