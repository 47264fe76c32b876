// Explores the interleavings of a program's process automata over an abstract state of its
// shared objects (semantics.ts) and reports the reachable states where no process can move while
// some are still waiting, each with a shortest trace.
//
// Three reductions keep the search small without losing a deadlock:
// - Partial-order reduction by stubborn sets (stubborn.ts): in each state only the moves of a set
//   of instances that no one outside it can interfere with are followed. A pipeline of 256 stages
//   whose queues each have one reader and one writer is then a single path of states.
// - Symmetry (symmetry.ts): the instances of one process site are interchangeable, states are
//   stored in a canonical form, and instances in the same local state move once.
// The order is by depth (Dijkstra over the moves, weighted by the steps of the full model each
// stands for), so the first trace found to each deadlock is as short as in the full search: a
// stubborn-set path to a deadlock is a permutation of a full one. Memory: a state keeps its
// vector only until it is expanded, except one in ANCHOR_EVERY along each path; the others are
// rebuilt from their anchor when needed.
import { performance } from 'node:perf_hooks';
import type { BranchGuard, ObjectSite, Op, ProcessRef } from '../facts';
import { guardAnswer } from '../guards';
import { Semantics, type Instance, type PoolModel } from './semantics';
import { Stubborn } from './stubborn';
import { Symmetry } from './symmetry';

export type { Instance } from './semantics';

export interface Step {
  instance: number;
  op: Op;
}

export interface Deadlock {
  /** Per stuck instance, the operation it waits in. */
  blocked: { instance: number; op: Op }[];
  trace: Step[];
  /**
   * Instances among `blocked` that do not wait but retry: their attempts (`acquire(false)`, a
   * `get` with a timeout) fail and they go round again, for ever, since nothing can change what
   * they try (see `Explorer.livelock`).
   */
  spinning?: number[];
}

export interface ExploreResult {
  deadlocks: Deadlock[];
  /** States explored (each state whose moves were computed, stored or on a chain). */
  states: number;
  /** Why the search stopped before it saw every state: no claim either way then. */
  exhausted: false | 'states' | 'time' | 'cancelled';
}

export interface ExploreLimits {
  /**
   * States to visit at most per phase: the count starts again at each state where only main runs
   * (its processes so far all finished, the next not started), up to PHASED_BUDGETS times this in
   * all. A program that runs several groups of processes one after another is checked group by
   * group, each within the budget a program of one group has.
   */
  maxStates: number;
  /** Budgets a program in phases may explore in all (default PHASED_BUDGETS; 1: one per program). */
  phaseBudgets?: number;
  /** Deadlocks to report at most. */
  maxDeadlocks?: number;
  /** Milliseconds the search may take. */
  maxMs?: number;
  /** Polled now and then: true stops the search (the analysis is no longer wanted). */
  shouldStop?: () => boolean;
}

/** A phased program may explore this many budgets in all. */
export const PHASED_BUDGETS = 3;

/** Which reductions the search uses (both by default; off only to compare with the full search in tests). */
export interface Reductions {
  symmetry?: boolean;
  partialOrder?: boolean;
  /** Empty critical sections as one step (Lipton's reduction; see semantics.ts). */
  sections?: boolean;
}

/** States between two looks at the clock and the stop flag. */
const POLL_EVERY = 512;
/**
 * One state in this many along a path keeps its vector once expanded (an anchor); the others are
 * rebuilt from the anchor above them when a new state's hash matches theirs, so that memory
 * stays small while every state is explored once.
 */
const ANCHOR_EVERY = 16;

interface Move {
  instance: number;
  /** Its index among the instance's successors (to rebuild the state it leads to). */
  index: number;
  next: Int32Array;
  op: Op | undefined;
  also?: Op[];
}

/** The steps a move stands for in the full model (an atomic section is two), for depths. */
function weight(m: Move): number {
  return 1 + (m.also?.length ?? 0);
}

