// `Connection`: one end of a Pipe, as a proxy any process can hold. Messages live in the hub
// (pipe.ts), as the bytes the sender produced; `send` serializes with structured clone, `recv`
// decodes, and the byte layer (`sendBytes` / `recvBytes`) moves those same bytes untouched.
//
// Like a file descriptor in Python, every process that holds an end holds its own copy of it:
// the creator holds both ends, and each time an end is sent to another process (in args, a queue
// item, a message) the receiver gets a copy. `close()` closes this copy only. The other end reads
// EOF (recv rejects with EOFError once nothing is left) when every copy of this end is closed,
// which also happens when the process holding a copy exits.
import { ProcessError } from './errors';
import { call, onPush, post, postsWithoutReply } from './runtime';
import { decode, encode, kShare, type ObjectRef, type Shareable } from './serialize';

/**
 * Pipe ends ("id#end") whose other end this process knows to be open: a send on them was
 * answered, and the hub tells this process when the other end goes (before anything it tells it
 * later). A child's send on such an end is a post (no reply; see transport.ts); its first send,
 * and any send after the hub said the other end went, waits for the hub's answer, so sending to
 * a closed pipe fails with "Broken pipe" as in Python.
 */
const peerOpen = new Set<string>();
const watched = new Set<string>();

function watch(id: string): void {
  if (watched.has(id)) return;
  watched.add(id);
  onPush(id, (h) => {
    if (h.n === 'gone') peerOpen.delete(`${id}#${String(h.e)}`);
  });
}

/** Bytes as `sendBytes` accepts them. */
export type BytesLike = ArrayBufferView | ArrayBuffer;

export class Connection<T = unknown> implements Shareable {
  readonly #ref: ObjectRef;
  readonly #end: number;
  #closed = false;
  #readable: boolean;
  readonly #writable: boolean;

  /** Made by Pipe() (and when an end arrives from another process), not by user code. */
  constructor(ref: ObjectRef) {
    this.#ref = ref;
    this.#end = Number(ref.params.end);
    const duplex = ref.params.duplex !== false;
    this.#readable = duplex || this.#end === 0;
    this.#writable = duplex || this.#end === 1;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get readable(): boolean {
    return this.#readable;
  }

  get writable(): boolean {
    return this.#writable;
  }

  /** Send one message: `obj` serialized with structured clone. */
  async send(obj: T): Promise<void> {
    this.checkWritable();
    await this.post(encode(obj, 'the message'));
  }

  /** Send `buf[offset, offset + size)` (in bytes) as one message. */
  async sendBytes(buf: BytesLike, offset = 0, size?: number | null): Promise<void> {
    this.checkWritable();
    const bytes = ArrayBuffer.isView(buf)
      ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
      : new Uint8Array(buf);
    const n = bytes.length;
    if (offset < 0) throw new RangeError('offset is negative');
    if (n < offset) throw new RangeError('buffer length < offset');
    if (size === undefined || size === null) size = n - offset;
    else if (size < 0) throw new RangeError('size is negative');
    else if (offset + size > n) throw new RangeError('buffer length < offset + size');
    await this.post(Buffer.from(bytes.subarray(offset, offset + size)));
  }

  /** Wait for a message and decode it. Rejects with EOFError when the other end is closed and nothing is left. */
  async recv(): Promise<T> {
    return decode(await this.take()) as T;
  }

  /** Wait for a message and return its bytes. Longer than `maxlength`: "bad message length". */
  async recvBytes(maxlength?: number | null): Promise<Uint8Array> {
    if (maxlength !== undefined && maxlength !== null && maxlength < 0) throw new RangeError('negative maxlength');
    return new Uint8Array(await this.take(maxlength ?? undefined));
  }

  /**
   * Whether there is something to read (a message, or EOF), waiting at most `timeout` seconds
   * (0, the default: answer at once; null: wait until there is). Does not consume anything.
   */
  async poll(timeout: number | null = 0): Promise<boolean> {
    this.checkReadable();
    return (await call(this.#ref, 'poll', { e: this.#end, to: timeout ?? undefined })).header.v as boolean;
  }

  /** Close this process's copy of the end (a second call does nothing). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void call(this.#ref, 'close', { e: this.#end }).catch(() => {});
  }

  /** `using conn = ...` closes it, like Python's `with conn:`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Sending an end to another process gives that process a copy of it. */
  [kShare](): ObjectRef {
    if (this.#closed) throw new ProcessError('handle is closed');
    void call(this.#ref, 'share', { e: this.#end }).catch(() => {});
    return this.#ref;
  }

  toString(): string {
    const mode = this.#readable && this.#writable ? 'duplex' : this.#readable ? 'read-only' : 'write-only';
    return `<Connection ${this.#ref.id}#${this.#end} ${mode}${this.#closed ? ' closed' : ''}>`;
  }

  private checkReadable(): void {
    if (this.#closed) throw new ProcessError('handle is closed');
    if (!this.#readable) throw new ProcessError('connection is write-only');
  }

  private checkWritable(): void {
    if (this.#closed) throw new ProcessError('handle is closed');
    if (!this.#writable) throw new ProcessError('connection is read-only');
  }

  private async post(payload: Buffer): Promise<void> {
    const ref = this.#ref;
    if (!postsWithoutReply(ref)) {
      await call(ref, 'send', { e: this.#end }, payload);
      return;
    }
    const key = `${ref.id}#${this.#end}`;
    if (peerOpen.has(key)) return post(ref, 'send', { e: this.#end }, payload);
    watch(ref.id);
    await call(ref, 'send', { e: this.#end, w: 1 }, payload);
    peerOpen.add(key);
  }

  private async take(maxlength?: number): Promise<Buffer> {
    this.checkReadable();
    try {
      const reply = await call(this.#ref, 'recv', { e: this.#end, max: maxlength });
      return reply.payload ?? Buffer.alloc(0);
    } catch (err) {
      // Python: a message over maxlength leaves the connection unusable for reading.
      if (err instanceof ProcessError && err.message === 'bad message length') {
        if (this.#writable) this.#readable = false;
        else this.close();
      }
      throw err;
    }
  }
}
