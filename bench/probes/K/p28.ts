// A reader executes commands from a small bounded queue until QUIT; a writer sends a whole script.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function reader(q: Queue<string>) {
  let executed = 0;
  try {
    for (;;) {
      const cmd = await q.get();
      if (cmd === 'QUIT') return;
      executed++;
    }
  } finally {
    console.log(`reader executed ${executed} commands`);
  }
}

export async function writer(q: Queue<string>, script: string[]) {
  for (const line of script) {
    await q.put(line);
  }
}

if (isMainProcess()) {
  const q = new Queue<string>(2);
  const script = ['open', 'seek', 'read', 'QUIT', 'stat', 'close', 'flush', 'sync'];
  const w = new Process({ target: writer, args: [q, script] });
  const r = new Process({ target: reader, args: [q] });
  r.start();
  w.start();
  await w.join();
  await r.join();
  console.log('session over');
}
