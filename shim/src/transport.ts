// The wire between a process and the hub, and the `Port` through which shim objects reach the hub.
//
// Frame: [u32 BE rest][u32 BE headerLen][header: JSON, headerLen bytes][payload: rest - 4 - headerLen bytes]
// where `rest` counts every byte after the first field. Requests carry {i: id, o: op, t: objectId,
// ...small args}; replies carry {i, v?: small result} or {i, e: errorName, m: message}. The payload
// is an item's serialized bytes, which the hub stores and forwards without decoding.
// A request without `i` (or with i = 0) is a *post*: the hub runs it and answers nothing. Posts are
// the operations that cannot fail in the hub (a put to an unbounded queue, a store into a raw
// Value, ...): the caller's promise resolves once the frame is in the kernel's socket buffer, from
// where it reaches the hub even if the process dies right after (see SocketPort.post).
// Before the first operation on an object, a connection sends {o: 'decl', t, k: kind, p: params}
// (no reply), so the hub can create the object on first sight whoever made it.
// Other frames: {i, o: 'hello', pid, name} first of all (who is connecting; the hub answers it, and
// posts wait for that answer, so the hub knows the connection before any post counts as done);
// Replies that hand something over (an item, a message, a lock) carry a delivery id `d` (increasing
// per connection); the process confirms it before any of its code sees it, so the hub can take
// back what a process never received if it dies. It confirms by writing the highest id received
// into its ack file (named `af` in hello, beside the hub's socket; a write that wakes nobody, and
// that the hub reads once the connection is closed), and tells the hub in passing (`a` on its
// next request) so the hub can forget older ones; without an ack file, with {o: 'ack', d: [ids]}
// frames. And
// {o: 'bye'} just before an orderly disconnect (a connection that ends without it died). The hub
// may push frames without `i` to a connection ({n: kind, t: objectId, ...}, see `onPush`).
//
// Writes are coalesced: frames made in the same tick leave in one write (see Outbox).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { internalSocket } from './activity';
import { ProcessError } from './errors';
import type { ObjectRef } from './serialize';

export type Header = Record<string, unknown>;

export interface Reply {
  header: Header;
  payload: Buffer | null;
}

/** How a process reaches the hub: a direct call in the root process, a socket elsewhere. */
export interface Port {
  /**
   * Send a request; `done` gets its reply (a made-up error reply if the connection is lost).
   * Returns the request's id, for cancel().
   */
  call(ref: ObjectRef, op: string, args: Header, payload: Buffer | null, done: (reply: Reply) => void): number;
  /**
   * Give up waiting for request `id`: its reply is dropped, and the hub takes back whatever the
   * reply would have handed over (an item, a lock), as for a process that died.
   */
  cancel?(id: number): void;
  /**
   * An operation the hub cannot refuse, without a reply: resolves once nothing can lose it any
   * more. Ports without it (the root's own, a manager's) use call().
   */
  post?(ref: ObjectRef, op: string, args: Header, payload: Buffer | null): Promise<void>;
  /** Like post, without waiting for the write (see SocketPort.send). */
  send?(ref: ObjectRef, op: string, args: Header, payload: Buffer | null): void;
  /** Flush what was written and let go of the hub. */
  close(): Promise<void>;
}

/** Single frames written at once per synchronous run, before further ones wait for a joint write. */
const SYNC_WRITES_PER_TICK = 4;

/** Payloads from this size on are written as their own buffer (no copy into the frame). */
const INLINE_PAYLOAD = 16 * 1024;

/** One frame as one buffer (or two, for a large payload: [prefix + header, payload]). */
export function encodeFrame(header: Header, payload: Uint8Array | null): Buffer[] {
  const json = JSON.stringify(header);
  const hlen = Buffer.byteLength(json);
  const plen = payload ? payload.length : 0;
  const inline = plen > 0 && plen < INLINE_PAYLOAD;
  const buf = Buffer.allocUnsafe(8 + hlen + (inline ? plen : 0));
  buf.writeUInt32BE(4 + hlen + plen, 0);
  buf.writeUInt32BE(hlen, 4);
  buf.write(json, 8, hlen, 'utf8');
  if (inline) {
    buf.set(payload!, 8 + hlen);
    return [buf];
  }
  return plen > 0 ? [buf, Buffer.from(payload!.buffer, payload!.byteOffset, plen)] : [buf];
}

