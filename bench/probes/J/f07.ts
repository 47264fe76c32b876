// Line-protocol session: client and server exchange hello frames over a duplex pipe, then the client sends commands.
import { Pipe, Process, isMainProcess, type Connection } from '@process-topology/multiprocessing';

type Op = 'hello' | 'cmd' | 'bye';
type Frame = { op: Op; body?: string };

class Session {
  constructor(private readonly conn: Connection<Frame>, private readonly role: string) {}

  async expect(op: Op): Promise<Frame> {
    const f = await this.conn.recv();
    if (f.op !== op) throw new Error(`${this.role}: expected ${op}, got ${f.op}`);
    return f;
  }

  send(op: Op, body?: string): Promise<void> {
    return this.conn.send({ op, body });
  }
}

export async function server(conn: Connection<Frame>) {
  const s = new Session(conn, 'server');
  const hello = await s.expect('hello');
  await s.send('hello', `srv-1.0 welcomes ${hello.body}`);
  for (;;) {
    const f = await conn.recv();
    if (f.op === 'bye') break;
    console.log('server ran', f.body);
  }
}

if (isMainProcess()) {
  const [mine, theirs] = Pipe<Frame>();
  const srv = new Process({ target: server, args: [theirs] });
  srv.start();
  const client = new Session(mine, 'client');
  await client.send('hello', 'cli-1.0');
  const banner = await client.expect('hello');
  console.log('connected:', banner.body);
  for (const c of ['ls', 'pwd']) await client.send('cmd', c);
  await client.send('bye');
  await srv.join();
}
