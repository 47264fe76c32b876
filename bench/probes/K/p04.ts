// Clerks append receipts to a JSON ledger file on disk; main counts the receipts at the end.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Barrier, Lock, Process, isMainProcess } from '@process-topology/multiprocessing';

const RECEIPTS = 12;

async function append(path: string, entry: string) {
  const ledger = JSON.parse(await readFile(path, 'utf8')) as string[];
  ledger.push(entry);
  const scratch = `${path}.${process.pid}`;
  await writeFile(scratch, JSON.stringify(ledger));
  await rename(scratch, path);
}

export async function clerk(path: string, who: string, together: Barrier) {
  const guard = new Lock();
  await together.wait();
  for (let i = 0; i < RECEIPTS; i++) {
    await guard.acquire();
    try {
      await append(path, `${who}#${i}`);
    } finally {
      await guard.release();
    }
  }
}

if (isMainProcess()) {
  const path = join(tmpdir(), `probeK-ledger-${process.pid}.json`);
  await writeFile(path, '[]');
  const names = ['ada', 'bo', 'cy'];
  const together = new Barrier(names.length);
  const clerks = names.map((who) => new Process({ target: clerk, args: [path, who, together] }));
  for (const c of clerks) c.start();
  for (const c of clerks) await c.join();
  const ledger = JSON.parse(await readFile(path, 'utf8')) as string[];
  console.log(`receipts=${ledger.length} expected=${names.length * RECEIPTS}`);
  await rm(path);
}