/** One frame whose header is already encoded (see SocketPort.post: constant headers are cached). */
function frameWithHeader(head: Buffer, payload: Uint8Array | null): Buffer[] {
  const hlen = head.length;
  const plen = payload ? payload.length : 0;
  const inline = plen > 0 && plen < INLINE_PAYLOAD;
  const buf = Buffer.allocUnsafe(8 + hlen + (inline ? plen : 0));
  buf.writeUInt32BE(4 + hlen + plen, 0);
  buf.writeUInt32BE(hlen, 4);
  head.copy(buf, 8);
  if (inline) {
    buf.set(payload!, 8 + hlen);
    return [buf];
  }
  return plen > 0 ? [buf, Buffer.from(payload!.buffer, payload!.byteOffset, plen)] : [buf];
}

/**
 * For a post whose header is only its operation and object, plus at most the trace's site number
 * (`cs`) and the steering's `file:line` (`sl`): a key of those (its encoded header can be cached);
 * null for any other argument.
 */
function siteOnly(h: Header): string | null {
  let key = '';
  for (const k in h) {
    if (k === 'cs' || k === 'sl') key += `${k}=${String(h[k])};`;
    else return null;
  }
  return key;
}

/** Write one frame now (frames of one socket written this way keep their order). */
export function writeFrame(socket: net.Socket, header: Header, payload: Uint8Array | null): void {
  const parts = encodeFrame(header, payload);
  if (parts.length === 1) {
    socket.write(parts[0]!);
    return;
  }
  socket.cork();
  for (const p of parts) socket.write(p);
  socket.uncork();
}

/**
 * Frames waiting to be written to one socket. Everything pushed in one tick leaves in one write,
 * at the next process.nextTick (after the current code and its microtasks), or at once with
 * flush(). `written()` resolves once what was pushed so far is in the kernel's socket buffer.
 */
export class Outbox {
  private parts: Buffer[] = [];
  private bytes = 0;
  private scheduled = false;
  /** Waiting for the next flush to reach the kernel. */
  private waiters: ((err?: Error | null) => void)[] = [];
  /** Waiting for every earlier write to reach the kernel. */
  private drainWaiters: ((err?: Error | null) => void)[] = [];
  private writesThisTick = 0;

  constructor(private readonly socket: net.Socket) {}

