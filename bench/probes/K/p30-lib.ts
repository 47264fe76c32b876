// A tiny request/reply service over a pair of manager queues.
import type { QueueProxy } from '@process-topology/multiprocessing';

export type Req = { a: number; b: number } | null;

export type Channel = { requests: QueueProxy<Req>; replies: QueueProxy<number> };

export async function serve(ch: Channel) {
  for (;;) {
    const req = await ch.requests.get();
    if (req === null) return;
    await ch.replies.put(req.a * req.b);
  }
}

export function clientSide(ch: Channel): Channel {
  return { requests: ch.replies as unknown as QueueProxy<Req>, replies: ch.requests as unknown as QueueProxy<number> };
}

export async function call(ch: Channel, a: number, b: number): Promise<number> {
  await ch.requests.put({ a, b });
  return ch.replies.get();
}
