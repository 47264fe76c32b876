// Word-length workers: a fixed pool of processes reads words from a shared queue and reports their lengths.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const NUM_WORKERS = 3;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];

export async function measure(inbox: Queue<string | null>, outbox: Queue<[string, number]>) {
  for (;;) {
    const word = await inbox.get();
    if (word === null) return;
    await outbox.put([word, word.length]);
  }
}

if (isMainProcess()) {
  const inbox = new Queue<string | null>();
  const outbox = new Queue<[string, number]>();
  const workers: Process[] = [];
  for (let i = 0; i < NUM_WORKERS; i++) {
    const w = new Process({ target: measure, args: [inbox, outbox], name: `measure-${i}` });
    w.start();
    workers.push(w);
  }
  for (const word of WORDS) await inbox.put(word);
  for (let i = 1; i < NUM_WORKERS; i++) await inbox.put(null);
  const lengths = new Map<string, number>();
  for (let i = 0; i < WORDS.length; i++) {
    const [word, n] = await outbox.get();
    lengths.set(word, n);
  }
  for (const w of workers) await w.join();
  console.log([...lengths.entries()]);
}