/** The trace steps of a move: its operation, then what it also did in the same step. */
function stepsOf(m: Move): Step[] {
  if (!m.op) return [];
  const steps = [{ instance: m.instance, op: m.op }];
  for (const op of m.also ?? []) steps.push({ instance: m.instance, op });
  return steps;
}

/**
 * The attempts a retry loop may make: those whose failure the model gives exactly (a lock or
 * semaphore not taken, a queue or pipe with nothing to take). Others are left out: a Condition's
 * wait with a timeout lets its lock go while it waits, which the model does not show, and a loop
 * that also writes or reads shared state is not only retrying.
 */
const RETRIED: ReadonlySet<Op['kind']> = new Set(['acquire', 'get', 'recv']);

/** Places a retrying process may go through in one round, at most, for a hang to be claimed. */
const LIVELOCK_ROUND_STATES = 256;

export class Explorer {
  readonly sem: Semantics;
  private readonly stubborn: Stubborn | undefined;
  private readonly symmetry: Symmetry | undefined;
  private readonly classes: Int32Array;
  private readonly enabledCache: Int8Array;

  constructor(
    readonly instances: Instance[],
    ops: readonly Op[],
    /** What a put or send carries, as a branch test would see it (undefined: cannot tell). */
    answer: (op: Op, g: BranchGuard) => boolean | undefined = (op, g) => (op.arg ? guardAnswer(g, op.arg) : undefined),
    reductions: Reductions = {},
    /** The pools whose workers run their tasks (see semantics.ts). */
    pools: readonly PoolModel[] = [],
    /** Shared Values and SharedArrays whose cells the checker follows (see semantics.ts). */
    cells: ReadonlySet<ObjectSite> = new Set(),
    /** Pipes whose copies of each end are counted (see semantics.ts). */
    copies: ReadonlyMap<ObjectSite, readonly [readonly ProcessRef[], readonly ProcessRef[]]> = new Map(),
  ) {
    this.sem = new Semantics(instances, ops, answer, reductions.sections !== false, pools, cells, copies);
    this.stubborn = reductions.partialOrder === false ? undefined : new Stubborn(this.sem);
    this.symmetry = reductions.symmetry === false ? undefined : new Symmetry(this.sem);
    this.classes = new Int32Array(instances.length);
    this.enabledCache = new Int8Array(instances.length);
  }

  initial(): Int32Array {
    return this.sem.initial();
  }

  /**
   * The moves the search follows from `s` (a stubborn set's, one per class of symmetric
   * instances); empty when nothing can move.
   */
  private moves(s: Int32Array, prefer: number): Move[] {
    const n = this.instances.length;
    const classes = this.classes;
    if (this.symmetry) this.symmetry.classes(s, classes);
    else for (let i = 0; i < n; i++) classes[i] = i;
    const cache = this.enabledCache;
    cache.fill(-1);
    const enabled = (j: number): boolean => {
      const c = classes[j]!;
      let e = cache[c]!;
      if (e < 0) cache[c] = e = this.sem.enabled(s, c) ? 1 : 0;
      return e === 1;
    };
    const key = (j: number): number => classes[j]!;
    let chosen: number[] | undefined;
    if (!this.stubborn) {
      chosen = [];
      for (let i = 0; i < n; i++) if (classes[i] === i && enabled(i)) chosen.push(i);
    } else {
      let best = Infinity;
      const tryFrom = (c: number): boolean => {
        if (classes[c] !== c || !enabled(c)) return false;
        const set = this.stubborn!.closure(s, c, enabled, key, best - 1);
        if (!set) return false;
        // Symmetric members move once, as the first of their class.
        const movers = [...new Set(set.filter(enabled).map(key))];
        if (movers.length < best) { best = movers.length; chosen = movers; }
        return best <= 1;
      };
      const first = prefer >= 0 && prefer < n ? classes[prefer]! : -1;
      if (!(first >= 0 && tryFrom(first))) {
        for (let c = 0; c < n; c++) if (c !== first && tryFrom(c)) break;
      }
    }
    const out: Move[] = [];
    for (const i of chosen ?? []) {
      this.sem.successors(s, i).forEach((m, index) => out.push({ instance: i, index, next: m.next, op: m.op, ...(m.also ? { also: m.also } : {}) }));
    }
    return out;
  }

