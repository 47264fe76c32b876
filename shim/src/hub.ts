// The hub: the one owner of every shared object's state (queue items, lock owners, event flags,
// ...). It lives in the root main process; children reach it over a Unix domain socket (served
// here), the root itself through a direct in-process port. Blocking operations wait in the hub,
// which holds their waiters and timers and answers them (an item, or Empty/Full).
// Each kind of shared object registers a factory for its hub-side state (see queue.ts).
// The hub notices a process's end as its connection closing: what was handed to it and never
// confirmed is taken back, then each object drops it (and hands on what it held if it died).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterSeconds } from './clock';
import { ProcessError, toWire } from './errors';
import type { ObjectRef } from './serialize';
import { encodeFrame, FrameDecoder, Outbox, readAckFile, type Header, type Port, type Reply } from './transport';

/** One connection to the hub (a child process, or the root's own port). */
export interface HubClient {
  readonly id: string;
  /** Set once the connection is closing: its waiters must not be handed anything any more. */
  gone?: boolean;
  /** The process behind the connection (it says so first thing), for messages naming it. */
  pid?: number;
  name?: string;
  /** The process said goodbye before disconnecting (an orderly exit). Gone without it: it died. */
  clean?: boolean;
  /** Send a frame the process did not ask for (socket clients only; see SocketPort.onPush). */
  push?(header: Header): void;
}

/** True once a client's process is gone without its orderly exit (killed, crashed, process.exit). */
export function died(client: HubClient): boolean {
  return client.gone === true && client.clean !== true;
}

/**
 * Answers a request. `undelivered`, when given, marks an answer that hands something over (an
 * item, a message, a lock): if the receiving process goes away before it confirms receipt, the
 * hub calls `undelivered` so the object can take the thing back (nothing is lost or stolen).
 */
export type Respond = (reply: Header, payload?: Buffer | null, undelivered?: () => void) => void;

export interface HubRequest {
  client: HubClient;
  header: Header;
  payload: Buffer | null;
}

/** The hub-side state of one shared object. */
export interface HubObject {
  handle(op: string, req: HubRequest, respond: Respond): void;
  /** Forget the waiters of a client that went away (its process exited or was killed). */
  drop(client: HubClient): void;
}

/** What a kind's factory may ask of the hub: the state of another shared object it builds on. */
export interface HubContext {
  /** The hub-side state of `ref` (declared now if it is new); undefined for an unknown kind. */
  object(ref: ObjectRef): HubObject | undefined;
  /** Resolves once no connection of process `pid` is open, every frame it sent handled. */
  drained(pid: number): Promise<void>;
}

type Factory = (params: Record<string, unknown>, hub: HubContext, id: string) => HubObject;

const kinds = new Map<string, Factory>();

export function registerKind(kind: string, create: Factory): void {
  kinds.set(kind, create);
}

/**
 * How long a request may wait, from its `b` (block) and `to` (timeout, seconds) fields:
 * 0 = answer now, undefined = forever. Negative timeouts count as 0 and `b: false` ignores `to`.
 */
export function waitSeconds(h: Header): number | undefined {
  if (h.b === false) return 0;
  return typeof h.to === 'number' ? Math.max(0, h.to) : undefined;
}

interface Waiter<X> {
  client: HubClient;
  respond: Respond;
  extra: X;
  cancel: (() => void) | undefined;
}

/** FIFO of blocked requests, each with an optional timeout. */
export class WaitList<X = undefined> {
  private list: Waiter<X>[] = [];

  /** Park a request; after `seconds` (if given) it leaves the list and `onTimeout` answers it. */
  add(
    req: HubRequest,
    respond: Respond,
    seconds: number | undefined,
    onTimeout: (respond: Respond) => void,
    extra: X,
  ): void {
    const w: Waiter<X> = { client: req.client, respond, extra, cancel: undefined };
    if (seconds !== undefined) {
      // Unref'd: the waiting process keeps the root alive, not the hub's timers.
      w.cancel = afterSeconds(seconds, () => {
        this.list = this.list.filter((x) => x !== w);
        onTimeout(respond);
      }, false);
    }
    this.list.push(w);
  }

