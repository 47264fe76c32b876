// Locks and shared values in shared memory, through the prebuilt Node-API addon (native/pt_shm.c,
// prebuilds/<platform>-<arch>/). One segment per program run: the root makes it (a memfd) when it
// starts its first child or makes its first such object, every child maps it (inherited as file
// descriptor 4, see process.ts), and shared objects are blocks in it, allocated by any process
// without asking anyone (an atomic bump pointer). A `Lock`/`RLock` is then a futex word holding its
// holder's pid, taken and released by each process itself (a blocked acquire waits on a thread of
// the addon while the event loop runs on); a `Value`/`SharedArray` is its C array in the segment,
// read and written in place. The root's hub still sees them where it must: it hands a dead
// process's locks on (scanning the segment when a connection closes without its goodbye), serves a
// Condition's waits on them, and describes them for the wait report.
//
// The hub's path stays for everything else: when there is no binary for this platform, when
// PT_MP_NATIVE=0, and when the trace or controlled scheduling is on (they see every operation in
// the hub, so every operation goes there).
import path from 'node:path';
import { controlled } from './scheduler';
import { tracing } from './trace';

interface Addon {
  init(onWake: (id: number, result: number) => void): void;
  create(size: number): number;
  map(fd: number, size: number): void;
  view(off: number, bytes: number): ArrayBuffer;
  alloc(bytes: number, kind: number): number;
  blocks(kind: number): number[];
  tryLock(off: number, pid: number): number;
  unlock(off: number): number;
  handOn(off: number, pid: number): boolean;
  waitLock(id: number, off: number, pid: number, timeoutMs: number, take: number): void;
  cancelWait(id: number): void;
}

/** Block kinds in the segment (the hub's death scan looks for locks). */
export const KIND_LOCK = 1;
export const KIND_DATA = 2;
/** Bytes of a lock block: word, RLock count, dead holder, operations. */
const LOCK_BYTES = 16;
const WAITERS = 1 << 30;
const PID_MASK = WAITERS - 1;
/** The segment's size: reserved address space, its pages are only made when touched. */
export const SEGMENT_SIZE = 64 * 1024 * 1024;
/** The descriptor a child finds the segment on (its parent's spawn puts it there). */
export const CHILD_SEGMENT_FD = 4;

