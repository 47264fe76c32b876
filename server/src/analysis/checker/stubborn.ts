// Partial-order reduction by stubborn sets (Valmari; Godefroid's persistent sets), computed per
// state from a static table of which operations on one object are dependent, and from what each
// instance may still do (the operations reachable from its program counter).
//
// In a state, the search follows only the transitions of a set T of instances closed under:
// - an instance in T that can move: every other instance that may later perform an operation
//   dependent on its move (one that can disable it, or does not commute with it) is in T;
// - an instance in T that cannot move: every instance that may later enable it (put into the
//   queue it waits on, release the lock, set the event, start it, finish the process it joins…)
//   is in T.
// Such a set keeps every deadlock reachable, each along a permutation of some full path (so BFS
// still finds shortest traces): transitions outside T can neither enable T's waiting instances nor
// interfere with its moving ones, so they can always be taken later. An instance whose next
// operation conflicts with nothing anyone may still do (a get on a queue only it reads, a put on a
// queue only it writes, any local step) is such a set on its own: a pipeline then runs as a single
// path of states, and a worker pool interleaves only the workers that compete for the same queue.
import type { ObjectSite, Op } from '../facts';
import { components, type Automaton } from './automaton';
import type { Semantics } from './semantics';

/** Access classes: what an operation does to its object, as far as dependence goes. */
const enum C {
  // queues
  Put = 0, PutNb = 1, Get = 2, GetNb = 3, TaskDone = 4, JoinQ = 5,
  // pipes (channel 0 is read at end 0 and written at end 1)
  Send0 = 0, Send1 = 1, Recv0 = 2, Recv1 = 3, Close0 = 4, Close1 = 5,
  // locks and semaphores (Section: the acquire of an atomic section, released in the same step;
  // CondAny: any operation of a condition made on this lock, or of a condition's own lock)
  Acq = 0, AcqNb = 1, Rel = 2, Section = 3, CondAny = 4,
  // events (EvWaitNb: a wait with a timeout, whose result says whether the event was set)
  Set = 0, Clear = 1, EvWait = 2, EvWaitNb = 3,
  // barriers
  Wait = 0, Abort = 1,
  // process sites
  Start = 0, Terminate = 1,
  // followed cells of a Value or SharedArray (reads and sets, all dependent)
  Cell = 0,
  // pools (Take and Done: a worker's own steps; terminate() is its worker site's Terminate)
  Submit = 0, Take = 1, Done = 2, Result = 3, Close = 4, JoinPool = 5,
}
const CLASSES = 8;

interface ObjInfo {
  site: ObjectSite;
  /**
   * JoinableQueue: every task_done follows a get of its own (so the count of unfinished tasks
   * never goes below zero, and task_done commutes with put and with other task_dones).
   */
  matched: boolean;
  /** Per channel (a queue has one, a pipe two): every item put carries the same token. */
  uniform: [boolean, boolean];
  bounded: boolean;
  saturates: boolean;
  /** Pipes: per channel, whether its writing end may be closed (recv may end with EOF). */
  eof: [boolean, boolean];
}

/**
 * Per automaton: what its nodes may do from there on. Each operation is recorded with the locks
 * its instance surely holds when doing it (its variant); per node, a bit set over the variants
 * reachable from it (nodes of one strongly connected component share it).
 */
interface AutFutures {
  /** Per tag, its variants in this automaton: their bit, and the locks (object indices) held. */
  variants: Map<number, { bit: number; slots: readonly number[] }[]>;
  /** Whether some variant is done under a lock (then who may do it depends on who holds what). */
  guarded: boolean;
  future: Uint32Array[];
}

