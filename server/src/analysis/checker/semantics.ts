// The checker's model of a running program: the state vector of its process instances and shared
// objects, and the transition function over it (what each instance can do next). Everything else
// in checker/ (the reductions, the search) only chooses which of these transitions to follow.
//
// A state is one Int32Array:
// - per instance, a block: program counter, phase (where an operation takes two steps: entering a
//   condition's or a barrier's wait set, then leaving it), what the operations whose results its
//   branches test returned last (0: nothing yet, else token + 1; see `BranchGuard`), and how many
//   instances of each process site it has joined;
// - per process site, how many of its instances were started (they start in index order);
// - a taint flag: 1 once the path took a choice the analysis cannot see;
// - per shared object its state: queues and each direction of a pipe are FIFO channels of runs
//   (token, count), a lock its owner and hold count (a condition too: its own lock, unless it was
//   made on one), a semaphore its value, an event its flag, each followed cell of a Value or
//   SharedArray the token of what it holds (exact: see `exactToken`).
// A token stands for a value by its answers to the tests the program's branches make of received
// values (`item === null`, `msg.kind === 'add'`, `!ok`, `typeof x === 'number'`): two values that
// every test answers alike are one token.
// Condition waiters and barrier arrivals are the instances in phase 1 at such a wait, so nothing
// in a state is a bit mask and the number of instances is not limited by a word's width.
import type { BranchGuard, ConstValue, ObjectSite, Op, ProcessRef } from '../facts';
import { guardAnswer, guardText } from '../guards';
import { components, type Automaton } from './automaton';

export interface Instance {
  proc: ProcessRef;
  /** 0-based among the instances of the same process site. */
  index: number;
  aut: Automaton;
  daemon: boolean;
  isMain: boolean;
}

/**
 * A pool the checker runs: its workers (a process site whose instances run `compilePoolWorker`)
 * and its tasks, task k being what `submits[k]` submits (one submit may submit several: `map` over
 * known items, one per item), `perCall[k]` of it per run of the submit, as part of submission
 * number `ids[k]` (what a read result names: `Op.tasks`).
 */
export interface PoolModel {
  pool: ObjectSite;
  worker: ObjectSite;
  submits: readonly Op[];
  ids: readonly number[];
  perCall: readonly number[];
}

interface PoolLayout {
  model: PoolModel;
  /** Slots: the channel of task tokens, the closed flag, then the completed count of each task. */
  offset: number;
  saturate: number;
  workers: number[];
  /** The tasks a submit operation submits. */
  taskOf: Map<Op, number[]>;
}

export interface Successor {
  next: Int32Array;
  /** The operation performed; undefined for silent steps (branches, entering a wait set). */
  op: Op | undefined;
  /** Operations done in the same step after `op` (the release that ends an atomic section). */
  also?: Op[];
}

/** Token reserved (no value has it). */
export const ITEM = 0;
/** Token of a value the analysis cannot tell: every test's answer unknown. */
export const MAYBE = 1;
/** Distinct values the cells of shared memory are followed with at most (see `exactToken`). */
const MAX_EXACT = 64;
/** Runs (token, count) a channel keeps in order; past that the last run's values are forgotten. */
const RUNS = 8;
/** Slots of one channel: the number of runs, then token and count of each. */
export const CHANNEL = 1 + 2 * RUNS;
/**
 * A channel whose puts may run without bound (inside a loop) counts at most this many items of a
 * run, meaning "this many or more"; a take from such a run can only be followed with the taint
 * set. Channels with a bounded number of puts never saturate.
 */
const SATURATE = 64;

/** Objects whose state the checker keeps (values, arrays, files, pools and managers never make anyone wait here). */
const MODELLED_KINDS: ReadonlySet<ObjectSite['kind']> = new Set(['queue', 'pipe', 'lock', 'semaphore', 'event', 'condition', 'barrier']);

/** Per-instance block: program counter, phase, then guard variables, then join counters. */
export const PC = 0;
export const PHASE = 1;
const ENV = 2;

/** What instances with one automaton share: where their guard variables and join counters sit. */
export interface AutLayout {
  aut: Automaton;
  /**
   * Per operation whose result a guard tests or a put passes on, its slot in the block; the
   * operations whose results one variable holds in turn (`sources` of a guard) share one.
   */
  env: Map<Op, number>;
  /**
   * Per node: for the blocking acquire of a lock that only its holders release, followed (once
   * inert steps are skipped) by its release, directly or after one put or send that cannot wait
   * (an unbounded queue, a pipe), the release node: the section is one atomic step. Lipton's
   * reduction: the acquire is a right mover, the release a left mover, and a transaction may hold
   * one step that is neither, if it cannot block. Else -1.
   */
  sections: Int32Array;
  /** Per node of such a section: the one operation between acquire and release (-1: none). */
  sectionBody: Int32Array;
  /**
   * Per node, the guard variables (block slots) that are dead there: no guard reads them before a
   * get or recv sets them again. They are cleared on arrival, so that an instance back at its get
   * is the same state as one that never took anything (a worker pool's workers stay alike).
   */
  deadAt: (number[] | undefined)[];
  /**
   * Per counted pipe end this process holds a copy of ("pipe index|end"): the block slot that is 1
   * once it closed its copy (its copies also close when it ends).
   */
  closed: Map<string, number>;
  /** Process site index -> slot in the block. */
  joins: Map<number, number>;
  /** `pool index|task` -> slot in the block: how many results of the task this instance read. */
  results: Map<string, number>;
  size: number;
}

export interface ObjLayout {
  site: ObjectSite;
  offset: number;
  /** Count at which this object's channels and task counter saturate (Infinity: never). */
  saturate: number;
}

const NONE: Successor[] = [];
let verifyEnabled = false;
/** Makes `enabled` check itself against the transitions (tests). */
export function verifyEnabledChecks(on: boolean): void {
  verifyEnabled = on;
}
/** What `transitions` lists in probe mode: only the count means anything. */
const NONE_PROBE: Successor = { next: new Int32Array(0), op: undefined };

export class Semantics {
  readonly objects = new Map<ObjectSite, ObjLayout>();
  /** Counted pipes (see the constructor's `copies`): a number, and per end the instances holding a copy. */
  readonly copyHolders = new Map<ObjectSite, { index: number; holders: [number[], number[]] }>();
  /** Tokens by their answers (one character per guard: 0 fails, 1 holds, 2 unknown). */
  private readonly tokens = new Map<string, number>();
  /** Per token, per guard: 0 the test fails, 1 it holds, 2 unknown. */
  private readonly tokenAnswers: Uint8Array[] = [new Uint8Array(0)];
  /** The distinct tests the program's branches make (by `guardText`), and their indices. */
  private readonly guardIndex = new Map<string, number>();
  private readonly guardList: BranchGuard[] = [];
  private readonly argTokens = new Map<Op, number>();
  /** Per channel (`channelKey`), the constants it may hold, or 'top' when it may hold others. */
  private readonly channelValues: Map<string, ConstValue[] | 'top'>;
  private readonly opIds = new Map<Op, number>();
  /** `mappedToken` by operation and received token. */
  private readonly mapped = new Map<string, number | undefined>();
  /** Exact tokens (see `exactToken`) by their constant, and their constants. */
  private readonly exactTokens = new Map<string, number>();
  private readonly exactValue = new Map<number, ConstValue>();
  readonly procSites: ObjectSite[] = [];
  readonly siteIndex = new Map<ObjectSite, number>();
  /** Instances of each process site, by site index. */
  readonly siteInstances: number[][] = [];
  readonly layouts: AutLayout[] = [];
  /** Per instance: its automaton's layout and the offset of its block. */
  readonly layoutOf: AutLayout[] = [];
  /**
   * Per instance, the automaton the checker runs: its own, with the steps that change nothing
   * the checker models short-circuited (see `simplify`). Node numbers are those of the original.
   */
  readonly auts: Automaton[] = [];
  readonly base: Int32Array;
  /** Per instance, the index of its process site (-1 for main). */
  readonly siteOf: Int32Array;
  readonly startedOff: number;
  readonly taintOff: number;
  readonly size: number;
  /** Lock owner slots (owner instance + 1, then the hold count). */
  readonly ownerSlots: number[] = [];
  /** The pools the checker runs, by pool site. */
  readonly pools = new Map<ObjectSite, PoolLayout>();
  /** Per (simplified) automaton and node, the locks its instance surely holds there. */
  readonly held = new Map<Automaton, (ObjectSite[] | undefined)[]>();
  /** Locks that only their holder ever releases: they protect what is done under them. */
  readonly wellNested = new Set<ObjectSite>();
  private readonly mainIdx: number;
  private readonly resultGroups: (op: Op) => number[][];
  private readonly poolIndex: Map<ObjectSite, number>;

