// Main and a child write lines to one report; the lock is taken only when the report is shared.
import { Lock, Process, isMainProcess } from '@process-topology/multiprocessing';

async function emit(lock: Lock, shared: boolean, line: string) {
  if (shared) await lock.acquire();
  try {
    process.stdout.write(`${line}\n`);
  } finally {
    if (shared) await lock.release();
  }
}

export async function section(lock: Lock, title: string, rows: string[]) {
  for (const row of [title, ...rows]) await emit(lock, true, `  ${row}`);
}

if (isMainProcess()) {
  const lock = new Lock();
  await emit(lock, false, 'REPORT');
  const child = new Process({ target: section, args: [lock, 'disk', ['sda ok', 'sdb ok']] });
  child.start();
  await child.join();
  await emit(lock, false, 'END');
}