export class Stubborn {
  private readonly objIndex = new Map<ObjectSite, number>();
  private readonly infos: ObjInfo[] = [];
  private readonly futures = new Map<Automaton, AutFutures>();
  /** Per tag: the instances whose automaton has it anywhere. */
  private readonly holders: number[][] = [];
  /** Per operation: its tag (-1: independent of everything). */
  private readonly opTag = new Map<Op, number>();
  /** Per tag, the tags dependent on it. */
  private readonly conflictTags = new Map<number, number[]>();
  /** Sites some instance may terminate: their instances' every step depends on that. */
  private readonly terminable = new Set<ObjectSite>();
  /** Per instance, its automaton's futures. */
  private readonly futureOf: AutFutures[] = [];
  /** Per tag, whether some holder does it under a lock (see `closure`). */
  private readonly guardedTags: boolean[] = [];
  private readonly inT: Uint8Array;
  /** Per tag, the closure that last added all its holders (see `closure`). */
  private tagDone: Int32Array = new Int32Array(0);
  private closures = 0;
  private readonly list: number[] = [];

  constructor(private readonly sem: Semantics) {
    const ops = new Set<Op>();
    for (const aut of sem.auts) for (const n of aut.nodes) if (n.op) ops.add(n.op);
    for (const op of ops) {
      this.info(op.obj);
      if (op.obj.kind === 'condition' && op.obj.lock) this.info(op.obj.lock);
    }
    for (const pool of sem.pools.values()) this.info(pool.model.worker);
    const firstToken = new Map<string, number>();
    for (const op of ops) {
      const info = this.objIndex.has(op.obj) ? this.infos[this.objIndex.get(op.obj)!]! : undefined;
      if (!info) continue;
      if (op.kind === 'put' || op.kind === 'send') {
        const ch = op.kind === 'put' ? 0 : op.end === undefined ? -1 : 1 - op.end;
        if (ch < 0) continue;
        const token = sem.argToken(op);
        const first = firstToken.get(`${this.objIndex.get(op.obj)}|${ch}`);
        if (first === undefined) firstToken.set(`${this.objIndex.get(op.obj)}|${ch}`, token);
        else if (first !== token) info.uniform[ch] = false;
        // A received value passed on: its token is whatever came in.
        if (sem.carries(op)) info.uniform[ch] = false;
      }
      if (op.kind === 'submit') {
        const key = `${this.objIndex.get(op.obj)}|0`;
        const tasks = this.sem.pools.get(op.obj)?.taskOf.get(op) ?? [-1];
        const first = firstToken.get(key);
        if (first === undefined) firstToken.set(key, tasks[0]!);
        if (tasks.some((t) => t !== firstToken.get(key))) info.uniform[0] = false;
      }
      if (op.kind === 'closeEnd' && op.end !== undefined) info.eof[op.end === 0 ? 1 : 0] = true;
      if (op.kind === 'terminate') this.terminable.add(op.obj);
      const pool = op.kind === 'terminatePool' ? this.sem.pools.get(op.obj) : undefined;
      if (pool) this.terminable.add(pool.model.worker);
    }
    for (const op of ops) this.opTag.set(op, this.tagOf(op));
    for (const aut of new Set(sem.auts)) {
      for (const site of unmatchedTaskDones(aut)) {
        const k = this.objIndex.get(site);
        if (k !== undefined) this.infos[k]!.matched = false;
      }
    }
    for (let t = 0; t < this.infos.length * CLASSES; t++) this.holders.push([]);
    sem.auts.forEach((aut, i) => {
      const f = this.futuresOf(aut);
      this.futureOf.push(f);
      for (const tag of f.variants.keys()) this.holders[tag]!.push(i);
    });
    for (const list of this.holders) {
      this.guardedTags.push(list.some((j) => this.futureOf[j]!.guarded));
    }
    this.inT = new Uint8Array(sem.instances.length);
  }

  private info(site: ObjectSite): void {
    if (this.objIndex.has(site)) return;
    const modelled = this.sem.objects.get(site) ?? this.sem.pools.get(site);
    if (!modelled && !(site.kind === 'process' && this.sem.siteIndex.has(site))) return;
    this.objIndex.set(site, this.infos.length);
    this.infos.push({
      site, matched: true, uniform: [true, true], bounded: (site.maxsize ?? 0) > 0,
      saturates: modelled?.saturate !== undefined && modelled.saturate !== Infinity, eof: [false, false],
    });
  }

