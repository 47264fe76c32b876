// Price board: a feeder applies market messages to a shared table; the main process waits until trading stops.
import { Condition, Process, SharedArray, isMainProcess } from '@process-topology/multiprocessing';

type Msg = { kind: 'tick'; slot: number; price: number } | { kind: 'halt' } | { kind: 'close' };
type Table = ReturnType<typeof SharedArray<'d'>>;

const STATUS_SLOT = 2;
const OPEN = 0, HALTED = 1, CLOSED = 2;
const FEED: Msg[] = [
  { kind: 'tick', slot: 0, price: 10.5 },
  { kind: 'tick', slot: 1, price: 12.25 },
  { kind: 'tick', slot: 0, price: 11 },
  { kind: 'close' },
];

export async function feeder(feed: Msg[], table: Table, cond: Condition) {
  for (const msg of feed) {
    await cond.acquire();
    try {
      switch (msg.kind) {
        case 'tick':
          await table.set(msg.slot, msg.price);
          break;
        case 'halt':
          await table.set(STATUS_SLOT, HALTED);
          await cond.notifyAll();
          break;
        case 'close':
          await table.set(STATUS_SLOT, CLOSED);
          await cond.notifyAll();
          break;
      }
    } finally {
      await cond.release();
    }
  }
}

if (isMainProcess()) {
  const table = SharedArray('d', 3);
  const cond = new Condition();
  await cond.acquire();
  const p = new Process({ target: feeder, args: [FEED, table, cond] });
  p.start();
  await cond.waitFor(async () => (await table.get(STATUS_SLOT)) !== OPEN);
  console.log('final board', await table.toArray());
  await cond.release();
  await p.join();
}