  push(parts: Buffer[]): void {
    for (let k = 0; k < parts.length; k++) {
      this.parts.push(parts[k]!);
      this.bytes += parts[k]!.length;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /**
   * Write `parts` at once, if nothing is waiting or queued before them and the current synchronous
   * run has not made a few such writes already (the rest of a burst of frames still leaves
   * together, in one write at the next process.nextTick). True when the kernel took it
   * all; false when it was pushed (or partly written, the rest queued): then wait for written().
   */
  writeThrough(parts: Buffer[]): boolean {
    const socket = this.socket;
    const fd = this.parts.length === 0 && this.writesThisTick < SYNC_WRITES_PER_TICK && socket.writableLength === 0 && !socket.connecting && socket.writable
      ? (socket as unknown as { _handle?: { fd?: number } })._handle?.fd
      : undefined;
    if (typeof fd !== 'number' || fd < 0) {
      this.push(parts);
      return false;
    }
    // Frames made one after another in the same synchronous run (a burst: no await between them)
    // count together; the next microtask starts afresh (a loop that awaits each put).
    if (this.writesThisTick++ === 0) queueMicrotask(() => (this.writesThisTick = 0));
    let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    try {
      buf = buf.subarray(fs.writeSync(fd, buf));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        this.push([buf]); // the stream reports the error
        return false;
      }
    }
    if (buf.length === 0) return true;
    // The kernel's buffer is full: the rest goes through the stream, ahead of anything later.
    socket.write(buf, (err) => this.wakeDrain(err));
    return false;
  }

  private wakeDrain(err?: Error | null): void {
    if (this.drainWaiters.length > 0 && (err || this.socket.writableLength === 0)) {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w(err);
    }
  }

  /**
   * At process exit (process.exit(), an uncaught error): write what is still waiting, synchronously,
   * if nothing the stream queued earlier would then come after it.
   */
  flushSync(): void {
    const socket = this.socket;
    if (this.parts.length === 0 || socket.destroyed || socket.writableLength > 0) return;
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return;
    let buf = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    for (let spins = 0; buf.length > 0 && spins < 100_000; spins++) {
      try {
        buf = buf.subarray(fs.writeSync(fd, buf));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      }
    }
  }

  /** Resolve once everything pushed so far has been handed to the kernel. */
  written(): Promise<void> {
    const socket = this.socket;
    if (this.parts.length === 0 && socket.writableLength === 0 && !socket.connecting) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = (err?: Error | null) => (err ? reject(err) : resolve());
      if (this.parts.length > 0) this.waiters.push(w);
      else if (socket.destroyed) reject(new ProcessError('lost the connection to the main process'));
      else this.drainWaiters.push(w);
    });
  }

  flush(): void {
    this.scheduled = false;
    const parts = this.parts;
    if (parts.length === 0) return;
    const waiters = this.waiters;
    const bytes = this.bytes;
    this.parts = [];
    this.waiters = [];
    this.bytes = 0;
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) {
      const err = new ProcessError('lost the connection to the main process');
      for (const w of waiters) w(err);
      return;
    }
    const done = (err?: Error | null) => {
      for (const w of waiters) w(err);
      waiters.length = 0;
      this.wakeDrain(err);
    };
    if (parts.length === 1 || bytes <= 256 * 1024) {
      socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes), done);
    } else {
      socket.cork();
      for (let k = 0; k < parts.length; k++) socket.write(parts[k]!, k === parts.length - 1 ? done : undefined);
      socket.uncork();
    }
    // A write the kernel took whole leaves nothing queued: its waiters need not wait for the callback.
    if (waiters.length > 0 && socket.writableLength === 0 && !socket.connecting) {
      for (const w of waiters) w();
      waiters.length = 0;
    }
  }
}

/**
 * Cuts a byte stream into frames. A payload is copied out of the read buffer (so a stored item
 * does not pin a whole chunk), unless it fills most of it.
 */
export class FrameDecoder {
  /** Bytes of an incomplete frame: chunks kept until the frame is whole. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly onFrame: (header: Header, payload: Buffer | null) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.heldBytes > 0) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      const need = this.frameSize();
      if (need < 0 || this.heldBytes < need) return;
      buf = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
    }
    let off = 0;
    const len = buf.length;
    while (len - off >= 4) {
      const end = off + 4 + buf.readUInt32BE(off);
      if (end > len) break;
      const hlen = buf.readUInt32BE(off + 4);
      const hend = off + 8 + hlen;
      const header = JSON.parse(buf.toString('utf8', off + 8, hend)) as Header;
      let payload: Buffer | null = null;
      if (end > hend) {
        payload = (end - hend) * 2 >= len ? buf.subarray(hend, end) : Buffer.from(buf.subarray(hend, end));
      }
      off = end;
      this.onFrame(header, payload);
    }
    if (off < len) {
      const rest = buf.subarray(off);
      this.held.push(rest);
      this.heldBytes = rest.length;
    }
  }

  /** Size of the frame the held bytes start (-1 while its length field is incomplete). */
  private frameSize(): number {
    if (this.heldBytes < 4) return -1;
    if (this.held[0]!.length < 4) {
      this.held = [Buffer.concat(this.held, this.heldBytes)];
    }
    return 4 + this.held[0]!.readUInt32BE(0);
  }
}

let ackFiles = 0;

