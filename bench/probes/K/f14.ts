// Main submits jobs to a worker over a queue and runs each job's completion hook on the reply.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

interface Job {
  id: number;
  text: string;
  onDone: (result: string) => void;
}

export async function shouter(inbox: Queue<Omit<Job, 'onDone'> | null>, outbox: Queue<[number, string]>) {
  for (;;) {
    const job = await inbox.get();
    if (!job) return;
    await outbox.put([job.id, job.text.toUpperCase()]);
  }
}

if (isMainProcess()) {
  const inbox = new Queue<Omit<Job, 'onDone'> | null>();
  const outbox = new Queue<[number, string]>();
  const worker = new Process({ target: shouter, args: [inbox, outbox] });
  worker.start();

  const log: string[] = [];
  const jobs: Job[] = ['hello', 'there', 'world'].map((text, id) => ({ id, text, onDone: (r) => log.push(`${id}:${r}`) }));
  const byId = new Map(jobs.map((j) => [j.id, j] as const));
  for (const { id, text } of jobs) await inbox.put({ id, text });
  await inbox.put(null);

  for (let i = 0; i < jobs.length; i++) {
    const [id, result] = await outbox.get();
    byId.get(id)?.onDone(result);
  }
  await worker.join();
  console.log(log.sort().join(' '));
}
