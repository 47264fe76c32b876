// `Manager`: Python's SyncManager. A separate, real process hosts the objects; every process
// reaches them through proxies whose calls return Promises.
//
// The manager process runs a Hub of its own (hub.ts: the same server that holds the root's shared
// objects), listening on its own Unix socket. Its address travels in every proxy's reference
// (`ObjectRef.at`), so a proxy works in any process it is passed to: runtime.call routes a
// reference with `at` to a connection to that hub, which this module makes (ManagerPort).
// - Containers (dict, list, Namespace, Value) are kinds defined here. Their state lives in the
//   manager as real values: each call sends its arguments (structured clone, shim objects as
//   references) and gets the result back as a copy, as Python's proxies do. A proxy stored inside
//   a container stays a proxy (nesting works); a plain object stored there is a copy.
// - Queues, locks, semaphores, events, conditions and barriers are the shim's own kinds, hosted by
//   the manager's hub instead of the root's: the same proxies, with `at` set.
// The manager process is a daemon child of its owner: it ends with `shutdown()`, when the owner
// exits (after the owner's other children, which may still use it), or when the owner dies.
import { inspect, isDeepStrictEqual } from 'node:util';
import { Barrier } from './barrier';
import { Condition } from './condition';
import { ProcessError, toWire } from './errors';
import { Event } from './event';
import { Hub, registerKind, type HubObject, type HubRequest, type Respond } from './hub';
import { loadTarget, locateTarget, type TargetRef } from './locate';
import { Lock, RLock } from './lock';
import { Process } from './process';
import { JoinableQueue, Queue } from './queue';
import { servingHub } from './monitor';
import { call, nextObjectId, registerInternalTarget, runtime, setRemoteConnector, traceObject, withoutTrace } from './runtime';
import { BoundedSemaphore, Semaphore } from './semaphore';
import { decode, encode, kNotSendable, kShare, registerReviver, reviveRef, type ObjectRef, type Shareable } from './serialize';
import { SocketPort, type Header, type Port, type Reply } from './transport';

// ---- reaching a manager's hub -------------------------------------------------------------------

/** Managers this process shut down: their proxies fail at once, with a clear message. */
const shutDown = new Set<string>();

const KIND_NAMES: Record<string, string> = {
  'manager.dict': 'dict',
  'manager.list': 'list',
  'manager.namespace': 'Namespace',
  'manager.value': 'Value',
  'manager.control': 'manager',
};

function goneReply(ref: ObjectRef, why: string): Reply {
  const what = KIND_NAMES[ref.kind] ?? ref.kind;
  return {
    header: {
      e: 'ProcessError',
      m: `the manager hosting this ${what} proxy ${why}: a manager's proxies cannot be used after its shutdown()`,
    },
    payload: null,
  };
}

/**
 * A connection to a manager's hub: the hub's own client (SocketPort), whose connection failures
 * (replies it makes up itself, without a request id) become a clear "manager is gone" error.
 */
class ManagerPort implements Port {
  readonly inner: SocketPort;

  constructor(readonly address: string) {
    this.inner = new SocketPort(address, { pid: process.pid, name: runtime.name });
  }

  call(ref: ObjectRef, op: string, args: Header, payload: Buffer | null, done: (reply: Reply) => void): number {
    if (shutDown.has(this.address)) {
      queueMicrotask(() => done(goneReply(ref, 'has shut down')));
      return 0;
    }
    return this.inner.call(ref, op, args, payload, (reply) =>
      done(reply.header.i === undefined && typeof reply.header.e === 'string' ? goneReply(ref, 'is gone (its process ended)') : reply),
    );
  }