/** A fresh ack file in the hub's directory (see the top of this file); null if it cannot be made. */
function openAckFile(dir: string): { fd: number; path: string; buf: Buffer } | null {
  const file = path.join(dir, `ack-${process.pid}-${++ackFiles}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    const buf = Buffer.alloc(8);
    fs.writeSync(fd, buf, 0, 8, 0);
    return { fd, path: file, buf };
  } catch {
    return null;
  }
}

/** The highest delivery id an ack file confirms (0: none, or no such file). Removes the file. */
export function readAckFile(file: string): number {
  let top = 0;
  try {
    const buf = fs.readFileSync(file);
    if (buf.length >= 8) top = buf.readDoubleLE(0);
  } catch {
    // never made, or already gone
  }
  try {
    fs.unlinkSync(file);
  } catch {
    // gone
  }
  return Number.isFinite(top) ? top : 0;
}

/** A frame the hub pushed (no request id); see SocketPort.onPush. */
export type PushHandler = (header: Header) => void;

/** A child's connection to the hub over its Unix domain socket. */
export class SocketPort implements Port {
  private readonly socket: net.Socket;
  private readonly out: Outbox;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  /**
   * Frames of operations written to and read from the hub (the monitor's own frames, probes and
   * their answers, are not counted): see monitor.ts.
   */
  framesOut = 0;
  framesIn = 0;
  private readonly declared = new Set<string>();
  private nextId = 1;
  private failure: Error | null = null;
  /** Resolves once the hub answered `hello`: it knows this connection (see post). */
  private readonly known: Promise<void>;
  private isKnown = false;
  private readonly pushHandlers = new Map<string, PushHandler>();
  /** Encoded headers of posts without arguments, per operation and object. */
  private readonly heads = new Map<string, Buffer>();
  /** The ack file (see the top of this file), or null: acks are frames. */
  private ackFd: { fd: number; path: string; buf: Buffer } | null;
  /** The highest delivery id confirmed in the ack file, and the one last told to the hub. */
  private acked = 0;
  private ackedTold = 0;

  constructor(socketPath: string, hello: Header = {}) {
    this.socket = net.createConnection(socketPath);
    this.socket.unref(); // pending calls hold the process open (runtime.hold), not the socket
    internalSocket(this.socket);
    this.out = new Outbox(this.socket);
    const helloId = this.nextId++;
    this.known = new Promise<void>((resolve) => {
      this.pending.set(helloId, () => {
        this.isKnown = true;
        resolve();
      });
    });
    this.ackFd = openAckFile(path.dirname(socketPath));
    const helloHeader: Header = { ...hello, i: helloId, o: 'hello' };
    if (this.ackFd !== null) helloHeader.af = this.ackFd.path;
    this.out.push(encodeFrame(helloHeader, null));
    this.framesOut++;
    const received: number[] = [];
    const decoder = new FrameDecoder((header, payload) => {
      if (typeof header.d === 'number') received.push(header.d);
      const i = header.i as number | undefined;
      if (i === undefined) {
        if (header.n !== 'probe') this.framesIn++;
        const h = this.pushHandlers.get(header.t as string);
        if (h) h(header);
        return;
      }
      this.framesIn++;
      const done = this.pending.get(i);
      if (!done) return;
      this.pending.delete(i);
      done({ header, payload });
    });
    this.socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      // Confirm hand-overs before any code sees them (promise callbacks run after this handler).
      if (received.length === 0) return;
      const ack = this.ackFd;
      if (ack !== null) {
        const top = received[received.length - 1]!;
        try {
          ack.buf.writeDoubleLE(top, 0);
          fs.writeSync(ack.fd, ack.buf, 0, 8, 0);
          this.acked = top;
        } catch {
          this.ackFd = null; // the file is gone: confirm with frames from now on
        }
      }
      if (this.ackFd === null && this.socket.writable) {
        this.framesOut++;
        this.out.push(encodeFrame({ o: 'ack', d: received.slice() }, null));
        this.out.flush();
      }
      received.length = 0;
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new ProcessError('lost the connection to the main process')));
    // process.exit() or an uncaught error: what waits in the outbox still leaves.
    process.on('exit', () => this.out.flushSync());
  }

  /** Handle frames the hub pushes about object `id` (no request of ours asked for them). */
  onPush(id: string, handler: PushHandler): void {
    this.pushHandlers.set(id, handler);
  }

  private declare(ref: ObjectRef): void {
    if (!this.declared.has(ref.id)) {
      this.framesOut++;
      this.out.push(encodeFrame({ o: 'decl', t: ref.id, k: ref.kind, p: ref.params }, null));
      this.declared.add(ref.id);
    }
  }

  /** Tell the hub, in passing, which deliveries the ack file confirms (it forgets those). */
  private tellAcked(args: Header): void {
    if (this.acked > this.ackedTold) {
      args.a = this.acked;
      this.ackedTold = this.acked;
    }
  }

  call(ref: ObjectRef, op: string, args: Header, payload: Buffer | null, done: (reply: Reply) => void): number {
    const i = this.nextId++;
    if (this.failure) {
      const err = this.failure;
      queueMicrotask(() => done({ header: { e: err.name, m: err.message }, payload: null }));
      return i;
    }
    this.declare(ref);
    this.tellAcked(args);
    args.i = i;
    args.o = op;
    args.t = ref.id;
    this.pending.set(i, done);
    this.framesOut++;
    this.out.writeThrough(encodeFrame(args, payload));
    return i;
  }

  cancel(id: number): void {
    if (!this.pending.delete(id) || this.failure || !this.socket.writable) return;
    this.framesOut++;
    this.out.push(encodeFrame({ o: 'cancel', c: id }, null));
  }

  /**
   * A frame of the monitor's own (a probe's answer, a trace event): not counted among the
   * operations' frames, written now.
   */
  control(header: Header): void {
    if (this.failure || !this.socket.writable) return;
    this.out.writeThrough(encodeFrame(header, null));
  }

  /** Whether the connection still works. */
  get open(): boolean {
    return this.failure === null;
  }

  /**
   * Send a request the hub answers nothing to. Resolves once the frame is in the kernel's buffer
   * (a Unix socket delivers what was written even after the writer dies) and the hub has answered
   * `hello` (so a join() in another process can wait until the hub read this connection to its end).
   */
  post(ref: ObjectRef, op: string, args: Header, payload: Buffer | null): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.declare(ref);
    this.tellAcked(args);
    let parts: Buffer[];
    this.framesOut++;
    const site = siteOnly(args);
    if (site !== null) {
      // The usual put: a header that never changes for this object (and call site, when traced).
      const key = `${op}\u0000${ref.id}\u0000${site}`;
      let head = this.heads.get(key);
      if (!head) this.heads.set(key, (head = Buffer.from(JSON.stringify({ ...args, o: op, t: ref.id }))));
      parts = frameWithHeader(head, payload);
    } else {
      args.o = op;
      args.t = ref.id;
      parts = encodeFrame(args, payload);
    }
    if (this.isKnown && this.out.writeThrough(parts)) return Promise.resolve();
    if (!this.isKnown) this.out.push(parts);
    const written = this.out.written();
    return this.isKnown ? written : Promise.all([written, this.known]).then(() => undefined);
  }

  /**
   * Send a request without a reply and without waiting for it to leave: it goes with the next
   * write (this tick), or at exit (see Outbox.flushSync). For a release: lost only if the process
   * is killed in between, when the hub then treats the lock as held by a process that died.
   */
  send(ref: ObjectRef, op: string, args: Header, payload: Buffer | null): void {
    if (this.failure) return;
    this.declare(ref);
    this.tellAcked(args);
    args.o = op;
    args.t = ref.id;
    this.framesOut++;
    this.out.push(encodeFrame(args, payload));
  }

  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    if (this.socket.writable) {
      this.framesOut++;
      this.out.push(encodeFrame({ o: 'bye' }, null));
    }
    // Once the last frames are in the kernel they reach the hub whatever this process does next.
    // (A hub that reads nothing for 2 s while the kernel's buffer is full is not waited for.)
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), 2000);
    });
    return Promise.race([this.out.written(), limit]).then(
      () => {
        clearTimeout(timer);
        this.socket.end();
      },
      () => {
        clearTimeout(timer);
        this.socket.destroy();
      },
    );
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const done of waiting) done({ header: { e: err.name, m: err.message }, payload: null });
  }
}
