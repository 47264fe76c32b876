// The input is cut into fixed-size chunks, one worker per chunk; workers meet at a barrier before publishing.
import { Barrier, Process, SharedArray, isMainProcess, type SynchronizedArray } from '@process-topology/multiprocessing';

const ITEMS = 10;
const CHUNK = 4;

export async function sumChunk(start: number, meet: Barrier, out: SynchronizedArray<'i'>) {
  let total = 0;
  for (let x = start; x < Math.min(start + CHUNK, ITEMS); x++) total += x;
  const slot = await meet.wait();
  await out.set(start / CHUNK, total);
  return slot;
}

if (isMainProcess()) {
  const parties = Math.ceil(ITEMS / CHUNK);
  const meet = new Barrier(parties);
  const out = SharedArray('i', parties);
  const workers: Process[] = [];
  for (let start = 0; start < ITEMS; start += CHUNK) {
    workers.push(new Process({ target: sumChunk, args: [start, meet, out] }));
  }
  workers.forEach((w) => w.start());
  for (const w of workers) await w.join();
  const sums = await out.toArray();
  console.log('chunk sums', sums.join(' '), 'total', sums.reduce((a, b) => a + b, 0));
}
