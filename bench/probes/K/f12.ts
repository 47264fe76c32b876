// Workers count words of their documents into a manager dict; main reports the totals.
import { Manager, Process, isMainProcess, type DictProxy, type LockProxy } from '@process-topology/multiprocessing';

export async function countWords(doc: string, totals: DictProxy<string, number>, lock: LockProxy) {
  for (const word of doc.split(/\s+/).filter(Boolean)) {
    await lock.withLock(async () => totals.set(word, ((await totals.get(word)) ?? 0) + 1));
  }
}

async function tally(docs: string[]): Promise<[string, number][]> {
  await using m = await Manager.start();
  const totals = await m.dict<string, number>();
  const lock = await m.Lock();
  const procs = docs.map((doc) => new Process({ target: countWords, args: [doc, totals, lock] }));
  procs.forEach((p) => p.start());
  for (const p of procs) await p.join();
  return await totals.items();
}

if (isMainProcess()) {
  const entries = await tally(['to be or not to be', 'be quick', 'not now']);
  entries.sort(([a], [b]) => a.localeCompare(b));
  console.log(entries.map(([w, n]) => `${w}=${n}`).join(' '));
}
