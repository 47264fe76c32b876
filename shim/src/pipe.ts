// `Pipe(duplex)`: two Connection ends (connection.ts) over one hub-side state. Each end has an
// inbox (the messages the other end sent, as bytes), its parked recv and poll calls, and the
// copies of the end that processes hold: the end is gone once no copy is open and none is on its
// way to another process. The other end then reads EOF, and sending to a gone end fails.
import { EOFError, ProcessError, toWire } from './errors';
import { registerKind, WaitList, waitSeconds, who, type HubClient, type HubObject, type HubRequest, type Respond } from './hub';
import { Connection } from './connection';
import { call, nextObjectId, traceObject } from './runtime';
import { registerReviver } from './serialize';

const KIND = 'pipe';

/**
 * A pipe: `[a, b]`. Duplex (the default): both ends send and receive. With `duplex = false`,
 * `a` only receives and `b` only sends.
 */
export function Pipe<T = unknown>(duplex = true): [Connection<T>, Connection<T>] {
  const id = nextObjectId();
  const ends = [0, 1].map((end) => new Connection<T>({ kind: KIND, id, params: { duplex: Boolean(duplex), end } }));
  traceObject({ kind: KIND, id, params: { duplex: Boolean(duplex) } });
  // This process holds the first copy of both ends (before it can send either anywhere).
  void call({ kind: KIND, id, params: { duplex: Boolean(duplex), end: 0 } }, 'open').catch(() => {});
  return [ends[0]!, ends[1]!];
}

registerReviver(KIND, (ref) => {
  const conn = new Connection(ref);
  void call(ref, 'adopt', { e: Number(ref.params.end) }).catch(() => {});
  return conn;
});

class End {
  readonly inbox: Buffer[] = [];
  readonly readers = new WaitList<number | undefined>(); // extra: maxlength
  readonly pollers = new WaitList();
  /** Open copies per process, and copies sent but not yet received. */
  readonly copies = new Map<HubClient, number>();
  pending = 0;
  gone = false;
  /** Processes that send on this end without replies: told when the other end goes. */
  readonly watchers = new Set<HubClient>();
}

const handleClosed = () => toWire(new ProcessError('handle is closed'));
const badLength = () => toWire(new ProcessError('bad message length'));

class PipeState implements HubObject {
  private readonly ends = [new End(), new End()] as const;

  constructor(private readonly id: string) {}

  handle(op: string, req: HubRequest, respond: Respond): void {
    const client = req.client;
    const e = Number(req.header.e) === 1 ? 1 : 0;
    const end = this.ends[e];
    const peer = this.ends[1 - e]!;
    switch (op) {
      case 'open':
        for (const x of this.ends) this.addCopy(x, client);
        return respond({});
      case 'share':
        if (!end.gone) end.pending += 1;
        return respond({});
      case 'adopt':
        if (!end.gone) {
          end.pending = Math.max(0, end.pending - 1);
          this.addCopy(end, client);
        }
        return respond({});
      case 'close': {
        const n = (end.copies.get(client) ?? 0) - 1;
        if (n > 0) end.copies.set(client, n);
        else {
          end.copies.delete(client);
          // This process has no copy left: its own parked calls on the end cannot be answered.
          for (const r of end.readers.drop(client)) r(handleClosed());
          for (const r of end.pollers.drop(client)) r(handleClosed());
        }
        this.checkGone(e);
        return respond({});
      }
      case 'send':
        // (A post arriving after the other end went is dropped, as bytes sent to a closed socket.)
        if (peer.gone) return respond(toWire(new ProcessError('[Errno 32] Broken pipe')));
        if (req.header.w === 1 && client.push) end.watchers.add(client);
        this.deliver(1 - e, req.payload ?? Buffer.alloc(0));
        return respond({});
      case 'recv': {
        const max = typeof req.header.max === 'number' ? req.header.max : undefined;
        const msg = end.inbox.shift();
        if (msg) return this.hand(e, msg, max, respond);
        if (peer.gone) return respond(toWire(new EOFError()));
        return end.readers.add(req, respond, undefined, () => {}, max);
      }
      case 'poll': {
        if (end.inbox.length > 0 || peer.gone) return respond({ v: true });
        const seconds = waitSeconds(req.header);
        if (seconds === 0) return respond({ v: false });
        return end.pollers.add(req, respond, seconds, (r) => r({ v: false }), undefined);
      }
      default:
        return respond(toWire(new ProcessError(`unknown Pipe operation '${op}'`)));
    }
  }

  drop(client: HubClient): void {
    this.ends.forEach((end, e) => {
      end.watchers.delete(client);
      end.readers.drop(client);
      end.pollers.drop(client);
      end.copies.delete(client);
      this.checkGone(e);
    });
  }

  brief(): Record<string, unknown> {
    return { inbox: this.ends.map((e) => e.inbox.length) };
  }

  describe(): Record<string, unknown> {
    return {
      ends: this.ends.map((end) => ({
        messages: end.inbox.length,
        open: [...end.copies].map(([c, count]) => ({ ...who(c), count })),
        closed: end.gone,
        readers: end.readers.waiting(),
      })),
    };
  }

  private addCopy(end: End, client: HubClient): void {
    end.copies.set(client, (end.copies.get(client) ?? 0) + 1);
  }

  /** A message for end `e`: to its oldest parked reader, else its inbox. */
  private deliver(e: number, msg: Buffer, front = false): void {
    const end = this.ends[e]!;
    if (end.gone) return; // nobody can read it any more
    const reader = end.readers.shift();
    if (reader) return this.hand(e, msg, reader.extra, reader.respond);
    if (front) end.inbox.unshift(msg);
    else end.inbox.push(msg);
    for (let p = end.pollers.shift(); p; p = end.pollers.shift()) p.respond({ v: true });
  }

  private hand(e: number, msg: Buffer, max: number | undefined, respond: Respond): void {
    if (max !== undefined && msg.length > max) return respond(badLength());
    // Not received (its process died first): back to the front of the inbox.
    respond({}, msg, () => this.deliver(e, msg, true));
  }

  /** End `e` has no copy left anywhere: the other end reads EOF once its inbox is empty. */
  private checkGone(e: number): void {
    const end = this.ends[e]!;
    if (end.gone || end.copies.size > 0 || end.pending > 0) return;
    end.gone = true;
    end.inbox.length = 0;
    const peer = this.ends[1 - e]!;
    // Processes that send to this end without replies learn it before anything else from the hub.
    for (const w of peer.watchers) w.push?.({ t: this.id, n: 'gone', e: 1 - e });
    peer.watchers.clear();
    for (let r = end.readers.shift(); r; r = end.readers.shift()) r.respond(handleClosed());
    for (let p = end.pollers.shift(); p; p = end.pollers.shift()) p.respond(handleClosed());
    if (peer.inbox.length > 0) return;
    for (let r = peer.readers.shift(); r; r = peer.readers.shift()) r.respond(toWire(new EOFError()));
    for (let p = peer.pollers.shift(); p; p = peer.pollers.shift()) p.respond({ v: true });
  }
}

registerKind(KIND, (_params, _hub, id) => new PipeState(id));
