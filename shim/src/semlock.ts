// What Lock, RLock, Semaphore and BoundedSemaphore share, as Python's SemLock does: one hub-side
// state (a count of free units, who holds how many, FIFO waiters) and a proxy base class with
// acquire / release / withLock / locked.
//
// Beyond Python, the state is robust: when a process dies (its hub connection ends without the
// orderly goodbye) while holding a lock, what it held is handed on. The next acquire that gets it
// rejects with OwnerDiedError naming the dead process, yet holds the lock, so it can repair the
// guarded state and release. A semaphore gives back the units a dead process held, never going
// above its initial value (a Semaphore(0) used as a signal gives nothing back).
import { DeadlockError, OwnerDiedError, ProcessError, toWire, type DeadOwner } from './errors';
import {
  died,
  who,
  WaitList,
  waitSeconds,
  type HubClient,
  type HubObject,
  type HubRequest,
  type Respond,
} from './hub';
import { HUB_OBJECT, deadOwnerName, processName } from './hub';
import { lockBrief, lockHolder, rlockCount, setRlockCount, tryLock, unlock, usable, waitLock, noteDeadHolder } from './native';
import { call, hold, onPush, postsDone, postsWithoutReply, send } from './runtime';
import { kShare, type ObjectRef, type Shareable } from './serialize';
import { openWait, settle } from './waits';

export type SemKind = 'Lock' | 'RLock' | 'Semaphore' | 'BoundedSemaphore';

/** Called when a waiter is given the lock; `dead` names the process that died holding it, if any. */
export type Grant = (dead: DeadOwner | null) => void;

interface Waiter {
  count: number;
  grant: Grant;
}

const ignore: Respond = () => {};

/** The hub side of every lock and semaphore. */
export class SemLockState implements HubObject {
  private value: number;
  /** Units (for an RLock: recursion levels) held per process. */
  private readonly held = new Map<HubClient, number>();
  private readonly waiters = new WaitList<Waiter>();
  /** One entry per unit left behind by a process that died: the next grants report it. */
  private readonly orphans: DeadOwner[] = [];

  constructor(
    readonly kind: SemKind,
    private readonly initial: number,
    private readonly id = '',
  ) {
    this.value = initial;
  }

  handle(op: string, req: HubRequest, respond: Respond): void {
    const client = req.client;
    switch (op) {
      case 'acquire': {
        const grant: Grant = (dead) =>
          respond(dead ? toWire(this.ownerDied(dead)) : { v: true }, null, () => this.ungrant(client, 1, dead));
        return this.acquire(client, 1, waitSeconds(req.header), grant, () => respond({ v: false }), req.header.i);
      }
      case 'release':
        this.release(client);
        return respond({});
      case 'value':
        return respond({ v: this.value });
      case 'locked':
        return respond({ v: this.value === 0 });
      case 'info': // for repr: this process's hold, whether another process holds it
        return respond({
          v: { value: this.value, mine: this.held.get(client) ?? 0, others: [...this.held.keys()].some((c) => c !== client) },
        });
      default:
        return respond(toWire(new ProcessError(`unknown ${this.kind} operation '${op}'`)));
    }
  }

  describe(): Record<string, unknown> {
    return {
      value: this.value,
      holders: [...this.held].map(([c, count]) => ({ ...who(c), count })),
      waiting: this.waiters.waiting(),
    };
  }

  brief(): Record<string, unknown> {
    return { value: this.value, owners: [...this.held.keys()].map((c) => c.pid ?? null) };
  }

  /** Whether `client` holds the lock (Condition checks this before wait and notify). */
  ownedBy(client: HubClient): boolean {
    return (this.held.get(client) ?? 0) > 0;
  }

  /**
   * Take `count` levels (1 for anything but an RLock being restored after a Condition wait) for
   * `client`, waiting at most `seconds` (undefined: forever); `grant` or `timedOut` is called once.
   */
  acquire(client: HubClient, count: number, seconds: number | undefined, grant: Grant, timedOut: () => void, i?: unknown, onCancel?: () => void): void {
    if (this.tryTake(client, count)) return grant(this.orphans.shift() ?? null);
    if (seconds === 0) return timedOut();
    const req: HubRequest = { client, header: { o: 'acquire', t: this.id, i }, payload: null };
    this.waiters.add(req, ignore, seconds, () => timedOut(), { count, grant }, onCancel);
  }

