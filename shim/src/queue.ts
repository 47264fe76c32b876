// `Queue<T>` and `JoinableQueue<T>`: proxies any process can hold, and `QueueState`, the items and
// waiters kept in the hub. Items travel as serialized bytes: the putter encodes, the hub stores the
// bytes untouched, the getter decodes. A put resolves once nothing can lose the item any more, so
// an item is never lost when its producer exits right after `await q.put(...)` (Python's
// feeder-thread flush is not needed): a put to an unbounded queue cannot wait or fail in the hub,
// so a child sends it as a post (no reply), resolved once the item is in the kernel's socket buffer
// (see transport.ts); a bounded queue's put resolves once the hub holds the item. An item handed to
// a getter whose process dies before receiving it goes back to the front of the queue, so a killed
// consumer neither loses nor steals an item.
import { Empty, Full, ProcessError, toWire } from './errors';
import { registerKind, WaitList, waitSeconds, type HubObject, type HubClient, type HubRequest, type Respond } from './hub';
import { reviveWith, takeRef } from './proxy';
import { call, post } from './runtime';
import { decode, encode, kShare, registerReviver, type ObjectRef, type Shareable } from './serialize';

export class Queue<T = unknown> implements Shareable {
  /** The hub kind of the proxy class (JoinableQueue has its own). */
  protected static readonly kind: string = 'queue';

  readonly #ref: ObjectRef;
  readonly #bounded: boolean;
  #closed = false;
  /** Python's feeder thread starts with the first put; close() then closes the reader too. */
  #fed = false;

  /** `maxsize <= 0` means unbounded. */
  constructor(maxsize = 0) {
    this.#ref = takeRef(new.target.kind, () => ({ maxsize: Number(maxsize) || 0 }));
    this.#bounded = Number(this.#ref.params.maxsize) > 0;
  }

  /** Wait while the queue is full (at most `timeout` seconds), then add `item`. Rejects with Full. */
  async put(item: T, block = true, timeout?: number | null): Promise<void> {
    this.checkOpen();
    const payload = encode(item, 'the queue item');
    this.#fed = true;
    if (!this.#bounded) return post(this.#ref, 'put', {}, payload);
    await call(this.#ref, 'put', { b: block, to: timeout ?? undefined }, payload);
  }

  /** Wait for an item (at most `timeout` seconds) and remove it. Rejects with Empty. */
  async get(block = true, timeout?: number | null): Promise<T> {
    this.checkOpen();
    const reply = await call(this.#ref, 'get', !block ? { b: false } : timeout === undefined || timeout === null ? {} : { to: timeout });
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

  /** Whether the queue holds no item. After close() on a queue this process put to: "handle is closed". */
  async empty(): Promise<boolean> {
    if (this.#closed && this.#fed) throw new ProcessError('handle is closed');
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
    return `<${this.constructor.name} ${this.#ref.id}>`;
  }

  protected get ref(): ObjectRef {
    return this.#ref;
  }

  private checkOpen(): void {
    if (this.#closed) throw new ProcessError(`Queue ${this.#ref.id} is closed`);
  }
}

/**
 * A Queue that counts unfinished tasks: each put adds one, each `taskDone()` removes one, and
 * `join()` waits until none is left.
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  protected static override readonly kind: string = 'joinablequeue';

  /** One item taken with get() is processed. More calls than puts: "task_done() called too many times". */
  async taskDone(): Promise<void> {
    await call(this.ref, 'taskDone');
  }

  /** Wait until every item put has been marked done with taskDone() (no timeout, as in Python). */
  async join(): Promise<void> {
    await call(this.ref, 'join');
  }
}

registerReviver('queue', (ref) => reviveWith(ref, () => new Queue()));
registerReviver('joinablequeue', (ref) => reviveWith(ref, () => new JoinableQueue()));

/** The hub side: items in FIFO order, blocked getters (only while empty), blocked putters (only while full). */
export class QueueState implements HubObject {
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

  describe(): Record<string, unknown> {
    return { depth: this.items.length, maxsize: this.maxsize, getters: this.getters.waiting(), putters: this.putters.waiting() };
  }

  brief(): Record<string, unknown> {
    return { depth: this.items.length };
  }

  /** An item entered the queue (a JoinableQueue counts it as an unfinished task). */
  protected accepted(): void {}

  private isFull(): boolean {
    return this.maxsize > 0 && this.items.length >= this.maxsize;
  }

  private put(req: HubRequest, respond: Respond): void {
    const item = req.payload ?? Buffer.alloc(0);
    if (!this.isFull()) { // (a waiting getter means the queue is empty)
      this.accepted();
      this.offer(item);
      return respond({});
    }
    const seconds = waitSeconds(req.header);
    if (seconds === 0) return respond(toWire(new Full()));
    this.putters.add(req, respond, seconds, (r) => r(toWire(new Full())), item);
  }

  private get(req: HubRequest, respond: Respond): void {
    const item = this.items.shift();
    if (item) {
      this.hand(item, respond);
      this.admitPutters();
      return;
    }
    const seconds = waitSeconds(req.header);
    if (seconds === 0) return respond(toWire(new Empty()));
    this.getters.add(req, respond, seconds, (r) => r(toWire(new Empty())), undefined);
  }

  /** An item for the oldest waiting getter, else the queue (its back, or its front when given back). */
  private offer(item: Buffer, front = false): void {
    const getter = this.getters.shift();
    if (getter) return this.hand(item, getter.respond);
    if (front) this.items.unshift(item);
    else this.items.push(item);
  }

  private hand(item: Buffer, respond: Respond): void {
    respond({}, item, () => this.offer(item, true));
  }

  private admitPutters(): void {
    while (!this.isFull()) {
      const putter = this.putters.shift();
      if (!putter) return;
      this.accepted();
      this.items.push(putter.extra);
      putter.respond({});
    }
  }
}

/** The hub side of a JoinableQueue: a QueueState plus the count of unfinished tasks. */
class JoinableQueueState extends QueueState {
  private unfinished = 0;
  private readonly joiners = new WaitList();

  override handle(op: string, req: HubRequest, respond: Respond): void {
    switch (op) {
      case 'taskDone':
        if (this.unfinished <= 0) throw new ProcessError('task_done() called too many times');
        if (--this.unfinished === 0) {
          for (let j = this.joiners.shift(); j; j = this.joiners.shift()) j.respond({});
        }
        return respond({});
      case 'join':
        if (this.unfinished === 0) return respond({});
        return this.joiners.add(req, respond, undefined, () => {}, undefined);
      default:
        return super.handle(op, req, respond);
    }
  }

  override drop(client: HubClient): void {
    super.drop(client);
    this.joiners.drop(client);
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), unfinished: this.unfinished, joiners: this.joiners.waiting() };
  }

  override brief(): Record<string, unknown> {
    return { ...super.brief(), unfinished: this.unfinished };
  }

  protected override accepted(): void {
    this.unfinished += 1;
  }
}

registerKind('queue', (params) => new QueueState(Number(params.maxsize) || 0));
registerKind('joinablequeue', (params) => new JoinableQueueState(Number(params.maxsize) || 0));