  /**
   * The tasks one read of a result waits for, per way it can be satisfied: every task of its
   * submission; `imap`'s k-th read, the k-th task only (results come in the order of the items);
   * an `imapUnordered` read, any one finished task.
   */
  private readGroups(op: Op): number[][] {
    const groups = this.resultGroups(op);
    if (op.item !== undefined) return groups.flatMap((g) => (g[op.item!] === undefined ? [] : [[g[op.item!]!]]));
    if (op.method === 'imapUnordered') return groups.flatMap((g) => g.map((task) => [task]));
    return groups;
  }

  constructor(
    readonly instances: readonly Instance[],
    ops: readonly Op[],
    /** What a put or send carries, as a branch test would see it (undefined: cannot tell). */
    private readonly answer: (op: Op, g: BranchGuard) => boolean | undefined,
    /** Whether critical sections with nothing inside are one step (off only to compare in tests). */
    atomicSections = true,
    pools: readonly PoolModel[] = [],
    /**
     * Shared Values and SharedArrays whose cells the checker follows exactly (each cell's value is
     * in the state): made with known contents, changed only by `set`s at known indices, out of
     * reach of code the analysis cannot see. Reads of other cells are values no test can answer.
     */
    cells: ReadonlySet<ObjectSite> = new Set(),
    /**
     * Pipes whose copies of each end are counted: per end, the processes holding a copy. recv()
     * ends with EOF once every holder of the other end closed its copy, ended, or (a child) was
     * never started. Other pipes: once anyone closed the other end.
     */
    copies: ReadonlyMap<ObjectSite, readonly [readonly ProcessRef[], readonly ProcessRef[]]> = new Map(),
  ) {
    // The operations: those given, and those the automata run (instances with their own flows may
    // run operations of their own objects).
    const seenAuts = new Set<Automaton>();
    const all = new Set(ops);
    for (const inst of instances) {
      if (seenAuts.has(inst.aut)) continue;
      seenAuts.add(inst.aut);
      for (const n of inst.aut.nodes) if (n.op) all.add(n.op);
    }
    ops = [...all];
    // The tests, first: tokens are their answers.
    for (const aut of seenAuts) {
      for (const n of aut.nodes) {
        if (!n.guard) continue;
        const text = guardText(n.guard);
        if (!this.guardIndex.has(text)) {
          this.guardIndex.set(text, this.guardList.length);
          this.guardList.push(n.guard);
        }
      }
    }
    this.tokens.set(this.guardList.map(() => '2').join(''), MAYBE);
    this.tokenAnswers.push(new Uint8Array(this.guardList.length).fill(2));
    for (const op of ops) if (op.kind === 'put' || op.kind === 'send') this.argToken(op);
    this.channelValues = channelValues(ops);
    for (const inst of instances) {
      if (inst.proc.kind !== 'main' && !this.siteIndex.has(inst.proc)) {
        this.siteIndex.set(inst.proc, this.procSites.length);
        this.procSites.push(inst.proc);
        this.siteInstances.push([]);
      }
    }
    instances.forEach((inst, i) => { if (inst.proc.kind !== 'main') this.siteInstances[this.siteIndex.get(inst.proc)!]!.push(i); });
    // The shared objects in the state, with their slots (offsets once the blocks are laid out).
    const unbounded = unboundedChannels(instances);
    const unobserved = unobservedObjects(instances);
    const modelled: { site: ObjectSite; slots: number }[] = [];
    const isModelled = new Set<ObjectSite>();
    for (const model of pools) isModelled.add(model.pool);
    for (const op of ops) {
      const site = op.obj;
      if (!isModelled.has(site) && cells.has(site) && site.initial) {
        isModelled.add(site);
        modelled.push({ site, slots: site.initial.length });
        continue;
      }
      if (isModelled.has(site) || !MODELLED_KINDS.has(site.kind)) continue;
      // What nobody can observe need not be in the state: its operations are steps that never wait.
      if (unobserved.has(site)) continue;
      isModelled.add(site);
      modelled.push({
        site,
        slots: site.kind === 'queue' ? CHANNEL + 1 : site.kind === 'pipe' ? 2 * CHANNEL + 2 : site.kind === 'lock' || site.kind === 'condition' ? 2
          : site.kind === 'semaphore' || site.kind === 'event' || site.kind === 'barrier' ? 1 : 0,
      });
    }
    // A condition made on a lock takes that lock: it is in the state even if nobody names it.
    for (const op of ops) {
      const lock = op.obj.kind === 'condition' ? op.obj.lock : undefined;
      if (!lock || lock.kind !== 'lock' || isModelled.has(lock)) continue;
      isModelled.add(lock);
      modelled.push({ site: lock, slots: 2 });
    }
    // Operations that change nothing in the state and never wait are silent steps.
    const inert = (op: Op): boolean => op.obj.kind === 'process' ? !this.siteIndex.has(op.obj)
      : op.obj.kind === 'pool' ? !isModelled.has(op.obj) || !['submit', 'result', 'closePool', 'joinPool', 'terminatePool'].includes(op.kind)
        : !isModelled.has(op.obj);
    const poolIndex = new Map(pools.map((m, k) => [m.pool, k]));
    const tasksOfId = pools.map((m) => {
      const byId = new Map<number, number[]>();
      m.ids.forEach((id, k) => byId.set(id, [...byId.get(id) ?? [], k]));
      return byId;
    });
    /**
     * What a `result` operation may be reading: per submission it names, the tasks of that
     * submission (all of which it waits for); it reads one submission's results, any of them.
     */
    const resultGroups = (op: Op): number[][] => {
      const k = poolIndex.get(op.obj);
      if (k === undefined) return [];
      return [...new Set(op.tasks ?? [])].map((id) => tasksOfId[k]!.get(id) ?? []).filter((g) => g.length > 0);
    };
    const simplified = new Map<Automaton, Automaton>();
    for (const inst of instances) if (!simplified.has(inst.aut)) simplified.set(inst.aut, simplify(inst.aut, inert));
    const locks = new Set<ObjectSite>();
    const illNested = new Set<ObjectSite>();
    for (const aut of new Set(simplified.values())) {
      const held = heldLocks(aut, (site) => isModelled.has(site));
      this.held.set(aut, held);
      aut.nodes.forEach((n, v) => {
        if (n.op?.obj.kind !== 'lock' || !isModelled.has(n.op.obj)) return;
        locks.add(n.op.obj);
        if (n.op.kind === 'release' && held[v] && !held[v].includes(n.op.obj)) illNested.add(n.op.obj);
      });
    }
    for (const l of locks) if (!illNested.has(l)) this.wellNested.add(l);
    // Counted pipes: the instances holding a copy of each end.
    for (const [pipe, [h0, h1]] of copies) {
      const of = (hs: readonly ProcessRef[]): number[] => instances.flatMap((inst, i) => (hs.includes(inst.proc) ? [i] : []));
      this.copyHolders.set(pipe, { index: this.copyHolders.size, holders: [of(h0), of(h1)] });
    }
    const byAut = new Map<Automaton, AutLayout>();
    for (const inst of instances) {
      if (byAut.has(inst.aut)) continue;
      const aut = simplified.get(inst.aut)!;
      const env = new Map<Op, number>();
      const joins = new Map<number, number>();
      let size = ENV;
      for (const n of aut.nodes) {
        if (n.guard) {
          // Operations whose results one variable holds in turn share one slot.
          const group = n.guard.sources ?? [n.guard.source];
          let slot = group.map((o) => env.get(o)).find((x) => x !== undefined);
          if (slot === undefined) slot = size++;
          for (const o of group) env.set(o, slot);
        }
        // A put that passes on what it received (or a function of it) carries that value's token.
        const from = n.op?.argFrom;
        if (from && from.path.length === 0) {
          const group = from.sources ?? [from.source];
          let slot = group.map((o) => env.get(o)).find((x) => x !== undefined);
          if (slot === undefined) slot = size++;
          for (const o of group) env.set(o, slot);
        }
      }
      const results = new Map<string, number>();
      for (const n of aut.nodes) {
        const op = n.op;
        if (op?.kind === 'join' && op.obj.kind === 'process') {
          const k = this.siteIndex.get(op.obj);
          if (k !== undefined && !joins.has(k)) joins.set(k, size++);
        }
        if (op?.kind === 'result') {
          const p = poolIndex.get(op.obj);
          for (const task of resultGroups(op).flat()) if (!results.has(`${p}|${task}`)) results.set(`${p}|${task}`, size++);
        }
      }
      const sections = new Int32Array(aut.nodes.length).fill(-1);
      const sectionBody = new Int32Array(aut.nodes.length).fill(-1);
      const neverWaits = (m: number): boolean => {
        const o = aut.nodes[m]!.op;
        if (!o || aut.nodes[m]!.next.length !== 1 || !isModelled.has(o.obj)) return false;
        return (o.kind === 'put' && o.obj.kind === 'queue' && (o.obj.maxsize ?? 0) === 0) || (o.kind === 'send' && o.end !== undefined);
      };
      aut.nodes.forEach((n, v) => {
        const op = n.op;
        if (!atomicSections || op?.kind !== 'acquire' || !op.blocking || op.obj.kind !== 'lock' || !this.wellNested.has(op.obj) || n.next.length !== 1) return;
        let r = n.next[0]!.to;
        let body = -1;
        if (r !== v && neverWaits(r)) { body = r; r = aut.nodes[r]!.next[0]!.to; }
        const rel = aut.nodes[r]!;
        if (rel.op?.kind === 'release' && rel.op.obj === op.obj && rel.next.length === 1 && r !== v && r !== body) {
          sections[v] = r;
          sectionBody[v] = body;
        }
      });
      const deadAt = deadVariables(aut, env);
      const closed = new Map<string, number>();
      for (const [pipe, c] of this.copyHolders) {
        for (const end of [0, 1] as const) if (copies.get(pipe)![end].includes(inst.proc)) closed.set(`${c.index}|${end}`, size++);
      }
      const layout = { aut, env, joins, results, size, sections, sectionBody, deadAt, closed };
      byAut.set(inst.aut, layout);
      this.layouts.push(layout);
    }
    this.base = new Int32Array(instances.length);
    this.siteOf = Int32Array.from(instances, (inst) => (inst.proc.kind === 'main' ? -1 : this.siteIndex.get(inst.proc)!));
    let size = 0;
    instances.forEach((inst, i) => {
      const layout = byAut.get(inst.aut)!;
      this.layoutOf.push(layout);
      this.auts.push(layout.aut);
      this.base[i] = size;
      size += layout.size;
    });
    this.startedOff = size;
    size += this.procSites.length;
    this.taintOff = size++;
    pools.forEach((model) => {
      const site = this.siteIndex.get(model.worker);
      this.pools.set(model.pool, {
        model, offset: size, saturate: unbounded.has(model.pool) ? SATURATE : Infinity,
        workers: site === undefined ? [] : this.siteInstances[site]!, taskOf: tasksOfSubmit(model),
      });
      size += CHANNEL + 1 + model.submits.length;
    });
    this.resultGroups = resultGroups;
    this.poolIndex = poolIndex;
    for (const { site, slots } of modelled) {
      this.objects.set(site, { site, offset: size, saturate: unbounded.has(site) ? SATURATE : Infinity });
      if (site.kind === 'lock' || site.kind === 'condition') this.ownerSlots.push(size);
      size += slots;
    }
    this.size = size;
    this.mainIdx = instances.findIndex((x) => x.isMain);
  }