  cancel(id: number): void {
    this.inner.cancel(id);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

setRemoteConnector((address) => new ManagerPort(address));

// ---- containers: the state in the manager, the proxies everywhere -------------------------------

function pyError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** A container in the manager: each operation takes decoded arguments and returns a value. */
abstract class Referent implements HubObject {
  #ops: Record<string, (...args: unknown[]) => unknown> | null = null;

  handle(op: string, req: HubRequest, respond: Respond): void {
    const args = req.payload ? (decode(req.payload) as unknown[]) : [];
    const fn = (this.#ops ??= this.ops())[op];
    if (!fn) return respond(toWire(new ProcessError(`unknown ${this.constructor.name} operation '${op}'`)));
    const result = fn(...args);
    respond({}, result === undefined ? null : encode(result, `the result of ${op}()`));
  }

  drop(): void {}

  protected abstract ops(): Record<string, (...args: unknown[]) => unknown>;
}

/** Keys are compared by value: primitives as a Map does, arrays and objects by their contents. */
function keyOf(k: unknown): unknown {
  if (k === null || (typeof k !== 'object' && typeof k !== 'function')) return k;
  const share = (k as Partial<Shareable>)[kShare];
  if (typeof share === 'function') return `\u0000ref:${share.call(k).id}`;
  return `\u0000${inspect(k, { depth: Infinity, sorted: true, breakLength: Infinity, compact: true, showHidden: false })}`;
}

class DictState extends Referent {
  private readonly map = new Map<unknown, [unknown, unknown]>();

  private update(entries: [unknown, unknown][]): void {
    for (const [k, v] of entries) this.map.set(keyOf(k), [k, v]);
  }

  protected ops(): Record<string, (...args: unknown[]) => unknown> {
    const m = this.map;
    return {
      init: (entries) => this.update(entries as [unknown, unknown][]),
      get: (k, dflt) => (m.has(keyOf(k)) ? m.get(keyOf(k))![1] : dflt),
      set: (k, v) => void m.set(keyOf(k), [k, v]),
      delete: (k) => m.delete(keyOf(k)),
      has: (k) => m.has(keyOf(k)),
      keys: () => [...m.values()].map((e) => e[0]),
      values: () => [...m.values()].map((e) => e[1]),
      items: () => [...m.values()].map((e) => [e[0], e[1]]),
      size: () => m.size,
      toObject: () => Object.fromEntries([...m.values()].map(([k, v]) => [String(k), v])),
      update: (entries) => this.update(entries as [unknown, unknown][]),
      clear: () => m.clear(),
      pop: (...a) => {
        const key = keyOf(a[0]);
        if (!m.has(key)) {
          if (a.length > 1) return a[1];
          throw pyError('KeyError', inspect(a[0]));
        }
        const v = m.get(key)![1];
        m.delete(key);
        return v;
      },
      setdefault: (k, dflt) => {
        const key = keyOf(k);
        if (!m.has(key)) m.set(key, [k, dflt]);
        return m.get(key)![1];
      },
    };
  }
}

class ListState extends Referent {
  private readonly items: unknown[] = [];

  /** Python's index rules: negative counts from the end. */
  private at(i: unknown, what: string): number {
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`list indices must be integers, not ${typeof i}`);
    const n = i < 0 ? this.items.length + i : i;
    if (n < 0 || n >= this.items.length) throw pyError('IndexError', what);
    return n;
  }

  protected ops(): Record<string, (...args: unknown[]) => unknown> {
    const a = this.items;
    return {
      init: (vs) => void a.push(...(vs as unknown[])),
      append: (v) => void a.push(v),
      extend: (vs) => {
        for (const v of vs as unknown[]) a.push(v);
      },
      get: (i) => a[this.at(i, 'list index out of range')],
      set: (i, v) => void (a[this.at(i, 'list assignment index out of range')] = v),
      pop: (...args) => {
        if (a.length === 0) throw pyError('IndexError', 'pop from empty list');
        const n = this.at(args.length > 0 && args[0] !== undefined && args[0] !== null ? args[0] : -1, 'pop index out of range');
        return a.splice(n, 1)[0];
      },
      insert: (i, v) => {
        let n = Number(i);
        if (n < 0) n = Math.max(0, a.length + n);
        a.splice(Math.min(n, a.length), 0, v);
      },
      remove: (v) => {
        const n = a.findIndex((x) => isDeepStrictEqual(x, v));
        if (n < 0) throw pyError('ValueError', 'list.remove(x): x not in list');
        a.splice(n, 1);
      },
      index: (v) => {
        const n = a.findIndex((x) => isDeepStrictEqual(x, v));
        if (n < 0) throw pyError('ValueError', `${inspect(v)} is not in list`);
        return n;
      },
      count: (v) => a.filter((x) => isDeepStrictEqual(x, v)).length,
      length: () => a.length,
      toArray: () => a,
      slice: (start, end) => a.slice(start as number | undefined, end as number | undefined),
      clear: () => void a.splice(0),
      reverse: () => void a.reverse(),
    };
  }
}

class NamespaceState extends Referent {
  private readonly attrs = new Map<string, unknown>();

  private missing(name: unknown): Error {
    return pyError('AttributeError', `'Namespace' object has no attribute '${String(name)}'`);
  }

  protected ops(): Record<string, (...args: unknown[]) => unknown> {
    const at = this.attrs;
    return {
      init: (init) => {
        for (const [k, v] of Object.entries(init as object)) at.set(k, v);
      },
      get: (name) => {
        if (!at.has(String(name))) throw this.missing(name);
        return at.get(String(name));
      },
      set: (name, v) => void at.set(String(name), v),
      delete: (name) => {
        if (!at.delete(String(name))) throw this.missing(name);
      },
      has: (name) => at.has(String(name)),
      toObject: () => Object.fromEntries(at),
      // Python's Namespace repr: the public names, sorted.
      repr: () =>
        `Namespace(${[...at.keys()]
          .filter((k) => !k.startsWith('_'))
          .sort()
          .map((k) => `${k}=${inspect(at.get(k))}`)
          .join(', ')})`,
    };
  }
}

class ValueState extends Referent {
  private value: unknown;

  protected ops(): Record<string, (...args: unknown[]) => unknown> {
    return {
      init: (v) => void (this.value = v),
      get: () => this.value,
      set: (v) => void (this.value = v),
    };
  }
}

/** The manager's own control object: ping (is it alive) and shutdown. */
class ControlState implements HubObject {
  handle(op: string, _req: HubRequest, respond: Respond): void {
    if (op === 'ping') return respond({ v: process.pid });
    if (op === 'shutdown') {
      respond({});
      // Let the reply leave before the server's target returns and the process exits.
      setTimeout(() => stopServer?.(), 20);
      return;
    }
    respond(toWire(new ProcessError(`unknown manager operation '${op}'`)));
  }

  drop(): void {}
}

registerKind('manager.dict', () => new DictState());
registerKind('manager.list', () => new ListState());
registerKind('manager.namespace', () => new NamespaceState());
registerKind('manager.value', () => new ValueState());
registerKind('manager.control', () => new ControlState());

/** The proxies' common part: the reference, and one call = one round trip to the manager. */
abstract class ManagedProxy implements Shareable {
  readonly #ref: ObjectRef;

  /** Not public API: proxies come from a Manager's factories (or arrive as arguments). */
  constructor(ref: ObjectRef) {
    this.#ref = ref;
  }

  protected async invoke<R>(op: string, ...args: unknown[]): Promise<R> {
    const payload = args.length > 0 ? encode(args, `the arguments of ${op}()`) : null;
    const reply = await call(this.#ref, op, {}, payload);
    return (reply.payload ? decode(reply.payload) : undefined) as R;
  }

  [kShare](): ObjectRef {
    return this.#ref;
  }

  toString(): string {
    return `<${this.constructor.name} ${this.#ref.id}>`;
  }
}

type Entries<K, V> = Map<K, V> | Iterable<readonly [K, V]> | (K extends string ? Record<K, V> : never);

function entriesOf<K, V>(init: Entries<K, V> | Record<string, V>): [K, V][] {
  if (init instanceof Map) return [...(init as Map<K, V>).entries()];
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...(init as Iterable<readonly [K, V]>)].map(([k, v]) => [k, v]);
  }
  return Object.entries(init as Record<string, V>) as unknown as [K, V][];
}

/** A dict in the manager (Python's DictProxy). Keys are compared by value; values come back as copies. */
export class DictProxy<K = string, V = unknown> extends ManagedProxy {
  /** The value for `key`, or `dflt` (undefined) when there is none, as Map.get / dict.get. */
  get(key: K): Promise<V | undefined>;
  get<D>(key: K, dflt: D): Promise<V | D>;
  get(key: K, ...dflt: unknown[]): Promise<unknown> {
    return this.invoke('get', key, ...dflt);
  }

