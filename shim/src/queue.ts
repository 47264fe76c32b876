// `Queue<T>`: a proxy any process can hold, and `QueueState`, the items and waiters kept in the hub.
// Items travel as serialized bytes: the putter encodes, the hub stores the bytes untouched, the
// getter decodes. A put resolves once the hub holds the item, so an item is never lost when its
// producer exits right after `await q.put(...)` (Python's feeder-thread flush is not needed).
import { Empty, Full, ProcessError, toWire } from './errors';
import { registerKind, WaitList, waitSeconds, type HubObject, type HubClient, type HubRequest, type Respond } from './hub';
import { call, nextObjectId } from './runtime';
import { decode, encode, kShare, registerReviver, type ObjectRef, type Shareable } from './serialize';

const KIND = 'queue';

let reviving: ObjectRef | null = null;

export class Queue<T = unknown> implements Shareable {
  readonly #ref: ObjectRef;
  #closed = false;

  /** `maxsize <= 0` means unbounded. */
  constructor(maxsize = 0) {
    this.#ref = reviving ?? { kind: KIND, id: nextObjectId(), params: { maxsize: Number(maxsize) || 0 } };
  }

  /** Wait while the queue is full (at most `timeout` seconds), then add `item`. Rejects with Full. */
  async put(item: T, block = true, timeout?: number): Promise<void> {
    this.checkOpen();
    const payload = encode(item, 'the queue item');
    await call(this.#ref, 'put', { b: block, to: timeout }, payload);
  }

  /** Wait for an item (at most `timeout` seconds) and remove it. Rejects with Empty. */
  async get(block = true, timeout?: number): Promise<T> {
    this.checkOpen();
    const reply = await call(this.#ref, 'get', { b: block, to: timeout });
    return decode(reply.payload!) as T;
  }

  putNowait(item: T): Promise<void> {
    return this.put(item, false);
  }

  getNowait(): Promise<T> {
    return this.get(false);
  }

  async qsize(): Promise<number> {
    return (await call(this.#ref, 'qsize')).header.v as number;
  }

  async empty(): Promise<boolean> {
    return (await call(this.#ref, 'empty')).header.v as boolean;
  }

  async full(): Promise<boolean> {
    return (await call(this.#ref, 'full')).header.v as boolean;
  }

  /** This process will not use the queue any more; later put/get reject. */
  close(): void {
    this.#closed = true;
  }

  /** Python waits for the feeder thread here; puts are already in the hub once they resolve. */
  async joinThread(): Promise<void> {
    if (!this.#closed) throw new ProcessError(`Queue ${this.#ref.id} not closed`);
  }

  /** Nothing is buffered in this process, so there is nothing to give up. */
  cancelJoinThread(): void {}

  [kShare](): ObjectRef {
    return this.#ref;
  }

  toString(): string {
    return `<Queue ${this.#ref.id}>`;
  }

  private checkOpen(): void {
    if (this.#closed) throw new ProcessError(`Queue ${this.#ref.id} is closed`);
  }
}

registerReviver(KIND, (ref) => {
  reviving = ref;
  try {
    return new Queue();
  } finally {
    reviving = null;
  }
});

/** The hub side: items in FIFO order, blocked getters (only while empty), blocked putters (only while full). */
class QueueState implements HubObject {
  private readonly items: Buffer[] = [];
  private readonly getters = new WaitList();
  private readonly putters = new WaitList<Buffer>();

  constructor(private readonly maxsize: number) {}

  handle(op: string, req: HubRequest, respond: Respond): void {
    switch (op) {
      case 'put':
        return this.put(req, respond);
      case 'get':
        return this.get(req, respond);
      case 'qsize':
        return respond({ v: this.items.length });
      case 'empty':
        return respond({ v: this.items.length === 0 });
      case 'full':
        return respond({ v: this.isFull() });
      default:
        return respond(toWire(new ProcessError(`unknown queue operation '${op}'`)));
    }
  }

  drop(client: HubClient): void {
    this.getters.drop(client);
    this.putters.drop(client);
  }

  private isFull(): boolean {
    return this.maxsize > 0 && this.items.length >= this.maxsize;
  }

  private put(req: HubRequest, respond: Respond): void {
    const item = req.payload ?? Buffer.alloc(0);
    const getter = this.getters.shift();
    if (getter) {
      getter.respond({}, item);
      return respond({});
    }
    if (!this.isFull()) {
      this.items.push(item);
      return respond({});
    }
    const seconds = waitSeconds(req.header);
    if (seconds === 0) return respond(toWire(new Full()));
    this.putters.add(req, respond, seconds, (r) => r(toWire(new Full())), item);
  }

  private get(req: HubRequest, respond: Respond): void {
    const item = this.items.shift();
    if (item) {
      respond({}, item);
      this.admitPutters();
      return;
    }
    const seconds = waitSeconds(req.header);
    if (seconds === 0) return respond(toWire(new Empty()));
    this.getters.add(req, respond, seconds, (r) => r(toWire(new Empty())), undefined);
  }

  private admitPutters(): void {
    while (!this.isFull()) {
      const putter = this.putters.shift();
      if (!putter) return;
      this.items.push(putter.extra);
      putter.respond({});
    }
  }
}

registerKind(KIND, (params) => new QueueState(Number(params.maxsize) || 0));
