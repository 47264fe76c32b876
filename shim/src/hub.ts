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
import { internalSocket } from './activity';
import { handOnLocks } from './native';
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
  /**
   * Frames of operations read from it and written to it (the monitor's own probe frames are not
   * counted): the deadlock detector compares them with the process's own counts (monitor.ts).
   */
  framesIn?: number;
  framesOut?: number;
  /** What the process said about itself when it connected (see ProcessHello). */
  hello?: Header;
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
  /**
   * The object's state for the wait report: depth, holders, waiters, flags (JSON values only;
   * processes as {pid, name}). Optional: kinds without it show only their kind.
   */
  describe?(): Record<string, unknown>;
  /** The little the trace records after each operation (a queue's depth, a lock's owners). */
  brief?(): Record<string, unknown>;
}

/** Names of the processes that died holding native locks (pid -> name), for OwnerDiedError. */
const deadNames = new Map<number, string>();

/** Names of the processes that connected (pid -> name): holders of native locks in reports. */
const processNames = new Map<number, string>();

/** The name of a process whose native locks this hub handed on (see native.ts), if any. */
export function deadOwnerName(pid: number): string | undefined {
  return deadNames.get(pid);
}

/** The name of a process that connected to this hub (or this process's own), if known. */
export function processName(pid: number): string | undefined {
  return processNames.get(pid) ?? (pid === process.pid ? 'MainProcess' : undefined);
}

/** A process as the wait report names it. */
export function who(client: HubClient): { pid: number | null; name: string } {
  return { pid: client.pid ?? null, name: client.name ?? client.id };
}

/** Operations handled by this process's hub, and timeouts fired: what "progress" means. */
let activity = 0;

export function hubActivity(): number {
  return activity;
}

/** Waiters with an armed timeout, in this process's hub: while any is armed, the hub will act. */
let armedTimeouts = 0;

export function hubTimeouts(): number {
  return armedTimeouts;
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
  /** Stops its timeout, if it has one. */
  disarm: (() => void) | undefined;
  /** The request's id (its process may give it up: see cancelWaiter). */
  i: unknown;
  onCancel: (() => void) | undefined;
}

/** Every wait list of this process's hub, for cancelWaiter. */
const lists = new Set<WaitList<unknown>>();

/**
 * Take request `i` of `client` out of whatever list it waits in (its process gave it up: the
 * DeadlockError): its own `onCancel` runs (a Condition wait takes its lock back if it is free, a
 * Barrier breaks), nothing answers it. False when it does not wait (answered, or in no list).
 */
export function cancelWaiter(client: HubClient, i: unknown): boolean {
  for (const list of lists) if (list.cancel(client, i)) return true;
  return false;
}

/** FIFO of blocked requests, each with an optional timeout. */
export class WaitList<X = undefined> {
  private list: Waiter<X>[] = [];

  constructor() {
    lists.add(this as WaitList<unknown>);
  }

  /**
   * Park a request; after `seconds` (if given) it leaves the list and `onTimeout` answers it.
   * `onCancel` runs if its process gives it up (see cancelWaiter).
   */
  add(
    req: HubRequest,
    respond: Respond,
    seconds: number | undefined,
    onTimeout: (respond: Respond) => void,
    extra: X,
    onCancel?: () => void,
  ): void {
    const w: Waiter<X> = { client: req.client, respond, extra, disarm: undefined, i: req.header.i, onCancel };
    if (seconds !== undefined) {
      // Unref'd: the waiting process keeps the root alive, not the hub's timers.
      armedTimeouts++;
      const disarm = afterSeconds(seconds, () => {
        armedTimeouts--;
        activity++;
        this.list = this.list.filter((x) => x !== w);
        onTimeout(respond);
      }, false);
      w.disarm = () => {
        armedTimeouts--;
        disarm();
      };
    }
    this.list.push(w);
  }

  /** The oldest waiter whose connection is still open. */
  shift(): { client: HubClient; respond: Respond; extra: X; i: unknown } | undefined {
    for (;;) {
      const w = this.list.shift();
      w?.disarm?.();
      if (w) w.disarm = undefined;
      if (!w?.client.gone) return w;
    }
  }

  /** See cancelWaiter. */
  cancel(client: HubClient, i: unknown): boolean {
    if (i === undefined) return false;
    const k = this.list.findIndex((w) => w.client === client && w.i === i);
    if (k < 0) return false;
    const [w] = this.list.splice(k, 1);
    w!.disarm?.();
    w!.disarm = undefined;
    w!.onCancel?.();
    return true;
  }

  /** The processes waiting, oldest first (for the wait report). */
  waiting(): { pid: number | null; name: string }[] {
    return this.list.filter((w) => !w.client.gone).map((w) => who(w.client));
  }

  /** How many requests wait (some may belong to connections that are closing). */
  get size(): number {
    return this.list.length;
  }

  /** Forget the waiters of `client`; returns their answer functions (oldest first). */
  drop(client: HubClient): Respond[] {
    const dropped = this.list.filter((w) => w.client === client);
    for (const w of dropped) {
      w.disarm?.();
      w.disarm = undefined;
    }
    this.list = this.list.filter((w) => w.client !== client);
    return dropped.map((w) => w.respond);
  }
}


