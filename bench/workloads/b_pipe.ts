// (b) 5,000 Pipe round trips between the parent and a child that echoes. Twin of b_pipe.py.
import { Process, isMainProcess } from '@process-topology/multiprocessing';
import { planned, report, seconds, unavailable, type Connection } from './common.js';

export async function echo(conn: Connection<number | null>): Promise<void> {
  for (;;) {
    const x = await conn.recv();
    if (x === null) break;
    await conn.send(x);
  }
}

if (isMainProcess() && !unavailable('Pipe')) {
  const n = Number(process.argv[2] ?? 5_000);
  const t0 = performance.now();
  const [a, b] = planned.Pipe!<number | null>();
  const p = new Process({ target: echo, args: [b] });
  p.start();
  await a.send(0);
  let ok = (await a.recv()) === 0;
  const tFirst = performance.now();
  for (let i = 1; i < n; i++) {
    await a.send(i);
    ok = ok && (await a.recv()) === i;
  }
  await a.send(null);
  await p.join();
  const tEnd = performance.now();
  report({
    elapsed: seconds(t0, tEnd),
    check: ok && p.exitcode === 0,
    phases: { first_item: seconds(t0, tFirst), transfer: seconds(tFirst, tEnd) },
  });
}