  /** The token of what a put or send carries (asked once per operation: it may query types). */
  argToken(op: Op): number {
    let t = this.argTokens.get(op);
    if (t === undefined) {
      t = this.token(this.guardList.map((g) => this.answer(op, g)));
      this.argTokens.set(op, t);
    }
    return t;
  }

  /** Whether what a put or send carries depends on the state (a received value, or a function of it, passed on). */
  carries(op: Op): boolean {
    return op.argFrom !== undefined && op.argFrom.path.length === 0;
  }

  /**
   * The token of `map` of a received value (`item + 1`), the received value having token `t`:
   * the map applied to each constant its channel may hold that `t` stands for, when they all
   * answer a test alike; else that test is answered as the put's own value says (undefined: no
   * better than that).
   */
  private mappedToken(op: Op, t: number): number | undefined {
    const key = `${this.opIds.get(op) ?? this.opIds.set(op, this.opIds.size).get(op)}|${t}`;
    if (this.mapped.has(key)) return this.mapped.get(key);
    let out: number | undefined;
    const from = op.argFrom!;
    const held: ConstValue[] | 'top' = (from.sources ?? [from.source]).reduce<ConstValue[] | 'top'>((acc, source) => {
      const got = this.channelValues.get(channelKey(source) ?? '');
      return acc === 'top' || got === undefined || got === 'top' ? 'top' : [...acc, ...got];
    }, []);
    if (held !== 'top') {
      const answers = this.tokenAnswers[t]!;
      // The constants the received token may stand for: those that answer every test as it does.
      const could = held.filter((c) => this.guardList.every((g, k) => {
        const a = answers[k];
        if (a === undefined || a === 2) return true;
        const x = guardAnswer(g, { t: 'const', v: c });
        return x === undefined || x === (a === 1);
      }));
      const images = could.map((c) => (from.map ? from.map.f(c) : { v: c }));
      if (could.length > 0 && images.every((m) => m !== undefined && m !== 'object')) {
        const own = this.tokenAnswers[this.argToken(op)]!;
        out = this.token(this.guardList.map((g, k) => {
          const xs = images.map((m) => guardAnswer(g, { t: 'const', v: (m as { v: ConstValue }).v }));
          if (xs.every((x) => x !== undefined && x === xs[0])) return xs[0];
          return own[k] === 2 ? undefined : own[k] === 1;
        }));
      }
    }
    this.mapped.set(key, out);
    return out;
  }

  /**
   * The token of a value known exactly (what a followed cell holds): its answers are those of the
   * constant, and a function of it (`x + 1`) is computed, not guessed. Past `MAX_EXACT` distinct
   * values (a counter that keeps counting) values are no longer told apart: MAYBE.
   */
  exactToken(v: ConstValue): number {
    const key = `${typeof v}:${String(v)}`;
    let t = this.exactTokens.get(key);
    if (t === undefined) {
      if (this.exactTokens.size >= MAX_EXACT) return MAYBE;
      t = this.tokenAnswers.length;
      this.tokenAnswers.push(Uint8Array.from(this.guardList.map((g) => { const a = guardAnswer(g, { t: 'const', v }); return a === undefined ? 2 : a ? 1 : 0; })));
      this.exactTokens.set(key, t);
      this.exactValue.set(t, v);
    }
    return t;
  }

  /**
   * The token a `set` of a followed cell stores: a constant exactly; what was read or received
   * (or a function of it) as its token says, computed exactly when that token is exact; else MAYBE.
   */
  private stored(s: Int32Array, i: number, op: Op): number {
    const from = op.argFrom;
    if (from) {
      if (from.path.length > 0) return MAYBE;
      const slot = this.layoutOf[i]!.env.get(from.source);
      const t = slot === undefined ? 0 : s[this.base[i]! + slot]!;
      if (t <= 0) return MAYBE;
      const v = this.exactValue.get(t - 1);
      if (v === undefined && !this.exactValue.has(t - 1)) return from.map ? MAYBE : t - 1;
      if (!from.map) return t - 1;
      const m = from.map.f(v);
      return m === undefined || m === 'object' ? MAYBE : this.exactToken(m.v);
    }
    if (op.arg?.t === 'const') return this.exactToken(op.arg.v);
    return MAYBE;
  }

  /** Whether the checker follows what a read returns (a cell of a followed Value or SharedArray). */
  private follows(read: Op): boolean {
    return this.objects.has(read.obj) && (read.obj.kind === 'value' || read.obj.kind === 'array') && cellIndex(read) !== undefined;
  }

  /** The token of a constant an operation returns (an acquire's true or false). */
  constToken(v: ConstValue): number {
    return this.token(this.guardList.map((g) => guardAnswer(g, { t: 'const', v })));
  }

  private token(answers: readonly (boolean | undefined)[]): number {
    const codes = answers.map((a) => (a === undefined ? 2 : a ? 1 : 0));
    const key = codes.join('');
    let t = this.tokens.get(key);
    if (t === undefined) {
      t = this.tokenAnswers.length;
      this.tokens.set(key, t);
      this.tokenAnswers.push(Uint8Array.from(codes));
    }
    return t;
  }

  /** What a put or send carries from state s: its own token, or the one it received and passes on. */
  private carried(s: Int32Array, i: number, op: Op): number {
    if (this.carries(op)) {
      const slot = this.layoutOf[i]!.env.get(op.argFrom!.source);
      const t = slot === undefined ? 0 : s[this.base[i]! + slot]!;
      if (t > 0 && !op.argFrom!.map) return t - 1;
      if (t > 0 && this.exactValue.has(t - 1)) {
        // A function of a value known exactly (read from a followed cell): computed.
        const m = op.argFrom!.map!.f(this.exactValue.get(t - 1));
        return m === undefined || m === 'object' ? this.argToken(op) : this.exactToken(m.v);
      }
      if (t > 0) return this.mappedToken(op, t - 1) ?? this.argToken(op);
    }
    return this.argToken(op);
  }