function load(): Addon | null {
  if (process.env.PT_MP_NATIVE === '0' || tracing || controlled) return null;
  if (process.platform !== 'linux') return null;
  const file = path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`, 'node.napi.glibc.node');
  try {
    return require(file) as Addon;
  } catch {
    return null; // no binary for this platform (or a libc it does not load on): the hub's path
  }
}

const addon = load();

/** Whether this process mapped the run's segment. */
let mapped = false;
/** Lock blocks as this process sees them (offset -> their four words). */
const locks = new Map<number, Int32Array>();
/** The root's descriptor of the segment (passed to every child it starts). */
let rootFd: number | null = null;

/** Pending waits: id -> what to do with the outcome. */
const waiting = new Map<number, (result: number) => void>();
let waitIds = 0;
/** Lock operations this process made (progress, for the deadlock detector). */
let operations = 0;

function attach(fd: number): void {
  addon!.map(fd, SEGMENT_SIZE);
  mapped = true;
  addon!.init((id, result) => {
    const f = waiting.get(id);
    waiting.delete(id);
    f?.(result);
  });
}

/** In a child (set before anything else runs there): it maps its parent's segment or none. */
let isChild = false;

export function markChild(): void {
  isChild = true;
}

/** In the root: the segment, made now if needed; null when the hub's path is used. */
function segment(): boolean {
  if (mapped) return true;
  if (isChild) return given && attachNow();
  if (!addon) return false;
  try {
    rootFd = addon.create(SEGMENT_SIZE);
    attach(rootFd);
  } catch {
    rootFd = null;
    return false;
  }
  return true;
}

/** In the root (and in children, passing theirs on): the descriptor children get, or null. */
export function segmentForChild(): number | null {
  if (isChild) return given ? CHILD_SEGMENT_FD : null;
  return segment() ? rootFd : null;
}

/** In a child: its parent gave it the segment (mapped when first needed: a child may use none). */
let given = false;

/** In a child, at boot: whether its parent gave it the segment. */
export function attachChild(segmentGiven: boolean): void {
  isChild = true;
  given = segmentGiven && addon !== null;
}

function attachNow(): boolean {
  try {
    attach(CHILD_SEGMENT_FD);
  } catch {
    given = false;
    mapped = false;
  }
  return mapped;
}

/** A new lock block's offset, or undefined (the lock lives in the hub). */
export function allocLock(): number | undefined {
  if (!segment()) return undefined;
  const off = addon!.alloc(LOCK_BYTES, KIND_LOCK);
  return off < 0 ? undefined : off;
}

/** A new data block of `bytes` (zeroed), or undefined (the object lives in the hub). */
export function allocData(bytes: number): number | undefined {
  if (!segment() || bytes > SEGMENT_SIZE / 4) return undefined;
  const off = addon!.alloc(Math.max(bytes, 8), KIND_DATA);
  return off < 0 ? undefined : off;
}

/** The memory of a data block (for a typed view of it). */
export function blockBuffer(off: number, bytes: number): ArrayBuffer {
  return addon!.view(off, bytes);
}

/** Whether `ref.params.shm` can be used here (the object is in this run's segment). */
export function usable(params: Record<string, unknown>, at: string | undefined): boolean {
  return at === undefined && typeof params.shm === 'number' && (mapped || (given && attachNow()));
}

// ---- locks ---------------------------------------------------------------------------------------

function lockBlock(off: number): Int32Array {
  let b = locks.get(off);
  if (!b) {
    b = new Int32Array(addon!.view(off, LOCK_BYTES));
    locks.set(off, b);
  }
  return b;
}

export function lockWord(off: number): number {
  return Atomics.load(lockBlock(off), 0);
}

/** The pid holding the lock, or 0. */
export function lockHolder(off: number): number {
  return lockWord(off) & PID_MASK;
}

export function rlockCount(off: number): number {
  return lockBlock(off)[1]!;
}

export function setRlockCount(off: number, n: number): void {
  lockBlock(off)[1] = n;
}

/** The lock's operation counter (acquires and releases by every process). */
export function lockOps(off: number): number {
  return lockBlock(off)[3]!;
}

/** Try to take it for `pid`: -1 held, 0 taken, >0 taken from that dead holder. */
export function tryLock(off: number, pid: number): number {
  const r = addon!.tryLock(off, pid);
  if (r >= 0) operations++;
  return r;
}

/** Release: the previous word (0: it was not locked). */
export function unlock(off: number): number {
  operations++;
  return addon!.unlock(off);
}

/** Put a dead holder's pid back (its hand-over did not reach the process that took it). */
export function noteDeadHolder(off: number, pid: number): void {
  Atomics.store(lockBlock(off), 2, pid);
}

/**
 * Wait (on the addon's thread) until the lock is taken for `pid`, for at most `timeoutMs` (<0:
 * forever). `done` gets -1 (timed out) or the tryLock result; the returned function gives up
 * (a lock taken meanwhile is released again). `take`: the thread takes it (the root's hub, for
 * another process); else the thread only waits for a release and this process tries again, so a
 * process that releases and takes a lock in a loop is not made to hand it over each time.
 */
export function waitLock(off: number, pid: number, timeoutMs: number, done: (result: number) => void, take = true): () => void {
  const deadline = timeoutMs < 0 ? -1 : Date.now() + timeoutMs;
  let given = false;
  let id = 0;
  const start = (ms: number) => {
    id = ++waitIds;
    waiting.set(id, (result) => {
      if (result === -3 && !given) {
        // Released: try now; held again already, wait for the next release.
        const r = tryLock(off, pid);
        if (r >= 0) return done(r);
        const left = deadline < 0 ? -1 : deadline - Date.now();
        if (deadline >= 0 && left <= 0) return done(-1);
        return start(left);
      }
      if (result >= 0) operations++;
      if (given) {
        if (result >= 0) {
          if (result > 0) noteDeadHolder(off, result);
          unlock(off);
        }
        return;
      }
      done(result < 0 ? -1 : result);
    });
    addon!.waitLock(id, off, pid, ms, take ? 1 : 0);
  };
  start(timeoutMs);
  return () => {
    if (given) return;
    given = true;
    addon!.cancelWait(id);
  };
}

/** In the root's hub: a process died; free the locks it held for the next acquirer. */
export function handOnLocks(pid: number): number {
  if (!mapped) return 0;
  let n = 0;
  for (const off of addon!.blocks(KIND_LOCK)) if (lockHolder(off) === pid && addon!.handOn(off, pid)) n++;
  return n;
}

/**
 * Operations on every lock in the segment so far, by any process (each lock counts its own): the
 * root's monitor sees progress that never reaches the hub.
 */
export function allLockOperations(): number {
  if (!mapped) return 0;
  let n = 0;
  for (const off of addon!.blocks(KIND_LOCK)) n += lockOps(off);
  return n;
}

/** Lock operations this process made so far. */
export function nativeOperations(): number {
  return operations;
}

/** A lock's state as the hub's SemLockState describes its own (for reports and repr). */
export function lockBrief(off: number): { value: number; holder: number; count: number } {
  const holder = lockHolder(off);
  return { value: holder === 0 ? 1 : 0, holder, count: holder === 0 ? 0 : Math.max(1, rlockCount(off)) };
}
