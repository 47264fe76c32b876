// Log scanner: workers by role read paths from a shared queue; each stops at its own null marker and reports a done record.
import { Process, Queue, cpuCount, isMainProcess } from '@process-topology/multiprocessing';

type Result = { kind: 'hit'; path: string; errors: number } | { kind: 'done'; worker: string };
const PATHS = ['a.log', 'b.log', 'c.log', 'd.log', 'e.log', 'f.log'];
const WORKER_COUNT = Math.max(2, Math.min(cpuCount(), 4));

export async function scan(name: string, paths: Queue<string | null>, results: Queue<Result>) {
  for (let p = await paths.get(); p !== null; p = await paths.get()) {
    await results.put({ kind: 'hit', path: p, errors: p.charCodeAt(0) % 3 });
  }
  await results.put({ kind: 'done', worker: name });
}

if (isMainProcess()) {
  const paths = new Queue<string | null>();
  const results = new Queue<Result>();
  const workers = new Map<string, Process>();
  for (let i = 0; i < WORKER_COUNT; i++) {
    const name = `scanner-${i}`;
    workers.set(name, new Process({ target: scan, args: [name, paths, results], name }));
  }
  workers.forEach((w) => w.start());
  await Promise.all(PATHS.map((p) => paths.put(p)));
  for (const _ of workers.keys()) await paths.put(null);
  let errors = 0;
  for (let finished = 0; finished < workers.size; ) {
    const r = await results.get();
    if (r.kind === 'done') finished++;
    else errors += r.errors;
  }
  for (const w of workers.values()) await w.join();
  console.log(`scanned ${PATHS.length} files with ${workers.size} workers, ${errors} errors`);
}