  /** A guard's answer for a token: 0 the test fails, 1 it holds, 2 unknown. */
  private answerOf(token: number, g: BranchGuard): number {
    return this.tokenAnswers[token]?.[this.guardIndex.get(guardText(g))!] ?? 2;
  }

  initial(): Int32Array {
    const s = new Int32Array(this.size);
    this.auts.forEach((aut, i) => { s[this.base[i]! + PC] = aut.start; });
    for (const { site, offset } of this.objects.values()) {
      if (site.kind === 'semaphore') s[offset] = typeof site.size === 'number' ? site.size : 1;
      if ((site.kind === 'value' || site.kind === 'array') && site.initial) site.initial.forEach((v, k) => { s[offset + k] = this.exactToken(v) + 1; });
    }
    // A pool's workers run from its creation (waiting for tasks).
    for (const p of this.pools.values()) {
      const k = this.siteIndex.get(p.model.worker);
      if (k !== undefined) s[this.startedOff + k] = this.siteInstances[k]!.length;
    }
    return s;
  }

  /** The slots (owner, hold count) of the lock a condition takes: the lock it was made on, or its own. */
  conditionLock(cond: ObjectSite): number {
    const made = cond.lock ? this.objects.get(cond.lock) : undefined;
    return made ? made.offset : this.objects.get(cond)!.offset;
  }

  /**
   * Whether a pipe's end is closed for its readers: someone closed it and, for a counted pipe,
   * every copy is gone (closed by its holder, the holder ended, or a child holder never started).
   */
  endGone(s: Int32Array, site: ObjectSite, offset: number, end: number): boolean {
    if (s[offset + 2 * CHANNEL + end] !== 1) return false;
    const counted = this.copyHolders.get(site);
    if (!counted) return true;
    for (const h of counted.holders[end]!) {
      if (this.finished(s, h) || !this.started(s, h)) continue;
      const slot = this.layoutOf[h]!.closed.get(`${counted.index}|${end}`);
      if (slot === undefined || s[this.base[h]! + slot] !== 1) return false;
    }
    return true;
  }

  pc(s: Int32Array, i: number): number {
    return s[this.base[i]! + PC]!;
  }

  phase(s: Int32Array, i: number): number {
    return s[this.base[i]! + PHASE]!;
  }

  started(s: Int32Array, i: number): boolean {
    const k = this.siteOf[i]!;
    return k < 0 || this.instances[i]!.index < s[this.startedOff + k]!;
  }

  finished(s: Int32Array, i: number): boolean {
    return s[this.base[i]! + PC] === this.auts[i]!.end;
  }

  /**
   * Only main runs: every other process has not started yet or has finished (between the phases
   * of a program that joins one group of processes before it starts the next).
   */
  quiescent(s: Int32Array): boolean {
    for (let i = 0; i < this.instances.length; i++) {
      if (i !== this.mainIdx && this.started(s, i) && !this.finished(s, i)) return false;
    }
    return true;
  }

  /** The operation instance i is at (undefined at a silent node or at the end). */
  opAt(s: Int32Array, i: number): Op | undefined {
    return this.auts[i]!.nodes[this.pc(s, i)]!.op;
  }

  /** Instances of a process site that have finished (only started ones can). */
  private finishedOf(s: Int32Array, k: number): number {
    let n = 0;
    for (const i of this.siteInstances[k]!) if (this.started(s, i) && this.finished(s, i)) n++;
    return n;
  }

