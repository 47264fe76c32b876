// `Event`: a flag in the hub. wait() parks until the flag is set (or its timeout ends); set()
// answers every parked wait at once. set() and clear() cannot fail in the hub: a child sends them
// as posts (see transport.ts).
import { ProcessError, toWire } from './errors';
import { registerKind, WaitList, waitSeconds, type HubClient, type HubObject, type HubRequest, type Respond } from './hub';
import { reviveWith, takeRef } from './proxy';
import { call, post } from './runtime';
import { kShare, registerReviver, type ObjectRef, type Shareable } from './serialize';

export class Event implements Shareable {
  readonly #ref: ObjectRef = takeRef('event', () => ({}));

  async isSet(): Promise<boolean> {
    return (await call(this.#ref, 'isSet')).header.v as boolean;
  }

  /** Set the flag: every waiter (in any process) wakes up. */
  async set(): Promise<void> {
    return post(this.#ref, 'set');
  }

  async clear(): Promise<void> {
    return post(this.#ref, 'clear');
  }

  /** Wait until the flag is set: true; or `timeout` seconds (negative counts as 0) pass: false. */
  async wait(timeout?: number | null): Promise<boolean> {
    return (await call(this.#ref, 'wait', { to: timeout ?? undefined })).header.v as boolean;
  }

  /** Python's repr: `<Event at <id> set>` or `<Event at <id> unset>`. */
  async repr(): Promise<string> {
    return `<Event at ${this.#ref.id} ${(await this.isSet()) ? 'set' : 'unset'}>`;
  }

  [kShare](): ObjectRef {
    return this.#ref;
  }

  toString(): string {
    return `<Event ${this.#ref.id}>`;
  }
}

class EventState implements HubObject {
  private flag = false;
  private readonly waiters = new WaitList();

  handle(op: string, req: HubRequest, respond: Respond): void {
    switch (op) {
      case 'isSet':
        return respond({ v: this.flag });
      case 'set':
        this.flag = true;
        for (let w = this.waiters.shift(); w; w = this.waiters.shift()) w.respond({ v: true });
        return respond({});
      case 'clear':
        this.flag = false;
        return respond({});
      case 'wait': {
        if (this.flag) return respond({ v: true });
        const seconds = waitSeconds(req.header);
        if (seconds === 0) return respond({ v: false });
        return this.waiters.add(req, respond, seconds, (r) => r({ v: false }), undefined);
      }
      default:
        return respond(toWire(new ProcessError(`unknown Event operation '${op}'`)));
    }
  }

  drop(client: HubClient): void {
    this.waiters.drop(client);
  }

  describe(): Record<string, unknown> {
    return { set: this.flag, waiting: this.waiters.waiting() };
  }

  brief(): Record<string, unknown> {
    return { set: this.flag };
  }
}

registerReviver('event', (ref) => reviveWith(ref, () => new Event()));
registerKind('event', () => new EventState());
