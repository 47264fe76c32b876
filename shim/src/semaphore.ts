// `Semaphore` and `BoundedSemaphore`: a counter of free units in the hub (semlock.ts). acquire
// takes a unit (waiting while there is none), release gives one back; a BoundedSemaphore refuses
// to go above its initial value.
import { registerKind } from './hub';
import { reviveWith, takeRef } from './proxy';
import { call } from './runtime';
import { semLockState, SemLockProxy } from './semlock';
import { registerReviver, type ObjectRef } from './serialize';

export class Semaphore extends SemLockProxy {
  /** The hub kind: which release rule applies. */
  protected static readonly kind: string = 'semaphore';

  protected readonly ref: ObjectRef;

  constructor(value = 1) {
    super();
    this.ref = takeRef(new.target.kind, () => {
      if (!(Number(value) >= 0)) throw new RangeError('semaphore initial value must be >= 0');
      return { value: Number(value) };
    });
  }

  /** The number of free units. */
  async getValue(): Promise<number> {
    return (await call(this.ref, 'value')).header.v as number;
  }

  /** Python's repr: `<Semaphore(value=2)>`. */
  async repr(): Promise<string> {
    return `<Semaphore(value=${await this.getValue()})>`;
  }
}

/** A Semaphore whose release above the initial value throws "Semaphore released too many times". */
export class BoundedSemaphore extends Semaphore {
  protected static override readonly kind: string = 'boundedsemaphore';

  /** Python's repr: `<BoundedSemaphore(value=1, maxvalue=2)>`. */
  override async repr(): Promise<string> {
    return `<BoundedSemaphore(value=${await this.getValue()}, maxvalue=${Number(this.ref.params.value)})>`;
  }
}

registerReviver('semaphore', (ref) => reviveWith(ref, () => new Semaphore()));
registerReviver('boundedsemaphore', (ref) => reviveWith(ref, () => new BoundedSemaphore()));
registerKind('semaphore', (params) => semLockState('Semaphore', params));
registerKind('boundedsemaphore', (params) => semLockState('BoundedSemaphore', params));
