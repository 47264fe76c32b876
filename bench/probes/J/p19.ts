// Counter service over a pipe: the child applies commands and acknowledges each one, including the final stop.
import { Pipe, Process, isMainProcess, type Connection } from '@process-topology/multiprocessing';

type Cmd = { type: 'inc'; by: number } | { type: 'report' } | { type: 'stop' };
type Ack = { ack: Cmd['type']; count: number };

export async function counterService(conn: Connection<Cmd | Ack>) {
  let count = 0;
  for (;;) {
    const cmd = (await conn.recv()) as Cmd;
    switch (cmd.type) {
      case 'inc':
        count += cmd.by;
        await conn.send({ ack: 'inc', count });
        break;
      case 'report':
        await conn.send({ ack: 'report', count });
        break;
      case 'stop':
        return;
    }
  }
}

if (isMainProcess()) {
  const [parentEnd, childEnd] = Pipe<Cmd | Ack>();
  const svc = new Process({ target: counterService, args: [childEnd] });
  svc.start();
  const rpc = async (cmd: Cmd): Promise<Ack> => {
    await parentEnd.send(cmd);
    return (await parentEnd.recv()) as Ack;
  };
  await rpc({ type: 'inc', by: 2 });
  await rpc({ type: 'inc', by: 3 });
  console.log('report', await rpc({ type: 'report' }));
  const last = await rpc({ type: 'stop' });
  console.log('stopped at', last.count);
  await svc.join();
}
