// A background supervisor fans work out to two helper processes of its own and collects their results.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function helper(id: number, out: Queue<string>) {
  await out.put(`helper ${id} checked ${id * 10} files`);
}

export async function supervisor(out: Queue<string>, report: Queue<string[]>) {
  const helpers = [1, 2].map((id) => new Process({ target: helper, args: [id, out] }));
  for (const h of helpers) h.start();
  const lines: string[] = [];
  for (const _ of helpers) lines.push(await out.get());
  for (const h of helpers) await h.join();
  await report.put(lines.sort());
}

if (isMainProcess()) {
  const out = new Queue<string>();
  const report = new Queue<string[]>();
  const sup = new Process({ target: supervisor, args: [out, report], name: 'supervisor' });
  sup.start();
  await sup.join();
  if (sup.exitcode !== 0) throw new Error(`supervisor failed with exit code ${sup.exitcode}`);
  for (const line of await report.get()) console.log(line);
}