  /** The tag of an operation: its object and access class; -1 when it depends on nothing. */
  private tagOf(op: Op): number {
    const k = this.objIndex.get(op.obj);
    if (k === undefined) return -1;
    const base = k * CLASSES;
    const site = op.obj;
    switch (op.kind) {
      case 'put': return base + (!op.blocking && (site.maxsize ?? 0) > 0 ? C.PutNb : C.Put);
      case 'get': return base + (op.blocking ? C.Get : C.GetNb);
      case 'taskDone': return base + C.TaskDone;
      case 'joinQueue': return op.blocking ? base + C.JoinQ : -1;
      case 'send': return op.end === undefined ? -1 : base + (op.end === 1 ? C.Send0 : C.Send1);
      case 'recv': return op.end === undefined ? -1 : base + (op.end === 0 ? C.Recv0 : C.Recv1);
      case 'closeEnd': return op.end === undefined ? -1 : base + (op.end === 0 ? C.Close0 : C.Close1);
      case 'acquire':
        if (site.kind === 'condition') return this.conditionTag(site);
        if (site.kind !== 'lock' && site.kind !== 'semaphore') return -1;
        return base + (op.blocking ? C.Acq : C.AcqNb);
      case 'release':
        if (site.kind === 'condition') return this.conditionTag(site);
        return site.kind === 'lock' || site.kind === 'semaphore' ? base + C.Rel : -1;
      case 'set': return site.kind === 'event' ? base + C.Set : -1;
      case 'clear': return site.kind === 'event' ? base + C.Clear : -1;
      case 'wait':
        if (!op.blocking) return site.kind === 'event' ? base + C.EvWaitNb : -1;
        if (site.kind === 'event') return base + C.EvWait;
        if (site.kind === 'condition') return op.method === 'waitFor' && !op.retest ? -1 : this.conditionTag(site);
        if (site.kind === 'barrier') return base + C.Wait;
        return -1;
      case 'notify': return site.kind === 'condition' ? this.conditionTag(site) : -1;
      // Followed cells of shared memory: a read sees what a set stores.
      case 'read': case 'write': return site.kind === 'value' || site.kind === 'array' ? base + C.Cell : -1;
      case 'abort': return site.kind === 'barrier' ? base + C.Abort : -1;
      case 'start': return site.kind === 'process' ? base + C.Start : -1;
      case 'terminate': return site.kind === 'process' ? base + C.Terminate : -1;
      case 'submit': return site.kind === 'pool' ? base + C.Submit : -1;
      case 'result': return site.kind === 'pool' && op.blocking ? base + C.Result : -1;
      case 'closePool': return site.kind === 'pool' ? base + C.Close : -1;
      case 'joinPool': return site.kind === 'pool' && op.blocking ? base + C.JoinPool : -1;
      case 'terminatePool': {
        const pool = this.sem.pools.get(site);
        return pool ? this.siteTag(pool.model.worker, C.Terminate) : -1;
      }
      default: return -1;
    }
  }

  /**
   * Every operation of a condition (acquire, release, wait, notify) takes, gives up or waits for
   * its lock and its waiters: one class, dependent on everything done to that lock (the lock it
   * was made on, or its own).
   */
  private conditionTag(cond: ObjectSite): number {
    const k = (cond.lock ? this.objIndex.get(cond.lock) : undefined) ?? this.objIndex.get(cond);
    return k === undefined ? -1 : k * CLASSES + C.CondAny;
  }

  /** The tag of a node's operation: an atomic section's acquire is a class of its own. */
  private nodeTag(op: Op, section: boolean): number {
    const tag = this.opTag.get(op) ?? -1;
    return section && tag >= 0 ? tag - (tag % CLASSES) + C.Section : tag;
  }

  /** The tag of what a node does (-1: a local step). */
  private tagAt(aut: Automaton, sections: Int32Array, v: number): number {
    const n = aut.nodes[v]!;
    if (n.pool) return this.siteTag(n.pool.pool, n.pool.kind === 'take' ? C.Take : C.Done);
    return n.op ? this.nodeTag(n.op, sections[v]! >= 0) : -1;
  }