  /** Take `count` levels for `client` now if the lock is free; whether it did (no waiting). */
  tryAcquire(client: HubClient, count: number): boolean {
    return this.tryTake(client, count);
  }

  /** Python's release; throws Python's misuse errors. */
  release(client: HubClient): void {
    switch (this.kind) {
      case 'RLock': {
        const n = this.held.get(client) ?? 0;
        if (n === 0) throw new ProcessError('cannot release un-acquired lock');
        if (n > 1) return void this.held.set(client, n - 1);
        this.held.delete(client);
        this.value = 1;
        break;
      }
      case 'Lock': // any process may release a Lock, as in Python
        if (this.value > 0) throw new ProcessError('release unlocked lock');
        // A holder whose Lock another process released is told (it may post its releases).
        for (const holder of this.held.keys()) if (holder !== client) holder.push?.({ t: this.id, n: 'released' });
        this.held.clear();
        this.value = 1;
        break;
      default: {
        if (this.kind === 'BoundedSemaphore' && this.value >= this.initial) {
          throw new ProcessError('Semaphore released too many times');
        }
        const n = this.held.get(client) ?? 0;
        if (n > 1) this.held.set(client, n - 1);
        else this.held.delete(client);
        this.value += 1;
      }
    }
    this.passOn();
  }

  /** For Condition.wait: release every level `client` holds; returns how many to restore later. */
  releaseAll(client: HubClient): number {
    const n = this.held.get(client) ?? 0;
    this.held.delete(client);
    this.value = 1;
    this.passOn();
    return n;
  }

  /** A grant that never reached its process (it died first): as if it had not happened. */
  ungrant(client: HubClient, count: number, dead: DeadOwner | null = null): void {
    const n = this.held.get(client) ?? 0;
    if (n === 0) return;
    if (dead) this.orphans.unshift(dead);
    if (n > count) return void this.held.set(client, n - count);
    this.held.delete(client);
    this.value = this.kind === 'Lock' || this.kind === 'RLock' ? 1 : this.value + 1;
    this.passOn();
  }

  drop(client: HubClient): void {
    this.waiters.drop(client);
    const n = this.held.get(client) ?? 0;
    // An orderly exit leaves what it held held, as in Python; a death hands it on.
    if (n === 0 || !died(client)) return;
    this.held.delete(client);
    const owner: DeadOwner = { name: client.name ?? client.id, pid: client.pid ?? null };
    if (this.kind === 'Lock' || this.kind === 'RLock') {
      this.value = 1;
      this.orphans.splice(0, this.orphans.length, owner);
    } else {
      const back = Math.min(n, Math.max(0, this.initial - this.value));
      this.value += back;
      for (let i = 0; i < back; i++) this.orphans.push(owner);
    }
    this.passOn();
  }

  ownerDied(dead: DeadOwner): OwnerDiedError {
    return ownerDiedError(this.kind, dead);
  }

  private tryTake(client: HubClient, count: number): boolean {
    const mine = this.held.get(client) ?? 0;
    if (this.kind === 'RLock' && mine > 0) {
      this.held.set(client, mine + count);
      return true;
    }
    if (this.value <= 0) return false;
    this.value -= 1;
    this.held.set(client, mine + count);
    return true;
  }

  /** Give free units to the oldest waiters. State is settled before each grant runs. */
  private passOn(): void {
    while (this.value > 0) {
      const w = this.waiters.shift();
      if (!w) return;
      this.value -= 1;
      this.held.set(w.client, (this.held.get(w.client) ?? 0) + w.extra.count);
      w.extra.grant(this.orphans.shift() ?? null);
    }
  }
}

/** What an acquire that was handed a dead holder's lock (or unit) rejects with. */
export function ownerDiedError(kind: SemKind, dead: DeadOwner): OwnerDiedError {
  const who = `'${dead.name}'${dead.pid === null ? '' : ` (pid ${dead.pid})`}`;
  const what =
    kind === 'Lock' || kind === 'RLock'
      ? `the process holding this ${kind}, ${who}, died without releasing it; this process holds it now`
      : `a process holding this ${kind}, ${who}, died without releasing it; its unit was handed to this process`;
  return new OwnerDiedError(`${what} (repair the state it guards, then release it)`, dead);
}

// ---- locks in shared memory (native.ts) ----------------------------------------------------------
// A Lock or RLock made while the run has a shared segment is a block in it (`params.shm`): each
// process takes and releases it itself, and the root's hub only hands a dead holder's lock on and
// serves Condition waits on it (NativeLockState below). Same rules and messages as the hub's.

