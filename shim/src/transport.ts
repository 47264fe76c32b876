// The wire between a process and the hub, and the `Port` through which shim objects reach the hub.
//
// Frame: [u32 BE rest][u32 BE headerLen][header: JSON, headerLen bytes][payload: rest - 4 - headerLen bytes]
// where `rest` counts every byte after the first field. Requests carry {i: id, o: op, t: objectId,
// ...small args}; replies carry {i, v?: small result} or {i, e: errorName, m: message}. The payload
// is an item's serialized bytes, which the hub stores and forwards without decoding.
// Before the first operation on an object, a connection sends {o: 'decl', t, k: kind, p: params}
// (no reply), so the hub can create the object on first sight whoever made it.
// Other frames without a reply: {o: 'hello', pid, name} first of all (who is connecting);
// {o: 'ack', d: [ids]} confirms replies that carried a delivery id `d` (a hand-over: an item, a
// message, a lock), so the hub can take back what a process never received if it dies; and
// {o: 'bye'} just before an orderly disconnect (a connection that ends without it died).
import net from 'node:net';
import { ProcessError } from './errors';
import type { ObjectRef } from './serialize';

export type Header = Record<string, unknown>;

export interface Reply {
  header: Header;
  payload: Buffer | null;
}

/** How a process reaches the hub: a direct call in the root process, a socket elsewhere. */
export interface Port {
  call(ref: ObjectRef, op: string, args: Header, payload: Buffer | null): Promise<Reply>;
  /** Flush what was written and let go of the hub. */
  close(): Promise<void>;
}

export function writeFrame(socket: net.Socket, header: Header, payload: Uint8Array | null): void {
  const head = Buffer.from(JSON.stringify(header));
  const plen = payload ? payload.length : 0;
  const prefix = Buffer.allocUnsafe(8);
  prefix.writeUInt32BE(4 + head.length + plen, 0);
  prefix.writeUInt32BE(head.length, 4);
  socket.cork();
  socket.write(prefix);
  socket.write(head);
  if (payload && plen) socket.write(payload);
  socket.uncork();
}

/** Cuts a byte stream into frames; payloads are copied out so they do not pin the read buffers. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly onFrame: (header: Header, payload: Buffer | null) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size >= 4) {
      const first = this.contiguous(4);
      const need = 4 + first.readUInt32BE(0);
      if (this.size < need) return;
      const buf = this.contiguous(need);
      const hlen = buf.readUInt32BE(4);
      const header = JSON.parse(buf.toString('utf8', 8, 8 + hlen)) as Header;
      const payload = need > 8 + hlen ? Buffer.from(buf.subarray(8 + hlen, need)) : null;
      const rest = buf.subarray(need);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
      this.onFrame(header, payload);
    }
  }

  /** Make sure the first chunk holds at least `n` bytes (joining chunks only when needed). */
  private contiguous(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }
}

/** A child's connection to the hub over its Unix domain socket. */
export class SocketPort implements Port {
  private readonly socket: net.Socket;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly declared = new Set<string>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(path: string, hello: Header = {}) {
    this.socket = net.createConnection(path);
    this.socket.unref(); // pending calls hold the process open (runtime.hold), not the socket
    writeFrame(this.socket, { ...hello, o: 'hello' }, null);
    const received: number[] = [];
    const decoder = new FrameDecoder((header, payload) => {
      if (typeof header.d === 'number') received.push(header.d);
      const done = this.pending.get(header.i as number);
      if (!done) return;
      this.pending.delete(header.i as number);
      done({ header, payload });
    });
    this.socket.on('data', (chunk) => {
      decoder.push(chunk);
      // Confirm hand-overs before any code sees them (promise callbacks run after this handler).
      if (received.length === 0) return;
      if (this.socket.writable) writeFrame(this.socket, { o: 'ack', d: received }, null);
      received.length = 0;
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new ProcessError('lost the connection to the main process')));
  }

  call(ref: ObjectRef, op: string, args: Header, payload: Buffer | null): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.declared.has(ref.id)) {
      writeFrame(this.socket, { o: 'decl', t: ref.id, k: ref.kind, p: ref.params }, null);
      this.declared.add(ref.id);
    }
    const i = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(i, resolve);
      writeFrame(this.socket, { ...args, i, o: op, t: ref.id }, payload);
    });
  }

  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.socket.writable) writeFrame(this.socket, { o: 'bye' }, null);
      this.socket.end(); // 'finish' follows once every queued write reached the kernel
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const done of waiting) done({ header: { e: err.name, m: err.message }, payload: null });
  }
}