  /** The tags of the operations on the same object that are dependent on `tag`'s. */
  private conflicts(tag: number): number[] {
    let out = this.conflictTags.get(tag);
    if (out) return out;
    const k = Math.floor(tag / CLASSES);
    const a = tag % CLASSES;
    const info = this.infos[k]!;
    out = [];
    for (let b = 0; b < CLASSES; b++) if (dependent(info, a, b)) out.push(k * CLASSES + b);
    this.conflictTags.set(tag, out);
    return out;
  }

  private futuresOf(aut: Automaton): AutFutures {
    let f = this.futures.get(aut);
    if (f) return f;
    const held = this.sem.held.get(aut)!;
    const sections = this.sem.layouts.find((l) => l.aut === aut)!.sections;
    const variants = new Map<number, { bit: number; slots: readonly number[] }[]>();
    let guarded = false;
    const keys = new Map<string, number>();
    const nodeBit = aut.nodes.map((_, v) => {
      const tag = this.tagAt(aut, sections, v);
      if (tag < 0) return -1;
      const locks = (held[v] ?? []).filter((l) => this.sem.wellNested.has(l)).map((l) => this.objIndex.get(l)!);
      const key = `${tag}|${locks.join(',')}`;
      let bit = keys.get(key);
      if (bit === undefined) {
        bit = keys.size;
        keys.set(key, bit);
        const list = variants.get(tag) ?? [];
        list.push({ bit, slots: locks.map((k) => this.sem.objects.get(this.infos[k]!.site)!.offset) });
        variants.set(tag, list);
        if (locks.length > 0) guarded = true;
      }
      return bit;
    });
    const words = Math.max(1, Math.ceil(keys.size / 32));
    const { comp, order } = components(aut);
    const compFuture: Uint32Array[] = [];
    // Components come sinks first: each one's future is its own operations and its successors' futures.
    for (const members of order) {
      const bits = new Uint32Array(words);
      const id = comp[members[0]!]!;
      for (const v of members) {
        const bit = nodeBit[v]!;
        if (bit >= 0) bits[bit >>> 5]! |= 1 << (bit & 31);
        for (const e of aut.nodes[v]!.next) {
          const c = comp[e.to]!;
          if (c !== id) { const other = compFuture[c]!; for (let w = 0; w < words; w++) bits[w]! |= other[w]!; }
        }
      }
      compFuture[id] = bits;
    }
    f = { variants, guarded, future: aut.nodes.map((_, v) => compFuture[comp[v]!]!) };
    this.futures.set(aut, f);
    return f;
  }

  /**
   * Whether instance j may still perform an operation with this tag (from where it is now) before
   * instance `owner` moves: not one it can only do holding a lock `owner` holds now (only the
   * holder releases such a lock, so j cannot get it first).
   */
  private mayDo(s: Int32Array, j: number, tag: number, owner: number): boolean {
    const f = this.futureOf[j]!;
    const list = f.variants.get(tag);
    if (!list) return false;
    const aut = this.sem.auts[j]!;
    const pc = this.sem.started(s, j) ? this.sem.pc(s, j) : aut.start;
    if (pc === aut.end) return false;
    const bits = f.future[pc]!;
    for (const { bit, slots } of list) {
      if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
      if (owner >= 0 && slots.some((o) => s[o] === owner + 1)) continue;
      return true;
    }
    return false;
  }

