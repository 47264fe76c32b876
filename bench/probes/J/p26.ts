// Console printer: a child prints job results under a shared print lock so lines from different processes do not mix.
import { Event, Lock, Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function printer(printLock: Lock, ready: Event, lines: Queue<string | null>) {
  await printLock.acquire();
  await ready.set();
  try {
    for (let l = await lines.get(); l !== null; l = await lines.get()) console.log(`[printer] ${l}`);
  } finally {
    await printLock.release();
  }
}

if (isMainProcess()) {
  const printLock = new Lock();
  const ready = new Event();
  const lines = new Queue<string | null>();
  const p = new Process({ target: printer, args: [printLock, ready, lines] });
  p.start();
  await ready.wait();
  await printLock.withLock(() => console.log('[main] job report'));
  for (const job of ['build: ok', 'test: ok', 'deploy: skipped']) await lines.put(job);
  await lines.put(null);
  await p.join();
}