function semKind(ref: ObjectRef): SemKind {
  return ref.kind === 'rlock' ? 'RLock' : 'Lock';
}

/** A native lock, as its hub-side state: the same memory, operations for other processes. */
export class NativeLockState extends SemLockState {
  constructor(
    kind: SemKind,
    private readonly off: number,
    id: string,
  ) {
    super(kind, 1, id);
  }

  override handle(op: string, req: HubRequest, respond: Respond): void {
    const client = req.client;
    switch (op) {
      case 'acquire': {
        const grant: Grant = (dead) =>
          respond(dead ? toWire(this.ownerDied(dead)) : { v: true }, null, () => this.ungrant(client, 1, dead));
        return this.acquire(client, 1, waitSeconds(req.header), grant, () => respond({ v: false }));
      }
      case 'release':
        this.release(client);
        return respond({});
      case 'value':
        return respond({ v: lockBrief(this.off).value });
      case 'locked':
        return respond({ v: lockHolder(this.off) !== 0 });
      case 'info': {
        const { holder, count } = lockBrief(this.off);
        return respond({ v: { value: holder === 0 ? 1 : 0, mine: holder === client.pid ? count : 0, others: holder !== 0 && holder !== client.pid } });
      }
      default:
        return respond(toWire(new ProcessError(`unknown ${this.kind} operation '${op}'`)));
    }
  }

  override describe(): Record<string, unknown> {
    const { value, holder, count } = lockBrief(this.off);
    return { value, holders: holder === 0 ? [] : [{ ...nameOf(holder), count }], waiting: [] };
  }

  override brief(): Record<string, unknown> {
    const holder = lockHolder(this.off);
    return { value: holder === 0 ? 1 : 0, owners: holder === 0 ? [] : [holder] };
  }

  override ownedBy(client: HubClient): boolean {
    return client.pid !== undefined && lockHolder(this.off) === client.pid;
  }

  override acquire(client: HubClient, count: number, seconds: number | undefined, grant: Grant, timedOut: () => void): void {
    const pid = client.pid;
    if (pid === undefined) return timedOut();
    if (this.tryAcquire(client, count, grant)) return;
    if (seconds === 0) return timedOut();
    waitLock(this.off, pid, seconds === undefined ? -1 : seconds * 1000, (r) => {
      if (r < 0) return timedOut();
      if (client.gone) {
        // Its process went away meanwhile: as if it had never been given the lock.
        if (r > 0) noteDeadHolder(this.off, r);
        unlock(this.off);
        return;
      }
      if (this.kind === 'RLock') setRlockCount(this.off, count);
      grant(r > 0 ? deadOwner(r) : null);
    });
  }

  override tryAcquire(client: HubClient, count: number, grant?: Grant): boolean {
    const pid = client.pid;
    if (pid === undefined) return false;
    if (this.kind === 'RLock' && lockHolder(this.off) === pid) {
      setRlockCount(this.off, rlockCount(this.off) + count);
      grant?.(null);
      return true;
    }
    const r = tryLock(this.off, pid);
    if (r < 0) return false;
    if (this.kind === 'RLock') setRlockCount(this.off, count);
    grant?.(r > 0 ? deadOwner(r) : null);
    return true;
  }

  override release(client: HubClient): void {
    releaseNative(this.kind, this.off, client.pid ?? -1);
  }

  override releaseAll(client: HubClient): number {
    if (!this.ownedBy(client)) return 0;
    const n = this.kind === 'RLock' ? Math.max(1, rlockCount(this.off)) : 1;
    unlock(this.off);
    return n;
  }

  override ungrant(client: HubClient, count: number, dead: DeadOwner | null = null): void {
    if (!this.ownedBy(client)) return;
    if (this.kind === 'RLock' && rlockCount(this.off) > count) return setRlockCount(this.off, rlockCount(this.off) - count);
    if (dead?.pid) noteDeadHolder(this.off, dead.pid);
    unlock(this.off);
  }

  override drop(_client: HubClient): void {
    // A dead holder's native locks are handed on by the hub's scan of the segment (hub.ts).
  }
}

/** A process by pid as the report names it (the hub knows live and dead ones). */
function nameOf(pid: number): { pid: number; name: string } {
  return { pid, name: processName(pid) ?? deadOwnerName(pid) ?? `pid ${pid}` };
}

