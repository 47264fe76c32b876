// Validators check signup records from a joinable queue; main waits until every record is handled.
import { JoinableQueue, Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

type Signup = { id: number; email: string };

export async function validator(q: JoinableQueue<Signup | null>, rejected: Queue<number>) {
  for (;;) {
    const rec = await q.get();
    if (rec === null) {
      await q.taskDone();
      return;
    }
    if (!rec.email.includes('@')) {
      await rejected.put(rec.id);
      continue;
    }
    console.log(`accepted ${rec.id}`);
    await q.taskDone();
  }
}

if (isMainProcess()) {
  const q = new JoinableQueue<Signup | null>();
  const rejected = new Queue<number>();
  const emails = ['a@x.io', 'bad-address', 'c@y.io', 'd@z.io', 'nope'];
  const workers = [1, 2].map(() => new Process({ target: validator, args: [q, rejected] }));
  workers.forEach((w) => w.start());
  for (const [id, email] of emails.entries()) await q.put({ id, email });
  await q.join();
  for (const _ of workers) await q.put(null);
  for (const w of workers) await w.join();
  console.log('rejected count', await rejected.qsize());
}