  /** Instances in phase 1 of a wait on `site` (a condition's waiters, a barrier's arrivals). */
  private waitersOf(s: Int32Array, site: ObjectSite): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.instances.length; j++) {
      if (s[this.base[j]! + PHASE] !== 1) continue;
      const op = this.opAt(s, j);
      if (op?.kind === 'wait' && op.obj === site) out.push(j);
    }
    return out;
  }

  /**
   * Whether instance i can move: the cases where `successors` has none, without building states
   * (called for many instances per state). `verifyEnabled` checks it against them, for tests.
   */
  enabled(s: Int32Array, i: number): boolean {
    const e = this.enabledFast(s, i);
    if (verifyEnabled && e !== this.transitions(s, i, true).length > 0) throw new Error(`enabled() disagrees with successors() for instance ${i} at ${this.pc(s, i)}`);
    return e;
  }

  private enabledFast(s: Int32Array, i: number): boolean {
    if (!this.started(s, i)) return false;
    const b = this.base[i]!;
    const layout = this.layoutOf[i]!;
    const pc = s[b + PC]!;
    if (pc === layout.aut.end) return false;
    const node = layout.aut.nodes[pc]!;
    const op = node.op;
    if (node.pool) return node.pool.kind === 'done' || s[this.pools.get(node.pool.pool)!.offset]! > 0;
    // A silent node always has a way on (a guard keeps one of its two).
    if (!op) return node.next.length > 0;
    const obj = this.objects.get(op.obj);
    switch (op.kind) {
      case 'put': {
        if (!obj) return true;
        const max = op.obj.maxsize ?? 0;
        return max === 0 || channelSize(s, obj.offset) < max || !op.blocking;
      }
      case 'get':
        return !obj || s[obj.offset]! > 0 || !op.blocking;
      case 'joinQueue':
        return !obj || s[obj.offset + CHANNEL] === 0 || !op.blocking;
      case 'recv':
        if (!obj || op.end === undefined) return true;
        return s[obj.offset + op.end * CHANNEL]! > 0 || this.endGone(s, op.obj, obj.offset, 1 - op.end);
      case 'acquire': {
        if (!obj) return true;
        const o = obj.offset;
        if (op.obj.kind === 'condition') {
          const l = this.conditionLock(op.obj);
          return s[l] === 0 || (s[l] === i + 1 && conditionReentrant(op.obj)) || !op.blocking;
        }
        if (op.obj.kind === 'semaphore') return s[o]! > 0 || !op.blocking;
        const owner = s[o]!;
        if (owner === 0 || (owner === i + 1 && op.obj.variant === 'RLock')) return true;
        return layout.sections[pc]! < 0 && !op.blocking;
      }
      case 'wait': {
        if (!obj || !op.blocking) return true;
        if (op.obj.kind === 'event') return s[obj.offset] === 1;
        if (op.obj.kind === 'condition' && op.method === 'waitFor' && !op.retest) return true;
        // A condition's waiter, once notified, needs its lock free to take it back.
        if (op.obj.kind === 'condition' && s[b + PHASE] === 2) return s[this.conditionLock(op.obj)] === 0;
        if (op.obj.kind === 'condition' || op.obj.kind === 'barrier') return s[b + PHASE] !== 1;
        return true;
      }
      case 'join': {
        const k = this.siteIndex.get(op.obj);
        const slot = k === undefined ? undefined : layout.joins.get(k);
        if (k === undefined || slot === undefined) return true;
        const done = s[b + slot]!;
        const started = s[this.startedOff + k]!;
        return !op.blocking || started === 0 || done >= started || this.finishedOf(s, k) > done;
      }
      case 'result': {
        const pool = this.pools.get(op.obj);
        const groups = pool ? this.readGroups(op) : [];
        if (!pool || groups.length === 0 || !op.blocking) return true;
        const p = this.poolIndex.get(op.obj)!;
        return groups.some((g) => g.every((task) => s[pool.offset + CHANNEL + 1 + task]! - s[b + layout.results.get(`${p}|${task}`)!]! >= pool.model.perCall[task]!));
      }
      case 'joinPool': {
        const pool = this.pools.get(op.obj);
        return !pool || !op.blocking || s[pool.offset + CHANNEL] === 0 || pool.workers.every((j) => this.finished(s, j));
      }
      default:
        return true;
    }
  }

  successors(s: Int32Array, i: number): Successor[] {
    return this.transitions(s, i, false);
  }

  /**
   * The transitions of instance i: each successor state with the operation taken. With `probe`,
   * only whether there is one (the result is then a non-empty list of no particular content).
   */
  private transitions(s: Int32Array, i: number, probe: boolean): Successor[] {
    if (!this.started(s, i) || this.finished(s, i)) return NONE;
    const b = this.base[i]!;
    const layout = this.layoutOf[i]!;
    const node = layout.aut.nodes[s[b + PC]!]!;
    const out: Successor[] = [];
    const goto = (to: number): Int32Array => {
      const n = s.slice();
      n[b + PC] = to;
      n[b + PHASE] = 0;
      const dead = layout.deadAt[to];
      if (dead) for (const slot of dead) n[b + slot] = 0;
      return n;
    };
    if (node.pool) {
      const pool = this.pools.get(node.pool.pool)!;
      const o = pool.offset;
      if (node.pool.kind === 'done') {
        if (probe) return [NONE_PROBE];
        const n = goto(node.next[0]!.to);
        n[o + CHANNEL + 1 + node.pool.task!]!++;
        return [{ next: n, op: undefined }];
      }
      // Take the next task; the token that closes the pool ends the worker.
      if (s[o] === 0) return NONE;
      if (probe) return [NONE_PROBE];
      const close = pool.model.submits.length + 2;
      this.takeWays(s, o, pool.saturate, (token, apply) => {
        for (const e of node.next) {
          if (token !== MAYBE && (e.task === -1 ? token !== close : token !== e.task! + 2)) continue;
          const n = goto(e.to);
          apply(n);
          // A token whose task is forgotten (more runs than a channel keeps): any task.
          if (token === MAYBE) n[this.taintOff] = 1;
          out.push({ next: n, op: undefined });
        }
      });
      return out;
    }
    if (!node.op) {
      let choices = node.next;
      if (node.guard) {
        const slot = layout.env.get(node.guard.source);
        const t = slot === undefined ? -1 : s[b + slot]! - 1;
        if ((node.guard.sources ?? [node.guard.source]).some((o) => o.kind === 'read' && !this.follows(o))) {
          // A read of shared memory the checker does not follow: what it returned is the
          // program's data, which a reported deadlock must not depend on.
          choices = node.next.map((c) => ({ ...c, unknown: true }));
        } else if (t >= 0) {
          const answer = this.answerOf(t, node.guard);
          if (answer !== 2) {
            choices = node.next.filter((c) => c.when === undefined || c.when === (answer === 1));
          } else {
            // Whether that value passes the test is something the analysis cannot see.
            choices = node.next.map((c) => ({ ...c, unknown: true }));
          }
        }
      }
      if (probe) return choices.length > 0 ? [NONE_PROBE] : NONE;
      for (const c of choices) {
        const n = goto(c.to);
        if (c.unknown) n[this.taintOff] = 1;
        out.push({ next: n, op: undefined });
      }
      return out;
    }
    const op = node.op;
    const to = node.next[0]!.to;
    const advance = (mutate?: (n: Int32Array) => void): void => {
      if (probe) { out.push(NONE_PROBE); return; }
      const n = goto(to);
      mutate?.(n);
      out.push({ next: n, op });
    };
    /** A silent step that stays at the node (into a wait set), with the phase it moves to. */
    const enter = (mutate: (n: Int32Array) => void): void => {
      if (probe) { out.push(NONE_PROBE); return; }
      const n = s.slice();
      mutate(n);
      out.push({ next: n, op: undefined });
    };
    const setEnv = (n: Int32Array, token: number): void => {
      const slot = layout.env.get(op);
      if (slot !== undefined) n[b + slot] = token + 1;
    };
    /** Where a rejection goes (an operation that fails by throwing: a get with a timeout). */
    const thrown = node.next.length > 1 ? node.next.find((e) => e.thrown)?.to : undefined;
    /**
     * A non-blocking operation that cannot complete now (empty, full, taken): it rejects to the
     * enclosing handler when it fails by throwing, else it returns (false).
     */
    const fail = (): void => {
      if (op.fails === 'throws' && thrown !== undefined) {
        if (probe) { out.push(NONE_PROBE); return; }
        out.push({ next: goto(thrown), op });
        return;
      }
      advance((n) => setEnv(n, this.constToken(false)));
    };
    /** An operation on an object the checker does not model: it goes on, or (if it can) rejects, unseen. */
    const skip = (): Successor[] => {
      advance();
      if (thrown !== undefined && !probe) {
        const n = goto(thrown);
        n[this.taintOff] = 1;
        out.push({ next: n, op });
      }
      return out;
    };
    const obj = this.objects.get(op.obj);
    switch (op.kind) {
      case 'put': {
        if (!obj) return skip();
        const o = obj.offset;
        const max = op.obj.maxsize ?? 0;
        if (max > 0 && channelSize(s, o) >= max) {
          if (!op.blocking) fail();
          return out;
        }
        const joinable = op.obj.variant === 'JoinableQueue';
        const token = this.carried(s, i, op);
        advance((n) => {
          channelPush(n, o, token, obj.saturate);
          if (joinable) n[o + CHANNEL] = Math.min(obj.saturate, n[o + CHANNEL]! + 1);
        });
        return out;
      }
      case 'get': {
        if (!obj) return skip();
        this.takeWays(s, obj.offset, obj.saturate, (token, apply) => advance((n) => { apply(n); setEnv(n, token); }));
        if (out.length === 0 && !op.blocking) fail();
        return out;
      }
      case 'taskDone': {
        if (!obj) return advance(), out;
        const slot = obj.offset + CHANNEL;
        const unfinished = s[slot]!;
        // A saturated count means "this many or more": marking one done may leave it as it was.
        if (unfinished >= obj.saturate) advance((n) => { n[this.taintOff] = 1; });
        advance((n) => { if (n[slot]! > 0) n[slot]!--; if (unfinished >= obj.saturate) n[this.taintOff] = 1; });
        return out;
      }
      case 'joinQueue':
        if (!obj || s[obj.offset + CHANNEL] === 0 || !op.blocking) advance();
        return out;
      case 'send': {
        if (!obj || op.end === undefined) return skip();
        const into = obj.offset + (1 - op.end) * CHANNEL;
        const token = this.carried(s, i, op);
        advance((n) => { channelPush(n, into, token, obj.saturate); });
        return out;
      }
      case 'recv': {
        if (!obj || op.end === undefined) return skip();
        this.takeWays(s, obj.offset + op.end * CHANNEL, obj.saturate, (token, apply) => advance((n) => { apply(n); setEnv(n, token); }));
        // Once the other end is closed, recv() can end with EOFError instead of waiting.
        if (out.length === 0 && this.endGone(s, op.obj, obj.offset, 1 - op.end)) advance();
        return out;
      }
      case 'closeEnd':
        if (obj && op.end !== undefined) {
          const counted = this.copyHolders.get(op.obj);
          const mine = counted ? layout.closed.get(`${counted.index}|${op.end}`) : undefined;
          advance((n) => {
            n[obj.offset + 2 * CHANNEL + op.end!] = 1;
            if (mine !== undefined) n[b + mine] = 1;
          });
        } else advance();
        return out;
      case 'acquire': {
        if (!obj) return skip();
        const o = obj.offset;
        const won = this.constToken(true);
        if (op.obj.kind === 'condition') {
          // A condition's lock: its own (reentrant, as Python's default RLock), or the one it was
          // made on.
          const l = this.conditionLock(op.obj);
          const owner = s[l]!;
          if (owner === 0) advance((n) => { n[l] = i + 1; n[l + 1] = 1; setEnv(n, won); });
          else if (owner === i + 1 && conditionReentrant(op.obj)) advance((n) => { n[l + 1]!++; setEnv(n, won); });
          else if (!op.blocking) fail();
          return out;
        }
        if (op.obj.kind === 'semaphore') {
          if (s[o]! > 0) advance((n) => { n[o]!--; setEnv(n, won); });
          else if (!op.blocking) fail();
          return out;
        }
        const owner = s[o]!;
        const release = layout.sections[s[b + PC]!]!;
        if (release >= 0) {
          // An atomic section: acquire and release in one step, the lock free again after it
          // (or still held by this RLock's owner, with the same count).
          if (owner !== 0 && !(owner === i + 1 && op.obj.variant === 'RLock')) return out;
          if (probe) { out.push(NONE_PROBE); return out; }
          const n = goto(layout.aut.nodes[release]!.next[0]!.to);
          const body = layout.sectionBody[s[b + PC]!]!;
          const inner = body >= 0 ? layout.aut.nodes[body]!.op! : undefined;
          if (inner) {
            const into = this.objects.get(inner.obj)!;
            const token = this.carried(s, i, inner);
            if (inner.kind === 'send') {
              channelPush(n, into.offset + (1 - inner.end!) * CHANNEL, token, into.saturate);
            } else {
              channelPush(n, into.offset, token, into.saturate);
              if (inner.obj.variant === 'JoinableQueue') n[into.offset + CHANNEL] = Math.min(into.saturate, n[into.offset + CHANNEL]! + 1);
            }
          }
          out.push({ next: n, op, also: [...(inner ? [inner] : []), layout.aut.nodes[release]!.op!] });
          return out;
        }
        if (owner === 0) advance((n) => { n[o] = i + 1; n[o + 1] = 1; setEnv(n, won); });
        else if (owner === i + 1 && op.obj.variant === 'RLock') advance((n) => { n[o + 1]!++; setEnv(n, won); });
        else if (!op.blocking) fail();
        return out;
      }
      case 'release': {
        if (!obj) return skip();
        const o = obj.offset;
        if (op.obj.kind === 'condition') {
          // Only its holder releases a condition's lock (else the call fails, changing nothing).
          const l = this.conditionLock(op.obj);
          advance((n) => {
            if (n[l] !== i + 1) return;
            n[l + 1]!--;
            if (n[l + 1]! <= 0) { n[l] = 0; n[l + 1] = 0; }
          });
        } else if (op.obj.kind === 'semaphore') advance((n) => { n[o]!++; });
        else advance((n) => {
          // Any process may release a Lock (as in Python); an RLock only by its owner.
          if (n[o] === i + 1 || (n[o] !== 0 && op.obj.variant !== 'RLock')) {
            n[o + 1]!--;
            if (n[o + 1]! <= 0) { n[o] = 0; n[o + 1] = 0; }
          }
        });
        return out;
      }
      case 'read': {
        // A followed cell: what it holds now. Any other read is left out of the automaton.
        if (!obj) return advance(), out;
        // isSet(): whether the event is set now.
        if (op.obj.kind === 'event') return advance((n) => setEnv(n, this.constToken(s[obj.offset] === 1))), out;
        const cell = cellIndex(op);
        if (cell === undefined) return advance((n) => setEnv(n, MAYBE)), out;
        advance((n) => setEnv(n, s[obj.offset + cell]! - 1));
        return out;
      }
      case 'write': {
        if (!obj) return advance(), out;
        const cell = cellIndex(op);
        if (cell === undefined) return advance(), out;
        const token = this.stored(s, i, op);
        advance((n) => { n[obj.offset + cell] = token + 1; });
        return out;
      }
      case 'set':
        if (obj) advance((n) => { n[obj.offset] = 1; });
        else advance();
        return out;
      case 'clear':
        if (obj) advance((n) => { n[obj.offset] = 0; });
        else advance();
        return out;
      case 'wait': {
        if (!obj) return skip();
        if (!op.blocking) {
          // A wait with a timeout returns (true when the event is set); a barrier's may reject.
          if (op.obj.kind === 'event') advance((n) => setEnv(n, this.constToken(s[obj.offset] === 1)));
          else if (op.obj.kind === 'barrier') {
            // A barrier's wait that times out breaks it (Python): every party waiting is let go
            // with BrokenBarrierError, and every later wait fails at once. Taken as always timing
            // out (returning, or rejecting to the handler), which can only hide a deadlock.
            const waiting = this.waitersOf(s, op.obj);
            const breaks = (n: Int32Array): void => { n[obj.offset] = 1; for (const j of waiting) n[this.base[j]! + PHASE] = 2; };
            advance((n) => { setEnv(n, MAYBE); breaks(n); });
            if (op.fails === 'throws' && thrown !== undefined && !probe) {
              const n = goto(thrown);
              breaks(n);
              out.push({ next: n, op });
            }
            return out;
          } else advance((n) => setEnv(n, MAYBE));
          if (op.obj.kind !== 'event' && op.fails === 'throws' && thrown !== undefined && !probe) out.push({ next: goto(thrown), op });
          return out;
        }
        if (op.obj.kind === 'event') {
          if (s[obj.offset] === 1) advance();
          return out;
        }
        const phase = s[b + PHASE]!;
        // waitFor(predicate) returns as soon as the predicate holds; written out as a loop that
        // tests it (`retest`), it waits like wait(), else the checker cannot tell: it returns.
        if (op.obj.kind === 'condition' && op.method === 'waitFor' && !op.retest) return advance(), out;
        if (op.obj.kind === 'condition') {
          // Give up the lock and enter the waiting set at once; leave only once a notify took us
          // out of it (phase 2) and the lock is free again, taking it back.
          const l = this.conditionLock(op.obj);
          if (phase === 0) enter((n) => { n[b + PHASE] = 1; if (n[l] === i + 1) { n[l] = 0; n[l + 1] = 0; } });
          else if (phase === 2 && s[l] === 0) advance((n) => { n[l] = i + 1; n[l + 1] = 1; });
          return out;
        }
        if (op.obj.kind === 'barrier') {
          if (phase === 0 && s[obj.offset] === 1) {
            // A broken barrier (aborted, or a wait timed out): wait() fails at once (to the
            // handler, or, where the checker sees none, it goes on).
            if (thrown !== undefined && !probe) out.push({ next: goto(thrown), op });
            else advance();
          } else if (phase === 0) {
            enter((n) => {
              n[b + PHASE] = 1;
              const parties = typeof op.obj.size === 'number' ? op.obj.size : Infinity;
              const arrived = this.waitersOf(n, op.obj);
              // The last party releases everyone who arrived in this generation.
              if (arrived.length >= parties) for (const j of arrived) n[this.base[j]! + PHASE] = 2;
            });
          } else if (phase === 2) {
            advance();
          }
          return out;
        }
        return advance(), out;
      }
      case 'notify': {
        if (!obj) return skip();
        const waiting = this.waitersOf(s, op.obj);
        const wakes = op.method === 'notifyAll' || op.wakes === 'all' ? Infinity : op.wakes ?? 1;
        const ways = wakes >= waiting.length ? [waiting] : subsets(waiting, wakes);
        // notify(n): any n of the waiters (too many ways to choose: all of them, which can only
        // hide a deadlock, never make one up).
        for (const woken of ways ?? [waiting]) advance((n) => { for (const j of woken) n[this.base[j]! + PHASE] = 2; });
        return out;
      }
      case 'abort':
        if (obj && op.obj.kind === 'barrier') {
          // abort() breaks the barrier for its waiters and every later one; reset() lets its
          // waiters go (with BrokenBarrierError) and leaves it whole.
          const waiting = this.waitersOf(s, op.obj);
          const breaks = op.method !== 'reset';
          advance((n) => { for (const j of waiting) n[this.base[j]! + PHASE] = 2; if (breaks) n[obj.offset] = 1; });
        } else {
          advance();
        }
        return out;
      case 'start': {
        const k = this.siteIndex.get(op.obj);
        const total = k === undefined ? 0 : this.siteInstances[k]!.length;
        advance((n) => { if (k !== undefined && n[this.startedOff + k]! < total) n[this.startedOff + k]!++; });
        return out;
      }
      case 'join': {
        const k = this.siteIndex.get(op.obj);
        const slot = k === undefined ? undefined : layout.joins.get(k);
        if (k === undefined || slot === undefined) return advance(), out;
        // A join returns once an instance this process has not joined yet has finished; joining
        // again a process already joined (or one never started: an error, not a wait) returns too.
        const done = s[b + slot]!;
        const started = s[this.startedOff + k]!;
        if (!op.blocking || started === 0 || done >= started || this.finishedOf(s, k) > done) {
          advance((n) => { n[b + slot]!++; });
        }
        return out;
      }
      case 'submit': {
        const pool = this.pools.get(op.obj);
        const tasks = pool?.taskOf.get(op);
        if (!pool || !tasks) return advance(), out;
        // Submitting to a closed pool throws ("Pool not running", use-after-close's): nothing is
        // queued, and the error ends the process (where a catch would go is not followed).
        if (s[pool.offset + CHANNEL] === 1) {
          if (probe) { out.push(NONE_PROBE); return out; }
          out.push({ next: goto(layout.aut.end), op });
          return out;
        }
        advance((n) => {
          for (const task of tasks) for (let k = 0; k < pool.model.perCall[task]!; k++) channelPush(n, pool.offset, task + 2, pool.saturate);
        });
        return out;
      }
      case 'result': {
        const pool = this.pools.get(op.obj);
        const groups = pool ? this.readGroups(op) : [];
        if (!pool || groups.length === 0 || !op.blocking) return skip();
        const p = this.poolIndex.get(op.obj)!;
        for (const g of groups) {
          // A result is there once every task of its submission is done (one run of it: which run
          // is not tracked); get(), apply() and map() read it, wait() reads nothing.
          const slots = g.map((task) => b + layout.results.get(`${p}|${task}`)!);
          if (!g.every((task, x) => s[pool.offset + CHANNEL + 1 + task]! - s[slots[x]!]! >= pool.model.perCall[task]!)) continue;
          advance(op.method === 'wait' ? undefined : (n) => { g.forEach((task, x) => { n[slots[x]!] = n[slots[x]!]! + pool.model.perCall[task]!; }); });
        }
        return out;
      }
      case 'closePool': {
        const pool = this.pools.get(op.obj);
        if (!pool) return advance(), out;
        advance((n) => {
          if (n[pool.offset + CHANNEL] === 1) return;
          n[pool.offset + CHANNEL] = 1;
          for (let k = 0; k < pool.workers.length; k++) channelPush(n, pool.offset, pool.model.submits.length + 2, pool.saturate);
        });
        return out;
      }
      case 'terminatePool': {
        const pool = this.pools.get(op.obj);
        if (!pool) return advance(), out;
        advance((n) => {
          n[pool.offset + CHANNEL] = 1;
          for (const j of pool.workers) { n[this.base[j]! + PC] = this.auts[j]!.end; n[this.base[j]! + PHASE] = 0; }
        });
        return out;
      }
      case 'joinPool': {
        const pool = this.pools.get(op.obj);
        // join() before close() or terminate() throws: no wait.
        if (!pool || !op.blocking || s[pool.offset + CHANNEL] === 0 || pool.workers.every((j) => this.finished(s, j))) advance();
        return out;
      }
      case 'terminate': {
        const k = this.siteIndex.get(op.obj);
        advance((n) => {
          if (k === undefined) return;
          for (const j of this.siteInstances[k]!) {
            if (this.started(n, j)) { n[this.base[j]! + PC] = this.auts[j]!.end; n[this.base[j]! + PHASE] = 0; }
          }
        });
        return out;
      }
      default:
        // Reads, writes, pool and manager bookkeeping: they never wait here.
        advance();
        return out;
    }
  }

  /** The ways to take the first item of the channel at `o`: its token and how the state changes. */
  private takeWays(s: Int32Array, o: number, saturate: number, way: (token: number, apply: (n: Int32Array) => void) => void): void {
    if (s[o] === 0) return;
    const token = s[o + 1]!;
    const count = s[o + 2]!;
    if (count >= saturate) {
      // "This many or more": taking one may leave it as it was, or not; either way the path no
      // longer follows exactly what the program does.
      way(token, (n) => { n[this.taintOff] = 1; });
      way(token, (n) => { channelShift(n, o); n[this.taintOff] = 1; });
      return;
    }
    way(token, (n) => { channelShift(n, o); });
  }

  /** In a state where nothing can move: the instances still waiting (daemons only while main runs). */
  stuck(s: Int32Array): { instance: number; op: Op }[] {
    const mainDone = this.mainIdx < 0 || this.finished(s, this.mainIdx);
    const out: { instance: number; op: Op }[] = [];
    this.instances.forEach((inst, i) => {
      if (!this.started(s, i) || this.finished(s, i)) return;
      if (inst.daemon && mainDone) return; // terminated when main exits
      const op = this.opAt(s, i);
      if (op) out.push({ instance: i, op });
    });
    // Only daemons left waiting while main itself waits on nothing: not a hang.
    return out.some((b) => !this.instances[b.instance]!.daemon) ? out : [];
  }
}