/**
 * Sees every operation a hub handles (the trace): called before the object handles it; of what it
 * returns, `handled` runs once the object has taken the operation (answered or parked), `done` when
 * the reply goes out (at once, or later for an operation that waited). Installed only when asked
 * for: the default costs one test per operation.
 */
export type Observer = (client: HubClient, header: Header, payload: Buffer | null, obj: HubObject) => ObservedOp | void;

export interface ObservedOp {
  done(reply: Header, payload: Buffer | null): void;
  handled(): void;
}

/**
 * Decides when an operation runs (controlled scheduling, steered replay): the hub offers it every
 * operation frame, in each connection's order; it calls `run` for each, now or later, with the
 * function the reply goes through (the given `respond`, or one that wraps it). `flush` runs what
 * it holds of a connection that is closing (its frames come before its end). `held` is how many
 * operations it holds now (the deadlock detector waits while it holds any).
 */
export interface Gate {
  offer(client: HubClient, header: Header, payload: Buffer | null, respond: Respond, run: (respond: Respond) => void): void;
  flush(client: HubClient): void;
  closed(client: HubClient): void;
  held(): number;
}

/** Control frames of the monitor protocol (monitor.ts) that a hub hands on instead of running. */
export type ControlHandler = (client: HubClient, header: Header) => void;

/**
 * Operations a gate (controlled scheduling, steering) does not hold: the books of a pipe end's
 * copies, which nothing waits on and which must keep their causal order. A sender shares its copy
 * as it sends it, and the receiver adopts it once it has it; held, the adopt could run first, and
 * the end would count a copy on its way for ever (its other end never reading EOF).
 */
const UNGATED = new Set(['share', 'adopt']);

export class Hub implements HubContext {
  private readonly objects = new Map<string, HubObject>();
  private socketPath: string | null = null;
  private clientCount = 0;
  /** Open socket connections per process (known from their hello). */
  private readonly byPid = new Map<number, Set<HubClient>>();
  private readonly drainWaiters = new Map<number, (() => void)[]>();
  /** Every open socket connection (hello'd or not). */
  private readonly clients = new Set<HubClient>();
  /** The root's own port's client (the main process). */
  readonly local: HubClient = { id: `local:${process.pid}`, pid: process.pid, name: 'MainProcess' };
  observer: Observer | null = null;
  gate: Gate | null = null;
  /** Monitor frames (probe answers, events): see monitor.ts. */
  control: ControlHandler | null = null;
  /** Operations on the hub object itself besides `drained` (the wait report, ...: monitor.ts). */
  readonly services = new Map<string, (req: HubRequest, respond: Respond) => void>();
  /** Connections opening and closing (the monitor and the scheduler learn of processes this way). */
  readonly connectionListeners: ((client: HubClient, open: boolean) => void)[] = [];