  /** The oldest waiter whose connection is still open. */
  shift(): { client: HubClient; respond: Respond; extra: X } | undefined {
    for (;;) {
      const w = this.list.shift();
      w?.cancel?.();
      if (!w?.client.gone) return w;
    }
  }

  /** How many requests wait (some may belong to connections that are closing). */
  get size(): number {
    return this.list.length;
  }

  /** Forget the waiters of `client`; returns their answer functions (oldest first). */
  drop(client: HubClient): Respond[] {
    const dropped = this.list.filter((w) => w.client === client);
    for (const w of dropped) w.cancel?.();
    this.list = this.list.filter((w) => w.client !== client);
    return dropped.map((w) => w.respond);
  }
}

export class Hub implements HubContext {
  private readonly objects = new Map<string, HubObject>();
  private socketPath: string | null = null;
  private clientCount = 0;
  /** Open socket connections per process (known from their hello). */
  private readonly byPid = new Map<number, Set<HubClient>>();
  private readonly drainWaiters = new Map<number, (() => void)[]>();

  constructor() {
    this.objects.set(HUB_OBJECT, {
      handle: (op, req, respond) => {
        if (op !== 'drained') return respond(toWire(new ProcessError(`unknown hub operation '${op}'`)));
        void this.drained(Number(req.header.pid)).then(() => respond({}));
      },
      drop() {},
    });
  }

  declare(id: string, kind: string, params: Record<string, unknown>): void {
    if (this.objects.has(id)) return;
    const create = kinds.get(kind);
    if (!create) return;
    try {
      this.objects.set(id, create(params, this, id));
    } catch (err) {
      // Params no proxy of this package sends; answer every operation with the reason.
      this.objects.set(id, { handle: (_op, _req, respond) => respond(toWire(err)), drop() {} });
    }
  }

  object(ref: ObjectRef): HubObject | undefined {
    this.declare(ref.id, ref.kind, ref.params);
    return this.objects.get(ref.id);
  }