  /**
   * A stubborn set containing `start` (which can move): the instances of T, in the order added,
   * or undefined as soon as more than `limit` of them can move (a smaller set is known).
   * `enabled(j)` says whether instance j can move; `key(j)` names the class of instances whose
   * moves are symmetric to j's (they count once).
   */
  closure(s: Int32Array, start: number, enabled: (j: number) => boolean, key: (j: number) => number, limit: number): number[] | undefined {
    const inT = this.inT;
    const list = this.list;
    list.length = 0;
    const classes = new Set<number>();
    const add = (j: number): boolean => {
      if (inT[j]) return true;
      inT[j] = 1;
      list.push(j);
      if (enabled(j)) {
        classes.add(key(j));
        if (classes.size > limit) return false;
      }
      return true;
    };
    if (this.tagDone.length !== this.holders.length) this.tagDone = new Int32Array(this.holders.length);
    const stamp = ++this.closures;
    const ownsLock = (self: number): boolean => this.sem.ownerSlots.some((o) => s[o] === self + 1);
    const addHolders = (tag: number, self: number): boolean => {
      // Once every holder that may do it is in T, a tag needs no second look, unless who may do
      // it depends on the locks `self` holds (then `self` holds one).
      const memo = !this.guardedTags[tag] || !ownsLock(self);
      if (memo && this.tagDone[tag] === stamp) return true;
      for (const j of this.holders[tag] ?? []) {
        if (j !== self && !inT[j] && this.mayDo(s, j, tag, self) && !add(j)) return false;
      }
      if (memo) this.tagDone[tag] = stamp;
      return true;
    };
    let ok = add(start);
    for (let k = 0; ok && k < list.length; k++) {
      const i = list[k]!;
      const inst = this.sem.instances[i]!;
      const siteTag = inst.proc.kind === 'main' ? -1 : this.siteTag(inst.proc, C.Terminate);
      if (!this.sem.started(s, i)) {
        // Waits for its start.
        ok = addHolders(this.siteTag(inst.proc as ObjectSite, C.Start), i);
        continue;
      }
      if (this.sem.finished(s, i)) continue;
      // Whoever may terminate this instance can disable anything it does.
      if (siteTag >= 0 && this.terminable.has(inst.proc as ObjectSite)) ok = addHolders(siteTag, i);
      if (!ok) break;
      const layout = this.sem.layoutOf[i]!;
      const pc = this.sem.pc(s, i);
      const node = layout.aut.nodes[pc]!;
      const op = node.op;
      const tag = this.tagAt(layout.aut, layout.sections, pc);
      if (tag < 0 && op?.kind !== 'join' && op?.kind !== 'joinPool') continue; // a local step: nothing else to add
      if (enabled(i)) {
        // Terminating a site (or a pool) can disable whatever its instances do.
        const victims = op?.kind === 'terminate' ? this.sem.siteIndex.get(op.obj)
          : op?.kind === 'terminatePool' ? this.sem.siteIndex.get(this.sem.pools.get(op.obj)?.model.worker as ObjectSite) : undefined;
        for (const j of victims === undefined ? [] : this.sem.siteInstances[victims]!) if (ok && !this.sem.finished(s, j)) ok = add(j);
        for (const t of tag < 0 ? [] : this.conflicts(tag)) if (ok) ok = addHolders(t, i);
        // An atomic section also does the put or send inside it.
        const body = layout.sectionBody[pc]!;
        const inner = body >= 0 ? this.opTag.get(layout.aut.nodes[body]!.op!) ?? -1 : -1;
        for (const t of inner < 0 ? [] : this.conflicts(inner)) if (ok) ok = addHolders(t, i);
        continue;
      }
      if (node.pool) {
        // A worker waiting for a task: whoever may submit one or close the pool.
        for (const t of [this.siteTag(node.pool.pool, C.Submit), this.siteTag(node.pool.pool, C.Close)]) if (ok) ok = addHolders(t, i);
        continue;
      }
      const enablers = op ? this.enablers(s, i, op) : 'all';
      if (enablers === 'all') {
        for (let j = 0; ok && j < this.sem.instances.length; j++) ok = add(j);
        continue;
      }
      for (const tag of enablers.tags) if (ok) ok = addHolders(tag, i);
      for (const j of enablers.instances) if (ok) ok = add(j);
    }
    for (const j of list) inT[j] = 0;
    return ok ? [...list] : undefined;
  }

  private siteTag(site: ObjectSite, cls: C): number {
    const k = this.objIndex.get(site);
    return k === undefined ? -1 : k * CLASSES + cls;
  }