  explore(limits: ExploreLimits): ExploreResult {
    const { maxStates, phaseBudgets = PHASED_BUDGETS, maxDeadlocks = 5, maxMs = Infinity, shouldStop } = limits;
    const started = performance.now();
    // Per state (by number): its vector while it waits to be expanded (and for good if it is an
    // anchor), its depth (steps from the start), where it was reached from, the steps of that
    // edge, the move that made it (instance and index among its successors) and the renaming
    // that made it canonical.
    const vectors: (Int32Array | undefined)[] = [];
    const depth: number[] = [];
    const from: number[] = [];
    const edges: Step[][] = [];
    const via: number[] = [];
    const viaIndex: number[] = [];
    const renames: (Int32Array | undefined)[] = [];
    const anchorDist: number[] = [];
    const expanded: boolean[] = [];
    /** A state's vector: kept, or rebuilt from the nearest anchor above it by its recorded moves. */
    const vectorOf = (id: number): Int32Array => {
      const kept = vectors[id];
      if (kept) return kept;
      const path: number[] = [];
      let at = id;
      for (; !vectors[at]; at = from[at]!) path.push(at);
      let v = vectors[at]!;
      for (let k = path.length - 1; k >= 0; k--) {
        const x = path[k]!;
        v = this.sem.successors(v, via[x]!)[viaIndex[x]!]!.next;
        this.symmetry?.canonical(v);
      }
      return v;
    };
    const table = new StateTable(vectorOf);
    const heap = new Heap();
    /** Records `s` (changed in place to its canonical form) reached from `parent` by move `m`. */
    const reach = (s: Int32Array, parent: number, m: Move | undefined, d: number): void => {
      const rename = this.symmetry?.canonical(s);
      const steps = m ? stepsOf(m) : [];
      const dist = parent < 0 ? 0 : anchorDist[parent]! + 1 >= ANCHOR_EVERY ? 0 : anchorDist[parent]! + 1;
      const at = table.lookupOrAdd(s, vectors.length);
      if (at >= 0) {
        if (d < depth[at]! && !expanded[at]) {
          depth[at] = d; from[at] = parent; edges[at] = steps; renames[at] = rename;
          via[at] = m?.instance ?? -1; viaIndex[at] = m?.index ?? -1; anchorDist[at] = dist;
          heap.push(d, at);
        }
        return;
      }
      const id = vectors.length;
      vectors.push(s); depth.push(d); from.push(parent); edges.push(steps); renames.push(rename);
      via.push(m?.instance ?? -1); viaIndex.push(m?.index ?? -1); anchorDist.push(dist); expanded.push(false);
      heap.push(d, id);
    };
    reach(this.initial(), -1, undefined, 0);
    const deadlocks: Deadlock[] = [];
    const seenDeadlocks = new Set<string>();
    let exhausted: ExploreResult['exhausted'] = false;
    let explored = 0;
    /** States explored when the current phase began. */
    let phaseFrom = 0;
    while (heap.size > 0) {
      const id = heap.pop();
      if (expanded[id]) continue;
      if (explored - phaseFrom >= maxStates || explored >= maxStates * phaseBudgets) { explored++; exhausted = 'states'; break; }
      if (explored % POLL_EVERY === POLL_EVERY - 1) {
        if (shouldStop?.()) { exhausted = 'cancelled'; break; }
        if (performance.now() - started > maxMs) { exhausted = 'time'; break; }
      }
      const s = vectors[id]!;
      // A state where only main runs begins a phase (it counts as the phase's first).
      if (this.sem.quiescent(s)) phaseFrom = explored;
      explored++;
      expanded[id] = true;
      // Expanded: only anchors keep their vector (the others are rebuilt when compared).
      if (anchorDist[id] !== 0) vectors[id] = undefined;
      const moves = this.moves(s, via[id]!);
      const spin = moves.length > 0 && s[this.sem.taintOff] !== 1 && moves.some((m) => this.failedAttempt(s, m)) ? this.livelock(s) : undefined;
      if (spin) {
        const key = spin.blocked.map((b) => `${b.instance}:${b.op.call.pos}`).join(';');
        if (!seenDeadlocks.has(key)) {
          seenDeadlocks.add(key);
          const d = this.concrete(id, spin.blocked, from, edges, renames);
          // (concrete() renames the instances; the spinning ones are those at the same operations.)
          const spinOps = new Set(spin.spinning.map((i) => spin.blocked.find((b) => b.instance === i)!.op));
          deadlocks.push({ ...d, spinning: d.blocked.filter((b) => spinOps.has(b.op)).map((b) => b.instance) });
          if (deadlocks.length >= maxDeadlocks) break;
        }
        continue;
      }
      if (moves.length === 0) {
        // A state reached through a choice the analysis cannot see is no evidence.
        const stuck = s[this.sem.taintOff] === 1 ? [] : this.sem.stuck(s);
        if (stuck.length > 0) {
          // Symmetric deadlocks are one state here, so this also reports each of them once.
          const key = stuck.map((b) => `${b.instance}:${b.op.call.pos}`).join(';');
          if (!seenDeadlocks.has(key)) {
            seenDeadlocks.add(key);
            deadlocks.push(this.concrete(id, stuck, from, edges, renames));
            if (deadlocks.length >= maxDeadlocks) break;
          }
        }
        continue;
      }
      for (const m of moves) reach(m.next, id, m, depth[id]! + weight(m));
    }
    return { deadlocks, states: explored, exhausted };
  }