function channelSize(s: Int32Array, o: number): number {
  let n = 0;
  for (let r = 0; r < s[o]!; r++) n += s[o + 2 + 2 * r]!;
  return n;
}

/**
 * Appends an item. A run of equal tokens grows; a new token opens a run; with no run left, the
 * last run keeps the count but forgets its values (MAYBE). Counts saturate at `saturate`.
 */
function channelPush(n: Int32Array, o: number, token: number, saturate: number): void {
  const runs = n[o]!;
  const last = o + 1 + 2 * (runs - 1);
  if (runs > 0 && n[last] === token) {
    n[last + 1] = Math.min(saturate, n[last + 1]! + 1);
  } else if (runs < RUNS) {
    n[o + 1 + 2 * runs] = token;
    n[o + 2 + 2 * runs] = 1;
    n[o] = runs + 1;
  } else {
    n[last] = MAYBE;
    n[last + 1] = Math.min(saturate, n[last + 1]! + 1);
  }
}

/** Removes the first item. */
function channelShift(n: Int32Array, o: number): void {
  const runs = n[o]!;
  if (n[o + 2]! > 1) { n[o + 2]!--; return; }
  for (let r = 1; r < runs; r++) {
    n[o + 1 + 2 * (r - 1)] = n[o + 1 + 2 * r]!;
    n[o + 2 + 2 * (r - 1)] = n[o + 2 + 2 * r]!;
  }
  n[o + 1 + 2 * (runs - 1)] = 0;
  n[o + 2 + 2 * (runs - 1)] = 0;
  n[o] = runs - 1;
}

