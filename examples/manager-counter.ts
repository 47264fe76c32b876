// A counter in a manager dict, decremented once by each of many processes WITHOUT a lock (seed
// 002's Manager section). Each decrement is two round trips to the manager: read, then write. Two
// processes that read the same value both write value - 1, so one decrement is lost and the final
// count usually ends above 0. manager-counter-locked.ts is the fix.
// Run: npx tsx examples/manager-counter.ts [processes = 20]
import { Manager, Process, isMainProcess, type DictProxy } from '@process-topology/multiprocessing';

export async function work(d: DictProxy<string, number>) {
  const count = (await d.get('count'))!;
  await new Promise((resolve) => setTimeout(resolve, 50)); // some work between the read and the write
  await d.set('count', count - 1);
}

if (isMainProcess()) {
  const n = Number(process.argv[2] ?? 20);
  await using m = await Manager.start();
  const d = await m.dict({ count: n });
  const processes = Array.from({ length: n }, () => new Process({ target: work, args: [d] }));
  for (const p of processes) p.start();
  for (const p of processes) await p.join();
  const final = (await d.get('count'))!;
  console.log(`start: ${n}, decrements: ${n}`);
  console.log(`final: ${final} (${final} of the ${n} decrements were lost)`);
}