  /** A move that only tried: an operation that could not be done now, changing nothing but its instance's own place. */
  private failedAttempt(s: Int32Array, m: Move): boolean {
    return m.op !== undefined && !m.op.blocking && RETRIED.has(m.op.kind) && this.ownChangeOnly(s, m.next, m.instance);
  }

  /** Whether `next` differs from `s` only in instance i's own slots (its place, its variables). */
  private ownChangeOnly(s: Int32Array, next: Int32Array, i: number): boolean {
    const from = this.sem.base[i]!;
    const to = from + this.sem.layoutOf[i]!.size;
    for (let k = 0; k < s.length; k++) {
      if (k === from) { k = to - 1; continue; }
      if (s[k] !== next[k]) return false;
    }
    return true;
  }

  /**
   * A hang without a blocked call: in `s` some process retries an attempt that fails (a try-lock
   * loop, a poll with a timeout), every other process waits, and each retrying process, followed
   * alone from `s` while the others stand still, only goes round in its own places back to where it
   * is, never changing anything another can see and never finishing. Then nothing shared ever changes again, so every attempt keeps failing: the program
   * never ends, as surely as at a deadlock. Checked on all the instances' moves, not the reduced
   * set the search follows. Undefined when some process can still do something (or the rounds are
   * too many to follow).
   */
  private livelock(s: Int32Array): { blocked: { instance: number; op: Op }[]; spinning: number[] } | undefined {
    const sem = this.sem;
    const spinning: number[] = [];
    for (let j = 0; j < this.instances.length; j++) {
      if (!sem.started(s, j) || sem.finished(s, j)) continue;
      const first = sem.successors(s, j);
      if (first.length === 0) continue;
      if (!sem.opAt(s, j)) return undefined;
      const seen = new Set<string>();
      const queue: Int32Array[] = [s];
      const from = sem.base[j]!;
      const to = from + sem.layoutOf[j]!.size;
      const here = s.subarray(from, to).join(',');
      while (queue.length > 0) {
        const v = queue.pop()!;
        for (const x of sem.successors(v, j)) {
          if (sem.finished(x.next, j) || !this.ownChangeOnly(v, x.next, j) || (x.op && !RETRIED.has(x.op.kind))) return undefined;
          const k = x.next.subarray(from, to).join(',');
          if (seen.has(k)) continue;
          if (seen.size >= LIVELOCK_ROUND_STATES) return undefined;
          seen.add(k);
          queue.push(x.next);
        }
      }
      // A retry goes round: its own place in `s` comes again. (A process that only moves on, to
      // wait further down, is not stuck yet: its next wait may be one someone answers.)
      if (!seen.has(here)) return undefined;
      spinning.push(j);
    }
    const blocked = sem.stuck(s);
    return spinning.length > 0 && blocked.length > 0 ? { blocked, spinning: spinning.filter((j) => blocked.some((b) => b.instance === j)) } : undefined;
  }