  /** What can make instance i, waiting in `op`, able to move again. */
  private enablers(s: Int32Array, i: number, op: Op): { tags: number[]; instances: number[] } | 'all' {
    const tag = this.opTag.get(op) ?? -1;
    if (op.kind === 'join') {
      const k = this.sem.siteIndex.get(op.obj);
      if (k === undefined) return 'all';
      const running = this.sem.siteInstances[k]!.filter((j) => this.sem.started(s, j) && !this.sem.finished(s, j));
      const term = this.siteTag(op.obj, C.Terminate);
      return { tags: term >= 0 ? [term] : [], instances: running };
    }
    if (op.kind === 'joinPool') {
      const pool = this.sem.pools.get(op.obj);
      if (!pool) return 'all';
      const term = this.siteTag(pool.model.worker, C.Terminate);
      return { tags: term >= 0 ? [term] : [], instances: pool.workers.filter((j) => !this.sem.finished(s, j)) };
    }
    if (tag < 0) return 'all';
    const base = tag - (tag % CLASSES);
    if (op.kind === 'result') return { tags: [base + C.Done], instances: [] };
    const site = op.obj;
    switch (op.kind) {
      case 'get': return { tags: [base + C.Put, base + C.PutNb], instances: [] };
      case 'put': return { tags: [base + C.Get, base + C.GetNb], instances: [] };
      case 'joinQueue': return { tags: [base + C.TaskDone], instances: [] };
      case 'recv': {
        // A counted pipe's other end is gone once each of its holders closed it or ended: the
        // holders still running can end it (see Semantics.endGone).
        const counted = this.sem.copyHolders.get(site);
        const other = op.end === 0 ? 1 : 0;
        const running = counted && op.end !== undefined ? counted.holders[other].filter((j) => this.sem.started(s, j) && !this.sem.finished(s, j)) : [];
        return op.end === 0 ? { tags: [base + C.Send0, base + C.Close1], instances: running } : { tags: [base + C.Send1, base + C.Close0], instances: running };
      }
      case 'acquire':
        // A lock is freed by a release, or by a condition made on it (its release, or a wait).
        if (site.kind === 'condition') return { tags: [base + C.CondAny, base + C.Rel], instances: [] };
        return { tags: [base + C.Rel, base + C.CondAny], instances: [] };
      case 'wait':
        if (site.kind === 'event') return { tags: [base + C.Set], instances: [] };
        // Notified (a condition operation), and its lock free again (a release of it).
        if (site.kind === 'condition') return { tags: [base + C.CondAny, base + C.Rel], instances: [] };
        if (site.kind === 'barrier') {
          // Waiting in phase 1 for the other parties (or an abort).
          return this.sem.phase(s, i) === 1 ? { tags: [base + C.Wait, base + C.Abort], instances: [] } : 'all';
        }
        return 'all';
      default:
        return 'all';
    }
  }
}

