// RPC worker: answers 'square' and 'ping' requests on the reply queue and writes log lines to an events queue.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

type Request = { op: 'square'; n: number } | { op: 'ping' } | { op: 'quit' };
type Answer = number | string;

export async function rpcWorker(requests: Queue<Request>, replies: Queue<Answer>, events: Queue<string>) {
  for (;;) {
    const req = await requests.get();
    if (req.op === 'quit') break;
    if (req.op === 'square') {
      await events.put(`square(${req.n})`);
      await replies.put(req.n * req.n);
    } else {
      await replies.put('pong');
    }
  }
  await events.put('bye');
}

if (isMainProcess()) {
  const [requests, replies, events] = [new Queue<Request>(), new Queue<Answer>(), new Queue<string>()];
  const worker = new Process({ target: rpcWorker, args: [requests, replies, events] });
  worker.start();
  const ask = async (req: Request): Promise<Answer> => {
    await requests.put(req);
    return replies.get();
  };
  console.log('square ->', await ask({ op: 'square', n: 7 }));
  console.log('ping ->', await ask({ op: 'ping' }));
  await requests.put({ op: 'quit' });
  await worker.join();
  for (let e = await events.get(); e !== 'bye'; e = await events.get()) console.log('event', e);
}
