// Jobs marked enabled run in child processes; main then waits for the jobs it created.
import { Process, isMainProcess } from '@process-topology/multiprocessing';

export async function runJob(id: string, ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  console.log(`job ${id} done`);
}

const jobs = [
  { id: 'compact', enabled: true, ms: 50 },
  { id: 'reindex', enabled: false, ms: 80 },
  { id: 'vacuum', enabled: true, ms: 20 },
];

if (isMainProcess()) {
  const handles = jobs.map((job) => ({ job, proc: new Process({ target: runJob, args: [job.id, job.ms] }) }));
  handles.filter((h) => h.job.enabled).forEach((h) => h.proc.start());
  for (const { job, proc } of handles) {
    if (job.enabled) await proc.join();
  }
  console.log('exit codes', handles.map((h) => h.proc.exitcode).join(' '));
}
