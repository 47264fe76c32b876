// A child reports its progress to the parent over a one-way pipe; the parent prints each step.
import { Pipe, Process, isMainProcess, type Connection } from '@process-topology/multiprocessing';

type Progress = { step: number; of: number } | 'done';

export async function crunch(tx: Connection<Progress>, steps: number) {
  for (let step = 1; step <= steps; step++) {
    await new Promise((r) => setTimeout(r, 10));
    await tx.send({ step, of: steps });
  }
  await tx.send('done');
  tx.close();
}

if (isMainProcess()) {
  const [rx, tx] = Pipe<Progress>(false);
  const child = new Process({ target: crunch, args: [tx, 4] });
  child.start();
  tx.close();
  for (;;) {
    const msg = await rx.recv();
    if (msg === 'done') break;
    console.log(`progress ${msg.step}/${msg.of}`);
  }
  await child.join();
}
