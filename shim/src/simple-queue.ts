// `SimpleQueue<T>`: Python's locked pipe without a size limit or timeouts: put, get, empty and
// close. Its items live in the hub like a Queue's (the same hub state, unbounded). After close(),
// every method of this process's proxy fails with "handle is closed", as Python's closed pipe does.
import { ProcessError } from './errors';
import { registerKind } from './hub';
import { reviveWith, takeRef } from './proxy';
import { QueueState } from './queue';
import { call, post } from './runtime';
import { decode, encode, kShare, registerReviver, type ObjectRef, type Shareable } from './serialize';

const KIND = 'simplequeue';

export class SimpleQueue<T = unknown> implements Shareable {
  readonly #ref: ObjectRef = takeRef(KIND, () => ({}));
  #closed = false;

  async put(item: T): Promise<void> {
    this.checkOpen();
    await post(this.#ref, 'put', {}, encode(item, 'the queue item'));
  }

  /** Wait for an item (no timeout, as in Python). */
  async get(): Promise<T> {
    this.checkOpen();
    return decode((await call(this.#ref, 'get')).payload!) as T;
  }

  async empty(): Promise<boolean> {
    this.checkOpen();
    return (await call(this.#ref, 'empty')).header.v as boolean;
  }

  /** Close this process's use of the queue (a second call does nothing). */
  close(): void {
    this.#closed = true;
  }

  [kShare](): ObjectRef {
    return this.#ref;
  }

  toString(): string {
    return `<SimpleQueue ${this.#ref.id}>`;
  }

  private checkOpen(): void {
    if (this.#closed) throw new ProcessError('handle is closed');
  }
}

registerReviver(KIND, (ref) => reviveWith(ref, () => new SimpleQueue()));
registerKind(KIND, () => new QueueState(0));
