// Each worker writes only its own slot of a shared array without a lock; main adds the slots up.
import { Process, RawArray, Value, isMainProcess, type RawSharedArray, type RawSharedValue } from '@process-topology/multiprocessing';

export async function fill(slots: RawSharedArray<'i'>, me: number, upto: number, progress: RawSharedValue<'i'>) {
  let acc = 0;
  for (let k = 1; k <= upto; k++) {
    acc += k;
    await slots.set(me, acc);
    await new Promise((r) => setTimeout(r, 1));
  }
  void (await progress.get());
}

if (isMainProcess()) {
  const n = 4;
  const slots = RawArray('i', n);
  const progress = Value('i', 0, { lock: false });
  const procs = Array.from({ length: n }, (_, me) => new Process({ target: fill, args: [slots, me, 10 + me, progress] }));
  for (const p of procs) p.start();
  for (const [i, p] of procs.entries()) {
    await p.join();
    await progress.set(i + 1);
  }
  const values = await slots.toArray();
  const want = Array.from({ length: n }, (_, me) => ((10 + me) * (11 + me)) / 2);
  console.log('slots', values.join(' '), 'want', want.join(' '), 'done', await progress.get());
}