/**
 * Per node of an automaton, the (modelled) locks its instance surely holds there: acquired with a
 * blocking acquire on every path to it and not released since (a must-analysis: intersection over
 * the paths in).
 */
function heldLocks(aut: Automaton, modelled: (site: ObjectSite) => boolean): (ObjectSite[] | undefined)[] {
  const sets: (Set<ObjectSite> | undefined)[] = new Array<Set<ObjectSite> | undefined>(aut.nodes.length);
  sets[aut.start] = new Set();
  const work = [aut.start];
  while (work.length > 0) {
    const v = work.pop()!;
    const node = aut.nodes[v]!;
    const out = new Set(sets[v]);
    const op = node.op;
    if (op && op.obj.kind === 'lock' && modelled(op.obj)) {
      if (op.kind === 'acquire' && op.blocking) out.add(op.obj);
      if (op.kind === 'release') out.delete(op.obj);
    }
    for (const e of node.next) {
      const cur = sets[e.to];
      if (!cur) { sets[e.to] = new Set(out); work.push(e.to); continue; }
      let changed = false;
      for (const x of cur) if (!out.has(x)) { cur.delete(x); changed = true; }
      if (changed) work.push(e.to);
    }
  }
  // Nodes no path reaches stay undefined.
  return Array.from(sets, (x) => (x ? [...x] : undefined));
}

/**
 * The automaton with its silent, pointless steps skipped: every edge goes past nodes that do
 * nothing (no operation, or an inert one; no guard) and branches whose ways all lead to the same
 * node (a choice that changes nothing, not even what the analysis knows). Fewer intermediate
 * states, and no trace step on an object the checker does not model.
 */
function simplify(aut: Automaton, inert: (op: Op) => boolean): Automaton {
  const n = aut.nodes.length;
  // Per node: where arriving there really lands (itself if it does something); -2 while being
  // resolved, so that a cycle of empty steps stops at the node where it closes.
  const target = new Int32Array(n).fill(-1);
  const resolve = (root: number): number => {
    const stack = [root];
    while (stack.length > 0) {
      const v = stack[stack.length - 1]!;
      if (target[v]! >= 0) { stack.pop(); continue; }
      const node = aut.nodes[v]!;
      if (v === aut.end || node.guard || node.pool || (node.op && !inert(node.op)) || node.next.length === 0) {
        target[v] = v;
        stack.pop();
        continue;
      }
      if (target[v] === -1) {
        target[v] = -2;
        for (const e of node.next) if (target[e.to] === -1) stack.push(e.to);
        continue;
      }
      // All successors resolved (or closing a cycle): one common landing place, or stay here.
      const to = node.next.map((e) => (target[e.to]! >= 0 ? target[e.to]! : e.to === v ? -1 : e.to));
      target[v] = to.every((t) => t >= 0 && t === to[0]) ? to[0]! : v;
      stack.pop();
    }
    return target[root]!;
  };
  const nodes = aut.nodes.map((node) => ({
    ...node,
    next: node.next.map((e) => ({ ...e, to: resolve(e.to) })),
  }));
  for (let v = 0; v < n; v++) {
    const node = nodes[v]!;
    if (!node.op && !node.guard && !node.pool && node.next.length > 1 && node.next.every((e) => e.to === node.next[0]!.to)) {
      node.next = [{ to: node.next[0]!.to }];
    }
  }
  return { nodes, start: resolve(aut.start), end: aut.end };
}

/**
 * Objects whose state no operation of the program can observe: an event nobody waits on, an
 * unbounded queue nobody takes from or joins. Leaving them out of the state loses nothing.
 */
function unobservedObjects(instances: readonly Instance[]): Set<ObjectSite> {
  const observed = new Set<ObjectSite>();
  const all = new Set<ObjectSite>();
  const seen = new Set<Automaton>();
  for (const inst of instances) {
    if (seen.has(inst.aut)) continue;
    seen.add(inst.aut);
    for (const n of inst.aut.nodes) {
      const op = n.op;
      if (!op) continue;
      all.add(op.obj);
      if (op.obj.kind === 'event' && op.kind === 'wait' && op.blocking) observed.add(op.obj);
      if (op.obj.kind === 'queue' && (op.kind === 'get' || op.kind === 'joinQueue' || (op.obj.maxsize ?? 0) > 0)) observed.add(op.obj);
    }
  }
  return new Set([...all].filter((o) => (o.kind === 'event' || o.kind === 'queue') && !observed.has(o)));
}

/**
 * Live-variable analysis over an automaton's env slots: per node, the slots no path from it reads
 * (in a guard, or a put passing a received value on) before an operation sets them again. An
 * operation that may reject (its second successor) does not set its slot on that way, so it is
 * not counted as setting it.
 */
