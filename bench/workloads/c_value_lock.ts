// (c) 2 processes x 5,000 increments of one Value under one Lock. Twin of c_value_lock.py.
import { Process, isMainProcess } from '@process-topology/multiprocessing';
import { planned, report, seconds, unavailable, type LockLike, type ValueLike } from './common.js';

export async function increment(v: ValueLike, lock: LockLike, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await lock.withLock(async () => {
      await v.set((await v.get()) + 1);
    });
  }
}

if (isMainProcess() && !unavailable('Lock', 'Value')) {
  const n = Number(process.argv[2] ?? 5_000);
  const t0 = performance.now();
  const lock = new planned.Lock!();
  const v = planned.Value!('i', 0, { lock: false });
  const ps = [0, 1].map(() => new Process({ target: increment, args: [v, lock, n] }));
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
  const tEnd = performance.now();
  const value = await v.get();
  report({
    elapsed: seconds(t0, tEnd),
    check: value === 2 * n && ps.every((p) => p.exitcode === 0),
    value,
  });
}
