// Three workers share one terminal (seed 003). Each prints a start line, works a while, and prints
// an end line. Holding the lock around the whole job makes the jobs take turns, so one worker's two
// lines are never separated by another's. Without the lock the three start lines would come first.
// Run: npx tsx examples/lock-printing.ts
import { Lock, Process, isMainProcess } from '@process-topology/multiprocessing';

export async function work(lock: Lock) {
  await lock.withLock(async () => {
    console.log(`${process.pid} is running`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the work
    console.log(`${process.pid} is done`);
  });
}

if (isMainProcess()) {
  const lock = new Lock();
  const workers = [1, 2, 3].map(() => new Process({ target: work, args: [lock] }));
  for (const w of workers) w.start();
  for (const w of workers) await w.join();
}
