// ticket-office.ts with the fix: one Lock, shared by the buyers, held from reading the count to
// writing it back. Looking at the count stays concurrent; buying happens one buyer at a time, so
// exactly one buyer gets the one ticket. Run: npx tsx examples/ticket-office-locked.ts
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Lock, Process, isMainProcess } from '@process-topology/multiprocessing';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readCount(db: string): number {
  return (JSON.parse(fs.readFileSync(db, 'utf8')) as { count: number }).count;
}

export async function buyer(db: string, lock: Lock) {
  console.log(`${process.pid} sees ${readCount(db)} ticket(s) left`);
  await lock.withLock(async () => {
    const count = readCount(db);
    await pause(100); // reading over the network
    if (count > 0) {
      await pause(200); // writing over the network
      fs.writeFileSync(db, JSON.stringify({ count: count - 1 }), { flag: 'r+' }); // in place: never an empty file
      console.log(`${process.pid} bought a ticket`);
    } else {
      console.log(`${process.pid} found no ticket`);
    }
  });
}

if (isMainProcess()) {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tickets-')), 'db.json');
  fs.writeFileSync(db, JSON.stringify({ count: 1 }));
  const lock = new Lock();
  const buyers = Array.from({ length: 10 }, () => new Process({ target: buyer, args: [db, lock] }));
  for (const b of buyers) b.start();
  for (const b of buyers) await b.join();
  console.log(`tickets left in the database: ${readCount(db)}`);
  fs.rmSync(path.dirname(db), { recursive: true, force: true });
}
