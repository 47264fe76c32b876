// What the shim's classes and methods mean to the interpreter: which object kind each constructor
// or factory makes, which operation each method is, when an operation can wait forever, and what
// happens when its timeout passes (it returns false, or it rejects).
import type { OpKind, SiteKind } from '../facts';
import type { ObjectSite } from '../facts';
import type { Value } from './values';

/** Allocation: which site kind each shim constructor or factory makes. */
export const ALLOCATES: Record<string, { kind: SiteKind; variant?: string }> = {
  Queue: { kind: 'queue', variant: 'Queue' },
  JoinableQueue: { kind: 'queue', variant: 'JoinableQueue' },
  SimpleQueue: { kind: 'queue', variant: 'SimpleQueue' },
  Lock: { kind: 'lock', variant: 'Lock' },
  RLock: { kind: 'lock', variant: 'RLock' },
  Semaphore: { kind: 'semaphore', variant: 'Semaphore' },
  BoundedSemaphore: { kind: 'semaphore', variant: 'BoundedSemaphore' },
  Event: { kind: 'event' },
  Condition: { kind: 'condition' },
  Barrier: { kind: 'barrier' },
  Value: { kind: 'value' },
  SharedArray: { kind: 'array' },
  Manager: { kind: 'manager' },
};

/** Manager factories: `m.dict()`, `m.Queue()`… */
export const MANAGER_FACTORIES: Record<string, { kind: SiteKind; variant?: string }> = {
  dict: { kind: 'dict' }, list: { kind: 'list' }, Namespace: { kind: 'namespace' },
  Queue: { kind: 'queue', variant: 'ManagerQueue' }, JoinableQueue: { kind: 'queue', variant: 'ManagerQueue' },
  Lock: { kind: 'lock', variant: 'Lock' }, RLock: { kind: 'lock', variant: 'RLock' },
  Semaphore: { kind: 'semaphore', variant: 'Semaphore' }, BoundedSemaphore: { kind: 'semaphore', variant: 'BoundedSemaphore' },
  Event: { kind: 'event' }, Condition: { kind: 'condition' }, Barrier: { kind: 'barrier' }, Value: { kind: 'value' },
};

export const POOL_SUBMIT: ReadonlySet<string> = new Set(['apply', 'applyAsync', 'map', 'mapAsync', 'starmap', 'starmapAsync', 'imap', 'imapUnordered']);

/** Node's file functions that read or write a whole file by name (shared-file races). */
export const FS_READ: ReadonlySet<string> = new Set(['readFileSync', 'readFile']);
export const FS_WRITE: ReadonlySet<string> = new Set(['writeFileSync', 'writeFile', 'appendFileSync', 'appendFile']);
/** Calls that write their second argument's file: a file written elsewhere and moved (or copied) into place. */
export const FS_WRITE_TO: ReadonlySet<string> = new Set(['renameSync', 'rename', 'copyFileSync', 'copyFile', 'cpSync', 'cp']);

export function classKind(cls: string): SiteKind | undefined {
  switch (cls) {
    case 'Queue': case 'JoinableQueue': case 'SimpleQueue': return 'queue';
    case 'Connection': return 'pipe';
    case 'Lock': case 'RLock': return 'lock';
    case 'Semaphore': case 'BoundedSemaphore': return 'semaphore';
    case 'Event': return 'event';
    case 'Condition': return 'condition';
    case 'Barrier': return 'barrier';
    case 'Process': return 'process';
    case 'Pool': return 'pool';
    default: return undefined;
  }
}

