// Text pipeline: trim -> upper -> main, with stages connected by simple queues and ended by a null marker.
import { Process, SimpleQueue, isMainProcess } from '@process-topology/multiprocessing';

type Kind = 'trim' | 'upper';
const STAGES: Kind[] = ['trim', 'upper'];
const LINES = ['  hello ', 'multi  ', '   process'];

export async function stage(kind: Kind, input: SimpleQueue<string | null>, output: SimpleQueue<string | null>, forward: boolean) {
  const fn = kind === 'trim' ? (s: string) => s.trim() : (s: string) => s.toUpperCase();
  for (;;) {
    const item = await input.get();
    if (item === null) break;
    await output.put(fn(item));
  }
  if (forward) await output.put(null);
}

if (isMainProcess()) {
  const queues = Array.from({ length: STAGES.length + 1 }, () => new SimpleQueue<string | null>());
  const procs = STAGES.map(
    (kind, i) => new Process({ target: stage, args: [kind, queues[i], queues[i + 1], i < STAGES.length] }),
  );
  procs.forEach((p) => p.start());
  const [first, last] = [queues[0], queues[queues.length - 1]];
  for (const l of LINES) await first.put(l);
  await first.put(null);
  const out: string[] = [];
  for (let x = await last.get(); x !== null; x = await last.get()) out.push(x);
  for (const p of procs) await p.join();
  console.log(out);
}