  set(key: K, value: V): Promise<void> {
    return this.invoke('set', key, value);
  }

  /** Remove `key`; resolves whether it was there (Map.delete). */
  delete(key: K): Promise<boolean> {
    return this.invoke('delete', key);
  }

  has(key: K): Promise<boolean> {
    return this.invoke('has', key);
  }

  keys(): Promise<K[]> {
    return this.invoke('keys');
  }

  values(): Promise<V[]> {
    return this.invoke('values');
  }

  items(): Promise<[K, V][]> {
    return this.invoke('items');
  }

  size(): Promise<number> {
    return this.invoke('size');
  }

  /** A copy as a plain object (keys become strings). Python's `d.copy()`. */
  toObject(): Promise<Record<string, V>> {
    return this.invoke('toObject');
  }

  /** Set every entry of `entries` (a plain object, a Map or [key, value] pairs). */
  update(entries: Entries<K, V> | Record<string, V>): Promise<void> {
    return this.invoke('update', entriesOf(entries));
  }

  clear(): Promise<void> {
    return this.invoke('clear');
  }

  /** Remove `key` and resolve its value; without a default, a missing key rejects with KeyError. */
  pop(key: K): Promise<V>;
  pop<D>(key: K, dflt: D): Promise<V | D>;
  pop(key: K, ...dflt: unknown[]): Promise<unknown> {
    return this.invoke('pop', key, ...dflt);
  }