function deadVariables(aut: Automaton, env: ReadonlyMap<Op, number>): (number[] | undefined)[] {
  if (env.size === 0) return [];
  const vars = [...new Set(env.values())];
  const words = Math.ceil(vars.length / 32);
  const index = new Map(vars.map((v, k) => [v, k]));
  const slotOf = (op: Op | undefined): number | undefined => {
    const slot = op ? env.get(op) : undefined;
    return slot === undefined ? undefined : index.get(slot);
  };
  const live = aut.nodes.map(() => new Uint32Array(words));
  const uses = aut.nodes.map((n) => (n.guard ? slotOf(n.guard.source) : n.op?.argFrom && n.op.argFrom.path.length === 0 ? slotOf(n.op.argFrom.source) : undefined));
  const defs = aut.nodes.map((n) => (n.op && n.next.length === 1 ? slotOf(n.op) : undefined));
  for (let changed = true; changed;) {
    changed = false;
    for (let v = aut.nodes.length - 1; v >= 0; v--) {
      const out = new Uint32Array(words);
      for (const e of aut.nodes[v]!.next) { const l = live[e.to]!; for (let w = 0; w < words; w++) out[w]! |= l[w]!; }
      const d = defs[v];
      if (d !== undefined) out[d >>> 5]! &= ~(1 << (d & 31));
      const u = uses[v];
      if (u !== undefined) out[u >>> 5]! |= 1 << (u & 31);
      const cur = live[v]!;
      for (let w = 0; w < words; w++) if (cur[w] !== out[w]) { cur.set(out); changed = true; break; }
    }
  }
  return live.map((l) => {
    const dead = vars.filter((_, k) => (l[k >>> 5]! & (1 << (k & 31))) === 0);
    return dead.length > 0 ? dead : undefined;
  });
}

/**
 * The channel objects that may receive any number of items, so that their counts must saturate
 * to keep the state space finite. A put outside every cycle of its automaton runs at most once per
 * instance; a put on a cycle is still bounded when every way round that cycle takes an item (a
 * blocking get or recv, or a pool worker's take) from a bounded channel, as a pipeline stage or a
 * worker that answers each request does. Bounded channels are found as a least fixpoint, so items that chase each other
 * round a ring of processes count as unbounded.
 */
function unboundedChannels(instances: readonly Instance[]): Set<ObjectSite> {
  // A put's cycle is its strongly connected component, told by the component numbers (a set of
  // members per put took memory quadratic in a loop of thousands of puts).
  interface Put { aut: Automaton; node: number; comp: ArrayLike<number>; cyclic: boolean; obj: ObjectSite }
  const puts: Put[] = [];
  const seen = new Set<Automaton>();
  for (const inst of instances) {
    const aut = inst.aut;
    if (seen.has(aut)) continue;
    seen.add(aut);
    const { comp, order } = components(aut);
    aut.nodes.forEach((n, v) => {
      if (n.op?.kind !== 'put' && n.op?.kind !== 'send' && n.op?.kind !== 'submit') return;
      const members = order[comp[v]!]!;
      const cyclic = members.length > 1 || n.next.some((e) => e.to === v);
      puts.push({ aut, node: v, comp, cyclic, obj: n.op.obj });
    });
  }
  const channels = new Set(puts.map((p) => p.obj));
  const bounded = new Set<ObjectSite>();
  const cut = (aut: Automaton, v: number): boolean => {
    const node = aut.nodes[v]!;
    // A pool worker takes one task per round: bounded when the submits are.
    if (node.pool?.kind === 'take') return bounded.has(node.pool.pool);
    const op = node.op;
    return !!op && (op.kind === 'get' || op.kind === 'recv') && op.blocking && bounded.has(op.obj);
  };
  /** Whether p can come back to itself inside its cycle without taking from a bounded channel. */
  const loops = (p: Put): boolean => {
    const stack = [p.node];
    const visited = new Set<number>();
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (const e of p.aut.nodes[v]!.next) {
        if (e.to === p.node) return true;
        if (p.comp[e.to] !== p.comp[p.node] || visited.has(e.to) || cut(p.aut, e.to)) continue;
        visited.add(e.to);
        stack.push(e.to);
      }
    }
    return false;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const c of channels) {
      if (bounded.has(c)) continue;
      if (puts.every((p) => p.obj !== c || !p.cyclic || cut(p.aut, p.node) || !loops(p))) {
        bounded.add(c);
        changed = true;
      }
    }
  }
  return new Set([...channels].filter((c) => !bounded.has(c)));
}

/** A channel: a queue, or one direction of a pipe (what is sent from end e arrives at end 1 - e). */
function channelKey(op: Op): string | undefined {
  let id = siteIds.get(op.obj);
  if (id === undefined) siteIds.set(op.obj, (id = nextSiteId++));
  if (op.obj.kind === 'queue' && (op.kind === 'put' || op.kind === 'get')) return `${id}|0`;
  if (op.obj.kind !== 'pipe' || op.end === undefined) return undefined;
  if (op.kind === 'send') return `${id}|${1 - op.end}`;
  if (op.kind === 'recv') return `${id}|${op.end}`;
  return undefined;
}
const siteIds = new WeakMap<ObjectSite, number>();
let nextSiteId = 0;

/** Distinct constants a channel is followed with at most; past that it may hold anything. */
const MAX_CHANNEL_VALUES = 32;

/**
 * The constants each channel may hold: what its puts put, where a put passes on a received value
 * (or a function of it) what the channel it came from may hold, mapped (a least fixpoint: items
 * that go round a ring of processes, changed each time, soon hold too many to follow).
 */
function channelValues(ops: readonly Op[]): Map<string, ConstValue[] | 'top'> {
  const out = new Map<string, ConstValue[] | 'top'>();
  const puts = ops.filter((op) => op.kind === 'put' || op.kind === 'send');
  const valuesOf = (op: Op): ConstValue[] | 'top' => {
    const from = op.argFrom;
    if (from) {
      if (from.path.length > 0) return 'top';
      const held: ConstValue[] = [];
      for (const source of from.sources ?? [from.source]) {
        const key = channelKey(source);
        const got = key === undefined ? 'top' : out.get(key) ?? [];
        if (got === 'top') return 'top';
        held.push(...got);
      }
      const images: ConstValue[] = [];
      for (const c of held) {
        const m = from.map ? from.map.f(c) : { v: c };
        if (m === undefined || m === 'object') return 'top';
        images.push(m.v);
      }
      return images;
    }
    const a = op.arg;
    if (a?.t === 'const') return [a.v];
    if (a?.t === 'union' && a.alts.every((x) => x.t === 'const')) return a.alts.map((x) => (x as { v: ConstValue }).v);
    return 'top';
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const op of puts) {
      const key = channelKey(op);
      if (key === undefined) continue;
      const cur = out.get(key) ?? [];
      if (cur === 'top') continue;
      const add = valuesOf(op);
      let next: ConstValue[] | 'top' = cur;
      if (add === 'top') next = 'top';
      else {
        const fresh = add.filter((v) => !cur.some((c) => Object.is(c, v)));
        if (fresh.length > 0) next = cur.length + fresh.length > MAX_CHANNEL_VALUES ? 'top' : [...cur, ...fresh];
      }
      if (next !== cur || !out.has(key)) { out.set(key, next); if (next !== cur) changed = true; }
    }
  }
  return out;
}

/** The cell of a followed Value (0) or SharedArray (its constant index) an operation reads or sets. */
export function cellIndex(op: Op): number | undefined {
  const n = op.obj.initial?.length ?? 0;
  if (op.obj.kind === 'value') return n === 1 ? 0 : undefined;
  const k = op.slot?.t === 'const' ? op.slot.v : undefined;
  return typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < n ? k : undefined;
}

/** The ways to choose k of the items (undefined: more than a checker's step should list). */
function subsets<T>(items: readonly T[], k: number): T[][] | undefined {
  if (k <= 0) return [[]];
  const out: T[][] = [];
  const pick = (from: number, chosen: T[]): boolean => {
    if (chosen.length === k) { out.push([...chosen]); return out.length <= 64; }
    for (let x = from; x < items.length; x++) {
      chosen.push(items[x]!);
      const ok = pick(x + 1, chosen);
      chosen.pop();
      if (!ok) return false;
    }
    return true;
  };
  return pick(0, []) ? out : undefined;
}

/** A condition's own lock is reentrant (Python's default RLock); one made on a Lock is not. */
export function conditionReentrant(cond: ObjectSite): boolean {
  return !cond.lock || cond.lock.variant === 'RLock';
}

/** Per submit operation of a pool, the tasks it submits (in order). */
function tasksOfSubmit(model: PoolModel): Map<Op, number[]> {
  const out = new Map<Op, number[]>();
  model.submits.forEach((op, task) => out.set(op, [...out.get(op) ?? [], task]));
  return out;
}
