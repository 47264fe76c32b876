// `Lock` and `RLock`: proxies any process can hold; their state is a SemLockState in the hub
// (semlock.ts). The owner is a process. A Lock may be released by any process, as in Python; an
// RLock only by the process that holds it, once per acquire.
import { registerKind } from './hub';
import { allocLock } from './native';
import { reviveWith, takeRef } from './proxy';
import { runtime } from './runtime';
import { semLockState, SemLockProxy } from './semlock';
import { registerReviver, type ObjectRef } from './serialize';

/** A new lock's parameters: in the run's shared memory when it has some (see native.ts). */
function lockParams(): Record<string, unknown> {
  const shm = allocLock();
  return shm === undefined ? { value: 1 } : { value: 1, shm };
}

/** A non-recursive lock: a second acquire by its holder waits (a deadlock without a timeout). */
export class Lock extends SemLockProxy {
  protected readonly ref: ObjectRef = takeRef('lock', lockParams);

  /** Python's repr: `<Lock(owner=None)>`, `<Lock(owner=MainProcess)>`, `<Lock(owner=SomeOtherProcess)>`. */
  async repr(): Promise<string> {
    const { mine, others } = await this.info();
    return `<Lock(owner=${mine ? runtime.name : others ? 'SomeOtherProcess' : 'None'})>`;
  }
}

/** A recursive lock: its holder may acquire it again; each acquire needs its own release. */
export class RLock extends SemLockProxy {
  protected readonly ref: ObjectRef = takeRef('rlock', lockParams);

  /** Python's repr: `<RLock(None, 0)>`, `<RLock(MainProcess, 3)>`, `<RLock(SomeOtherProcess, nonzero)>`. */
  async repr(): Promise<string> {
    const { mine, others } = await this.info();
    if (mine) return `<RLock(${runtime.name}, ${mine})>`;
    return others ? '<RLock(SomeOtherProcess, nonzero)>' : '<RLock(None, 0)>';
  }
}

registerReviver('lock', (ref) => reviveWith(ref, () => new Lock()));
registerReviver('rlock', (ref) => reviveWith(ref, () => new RLock()));
registerKind('lock', (params, _hub, id) => semLockState('Lock', params, id));
registerKind('rlock', (params, _hub, id) => semLockState('RLock', params, id));
