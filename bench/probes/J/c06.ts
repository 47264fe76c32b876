// Daemon resize workers: they loop forever on a joinable queue; main waits for the queue, reads the results and exits.
import { JoinableQueue, Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const JOBS = [[640, 480], [1024, 768], [320, 200], [1920, 1080]] as const;

export async function resizeWorker(jobs: JoinableQueue<[number, number]>, done: Queue<string>) {
  for (;;) {
    const [w, h] = await jobs.get();
    try {
      await done.put(`${w}x${h} -> ${w >> 1}x${h >> 1}`);
    } finally {
      await jobs.taskDone();
    }
  }
}

if (isMainProcess()) {
  const jobs = new JoinableQueue<[number, number]>();
  const done = new Queue<string>();
  for (let i = 0; i < 2; i++) {
    new Process({ target: resizeWorker, args: [jobs, done], daemon: true }).start();
  }
  for (const [w, h] of JOBS) await jobs.put([w, h]);
  await jobs.join();
  const lines: string[] = [];
  while (lines.length < JOBS.length) lines.push(await done.get());
  console.log(lines.sort().join('\n'));
}