  /**
   * The deadlock at state `at` with instances named as in one real run: the search stored each
   * state renamed to its canonical form, so follow the path from the start and undo the renamings.
   */
  private concrete(at: number, stuck: { instance: number; op: Op }[], from: readonly number[], edges: readonly Step[][], renames: readonly (Int32Array | undefined)[]): Deadlock {
    const path: number[] = [];
    for (let cur = at; cur >= 0; cur = from[cur]!) path.push(cur);
    path.reverse();
    // real[i]: the instance of the real run that is instance i of the current canonical state.
    let real: Int32Array = Int32Array.from(this.instances, (_, i) => i);
    const renameStart = renames[path[0]!];
    if (renameStart) real = invert(renameStart, real);
    const trace: Step[] = [];
    for (const state of path.slice(1)) {
      for (const step of edges[state]!) trace.push({ instance: real[step.instance]!, op: step.op });
      const rename = renames[state];
      if (rename) real = invert(rename, real);
    }
    return { blocked: stuck.map((b) => ({ instance: real[b.instance]!, op: b.op })).sort((x, y) => x.instance - y.instance), trace };
  }

  /**
   * Whether a deadlock's trace is a real run of the programs' automata, checked without symmetry
   * or reduction: from the start, its steps in order (any silent steps between them), to a state
   * where nothing can move and exactly its blocked instances wait in its operations (or, for a hang
   * with retrying processes, where the same processes retry and wait: see `livelock`). For tests.
   */
  replays(d: Deadlock, maxStates = 100_000): boolean {
    const sem = this.sem;
    let seen = 0;
    /**
     * States reachable by silent steps: of anyone, or (with `only`) of that instance and of those
     * entering a condition's or a barrier's wait set (what a notify or the last arrival sees
     * depends on who is in it; the other silent steps only change their own instance).
     */
    const silentClosure = (start: Int32Array[], only?: number): Int32Array[] => {
      const all = new Map<string, Int32Array>();
      const queue = [...start];
      while (queue.length > 0 && seen < maxStates) {
        const s = queue.pop()!;
        const k = s.join(',');
        if (all.has(k)) continue;
        all.set(k, s);
        seen++;
        for (let i = 0; i < this.instances.length; i++) {
          if (only !== undefined && i !== only) {
            const op = sem.opAt(s, i);
            if (!(op?.kind === 'wait' && (op.obj.kind === 'condition' || op.obj.kind === 'barrier') && sem.phase(s, i) === 0)) continue;
          }
          for (const x of sem.successors(s, i)) if (!x.op) queue.push(x.next);
        }
      }
      return [...all.values()];
    };
    /** The states after `step` (and the steps it also takes), with how many trace steps it took. */
    const take = (frontier: Int32Array[], k: number): { states: Int32Array[]; taken: number } => {
      const step = d.trace[k]!;
      const next = new Map<number, Int32Array[]>();
      for (const s of frontier) {
        for (const x of sem.successors(s, step.instance)) {
          if (x.op !== step.op) continue;
          // A step that also does more (an atomic section's release) takes those trace steps too.
          const also = x.also ?? [];
          if (!also.every((op, a) => d.trace[k + 1 + a]?.op === op && d.trace[k + 1 + a]?.instance === step.instance)) continue;
          const list = next.get(also.length) ?? [];
          list.push(x.next);
          next.set(also.length, list);
        }
      }
      // A plain step and a longer one may both match: the trace says which, by what follows.
      const [taken, states] = [...next].sort((a, b) => b[0] - a[0])[0] ?? [0, []];
      return { states, taken };
    };
    let frontier = [sem.initial()];
    for (let k = 0; k < d.trace.length;) {
      const instance = d.trace[k]!.instance;
      // Silent steps of the instance that moves (and entries into wait sets); those of others
      // only if it still cannot.
      let r = take(silentClosure(frontier, instance), k);
      if (r.states.length === 0) r = take(silentClosure(frontier), k);
      if (r.states.length === 0) return false;
      frontier = r.states;
      k += 1 + r.taken;
    }
    frontier = silentClosure(frontier);
    const want = d.blocked.map((b) => `${b.instance}:${b.op.call.pos}:${b.op.kind}`).sort().join(';');
    return frontier.some((s) => {
      if (s[sem.taintOff] === 1) return false;
      // A hang with retrying processes: the same check the search made, on this state.
      if (d.spinning?.length) {
        const spin = this.livelock(s);
        return spin !== undefined && spin.blocked.map((b) => `${b.instance}:${b.op.call.pos}:${b.op.kind}`).sort().join(';') === want
          && [...spin.spinning].sort().join(',') === [...d.spinning].sort().join(',');
      }
      for (let i = 0; i < this.instances.length; i++) if (sem.enabled(s, i)) return false;
      return sem.stuck(s).map((b) => `${b.instance}:${b.op.call.pos}:${b.op.kind}`).sort().join(';') === want;
    });
  }
}

