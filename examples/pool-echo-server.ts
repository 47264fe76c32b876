// A TCP echo server whose connections are served by a Pool's worker processes (seed 004). The main
// process accepts connections on 127.0.0.1; each connection becomes one pool task, `talk`, which
// runs in a worker for the connection's whole life and answers every line in upper case. The
// lines travel between main and the worker through two queues (a socket cannot be sent to
// another process). With Pool(2), two clients are served at a time: a third waits until one of the
// first two leaves, as the seed observes with its 3-process pool.
//
// Run: npx tsx examples/pool-echo-server.ts             (a demo: 3 clients, then the server stops)
//      npx tsx examples/pool-echo-server.ts --serve 5   (prints its port, serves 5 connections, stops)
import net from 'node:net';
import { Pool, Queue, isMainProcess, type AsyncResult } from '@process-topology/multiprocessing';

/** Serves one client: every line from `inbox` goes back upper-cased on `outbox`; null ends it. */
export async function talk(inbox: Queue<string | null>, outbox: Queue<string | null>, client: number): Promise<number> {
  console.log(`worker ${process.pid} serves client ${client}`);
  for (;;) {
    const line = await inbox.get();
    if (line === null) break; // the client hung up
    await outbox.put(line.toUpperCase());
  }
  await outbox.put(null);
  return process.pid;
}

/** Listens on 127.0.0.1 (a free port), serves `connections` connections, then stops. */
async function serve(pool: Pool, connections: number, onListening: (port: number) => void): Promise<void> {
  const sessions: AsyncResult<number>[] = [];
  let accepted = 0;
  const server = net.createServer((socket) => {
    const client = ++accepted;
    if (accepted === connections) server.close(); // accept no more; 'close' waits for the open ones
    const inbox = new Queue<string | null>();
    const outbox = new Queue<string | null>();
    sessions.push(pool.applyAsync(talk, [inbox, outbox, client]));
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        void inbox.put(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
    });
    socket.on('end', () => void inbox.put(null));
    socket.on('error', () => void inbox.put(null));
    void (async () => {
      for (let reply = await outbox.get(); reply !== null; reply = await outbox.get()) socket.write(`${reply}\n`);
      socket.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onListening((server.address() as net.AddressInfo).port);
  await new Promise<void>((resolve) => server.on('close', resolve));
  await Promise.all(sessions.map((s) => s.get()));
}

/** A client: sends `lines`, reads one answer per line, hangs up. */
async function client(port: number, lines: string[]): Promise<string[]> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  const answers: string[] = [];
  let pending = '';
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        answers.push(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
      if (answers.length === lines.length) socket.end();
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  for (const line of lines) socket.write(`${line}\n`);
  await done;
  return answers;
}

if (isMainProcess()) {
  const serveOnly = process.argv[2] === '--serve';
  const connections = serveOnly ? Number(process.argv[3] ?? 3) : 3;
  const pool = new Pool(2);
  const served = serve(pool, connections, (port) => {
    console.log(`listening on 127.0.0.1:${port}`);
    if (serveOnly) return;
    for (let c = 1; c <= connections; c++) {
      void client(port, [`hello from client ${c}`, `bye from client ${c}`]).then((answers) => {
        for (const a of answers) console.log(`client ${c} got: ${a}`);
      });
    }
  });
  await served;
  pool.close();
  await pool.join();
  console.log(`server stopped after ${connections} connections`);
}