  drained(pid: number): Promise<void> {
    if (!this.byPid.has(pid)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.drainWaiters.get(pid);
      if (list) list.push(resolve);
      else this.drainWaiters.set(pid, [resolve]);
    });
  }

  dispatch(client: HubClient, header: Header, payload: Buffer | null, respond: Respond): void {
    const obj = this.objects.get(header.t as string);
    if (!obj) {
      respond(toWire(new ProcessError(`unknown shared object ${String(header.t)}`)));
      return;
    }
    try {
      obj.handle(header.o as string, { client, header, payload }, respond);
    } catch (err) {
      respond(toWire(err));
    }
  }

  drop(client: HubClient): void {
    for (const obj of this.objects.values()) obj.drop(client);
  }

  /** The root's own port: calls go straight into the hub (nothing can be lost on the way). */
  localPort(): Port {
    const client: HubClient = { id: `local:${process.pid}`, pid: process.pid, name: 'MainProcess' };
    return {
      call: (ref: ObjectRef, op: string, args: Header, payload: Buffer | null) => {
        if (!this.objects.has(ref.id)) this.declare(ref.id, ref.kind, ref.params);
        args.o = op;
        args.t = ref.id;
        return new Promise<Reply>((resolve) => {
          this.dispatch(client, args, payload, (header, p) => resolve({ header, payload: p ?? null }));
        });
      },
      close: () => Promise.resolve(),
    };
  }

  /** Start serving children (once); returns the socket path they connect to. */
  listen(): string {
    if (this.socketPath) return this.socketPath;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-mp-'));
    const socketPath = path.join(dir, 'hub.sock');
    const server = net.createServer((socket) => this.serve(socket));
    server.on('error', (err) => process.emitWarning(`multiprocessing hub: ${err.message}`));
    server.listen(socketPath); // binds synchronously: children may connect right away
    server.unref();
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    this.socketPath = socketPath;
    return socketPath;
  }

  private serve(socket: net.Socket): void {
    socket.unref(); // an idle child (a blocked daemon) must not keep the root alive
    const out = new Outbox(socket);
    const client: HubClient = {
      id: `socket:${++this.clientCount}`,
      push: (header) => {
        if (!client.gone && socket.writable) out.push(encodeFrame(header, null));
      },
    };
    // Hand-overs sent to this client and not yet confirmed (see Respond): delivery id -> take back.
    const unconfirmed = new Map<number, () => void>();
    let deliveries = 0;
    const ignore: Respond = () => {};
    let ackFile: string | null = null;
    /** Forget the hand-overs the process confirmed, up to delivery `top` (ids only grow). */
    const confirmed = (top: number) => {
      for (const d of unconfirmed.keys()) {
        if (d > top) break;
        unconfirmed.delete(d);
      }
    };
    const decoder = new FrameDecoder((header, payload) => {
      if (typeof header.a === 'number') confirmed(header.a);
      switch (header.o) {
        case 'decl':
          this.declare(header.t as string, header.k as string, (header.p ?? {}) as Record<string, unknown>);
          return;
        case 'hello': {
          client.pid = Number(header.pid);
          client.name = String(header.name);
          // (Only a file of this hub's own directory, where the process made it.)
          const af = header.af;
          if (typeof af === 'string' && this.socketPath && path.dirname(af) === path.dirname(this.socketPath) && path.basename(af).startsWith('ack-')) ackFile = af;
          let set = this.byPid.get(client.pid);
          if (!set) this.byPid.set(client.pid, (set = new Set()));
          set.add(client);
          if (header.i) out.push(encodeFrame({ i: header.i }, null));
          return;
        }
        case 'ack':
          for (const d of header.d as number[]) unconfirmed.delete(d);
          return;
        case 'bye':
          client.clean = true;
          return;
      }
      const i = header.i as number | undefined;
      if (!i) {
        // A post: nothing answers it (what it hands over, nobody received, so nothing to take back).
        this.dispatch(client, header, payload, ignore);
        return;
      }
      this.dispatch(client, header, payload, (reply, p, undelivered) => {
        if (client.gone || socket.destroyed || !socket.writable) {
          client.gone = true;
          undelivered?.();
          return;
        }
        // (Headers are encoded right away, so setting fields on the reply object is safe.)
        reply.i = i;
        if (undelivered) {
          reply.d = ++deliveries; // the process confirms it (its ack file, or an 'ack' frame)
          unconfirmed.set(deliveries, undelivered);
        } else if (reply.d !== undefined) {
          delete reply.d;
        }
        out.writeThrough(encodeFrame(reply, p ?? null));
      });
    });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('end', () => (client.gone = true)); // every frame it sent has been handled by now
    socket.on('error', () => {
      client.gone = true;
      socket.destroy();
    });
    socket.on('close', () => {
      client.gone = true;
      // First take back what never reached the process, then release what it held.
      if (ackFile !== null) confirmed(readAckFile(ackFile));
      const takeBack = [...unconfirmed.values()];
      unconfirmed.clear();
      for (const undelivered of takeBack) undelivered();
      this.drop(client);
      if (client.pid !== undefined) {
        const set = this.byPid.get(client.pid);
        set?.delete(client);
        if (set && set.size === 0) {
          this.byPid.delete(client.pid);
          const waiters = this.drainWaiters.get(client.pid) ?? [];
          this.drainWaiters.delete(client.pid);
          for (const w of waiters) w();
        }
      }
    });
  }
}

/** The id of the hub's own object (`drained`), which every hub has. */
export const HUB_OBJECT = 'hub';