/** After renaming old instance i to rename[i]: the real instance behind each new one. */
function invert(rename: Int32Array, real: Int32Array): Int32Array {
  const next = new Int32Array(real.length);
  for (let i = 0; i < real.length; i++) next[rename[i]!] = real[i]!;
  return next;
}

/** A binary min-heap of (depth, state number), ties by state number (first reached first). */
class Heap {
  private readonly keys: number[] = [];
  private readonly ids: number[] = [];

  get size(): number {
    return this.ids.length;
  }

  private less(a: number, b: number): boolean {
    return this.keys[a]! < this.keys[b]! || (this.keys[a] === this.keys[b] && this.ids[a]! < this.ids[b]!);
  }

  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b]!, this.keys[a]!];
    [this.ids[a], this.ids[b]] = [this.ids[b]!, this.ids[a]!];
  }

  push(key: number, id: number): void {
    this.keys.push(key);
    this.ids.push(id);
    for (let i = this.ids.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): number {
    const top = this.ids[0]!;
    const k = this.keys.pop()!;
    const id = this.ids.pop()!;
    if (this.ids.length > 0) {
      this.keys[0] = k;
      this.ids[0] = id;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.ids.length && this.less(l, m)) m = l;
        if (r < this.ids.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** Visited states, by content: open addressing over their numbers (no key strings to build). */
class StateTable {
  private slots = new Int32Array(1 << 12).fill(-1);
  /** Hash of each state by number, so that growing does not hash them again. */
  private readonly hashes: number[] = [];

  constructor(private readonly vectorOf: (id: number) => Int32Array) {}

  /** The number of a stored state equal to `s`; else -1, and `s` is recorded as state `next`. */
  lookupOrAdd(s: Int32Array, next: number): number {
    if (2 * (this.hashes.length + 1) > this.slots.length) this.grow();
    const h = hash(s);
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = this.slots[i]!;
      if (at < 0) {
        this.slots[i] = next;
        this.hashes[next] = h;
        return -1;
      }
      if (this.hashes[at] === h && equal(this.vectorOf(at), s)) return at;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (const at of old) {
      if (at < 0) continue;
      let i = this.hashes[at]! & mask;
      while (this.slots[i]! >= 0) i = (i + 1) & mask;
      this.slots[i] = at;
    }
  }
}

function hash(s: Int32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s[i]!, 0x01000193);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

function equal(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