function deadOwner(pid: number): DeadOwner {
  return { name: deadOwnerName(pid) ?? `pid ${pid}`, pid };
}

/** Python's release rules on a native lock, for the process `pid`. */
function releaseNative(kind: SemKind, off: number, pid: number): void {
  if (kind === 'RLock') {
    if (lockHolder(off) !== pid) throw new ProcessError('cannot release un-acquired lock');
    const n = rlockCount(off);
    if (n > 1) return setRlockCount(off, n - 1);
    unlock(off);
    return;
  }
  if (unlock(off) === 0) throw new ProcessError('release unlocked lock');
}

/** The name of a dead holder, from the root's hub (which handed its lock on). */
async function ownerDiedFor(ref: ObjectRef, pid: number): Promise<OwnerDiedError> {
  let name = `pid ${pid}`;
  try {
    const reply = await call({ kind: 'hub', id: HUB_OBJECT, params: {} }, 'deadName', { pid });
    if (typeof reply.header.v === 'string') name = reply.header.v;
  } catch {
    // the hub is gone: the pid alone
  }
  return ownerDiedError(semKind(ref), { name, pid });
}

async function acquireNative(ref: ObjectRef, block: boolean, timeout: number | null | undefined): Promise<boolean> {
  const off = ref.params.shm as number;
  const pid = process.pid;
  if (ref.kind === 'rlock' && lockHolder(off) === pid) {
    setRlockCount(off, rlockCount(off) + 1);
    return true;
  }
  let r = tryLock(off, pid);
  if (r < 0) {
    const seconds = !block ? 0 : timeout === undefined || timeout === null ? undefined : Math.max(0, timeout);
    if (seconds === 0) return false;
    r = await waitNative(ref, off, seconds);
    if (r < 0) return false;
  }
  if (ref.kind === 'rlock') setRlockCount(off, 1);
  if (r > 0) throw await ownerDiedFor(ref, r);
  return true;
}

/** A blocked native acquire, as a wait record (the wait report, the deadlock detector). */
async function waitNative(ref: ObjectRef, off: number, seconds: number | undefined): Promise<number> {
  const release = hold();
  const w = openWait<number>('acquire', ref, seconds, null, false, SemLockProxy.prototype.acquire);
  if (w.site === undefined) w.captureLazily(SemLockProxy.prototype.acquire);
  w.cancel = waitLock(off, process.pid, seconds === undefined ? -1 : seconds * 1000, w.done, false);
  try {
    return await settle(w);
  } finally {
    release();
  }
}

/** Python's `with lock:` for anything with acquire and release. */
export async function withAcquired<R>(
  lock: { acquire(): Promise<boolean>; release(): Promise<void> },
  fn: () => R | Promise<R>,
): Promise<R> {
  try {
    await lock.acquire();
  } catch (err) {
    // The dead owner's lock was handed to us, but fn was not run: let it go, report the death.
    if (err instanceof OwnerDiedError) await lock.release();
    throw err;
  }
  let failed: unknown = null;
  try {
    return await fn();
  } catch (err) {
    failed = err;
    throw err;
  } finally {
    try {
      await lock.release();
    } catch (err) {
      // A DeadlockError says more than the release it made impossible (the lock was not taken back).
      if (!(failed instanceof DeadlockError)) throw err;
    }
  }
}

// ---- releases without a reply -------------------------------------------------------------------
// A child's release of a Lock or RLock it holds cannot fail in the hub, so it is sent without a
// reply (see SocketPort.send): its caller does not wait a round trip, and the release leaves with
// the process's next write (the next acquire, typically) or at its exit. Should the process be
// killed before that write, the hub hands the lock on as a dead holder's (OwnerDiedError).
// "Holds" as this process knows it: its acquires (those that resolved true, or rejected with
// OwnerDiedError, which also hands the lock over) minus its releases. An RLock is released only by
// its holder; a Lock may be released by any process, and the hub tells the holder when another one
// did (before anything it tells it later), so the holder's next release waits for the hub's answer
// and fails as Python's would. A release while a Condition.wait of this process on the lock is in
// progress (the wait lets the lock go in the hub) also waits for the answer.

/** Lock id -> acquisitions this process has not released. */
const holds = new Map<string, number>();
/** Lock id -> Condition.wait calls of this process in progress on it. */
const waits = new Map<string, number>();
const watchedLocks = new Set<string>();