  /** The value for `key`, set to `dflt` first if there is none. */
  setdefault(key: K, dflt: V): Promise<V> {
    return this.invoke('setdefault', key, dflt);
  }
}

/** A list in the manager (Python's ListProxy). Indexes may be negative, as in Python. */
export class ListProxy<T = unknown> extends ManagedProxy {
  append(value: T): Promise<void> {
    return this.invoke('append', value);
  }

  extend(values: Iterable<T>): Promise<void> {
    return this.invoke('extend', [...values]);
  }

  /** The item at `index`; out of range rejects with IndexError. */
  get(index: number): Promise<T> {
    return this.invoke('get', index);
  }

  set(index: number, value: T): Promise<void> {
    return this.invoke('set', index, value);
  }

  /** Remove and resolve the item at `index` (default: the last). */
  pop(index?: number): Promise<T> {
    return index === undefined ? this.invoke('pop') : this.invoke('pop', index);
  }

  insert(index: number, value: T): Promise<void> {
    return this.invoke('insert', index, value);
  }

  /** Remove the first item equal to `value` (deep equality); rejects with ValueError if none. */
  remove(value: T): Promise<void> {
    return this.invoke('remove', value);
  }

  index(value: T): Promise<number> {
    return this.invoke('index', value);
  }

  count(value: T): Promise<number> {
    return this.invoke('count', value);
  }

  length(): Promise<number> {
    return this.invoke('length');
  }

  /** A copy of the whole list (Python's `l[:]`). */
  toArray(): Promise<T[]> {
    return this.invoke('toArray');
  }

  /** A copy of a part, as Array.prototype.slice (Python's `l[start:end]`). */
  slice(start?: number, end?: number): Promise<T[]> {
    return this.invoke('slice', start, end);
  }

  clear(): Promise<void> {
    return this.invoke('clear');
  }

