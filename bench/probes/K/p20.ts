// At most two converter processes run at once; each gives its slot back when it finishes.
import { BoundedSemaphore, Process, isMainProcess } from '@process-topology/multiprocessing';

export async function convert(slots: BoundedSemaphore, file: string) {
  try {
    if (file.endsWith('.bad')) throw new Error(`cannot read ${file}`);
    await new Promise((r) => setTimeout(r, 30));
    console.log(`converted ${file}`);
  } catch (err) {
    console.log(`skipped ${file}: ${(err as Error).message}`);
    await slots.release();
  } finally {
    await slots.release();
  }
}

if (isMainProcess()) {
  const slots = new BoundedSemaphore(2);
  const files = ['a.png', 'b.bad', 'c.png', 'd.png'];
  const procs: Process[] = [];
  for (const file of files) {
    await slots.acquire();
    const p = new Process({ target: convert, args: [slots, file] });
    p.start();
    procs.push(p);
  }
  for (const p of procs) await p.join();
  const failed = procs.filter((p) => p.exitcode !== 0).length;
  if (failed > 0) throw new Error(`${failed} converter(s) failed`);
  console.log('all converted');
}