function tracked(ref: ObjectRef): boolean {
  return (ref.kind === 'lock' || ref.kind === 'rlock') && postsWithoutReply(ref);
}

function countHold(ref: ObjectRef, delta: number): void {
  const n = (holds.get(ref.id) ?? 0) + delta;
  if (n > 0) holds.set(ref.id, n);
  else holds.delete(ref.id);
}

/** Around a Condition.wait on `lock` (its release in the hub is not this process's doing). */
export function waitingOn(lock: ObjectRef, delta: 1 | -1): void {
  const n = (waits.get(lock.id) ?? 0) + delta;
  if (n > 0) waits.set(lock.id, n);
  else waits.delete(lock.id);
}

/** Python's block/timeout pair as a request's `b`/`to` (see waitSeconds in hub.ts). */
function blocking(block: boolean, timeout: number | null | undefined): Record<string, unknown> {
  if (!block) return { b: false };
  return timeout === undefined || timeout === null ? {} : { to: timeout };
}

/** The proxy side shared by locks and semaphores. */
export abstract class SemLockProxy implements Shareable {
  protected abstract readonly ref: ObjectRef;

  /**
   * Take the lock (a unit of the semaphore). `block = false` answers at once and ignores
   * `timeout`; a timeout (seconds, negative counts as 0) resolves false when it expires.
   * Rejects with OwnerDiedError, holding the lock, when its holder died (see the class comment).
   */
  async acquire(block = true, timeout?: number | null): Promise<boolean> {
    const ref = this.ref;
    if (usable(ref.params, ref.at)) return acquireNative(ref, block, timeout);
    if (!tracked(ref)) {
      return (await call(ref, 'acquire', blocking(block, timeout))).header.v as boolean;
    }
    if (ref.kind === 'lock' && !watchedLocks.has(ref.id)) {
      watchedLocks.add(ref.id);
      onPush(ref.id, (h) => {
        if (h.n === 'released') holds.delete(ref.id);
      });
    }
    let reply;
    try {
      reply = await call(ref, 'acquire', blocking(block, timeout));
    } catch (err) {
      if (err instanceof OwnerDiedError) countHold(ref, 1);
      throw err;
    }
    if (reply.header.v === true) countHold(ref, 1);
    return reply.header.v as boolean;
  }

  async release(): Promise<void> {
    const ref = this.ref;
    if (usable(ref.params, ref.at)) {
      const synced = postsDone();
      if (synced) await synced;
      return releaseNative(semKind(ref), ref.params.shm as number, process.pid);
    }
    if (!tracked(ref)) {
      await call(ref, 'release');
      return;
    }
    if ((holds.get(ref.id) ?? 0) > 0 && !waits.has(ref.id)) {
      countHold(ref, -1);
      return send(ref, 'release');
    }
    await call(ref, 'release');
    countHold(ref, -1);
  }

  /** Python's `with lock:`: acquire, run `fn`, release (also when `fn` throws). */
  withLock<R>(fn: () => R | Promise<R>): Promise<R> {
    return withAcquired(this, fn);
  }

  /** Whether anyone (in any process) holds it; for a semaphore, whether its value is 0. */
  async locked(): Promise<boolean> {
    const ref = this.ref;
    if (usable(ref.params, ref.at)) return lockHolder(ref.params.shm as number) !== 0;
    return (await call(this.ref, 'locked')).header.v as boolean;
  }

  protected async info(): Promise<{ value: number; mine: number; others: boolean }> {
    const ref = this.ref;
    if (usable(ref.params, ref.at)) {
      const { value, holder, count } = lockBrief(ref.params.shm as number);
      return { value, mine: holder === process.pid ? count : 0, others: holder !== 0 && holder !== process.pid };
    }
    return (await call(this.ref, 'info')).header.v as { value: number; mine: number; others: boolean };
  }

  [kShare](): ObjectRef {
    return this.ref;
  }

  toString(): string {
    return `<${this.constructor.name} ${this.ref.id}>`;
  }
}

/** The state factory every lock-like kind registers. */
export function semLockState(kind: SemKind, params: Record<string, unknown>, id = ''): SemLockState {
  if ((kind === 'Lock' || kind === 'RLock') && usable(params, undefined)) return new NativeLockState(kind, params.shm as number, id);
  return new SemLockState(kind, Number(params.value ?? 1), id);
}