  reverse(): Promise<void> {
    return this.invoke('reverse');
  }
}

/**
 * Python's Namespace proxy: attributes in the manager, read with `get(name)` and written with
 * `set(name, value)` (a property assignment could not be awaited).
 */
export class NamespaceProxy<T extends Record<string, unknown> = Record<string, unknown>> extends ManagedProxy {
  /** The attribute's value; a missing one rejects with AttributeError. */
  get<N extends keyof T & string>(name: N): Promise<T[N]> {
    return this.invoke('get', name);
  }

  set<N extends keyof T & string>(name: N, value: T[N]): Promise<void> {
    return this.invoke('set', name, value);
  }

  /** Python's `del ns.name`; a missing one rejects with AttributeError. */
  delete(name: keyof T & string): Promise<void> {
    return this.invoke('delete', name);
  }

  has(name: keyof T & string): Promise<boolean> {
    return this.invoke('has', name);
  }

  /** A copy of every attribute. */
  toObject(): Promise<Partial<T>> {
    return this.invoke('toObject');
  }

  /** Python's `str(ns)`: `Namespace(a=1, b='x')`, public names sorted. */
  repr(): Promise<string> {
    return this.invoke('repr');
  }
}

/** Python's manager Value (ValueProxy): a value in the manager; `typecode` is only recorded. */
export class ValueProxy<T = number> extends ManagedProxy {
  get typecode(): string {
    return String(this[kShare]().params.typecode);
  }

  get(): Promise<T> {
    return this.invoke('get');
  }

  set(value: T): Promise<void> {
    return this.invoke('set', value);
  }
}

registerReviver('manager.dict', (ref) => new DictProxy(ref));
registerReviver('manager.list', (ref) => new ListProxy(ref));
registerReviver('manager.namespace', (ref) => new NamespaceProxy(ref));
registerReviver('manager.value', (ref) => new ValueProxy(ref));

// The shim's own kinds, hosted by a manager: the same classes (the proxy types user code annotates).
export type QueueProxy<T = unknown> = JoinableQueue<T>;
export type JoinableQueueProxy<T = unknown> = JoinableQueue<T>;
export type LockProxy = Lock;
export type RLockProxy = RLock;
export type SemaphoreProxy = Semaphore;
export type BoundedSemaphoreProxy = BoundedSemaphore;
export type EventProxy = Event;
export type ConditionProxy = Condition;
export type BarrierProxy = Barrier;

// ---- the manager process ------------------------------------------------------------------------

let stopServer: (() => void) | null = null;

/**
 * The target of the manager process (not public API; exported so the child can find it): runs the
 * initializer, serves a hub, reports its address on `ready`, and returns at shutdown.
 */
export async function managerServer(ready: Queue<string>, initializer: TargetRef | null, initargs: unknown[]): Promise<void> {
  const stopped = new Promise<void>((resolve) => (stopServer = resolve));
  if (initializer) {
    const init = (await loadTarget(initializer)) as (...args: unknown[]) => unknown;
    await init(...initargs);
  }
  const hub = new Hub();
  servingHub(hub);
  await ready.put(hub.listen());
  await stopped;
}

// ---- the owner's side ---------------------------------------------------------------------------

function isRef(v: unknown): v is ObjectRef {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Partial<ObjectRef>;
  return typeof r.kind === 'string' && typeof r.id === 'string' && typeof r.params === 'object' && r.params !== null;
}

/** The same reference hosted at `at`, with the references in its params (a Condition's lock) too. */
function rehost(ref: ObjectRef, at: string): ObjectRef {
  if (ref.at !== undefined && ref.at !== at) {
    throw new TypeError(`a ${ref.kind} made outside this manager cannot be part of one of its objects; make it with this manager`);
  }
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ref.params)) {
    if (k !== 'shm') params[k] = isRef(v) ? rehost(v, at) : v; // the manager's hub holds its state, not shared memory
  }
  return { ...ref, params, at };
}

let managerCounter = 0;

const enum MState {
  INITIAL,
  STARTING,
  STARTED,
  SHUTDOWN,
}

