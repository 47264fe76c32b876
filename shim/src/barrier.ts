// `Barrier(parties, action?, timeout?)`: the count of arrived parties and their parked waits live
// in the hub. The party whose arrival completes the barrier is told to run the action (a
// module-level exported function, found again by module and export name in other processes, as a
// target is); the others are released only once it reports the action done. A timeout, abort() or
// a failing action breaks the barrier: every waiter, and every later wait until reset(), rejects
// with BrokenBarrierError.
import { BrokenBarrierError, ProcessError, toWire } from './errors';
import { registerKind, WaitList, waitSeconds, type HubClient, type HubObject, type HubRequest, type Respond } from './hub';
import { loadTarget, locateTarget, type TargetRef } from './locate';
import { reviveWith, takeRef } from './proxy';
import { call, runtime } from './runtime';
import { kShare, registerReviver, type ObjectRef, type Shareable } from './serialize';

type Action = () => unknown;

export class Barrier implements Shareable {
  readonly #ref: ObjectRef;
  #action: Action | undefined;
  /** The number of parties a pass needs. */
  readonly parties: number;
  /** The default timeout of wait() in seconds (null: none). */
  readonly timeout: number | null;

  /**
   * `action`, if given, runs once per pass in the process whose wait() completes the barrier,
   * before any party is released; to be shared with other processes it must be a module-level
   * function exported from its module (like a Process target).
   */
  constructor(parties: number, action?: Action | null, timeout?: number | null) {
    if (action !== undefined && action !== null && typeof action !== 'function') {
      throw new TypeError(`Barrier action must be a function, not ${typeof action}`);
    }
    this.#ref = takeRef('barrier', () => {
      if (!(Number(parties) >= 1)) throw new RangeError('parties must be >= 1');
      return { parties: Number(parties), timeout: timeout ?? null, hasAction: Boolean(action), action: null };
    });
    this.parties = Number(this.#ref.params.parties);
    this.timeout = (this.#ref.params.timeout as number | null) ?? null;
    this.#action = action ?? undefined;
  }

  /**
   * Wait for the other parties; resolves to this party's arrival index (0 .. parties-1).
   * `timeout` defaults to the barrier's own. Rejects with BrokenBarrierError when the barrier
   * breaks, and with the action's own error in the party whose action threw.
   */
  async wait(timeout?: number | null): Promise<number> {
    const to = timeout ?? this.timeout ?? undefined;
    const reply = await call(this.#ref, 'wait', { to });
    const index = reply.header.v as number;
    if (!reply.header.act) return index;
    try {
      await (await this.action())();
    } catch (err) {
      await call(this.#ref, 'done', { ok: false }).catch(() => {});
      throw err;
    }
    await call(this.#ref, 'done', { ok: true });
    return index;
  }

  /** Back to the initial state; parties waiting now reject with BrokenBarrierError. */
  async reset(): Promise<void> {
    await call(this.#ref, 'reset');
  }

  /** Break the barrier: waiting and later waits reject with BrokenBarrierError until reset(). */
  async abort(): Promise<void> {
    await call(this.#ref, 'abort');
  }

  /** The number of parties waiting in the current pass. */
  async nWaiting(): Promise<number> {
    return (await call(this.#ref, 'nWaiting')).header.v as number;
  }

  async broken(): Promise<boolean> {
    return (await call(this.#ref, 'broken')).header.v as boolean;
  }

  [kShare](): ObjectRef {
    // Found by module and export name only when the barrier is sent to another process.
    if (this.#action && this.#ref.params.action === null) {
      this.#ref.params.action = locateTarget(this.#action, 'Barrier action', runtime.main?.file ?? null);
    }
    return this.#ref;
  }

  toString(): string {
    return `<Barrier ${this.#ref.id} parties=${this.parties}>`;
  }

  private async action(): Promise<Action> {
    this.#action ??= (await loadTarget(this.#ref.params.action as TargetRef)) as Action;
    return this.#action;
  }
}

const broken = () => toWire(new BrokenBarrierError());

class BarrierState implements HubObject {
  private phase: 'filling' | 'action' | 'broken' = 'filling';
  private count = 0;
  private readonly waiters = new WaitList<number>(); // extra: the party's index
  /** The party running the action (phase 'action'). */
  private runner: HubClient | null = null;
  /** Arrivals while the action runs: they belong to the next pass. */
  private early: { req: HubRequest; respond: Respond }[] = [];

  constructor(
    private readonly parties: number,
    private readonly hasAction: boolean,
  ) {}

  handle(op: string, req: HubRequest, respond: Respond): void {
    switch (op) {
      case 'wait':
        return this.arrive(req, respond);
      case 'done':
        if (this.phase !== 'action' || req.client !== this.runner) return respond(broken());
        if (req.header.ok) this.release();
        else this.break();
        return respond({});
      case 'abort':
        this.break();
        return respond({});
      case 'reset':
        this.answerWaiters(broken);
        this.phase = 'filling';
        this.runner = null;
        this.admitEarly();
        return respond({});
      case 'nWaiting':
        return respond({ v: this.phase === 'broken' ? 0 : this.count });
      case 'broken':
        return respond({ v: this.phase === 'broken' });
      default:
        return respond(toWire(new ProcessError(`unknown Barrier operation '${op}'`)));
    }
  }

  drop(client: HubClient): void {
    // A party that died while waiting still counts as arrived (as in Python); one that died
    // running the action breaks the barrier instead of leaving everyone waiting.
    this.waiters.drop(client);
    this.early = this.early.filter((e) => e.req.client !== client);
    if (this.phase === 'action' && this.runner === client) this.break();
  }

  brief(): Record<string, unknown> {
    return { arrived: this.count, broken: this.phase === 'broken' };
  }

  describe(): Record<string, unknown> {
    return { parties: this.parties, arrived: this.count, broken: this.phase === 'broken', waiting: this.waiters.waiting() };
  }

  private arrive(req: HubRequest, respond: Respond): void {
    if (this.phase === 'action') return void this.early.push({ req, respond });
    if (this.phase === 'broken') return respond(broken());
    const index = this.count++;
    if (this.count < this.parties) {
      const onTimeout = (r: Respond) => {
        r(broken());
        this.break();
      };
      // A party that gives up (a DeadlockError) breaks the barrier, as an interrupted wait does in Python.
      return this.waiters.add(req, respond, waitSeconds(req.header), onTimeout, index, () => this.break());
    }
    if (this.hasAction) {
      this.phase = 'action';
      this.runner = req.client;
      return respond({ v: index, act: true });
    }
    this.release();
    respond({ v: index });
  }

  /** The pass is complete: answer every waiting party with its index; a new pass begins. */
  private release(): void {
    this.answerWaiters((index) => ({ v: index }));
    this.phase = 'filling';
    this.runner = null;
    this.admitEarly();
  }

  private break(): void {
    this.phase = 'broken';
    this.runner = null;
    this.answerWaiters(broken);
    this.admitEarly();
  }

  private answerWaiters(answer: (index: number) => Record<string, unknown>): void {
    for (let w = this.waiters.shift(); w; w = this.waiters.shift()) w.respond(answer(w.extra));
    this.count = 0;
  }

  private admitEarly(): void {
    const early = this.early;
    this.early = [];
    for (const e of early) this.arrive(e.req, e.respond);
  }
}

registerReviver('barrier', (ref) => reviveWith(ref, () => new Barrier(1)));
registerKind('barrier', (params) => new BarrierState(Number(params.parties), params.hasAction === true));