  constructor() {
    this.objects.set(HUB_OBJECT, {
      handle: (op, req, respond) => {
        if (op === 'drained') return void this.drained(Number(req.header.pid)).then(() => respond({}));
        if (op === 'sync') return respond({}); // the connection's earlier frames are handled
        if (op === 'deadName') return respond({ v: deadNames.get(Number(req.header.pid)) ?? null });
        const service = this.services.get(op);
        if (service) return service(req, respond);
        respond(toWire(new ProcessError(`unknown hub operation '${op}'`)));
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

  /** The state of a shared object, for the wait report (undefined if this hub does not hold it). */
  describe(id: string): Record<string, unknown> | undefined {
    const obj = this.objects.get(id);
    if (!obj) return undefined;
    return obj.describe?.() ?? {};
  }

  drained(pid: number): Promise<void> {
    if (!this.byPid.has(pid)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.drainWaiters.get(pid);
      if (list) list.push(resolve);
      else this.drainWaiters.set(pid, [resolve]);
    });
  }

  /** Whether a join() waits for a process's connection to be read to its end. */
  draining(): boolean {
    return this.drainWaiters.size > 0;
  }

  /** The open connections of processes that said hello (the monitor probes them). */
  connections(): HubClient[] {
    return [...this.clients].filter((c) => c.pid !== undefined && !c.gone);
  }

  /** Run an operation frame: through the gate when there is one, else now. */
  private intake(client: HubClient, header: Header, payload: Buffer | null, respond: Respond): void {
    const gate = this.gate;
    if (gate === null || UNGATED.has(header.o as string)) return this.dispatch(client, header, payload, respond);
    gate.offer(client, header, payload, respond, (r) => this.dispatch(client, header, payload, r));
  }

  dispatch(client: HubClient, header: Header, payload: Buffer | null, respond: Respond): void {
    activity++;
    const obj = this.objects.get(header.t as string);
    if (!obj) {
      respond(toWire(new ProcessError(`unknown shared object ${String(header.t)}`)));
      return;
    }
    let seen: ObservedOp | void = undefined;
    if (this.observer !== null && (seen = this.observer(client, header, payload, obj))) {
      const inner = respond;
      const op = seen;
      respond = (reply, p, undelivered) => {
        op.done(reply, p ?? null);
        inner(reply, p, undelivered);
      };
    }
    try {
      obj.handle(header.o as string, { client, header, payload }, respond);
    } catch (err) {
      respond(toWire(err));
    }
    seen?.handled();
  }

  drop(client: HubClient): void {
    for (const obj of this.objects.values()) obj.drop(client);
  }

  /** The root's own port: calls go straight into the hub (nothing can be lost on the way). */
  localPort(): Port {
    const client = this.local;
    let ids = 0;
    const cancelled = new Set<number>();
    return {
      call: (ref: ObjectRef, op: string, args: Header, payload: Buffer | null, done: (reply: Reply) => void) => {
        if (!this.objects.has(ref.id)) this.declare(ref.id, ref.kind, ref.params);
        args.o = op;
        args.t = ref.id;
        const id = ++ids;
        args.i = id;
        this.intake(client, args, payload, (header, p, undelivered) => {
          // A call the caller gave up (a DeadlockError): what it would hand over goes back.
          if (cancelled.size > 0 && cancelled.delete(id)) return undelivered?.();
          done({ header, payload: p ?? null });
        });
        return id;
      },
      cancel: (id: number) => {
        if (!cancelWaiter(client, id)) cancelled.add(id);
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
    internalSocket(server);
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    this.socketPath = socketPath;
    return socketPath;
  }

  get address(): string | null {
    return this.socketPath;
  }

  private serve(socket: net.Socket): void {
    socket.unref(); // an idle child (a blocked daemon) must not keep the root alive
    internalSocket(socket);
    const out = new Outbox(socket);
    const client: HubClient = {
      id: `socket:${++this.clientCount}`,
      framesIn: 0,
      framesOut: 0,
      push: (header) => {
        if (!client.gone && socket.writable) {
          if (header.n !== 'probe') client.framesOut!++;
          out.push(encodeFrame(header, null));
        }
      },
    };
    this.clients.add(client);
    // Hand-overs sent to this client and not yet confirmed (see Respond): delivery id -> take back.
    const unconfirmed = new Map<number, () => void>();
    // Requests the process gave up (see SocketPort.cancel): their answer is taken back instead.
    const cancelled = new Set<number>();
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
          client.framesIn!++;
          this.declare(header.t as string, header.k as string, (header.p ?? {}) as Record<string, unknown>);
          return;
        case 'hello': {
          client.framesIn!++;
          client.pid = Number(header.pid);
          client.name = String(header.name);
          processNames.set(client.pid, client.name);
          if (processNames.size > 5000) processNames.delete(processNames.keys().next().value!);
          client.hello = header;
          // (Only a file of this hub's own directory, where the process made it.)
          const af = header.af;
          if (typeof af === 'string' && this.socketPath && path.dirname(af) === path.dirname(this.socketPath) && path.basename(af).startsWith('ack-')) ackFile = af;
          let set = this.byPid.get(client.pid);
          if (!set) this.byPid.set(client.pid, (set = new Set()));
          set.add(client);
          if (header.i) {
            client.framesOut!++;
            out.push(encodeFrame({ i: header.i }, null));
          }
          for (const f of this.connectionListeners) f(client, true);
          return;
        }
        case 'ack':
          client.framesIn!++;
          for (const d of header.d as number[]) unconfirmed.delete(d);
          return;
        case 'bye':
          client.framesIn!++;
          client.clean = true;
          return;
        case 'cancel':
          client.framesIn!++;
          if (!cancelWaiter(client, header.c)) cancelled.add(header.c as number);
          return;
        case 'state': case 'ev': case 'sched':
          // The monitor's own frames (not counted: see monitor.ts).
          this.control?.(client, header);
          return;
      }
      client.framesIn!++;
      const i = header.i as number | undefined;
      if (!i) {
        // A post: nothing answers it (what it hands over, nobody received, so nothing to take back).
        this.intake(client, header, payload, ignore);
        return;
      }
      this.intake(client, header, payload, (reply, p, undelivered) => {
        if (cancelled.size > 0 && cancelled.delete(i)) return undelivered?.();
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
        client.framesOut!++;
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
      // What the gate still holds of this connection came before its end.
      this.gate?.flush(client);
      client.gone = true;
      this.clients.delete(client);
      // First take back what never reached the process, then release what it held.
      if (ackFile !== null) confirmed(readAckFile(ackFile));
      const takeBack = [...unconfirmed.values()];
      unconfirmed.clear();
      for (const undelivered of takeBack) undelivered();
      this.drop(client);
      // Locks in shared memory that a dead process held go to the next acquirer, as above.
      if (died(client) && client.pid !== undefined) {
        deadNames.set(client.pid, client.name ?? client.id);
        if (deadNames.size > 1000) deadNames.delete(deadNames.keys().next().value!);
        handOnLocks(client.pid);
      }
      this.gate?.closed(client);
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
      for (const f of this.connectionListeners) f(client, false);
    });
  }
}

/** The id of the hub's own object (`drained`), which every hub has. */
export const HUB_OBJECT = 'hub';
