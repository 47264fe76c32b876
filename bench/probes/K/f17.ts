// Producers push log records into a joinable queue; main files them and acknowledges every record.
import { JoinableQueue, Process, isMainProcess } from '@process-topology/multiprocessing';

type Rec = { from: string; level: 'info' | 'warn' | 'error'; msg: string };

export async function producer(q: JoinableQueue<Rec>, from: string, n: number) {
  const levels = ['info', 'warn', 'error'] as const;
  for (let i = 0; i < n; i++) await q.put({ from, level: levels[i % 3], msg: `event ${i}` });
  await q.join();
}

const escalated: Rec[] = [];
const filed: Rec[] = [];

async function escalate(rec: Rec) {
  escalated.push(rec);
}

if (isMainProcess()) {
  const q = new JoinableQueue<Rec>();
  const sources = { api: 4, db: 5 };
  const procs = Object.entries(sources).map(([from, n]) => new Process({ target: producer, args: [q, from, n] }));
  procs.forEach((p) => p.start());
  const total = Object.values(sources).reduce((a, b) => a + b, 0);
  for (let i = 0; i < total; i++) {
    const rec = await q.get();
    try {
      if (rec.level === 'error') {
        await escalate(rec);
        continue;
      }
      filed.push(rec);
    } finally {
      await q.taskDone();
    }
  }
  for (const p of procs) await p.join();
  console.log(`filed=${filed.length} escalated=${escalated.length}`);
}