export function opKind(site: ObjectSite, method: string): OpKind | undefined {
  switch (site.kind) {
    case 'queue':
      if (method === 'put' || method === 'putNowait') return 'put';
      if (method === 'get' || method === 'getNowait') return 'get';
      if (method === 'taskDone') return 'taskDone';
      if (method === 'join') return 'joinQueue';
      if (method === 'close') return 'closeQueue';
      return undefined;
    case 'pipe':
      if (method === 'send' || method === 'sendBytes') return 'send';
      if (method === 'recv' || method === 'recvBytes') return 'recv';
      if (method === 'close') return 'closeEnd';
      return undefined;
    case 'lock': case 'semaphore':
      if (method === 'acquire') return 'acquire';
      if (method === 'release') return 'release';
      return undefined;
    case 'condition':
      if (method === 'acquire') return 'acquire';
      if (method === 'release') return 'release';
      if (method === 'wait' || method === 'waitFor') return 'wait';
      if (method === 'notify' || method === 'notifyAll') return 'notify';
      return undefined;
    case 'event':
      if (method === 'set') return 'set';
      if (method === 'clear') return 'clear';
      if (method === 'wait') return 'wait';
      if (method === 'isSet') return 'read';
      return undefined;
    case 'barrier':
      if (method === 'wait') return 'wait';
      if (method === 'abort' || method === 'reset') return 'abort';
      return undefined;
    case 'value': case 'array': case 'dict': case 'list': case 'namespace':
      if (['get', 'has', 'keys', 'values', 'items', 'size', 'toObject', 'toArray', 'length'].includes(method)) return 'read';
      if (['set', 'delete', 'update', 'append', 'pop', 'extend'].includes(method)) return 'write';
      return undefined;
    case 'pool':
      if (method === 'close') return 'closePool';
      if (method === 'terminate') return 'terminatePool';
      if (method === 'join') return 'joinPool';
      return undefined;
    case 'process':
      if (method === 'start') return 'start';
      if (method === 'join') return 'join';
      if (method === 'terminate' || method === 'kill') return 'terminate';
      return undefined;
    default:
      return undefined;
  }
}

function isFalse(v: Value | undefined): boolean {
  return v?.t === 'const' && v.v === false;
}

/** Whether the argument at `i` is given (and not `undefined`/`null`, which mean "wait forever"). */
export function given(args: readonly Value[], i: number): boolean {
  const a = args[i];
  return a !== undefined && !(a.t === 'const' && (a.v === undefined || a.v === null));
}

/** The timeout argument of an options object (`{ timeout: 1 }`) some calls also accept. */
function optionTimeout(args: readonly Value[], i: number, field: (v: Value, k: string) => Value): boolean {
  const a = args[i];
  if (!a || a.t !== 'ref') return false;
  const t = field(a, 'timeout');
  return !(t.t === 'const' && (t.v === undefined || t.v === null));
}

/**
 * Whether an operation can wait forever (no timeout, `block` not false), and what happens when it
 * cannot complete at once otherwise: 'returns' (a boolean false, or nothing) or 'throws' (Empty,
 * Full, TimeoutError).
 */
export function blockingOf(site: ObjectSite, kind: OpKind, method: string, args: readonly Value[], field: (v: Value, k: string) => Value): { blocking: boolean; fails?: 'returns' | 'throws' } {
  switch (kind) {
    case 'get': {
      const nowait = method.endsWith('Nowait') || isFalse(args[0]);
      const timed = given(args, 1) || optionTimeout(args, 0, field);
      return nowait || timed ? { blocking: false, fails: 'throws' } : { blocking: true };
    }
    case 'put': {
      if ((site.maxsize ?? 0) <= 0) return { blocking: false };
      const nowait = method.endsWith('Nowait') || isFalse(args[1]);
      const timed = given(args, 2) || optionTimeout(args, 1, field);
      return nowait || timed ? { blocking: false, fails: 'throws' } : { blocking: true };
    }
    case 'recv': return { blocking: true };
    case 'acquire': {
      const timed = isFalse(args[0]) || given(args, 1) || optionTimeout(args, 0, field);
      return timed ? { blocking: false, fails: 'returns' } : { blocking: true };
    }
    case 'wait': {
      const timed = site.kind === 'condition' && method === 'waitFor' ? given(args, 1) : given(args, 0) || optionTimeout(args, 0, field) || site.timed === true;
      if (!timed) return { blocking: true };
      return { blocking: false, fails: site.kind === 'barrier' ? 'throws' : 'returns' };
    }
    case 'join': case 'joinQueue': case 'joinPool':
      return given(args, 0) ? { blocking: false, fails: 'returns' } : { blocking: true };
    case 'result': return given(args, 0) ? { blocking: false, fails: 'throws' } : { blocking: true };
    default: return { blocking: false };
  }
}
