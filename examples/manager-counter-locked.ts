// The fix for manager-counter.ts: each process decrements the manager dict's counter while holding
// a manager Lock, so no read-modify-write overlaps another and the count always ends at 0.
// Run: npx tsx examples/manager-counter-locked.ts [processes = 20]
import { Manager, Process, isMainProcess, type DictProxy, type LockProxy } from '@process-topology/multiprocessing';

export async function work(d: DictProxy<string, number>, lock: LockProxy) {
  await lock.withLock(async () => {
    const count = (await d.get('count'))!;
    await new Promise((resolve) => setTimeout(resolve, 50)); // the same work as the unlocked version
    await d.set('count', count - 1);
  });
}

if (isMainProcess()) {
  const n = Number(process.argv[2] ?? 20);
  await using m = await Manager.start();
  const d = await m.dict({ count: n });
  const lock = await m.Lock();
  const processes = Array.from({ length: n }, () => new Process({ target: work, args: [d, lock] }));
  for (const p of processes) p.start();
  for (const p of processes) await p.join();
  console.log(`start: ${n}, decrements: ${n}`);
  console.log(`final: ${(await d.get('count'))!}`);
}