/** Whether access classes a and b on one object are dependent (can disable one another or do not commute). */
function dependent(info: ObjInfo, a: number, b: number): boolean {
  const [x, y] = a <= b ? [a, b] : [b, a];
  switch (info.site.kind) {
    case 'queue': {
      if (x === C.Put && y === C.Put) return info.bounded || !info.uniform[0];
      if (x === C.Put && y === C.Get) return info.saturates;
      // A task_done at zero would be a no-op here (an error in the program): only then does it
      // not commute with a put or another task_done.
      if (x === C.Put && y === C.TaskDone) return info.saturates || !info.matched;
      if (x === C.TaskDone && y === C.TaskDone) return info.saturates || !info.matched;
      if (x === C.Get && y === C.TaskDone) return false;
      if (x === C.GetNb && y === C.TaskDone) return false;
      if (x === C.Get && y === C.JoinQ) return false;
      if (x === C.GetNb && y === C.JoinQ) return false;
      if (x === C.TaskDone && y === C.JoinQ) return false;
      if (x === C.JoinQ && y === C.JoinQ) return false;
      return x <= C.JoinQ && y <= C.JoinQ;
    }
    case 'pipe': {
      // Channel c: Send_c = c, Recv_c = 2 + c; closing end e lets channel 1 - e's reader see EOF.
      if (x === C.Send0 && y === C.Send0) return !info.uniform[0];
      if (x === C.Send1 && y === C.Send1) return !info.uniform[1];
      if (x === C.Send0 && y === C.Recv0) return info.saturates || info.eof[0];
      if (x === C.Send1 && y === C.Recv1) return info.saturates || info.eof[1];
      if (x === C.Recv0 && y === C.Recv0) return true;
      if (x === C.Recv1 && y === C.Recv1) return true;
      return false;
    }
    case 'lock':
    case 'semaphore': {
      // A condition's operations take, give up or wait for the lock: dependent on all of them.
      if (x === C.CondAny || y === C.CondAny) return true;
      // An atomic section leaves the lock as it found it: two of them commute, and a release
      // (which needs the lock held, so the section waits) commutes with it too.
      if (y === C.Section) return x === C.Acq || x === C.AcqNb;
      if (x === C.Acq || x === C.AcqNb) {
        if (y === C.Acq || y === C.AcqNb) return true;
        // A release enables a waiting acquire, and commutes with a successful one, except that
        // anyone may release a Lock (not an RLock, nor a semaphore's count): it may be the
        // acquirer's hold it releases.
        if (y === C.Rel) return x === C.AcqNb || (info.site.kind === 'lock' && info.site.variant !== 'RLock');
      }
      return false;
    }
    case 'event':
      return (x === C.Set && y === C.Clear) || (x === C.Clear && y === C.EvWait) || ((x === C.Set || x === C.Clear) && y === C.EvWaitNb);
    case 'condition':
      // Only CondAny happens on a condition (its own lock and its waiters).
      return true;
    case 'value':
    case 'array':
      return true;
    case 'barrier':
      return (x === C.Wait && y === C.Wait) || (x === C.Wait && y === C.Abort);
    case 'process':
      // Starting an instance before or after terminating its site decides whether it runs.
      return x === C.Start && y === C.Terminate;
    case 'pool':
      // The task channel as a queue (Submit and Close put, Take gets); completed counts only grow.
      if (x === C.Submit && y === C.Submit) return !info.uniform[0];
      if (x === C.Submit && y === C.Take) return info.saturates;
      if (x === C.Take && y === C.Take) return true;
      if (x === C.Take && y === C.Close) return info.saturates;
      if (x === C.Submit && y === C.Close) return true;
      if (x === C.Close && y === C.JoinPool) return true;
      return false;
    default:
      return false;
  }
}

/**
 * The queues of an automaton on which some task_done may come without a get of its own before it:
 * a must-analysis of how many items the instance surely got and has not marked done yet, the
 * least over the paths into each node.
 */
function unmatchedTaskDones(aut: Automaton): Set<ObjectSite> {
  const out = new Set<ObjectSite>();
  const queues = new Set<ObjectSite>();
  for (const n of aut.nodes) if (n.op?.kind === 'taskDone') queues.add(n.op.obj);
  for (const q of queues) {
    // Pending gets per node (the least over the paths in; capped, since only >= 1 matters).
    const CAP = 4;
    const pending = new Int32Array(aut.nodes.length).fill(-1);
    pending[aut.start] = 0;
    const work = [aut.start];
    let ok = true;
    while (work.length > 0 && ok) {
      const v = work.pop()!;
      const node = aut.nodes[v]!;
      let p = pending[v]!;
      if (node.op?.obj === q && node.op.kind === 'get' && node.op.blocking) p = Math.min(CAP, p + 1);
      if (node.op?.obj === q && node.op.kind === 'taskDone') {
        if (p === 0) ok = false;
        p = Math.max(0, p - 1);
      }
      for (const e of node.next) {
        const cur = pending[e.to]!;
        if (cur === -1 || p < cur) { pending[e.to] = p; work.push(e.to); }
      }
    }
    if (!ok) out.add(q);
  }
  return out;
}
