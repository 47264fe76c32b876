// `Condition(lock?)`: waiters in the hub, tied to a Lock or RLock (a new RLock by default). wait()
// releases the lock entirely (every RLock level) and parks, all in one step in the hub, so no
// notify can slip in between; once notified (or timed out) it takes the lock back, with the same
// number of levels, before it answers. notify() wakes waiters at once (the hub needs no handshake).
import { ProcessError, toWire } from './errors';
import {
  registerKind,
  WaitList,
  waitSeconds,
  type HubClient,
  type HubContext,
  type HubObject,
  type HubRequest,
  type Respond,
} from './hub';
import { Lock, RLock } from './lock';
import { reviveWith, takeRef } from './proxy';
import { call } from './runtime';
import { SemLockState, waitingOn, withAcquired, type Grant } from './semlock';
import { kShare, registerReviver, reviveRef, type ObjectRef, type Shareable } from './serialize';

export class Condition implements Shareable {
  readonly #ref: ObjectRef;
  readonly #lock: Lock | RLock;

  constructor(lock?: Lock | RLock | null) {
    if (lock !== undefined && lock !== null && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError('Condition() needs a Lock or an RLock from this package');
    }
    let own = lock ?? undefined;
    this.#ref = takeRef('condition', () => ({ lock: (own ??= new RLock())[kShare]() }));
    this.#lock = own ?? (reviveRef(this.#ref.params.lock as ObjectRef) as Lock | RLock);
  }

  acquire(block = true, timeout?: number | null): Promise<boolean> {
    return this.#lock.acquire(block, timeout);
  }

  release(): Promise<void> {
    return this.#lock.release();
  }

  /** Python's `with cond:`. */
  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return withAcquired(this.#lock, fn);
  }

  /**
   * Release the lock, wait for a notify (true) or for `timeout` seconds (false), and take the lock
   * back. The lock must be held: "cannot wait on un-acquired lock" otherwise.
   */
  async wait(timeout?: number | null): Promise<boolean> {
    const lock = this.#ref.params.lock as ObjectRef;
    waitingOn(lock, 1);
    try {
      return (await call(this.#ref, 'wait', { to: timeout ?? undefined })).header.v as boolean;
    } finally {
      waitingOn(lock, -1);
    }
  }

  /** Wait until `predicate()` is truthy (checked with the lock held); returns its last value. */
  async waitFor<R>(predicate: () => R | Promise<R>, timeout?: number | null): Promise<R> {
    let result = await predicate();
    const now = () => performance.now() / 1000;
    const end = timeout === undefined || timeout === null ? undefined : now() + timeout;
    while (!result) {
      let wait: number | undefined;
      if (end !== undefined) {
        wait = end - now();
        if (wait <= 0) break;
      }
      await this.wait(wait);
      result = await predicate();
    }
    return result;
  }

  /** Wake up to `n` waiters. The lock must be held: "cannot notify on un-acquired lock" otherwise. */
  async notify(n = 1): Promise<void> {
    await call(this.#ref, 'notify', { n });
  }

  notifyAll(): Promise<void> {
    return this.notify(Number.MAX_SAFE_INTEGER);
  }

  /** Python's repr: `<Condition(<RLock(None, 0)>, 0)>` (the lock, then the number of waiters). */
  async repr(): Promise<string> {
    const waiting = (await call(this.#ref, 'waiting')).header.v as number;
    return `<Condition(${await this.#lock.repr()}, ${waiting})>`;
  }

  [kShare](): ObjectRef {
    return this.#ref;
  }

  toString(): string {
    return `<Condition ${this.#ref.id}>`;
  }
}

class ConditionState implements HubObject {
  private readonly waiters = new WaitList<number>(); // extra: the lock levels to restore

  constructor(
    private readonly lock: SemLockState,
    private readonly lockId: string,
  ) {}

  handle(op: string, req: HubRequest, respond: Respond): void {
    const client = req.client;
    switch (op) {
      case 'wait': {
        if (!this.lock.ownedBy(client)) throw new ProcessError('cannot wait on un-acquired lock');
        const levels = this.lock.releaseAll(client);
        const seconds = waitSeconds(req.header);
        const back = (result: boolean) => this.reacquire(client, levels, respond, result, req.header.i);
        if (seconds === 0) return back(false);
        // Given up (a DeadlockError): take the lock back if it is free, as Python's wait does.
        return this.waiters.add(req, respond, seconds, () => back(false), levels, () => void this.lock.tryAcquire(client, levels));
      }
      case 'notify': {
        if (!this.lock.ownedBy(client)) throw new ProcessError('cannot notify on un-acquired lock');
        for (let n = Number(req.header.n); n > 0; n--) {
          const w = this.waiters.shift();
          if (!w) break;
          this.reacquire(w.client, w.extra, w.respond, true, w.i);
        }
        return respond({});
      }
      case 'waiting':
        return respond({ v: this.waiters.size });
      default:
        return respond(toWire(new ProcessError(`unknown Condition operation '${op}'`)));
    }
  }

  drop(client: HubClient): void {
    this.waiters.drop(client); // a waiter that takes the lock back is the lock's waiter by then
  }

  brief(): Record<string, unknown> {
    return { waiting: this.waiters.size };
  }

  describe(): Record<string, unknown> {
    return { waiting: this.waiters.waiting(), lock: this.lockId, lockState: this.lock.describe() };
  }

  /** Take the lock back for a waiter, then answer it (OwnerDiedError if its holder died meanwhile). */
  private reacquire(client: HubClient, levels: number, respond: Respond, result: boolean, i: unknown): void {
    const grant: Grant = (dead) =>
      respond(dead ? toWire(this.lock.ownerDied(dead)) : { v: result }, null, () =>
        this.lock.ungrant(client, levels, dead),
      );
    this.lock.acquire(client, levels, undefined, grant, () => {}, i);
  }
}

registerReviver('condition', (ref) => {
  const lock = reviveRef(ref.params.lock as ObjectRef) as Lock | RLock;
  return reviveWith(ref, () => new Condition(lock));
});
registerKind('condition', (params, hub: HubContext) => {
  const lock = hub.object(params.lock as ObjectRef);
  if (lock instanceof SemLockState) return new ConditionState(lock, (params.lock as ObjectRef).id);
  return { handle: (_op, _req, respond) => respond(toWire(new ProcessError('a Condition needs a Lock or an RLock'))), drop() {} };
});
