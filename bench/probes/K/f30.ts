// Main asks a multiplication server for a few products over manager queues.
import { Manager, Process, isMainProcess } from '@process-topology/multiprocessing';
import { call, serve, type Channel } from './f30-lib.js';

if (isMainProcess()) {
  const m = await Manager.start();
  try {
    const wiring: Channel = { requests: await m.Queue(), replies: await m.Queue() };
    const server = new Process({ target: serve, args: [wiring] });
    server.start();
    const client = wiring;
    const products: number[] = [];
    for (const [a, b] of [[3, 4], [5, 6], [7, 8]]) products.push(await call(client, a, b));
    await client.requests.put(null);
    await server.join();
    console.log('products', products.join(' '));
  } finally {
    await m.shutdown();
  }
}
