// Checksum worker: main sends data blocks through a pipe and the worker answers with each block's checksum.
import { Pipe, Process, isMainProcess, type Connection } from '@process-topology/multiprocessing';

type Msg = number[] | number | null;
const BLOCKS = [[1, 2, 3], [10, 20], [7, 7, 7, 7]];

function channel() {
  const [a, b] = Pipe<Msg>();
  return { local: a, remote: b };
}

export async function checksummer(conn: Connection<Msg>) {
  for (;;) {
    const block = await conn.recv();
    if (block === null) break;
    const sum = (block as number[]).reduce((acc, x) => (acc * 33 + x) % 65521, 1);
    await conn.send(sum);
  }
}

if (isMainProcess()) {
  const ch = channel();
  const worker = new Process({ target: checksummer, args: [ch.local] });
  worker.start();
  const sums: number[] = [];
  for (const block of BLOCKS) {
    await ch.local.send(block);
    sums.push((await ch.local.recv()) as number);
  }
  await ch.local.send(null);
  await worker.join();
  console.log('checksums', sums);
}