/**
 * Python's `multiprocessing.Manager()` (a SyncManager): `const m = await Manager.start()` or
 * `await using m = await Manager.start()`. Its factories resolve to proxies of objects that live in
 * the manager's process; every proxy call returns a Promise.
 */
export class Manager {
  #state = MState.INITIAL;
  #proc: Process | null = null;
  #address: string | null = null;
  #control: ObjectRef | null = null;

  /** Start a manager and resolve it once its process serves. */
  static async start(initializer?: ((...args: never[]) => unknown) | null, initargs: unknown[] = []): Promise<Manager> {
    const m = new Manager();
    await m.start(initializer, initargs);
    return m;
  }

  /** Start the manager process (optionally running `initializer(...initargs)` there first). */
  async start(initializer?: ((...args: never[]) => unknown) | null, initargs: unknown[] = []): Promise<void> {
    if (this.#state === MState.SHUTDOWN) throw new ProcessError('Manager has shut down');
    if (this.#state !== MState.INITIAL) throw new ProcessError('Already started server');
    if (initializer !== undefined && initializer !== null && typeof initializer !== 'function') {
      throw new TypeError('initializer must be a callable');
    }
    const init = initializer ? locateTarget(initializer, 'manager initializer', runtime.main?.file ?? null) : null;
    this.#state = MState.STARTING;
    const ready = withoutTrace(() => new Queue<string>()); // the shim's own
    const proc = new Process({ target: managerServer, args: [ready, init, [...initargs]], daemon: true });
    proc.name = `SyncManager-${++managerCounter}`;
    try {
      proc.start();
    } catch (err) {
      this.#state = MState.INITIAL;
      throw err;
    }
    this.#proc = proc;
    for (;;) {
      try {
        this.#address = await ready.get(true, 0.05);
        break;
      } catch {
        if (!proc.isAlive()) {
          this.#state = MState.SHUTDOWN;
          throw new ProcessError(`the manager process ${proc.name} failed to start (exitcode ${proc.exitcode})`);
        }
      }
    }
    this.#control = { kind: 'manager.control', id: nextObjectId(), params: {}, at: this.#address };
    traceObject(this.#control, proc.pid);
    this.#state = MState.STARTED;
  }

  /** The manager's socket path (Python's `address`); null before start(). */
  get address(): string | null {
    return this.#address;
  }

  /** The manager's process id; null before start(). */
  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  /**
   * Stop the manager process: ask it, then (after a second) terminate it, as Python does. Every
   * proxy of its objects fails from then on. Calling it again does nothing.
   */
  async shutdown(): Promise<void> {
    if (this.#state !== MState.STARTED && this.#state !== MState.STARTING) {
      this.#state = MState.SHUTDOWN;
      return;
    }
    const proc = this.#proc!;
    this.#state = MState.SHUTDOWN;
    if (this.#control) {
      await call(this.#control, 'shutdown').catch(() => undefined);
      shutDown.add(this.#address!);
    }
    await proc.join(1);
    if (proc.isAlive()) {
      proc.terminate();
      await proc.join(1);
      if (proc.isAlive()) {
        proc.kill();
        await proc.join();
      }
    }
  }

  /** Wait for the manager process to end (after shutdown()). */
  async join(timeout?: number | null): Promise<void> {
    if (!this.#proc) throw new ProcessError('can only join a started process');
    await this.#proc.join(timeout ?? undefined);
  }

  /** `await using m = await Manager.start()`: leaving the block shuts the manager down. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  get [kNotSendable](): string {
    return 'a Manager object stays with the process that started it (pass its proxies instead)';
  }

  // ---- factories ----

  /** A dict, optionally filled from a plain object, a Map or [key, value] pairs. */
  async dict<K = string, V = unknown>(init?: Entries<K, V> | Record<string, V> | null): Promise<DictProxy<K, V>> {
    return this.#container('manager.dict', init ? entriesOf(init) : []) as Promise<DictProxy<K, V>>;
  }

  async list<T = unknown>(init?: Iterable<T> | null): Promise<ListProxy<T>> {
    return this.#container('manager.list', init ? [...init] : []) as Promise<ListProxy<T>>;
  }

  async Namespace<T extends Record<string, unknown> = Record<string, unknown>>(init?: Partial<T> | null): Promise<NamespaceProxy<T>> {
    return this.#container('manager.namespace', init ? { ...init } : {}) as Promise<NamespaceProxy<T>>;
  }

  /** Python's manager Value: `typecode` is recorded, not enforced (as in Python). */
  async Value<T = number>(typecode: string, value: T): Promise<ValueProxy<T>> {
    return this.#container('manager.value', value, { typecode }) as Promise<ValueProxy<T>>;
  }

  /** Python's manager Queue is a queue.Queue: it has taskDone() and join() too. */
  async Queue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.#hosted<QueueProxy<T>>(() => new JoinableQueue<T>(maxsize));
  }

  async JoinableQueue<T = unknown>(maxsize = 0): Promise<JoinableQueueProxy<T>> {
    return this.#hosted<JoinableQueueProxy<T>>(() => new JoinableQueue<T>(maxsize));
  }

  async Lock(): Promise<LockProxy> {
    return this.#hosted<LockProxy>(() => new Lock());
  }

  async RLock(): Promise<RLockProxy> {
    return this.#hosted<RLockProxy>(() => new RLock());
  }

  async Semaphore(value = 1): Promise<SemaphoreProxy> {
    return this.#hosted<SemaphoreProxy>(() => new Semaphore(value));
  }

  async BoundedSemaphore(value = 1): Promise<BoundedSemaphoreProxy> {
    return this.#hosted<BoundedSemaphoreProxy>(() => new BoundedSemaphore(value));
  }

  async Event(): Promise<EventProxy> {
    return this.#hosted<EventProxy>(() => new Event());
  }

  /** `lock`, if given, must be a Lock or RLock of this manager. */
  async Condition(lock?: LockProxy | RLockProxy | null): Promise<ConditionProxy> {
    if (lock && lock[kShare]().at !== this.#at()) {
      throw new TypeError('the lock of a manager Condition must be made by the same manager (m.Lock() or m.RLock())');
    }
    return this.#hosted<ConditionProxy>(() => new Condition(lock ?? undefined));
  }

  async Barrier(parties: number, action?: (() => unknown) | null, timeout?: number | null): Promise<BarrierProxy> {
    return this.#hosted<BarrierProxy>(() => new Barrier(parties, action ?? undefined, timeout ?? undefined));
  }

  toString(): string {
    return `<Manager ${['initial', 'starting', 'started', 'shut down'][this.#state]}${this.#address ? ` at ${this.#address}` : ''}>`;
  }

  // ---- internals ----

  /** The manager's address; Python's errors before start() and after shutdown(). */
  #at(): string {
    if (this.#state === MState.SHUTDOWN) throw new ProcessError('Manager has shut down');
    if (this.#state !== MState.STARTED) throw new ProcessError('server not yet started');
    return this.#address!;
  }

  /**
   * A container made in the manager now, with its initial contents (a round trip, as Python's
   * factories are), before its proxy can reach any other process.
   */
  async #container(kind: string, init: unknown, params: Record<string, unknown> = {}): Promise<ManagedProxy> {
    const ref: ObjectRef = { kind, id: nextObjectId(), params, at: this.#at() };
    traceObject(ref, this.#proc?.pid ?? null);
    await call(ref, 'init', {}, encode([init], 'the initial value'));
    return reviveRef(ref) as ManagedProxy;
  }

  /** A shim object made by `make` (its proxy class), hosted by this manager's hub. */
  async #hosted<T>(make: () => Shareable): Promise<T> {
    const at = this.#at();
    const ref = rehost(withoutTrace(make)[kShare](), at);
    traceObject(ref, this.#proc?.pid ?? null);
    const proxy = reviveRef(ref) as T;
    await call(this.#control!, 'ping');
    return proxy;
  }
}

registerInternalTarget(managerServer, 'manager');
