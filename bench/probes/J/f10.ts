// Key-value service: a store process answers requests from a manager queue on a manager reply queue.
import { Manager, Process, isMainProcess, type DictProxy, type QueueProxy } from '@process-topology/multiprocessing';

type Req = { op: 'put'; key: string; value: number } | { op: 'get'; key: string } | { op: 'stop' };
type Reply = { ok: boolean; value?: number };

export async function store(requests: QueueProxy<Req>, replies: QueueProxy<Reply>, data: DictProxy<string, number>) {
  for (;;) {
    const req = await requests.get();
    switch (req.op) {
      case 'put':
        await data.set(req.key, req.value);
        await replies.put({ ok: true });
        break;
      case 'get':
        await replies.put({ ok: await data.has(req.key), value: await data.get(req.key) });
        break;
      case 'stop':
        return;
    }
  }
}

async function call(requests: QueueProxy<Req>, replies: QueueProxy<Reply>, req: Req): Promise<Reply> {
  await requests.put(req);
  return replies.get();
}

if (isMainProcess()) {
  await using m = await Manager.start();
  const requests = await m.Queue<Req>();
  const replies = await m.Queue<Reply>();
  const data = await m.dict<string, number>();
  const p = new Process({ target: store, args: [requests, replies, data] });
  p.start();
  await call(requests, replies, { op: 'put', key: 'answer', value: 42 });
  console.log('get ->', await call(requests, replies, { op: 'get', key: 'answer' }));
  await requests.put({ op: 'stop' });
  await p.join();
}
