// Two processes talk over a duplex Pipe (seed 000): the pinger sends "ping N", the ponger answers
// "pong N", three times; then the pinger closes its end. Main closed its own copies of both ends
// right after starting the two, so the ponger's next recv() rejects with EOFError: nothing is left
// and no copy of the other end is open. Run: npx tsx examples/pipe-ping-pong.ts
import { Connection, EOFError, Pipe, Process, isMainProcess } from '@process-topology/multiprocessing';

export async function pinger(conn: Connection<string>, rounds: number) {
  for (let i = 1; i <= rounds; i++) {
    await conn.send(`ping ${i}`);
    console.log(`pinger got: ${await conn.recv()}`);
  }
  conn.close();
}

export async function ponger(conn: Connection<string>) {
  for (;;) {
    let msg: string;
    try {
      msg = await conn.recv();
    } catch (err) {
      if (!(err instanceof EOFError)) throw err;
      console.log('ponger: the other end is closed');
      return;
    }
    console.log(`ponger got: ${msg}`);
    await conn.send(msg.replace('ping', 'pong'));
  }
}

if (isMainProcess()) {
  const [a, b] = Pipe<string>();
  const p1 = new Process({ target: pinger, args: [a, 3] });
  const p2 = new Process({ target: ponger, args: [b] });
  p1.start();
  p2.start();
  a.close(); // main's copies: the children hold their own
  b.close();
  await p1.join();
  await p2.join();
}
