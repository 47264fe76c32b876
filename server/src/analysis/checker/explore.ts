// Explores the interleavings of a program's process automata over an abstract state of its
// shared objects (queue contents as counts of item kinds, pipe buffers, lock owners, semaphore
// values, event flags, condition waiters, barrier arrivals, started and finished processes) and
// reports the reachable states where no process can move while some are still waiting.
//
// Breadth-first, so each deadlock comes with a shortest trace. A partial-order reduction keeps it
// small: a process whose next step is local (a branch, a silent step) or can never be disabled
// nor disable another (a put on an unbounded queue, a send, a release, a set, a start) takes that
// step alone; only conflicting operations (gets, acquires, waits, joins…) are interleaved.
// Symmetry keeps it smaller still: the instances of a process started N times from one site are
// interchangeable, so each state is stored in a canonical form (those instances sorted by their
// local state) and a deadlock's trace is mapped back to the instances of one real run.
import { performance } from 'node:perf_hooks';
import type { BranchGuard, ConstValue, ObjectSite, Op, ProcessRef } from '../facts';
import { guardAnswer, guardText } from '../guards';
import type { Automaton } from './automaton';

export interface Instance {
  proc: ProcessRef;
  /** 0-based among the instances of the same process site. */
  index: number;
  aut: Automaton;
  daemon: boolean;
  isMain: boolean;
}

export interface Step {
  instance: number;
  op: Op;
}

export interface Deadlock {
  /** Per stuck instance, the operation it waits in. */
  blocked: { instance: number; op: Op }[];
  trace: Step[];
}

export interface ExploreResult {
  deadlocks: Deadlock[];
  states: number;
  /** Why the search stopped before it saw every state: no claim either way then. */
  exhausted: false | 'states' | 'time' | 'cancelled';
}

export interface ExploreLimits {
  /** States to visit at most. */
  maxStates: number;
  /** Deadlocks to report at most. */
  maxDeadlocks?: number;
  /** Milliseconds the search may take. */
  maxMs?: number;
  /** Polled now and then: true stops the search (the analysis is no longer wanted). */
  shouldStop?: () => boolean;
}

/** States between two looks at the clock and the stop flag. */
const POLL_EVERY = 512;

interface ObjLayout {
  site: ObjectSite;
  offset: number;
}

/**
 * Message tokens: a value put, sent or returned is known to the checker only by its answers to the
 * tests the program's branches make of received values (`item === null`, `msg.kind === 'add'`,
 * `!ok`). Token 0 answers none of them (a value the analysis cannot tell).
 */
const MAYBE = 0;
/** Items whose order and value a channel keeps; more are counted, their values unknown. */
const CAP = 8;
/** Slots of one FIFO channel: length, CAP tokens, untracked extra items. */
const CHANNEL = CAP + 2;
/** Extra items saturate here ("this many or more"). */
const EXTRA_CAP = 32;
/** A JoinableQueue's count of unfinished tasks saturates here. */
const UNFINISHED_CAP = 64;

function channelSize(s: Int32Array, base: number): number {
  return s[base]! + s[base + CAP + 1]!;
}

/** Appends a token; past CAP only the count of untracked items grows (saturating). */
function channelPush(n: Int32Array, base: number, token: number): void {
  const len = n[base]!;
  if (len < CAP && n[base + CAP + 1] === 0) {
    n[base + 1 + len] = token;
    n[base] = len + 1;
  } else {
    n[base + CAP + 1] = Math.min(EXTRA_CAP, n[base + CAP + 1]! + 1);
  }
}

/** The ways to take the first item: [its token, how the state changes]; an untracked item is MAYBE. */
function channelPops(s: Int32Array, base: number): { token: number; apply: (n: Int32Array) => void }[] {
  const len = s[base]!;
  if (len > 0) {
    return [{
      token: s[base + 1]!,
      apply: (n) => {
        for (let i = 1; i < len; i++) n[base + i] = n[base + i + 1]!;
        n[base + len] = 0;
        n[base] = len - 1;
      },
    }];
  }
  const extra = s[base + CAP + 1]!;
  if (extra === 0) return [];
  const ways = [{ token: -1, apply: (n: Int32Array) => { n[base + CAP + 1] = extra - 1; } }];
  // A saturated count means "this many or more": taking one may leave it as it was.
  if (extra === EXTRA_CAP) ways.push({ token: -1, apply: () => undefined });
  return ways;
}

export class Explorer {
  private readonly objects = new Map<ObjectSite, ObjLayout>();
  private readonly tokens = new Map<string, number>();
  /** Per token, per guard: 0 the test fails, 1 it holds, 2 unknown. */
  private readonly tokenAnswers: Uint8Array[] = [];
  private readonly guardIndex = new Map<string, number>();
  private readonly guardList: BranchGuard[] = [];
  private readonly argTokens = new Map<Op, number>();
  /** Offset of the taint slot: 1 once a path took a choice the analysis cannot see. */
  private readonly taintOff: number;
  private readonly procSites: ObjectSite[] = [];
  /** Per operation whose result some branch tests (or some put passes on): its slot in each instance's env. */
  private readonly guardVars = new Map<Op, number>();
  private slotCount = 0;
  private size = 0;
  private readonly pcOff: number;
  private readonly phaseOff: number;
  private readonly envOff: number;
  private readonly startedOff: number;
  private readonly joinOff: number;
  private readonly joinPairs = new Map<string, number>();
  /**
   * Symmetry: the instances of one process site (a target started N times with the same arguments)
   * are interchangeable, so states that differ only in which of them is where are explored once.
   * Each group is a run of instances [first, first + size) of the site procSites[site].
   */
  private readonly groups: { first: number; size: number; site: number }[] = [];
  /** Per instance, the slots of its joins (one per process site it joins, in site order). */
  private readonly joinSlots: number[][] = [];
  /** Lock owner slots (owner instance + 1, then the hold count). */
  private readonly ownerSlots: number[] = [];
  /** Condition and barrier slots: bit i is instance i. */
  private readonly maskSlots: number[] = [];

  constructor(
    private readonly instances: Instance[],
    ops: readonly Op[],
    /** What a put or send carries, as a branch test would see it (undefined: cannot tell). */
    private readonly answer: (op: Op, g: BranchGuard) => boolean | undefined = (op, g) => (op.arg ? guardAnswer(g, op.arg) : undefined),
    /** Explore states up to symmetry (off only to compare with the full state space in tests). */
    symmetry = true,
  ) {
    for (const inst of instances) {
      for (const n of inst.aut.nodes) {
        if (n.guard) {
          const text = guardText(n.guard);
          if (!this.guardIndex.has(text)) {
            this.guardIndex.set(text, this.guardList.length);
            this.guardList.push(n.guard);
          }
          // Operations whose results one variable holds in turn share one slot.
          const group = n.guard.sources ?? [n.guard.source];
          const slot = group.map((o) => this.guardVars.get(o)).find((x) => x !== undefined) ?? this.slotCount++;
          for (const o of group) this.guardVars.set(o, slot);
        }
        const from = n.op?.argFrom?.source;
        if (from && !this.guardVars.has(from)) this.guardVars.set(from, this.slotCount++);
      }
      if (inst.proc.kind !== 'main' && !this.procSites.includes(inst.proc)) this.procSites.push(inst.proc);
    }
    const n = instances.length;
    this.pcOff = 0;
    this.phaseOff = n;
    this.envOff = 2 * n;
    this.startedOff = this.envOff + n * this.slotCount;
    this.joinOff = this.startedOff + this.procSites.length;
    instances.forEach((inst, i) => {
      for (const node of inst.aut.nodes) {
        if (node.op?.kind === 'join' && node.op.obj.kind === 'process') {
          const key = `${i}|${this.procSites.indexOf(node.op.obj)}`;
          if (!this.joinPairs.has(key)) this.joinPairs.set(key, this.joinPairs.size);
        }
      }
    });
    this.taintOff = this.joinOff + this.joinPairs.size;
    this.size = this.taintOff + 1;
    for (const op of ops) this.layout(op.obj);
    // A condition made on a lock takes that lock: it needs its slots even if nobody names it.
    for (const op of ops) if (op.obj.kind === 'condition' && op.obj.lock) this.layout(op.obj.lock);
    instances.forEach((_, i) => {
      const slots: number[] = [];
      for (let k = 0; k < this.procSites.length; k++) {
        const pair = this.joinPairs.get(`${i}|${k}`);
        if (pair !== undefined) slots.push(this.joinOff + pair);
      }
      this.joinSlots.push(slots);
    });
    for (const { site, offset } of this.objects.values()) {
      if (site.kind === 'lock') this.ownerSlots.push(offset);
      else if (site.kind === 'condition' || site.kind === 'barrier') this.maskSlots.push(offset);
      if (site.kind === 'condition') this.ownerSlots.push(offset + 1);
    }
    if (symmetry) {
      for (let i = 0; i < instances.length;) {
        let j = i + 1;
        while (j < instances.length && instances[j]!.proc === instances[i]!.proc && instances[j]!.index === j - i) j++;
        const site = this.procSites.indexOf(instances[i]!.proc as ObjectSite);
        // Instances are started in index order: the started ones are the first of their group.
        if (j - i > 1 && site >= 0 && instances[i]!.index === 0 && instances[i]!.aut === instances[j - 1]!.aut) {
          this.groups.push({ first: i, size: j - i, site });
        }
        i = j;
      }
    }
  }

  /** The token of what a put or send carries (asked once per operation: it may query types). */
  private argToken(op: Op): number {
    let t = this.argTokens.get(op);
    if (t === undefined) {
      t = this.token(this.guardList.map((g) => this.answer(op, g)));
      this.argTokens.set(op, t);
    }
    return t;
  }

  /** The token of a constant an operation returns (an acquire's true or false). */
  private constToken(v: ConstValue): number {
    return this.token(this.guardList.map((g) => guardAnswer(g, { t: 'const', v })));
  }

  private token(answers: (boolean | undefined)[]): number {
    if (this.tokens.size === 0) {
      this.tokens.set(this.guardList.map(() => '2').join(''), MAYBE);
      this.tokenAnswers.push(new Uint8Array(this.guardList.length).fill(2));
    }
    const codes = answers.map((a) => (a === undefined ? 2 : a ? 1 : 0));
    const key = codes.join('');
    let t = this.tokens.get(key);
    if (t === undefined) {
      t = this.tokens.size;
      this.tokens.set(key, t);
      this.tokenAnswers.push(Uint8Array.from(codes));
    }
    return t;
  }

  /**
   * Object state slots. A queue (and each direction of a pipe) is a FIFO channel: [length, CAP
   * tokens in order, items beyond those whose values are no longer tracked]; a queue then has its
   * unfinished-task count, a pipe the closed flag of each end.
   */
  private layout(site: ObjectSite): void {
    if (this.objects.has(site) || site.kind === 'process' || site.kind === 'pool' || site.kind === 'manager') return;
    // A condition: its waiting set (a bit per instance), then its lock's owner and hold count.
    const slots = site.kind === 'queue' ? CHANNEL + 1 : site.kind === 'pipe' ? 2 * CHANNEL + 2 : site.kind === 'lock' ? 2 : site.kind === 'condition' ? 3 : 1;
    this.objects.set(site, { site, offset: this.size });
    this.size += slots;
  }

  /** The slots (owner, hold count) of the lock a condition acquires. */
  private conditionLock(cond: ObjectSite): number {
    const made = cond.lock ? this.objects.get(cond.lock) : undefined;
    return made ? made.offset : this.objects.get(cond)!.offset + 1;
  }

  initial(): Int32Array {
    const s = new Int32Array(this.size);
    this.instances.forEach((inst, i) => {
      s[this.pcOff + i] = inst.aut.start;
      for (let g = 0; g < this.slotCount; g++) s[this.envOff + i * this.slotCount + g] = -1;
    });
    for (const { site, offset } of this.objects.values()) {
      if (site.kind === 'semaphore') s[offset] = typeof site.size === 'number' ? site.size : 1;
    }
    return s;
  }

  private started(s: Int32Array, i: number): boolean {
    const inst = this.instances[i]!;
    if (inst.isMain) return true;
    return inst.index < s[this.startedOff + this.procSites.indexOf(inst.proc as ObjectSite)]!;
  }

  private finished(s: Int32Array, i: number): boolean {
    return s[this.pcOff + i] === this.instances[i]!.aut.end;
  }

  /** Instances of a process site that have finished. */
  private finishedOf(s: Int32Array, site: ObjectSite): number {
    let n = 0;
    this.instances.forEach((inst, i) => { if (inst.proc === site && this.started(s, i) && this.finished(s, i)) n++; });
    return n;
  }

  /**
   * The successor states of instance i, with the operation taken (undefined for silent steps),
   * and whether the step is safe to take alone (local, or never disabled nor disabling).
   */
  private successors(s: Int32Array, i: number): { next: Int32Array; op: Op | undefined; safe: boolean }[] {
    if (!this.started(s, i) || this.finished(s, i)) return [];
    const inst = this.instances[i]!;
    const pc = s[this.pcOff + i]!;
    const node = inst.aut.nodes[pc]!;
    const out: { next: Int32Array; op: Op | undefined; safe: boolean }[] = [];
    const goto = (base: Int32Array, to: number): Int32Array => {
      const n = base === s ? s.slice() : base;
      n[this.pcOff + i] = to;
      n[this.phaseOff + i] = 0;
      return n;
    };
    if (!node.op) {
      let choices = node.next;
      if (node.guard) {
        const g = this.guardVars.get(node.guard.source)!;
        const t = s[this.envOff + i * this.slotCount + g]!;
        if (t >= 0) {
          const answer = this.tokenAnswers[t]?.[this.guardIndex.get(guardText(node.guard))!] ?? 2;
          if (answer !== 2) {
            choices = node.next.filter((c) => c.when === undefined || c.when === (answer === 1));
          } else {
            // Whether that value passes the test is something the analysis cannot see.
            choices = node.next.map((c) => ({ ...c, unknown: true }));
          }
        }
      }
      for (const c of choices) {
        const n = goto(s, c.to);
        if (c.unknown) n[this.taintOff] = 1;
        out.push({ next: n, op: undefined, safe: true });
      }
      return out;
    }
    const op = node.op;
    const to = node.next[0]!.to;
    const advance = (mutate?: (n: Int32Array) => void, safe = false): void => {
      const n = goto(s, to);
      mutate?.(n);
      out.push({ next: n, op, safe });
    };
    /**
     * A non-blocking operation that cannot complete now (empty, full, taken): it rejects to the
     * enclosing handler when it fails by throwing (a get with a timeout), else it returns (false).
     */
    const fail = (): void => {
      if (op.fails === 'throws' && node.thr !== undefined) {
        const n = goto(s, node.thr);
        out.push({ next: n, op, safe: false });
        return;
      }
      advance((n) => setEnv(n, this.constToken(false)));
    };
    const setEnv = (n: Int32Array, token: number): void => {
      const g = this.guardVars.get(op);
      if (g !== undefined) n[this.envOff + i * this.slotCount + g] = token;
    };
    /** What a put or send carries: its own token, or the one it received and passes on. */
    const carried = (): number => {
      const from = op.argFrom;
      if (!from) return this.argToken(op);
      const g = this.guardVars.get(from.source);
      const t = g === undefined || from.path.length > 0 ? -1 : s[this.envOff + i * this.slotCount + g]!;
      return t >= 0 ? t : this.argToken(op);
    };
    const obj = this.objects.get(op.obj);
    switch (op.kind) {
      case 'put': {
        if (!obj) return advance(), out;
        const o = obj.offset;
        const max = op.obj.maxsize ?? 0;
        if (max > 0 && channelSize(s, o) >= max) {
          if (!op.blocking) fail();
          return out;
        }
        const joinable = op.obj.variant === 'JoinableQueue';
        const argToken = carried();
        advance((n) => { channelPush(n, o, argToken); if (joinable) n[o + CHANNEL] = Math.min(UNFINISHED_CAP, n[o + CHANNEL]! + 1); }, max === 0);
        return out;
      }
      case 'get': {
        if (!obj) return advance(), out;
        for (const way of channelPops(s, obj.offset)) {
          advance((n) => { way.apply(n); setEnv(n, way.token < 0 ? MAYBE : way.token); });
        }
        if (out.length === 0 && !op.blocking) fail();
        return out;
      }
      case 'taskDone': {
        if (!obj) return advance(), out;
        const slot = obj.offset + CHANNEL;
        const unfinished = s[slot]!;
        // A saturated count means "this many or more": marking one done may leave it as it was.
        if (unfinished === UNFINISHED_CAP) advance(undefined, false);
        advance((n) => { if (n[slot]! > 0) n[slot]!--; }, unfinished < UNFINISHED_CAP);
        return out;
      }
      case 'joinQueue':
        if (!obj || s[obj.offset + CHANNEL] === 0 || !op.blocking) advance();
        return out;
      case 'send': {
        if (!obj || op.end === undefined) return advance(), out;
        const into = obj.offset + (1 - op.end) * CHANNEL;
        const argToken = carried();
        advance((n) => { channelPush(n, into, argToken); }, true);
        return out;
      }
      case 'recv': {
        if (!obj || op.end === undefined) return advance(), out;
        for (const way of channelPops(s, obj.offset + op.end * CHANNEL)) {
          advance((n) => { way.apply(n); setEnv(n, way.token < 0 ? MAYBE : way.token); });
        }
        // Once the other end was closed (by anyone: copies are not tracked), recv() can end
        // with EOFError instead of waiting.
        if (out.length === 0 && s[obj.offset + 2 * CHANNEL + (1 - op.end)] === 1) advance();
        return out;
      }
      case 'closeEnd':
        if (obj && op.end !== undefined) advance((n) => { n[obj.offset + 2 * CHANNEL + op.end!] = 1; }, true);
        else advance(undefined, true);
        return out;
      case 'acquire': {
        if (!obj) return advance(), out;
        const o = obj.offset;
        const won = this.constToken(true);
        if (op.obj.kind === 'condition') {
          // A condition's lock: its own (reentrant, as Python's default RLock), or the lock it
          // was made on.
          const l = this.conditionLock(op.obj);
          const owner = s[l]!;
          const reentrant = !op.obj.lock || op.obj.lock.variant === 'RLock';
          if (owner === 0) advance((n) => { n[l] = i + 1; n[l + 1] = 1; setEnv(n, won); });
          else if (owner === i + 1 && reentrant) advance((n) => { n[l + 1]!++; setEnv(n, won); });
          else if (!op.blocking) fail();
          return out;
        }
        if (op.obj.kind === 'semaphore') {
          if (s[o]! > 0) advance((n) => { n[o]!--; setEnv(n, won); });
          else if (!op.blocking) fail();
          return out;
        }
        const owner = s[o]!;
        if (owner === 0) advance((n) => { n[o] = i + 1; n[o + 1] = 1; setEnv(n, won); });
        else if (owner === i + 1 && op.obj.variant === 'RLock') advance((n) => { n[o + 1]!++; setEnv(n, won); });
        else if (!op.blocking) fail();
        return out;
      }
      case 'release': {
        if (!obj) return advance(), out;
        const o = obj.offset;
        if (op.obj.kind === 'condition') {
          const l = this.conditionLock(op.obj);
          advance((n) => {
            if (n[l] === i + 1) {
              n[l + 1]!--;
              if (n[l + 1]! <= 0) { n[l] = 0; n[l + 1] = 0; }
            }
          }, true);
        } else if (op.obj.kind === 'semaphore') advance((n) => { n[o]!++; }, true);
        else advance((n) => {
          // Any process may release a Lock (as in Python); an RLock only by its owner.
          if (n[o] === i + 1 || (n[o] !== 0 && op.obj.variant !== 'RLock')) {
            n[o + 1]!--;
            if (n[o + 1]! <= 0) { n[o] = 0; n[o + 1] = 0; }
          }
        }, true);
        return out;
      }
      case 'set':
        if (obj) advance((n) => { n[obj.offset] = 1; }, true);
        else advance();
        return out;
      case 'clear':
        if (obj) advance((n) => { n[obj.offset] = 0; });
        else advance();
        return out;
      case 'wait': {
        if (!obj) return advance(), out;
        if (!op.blocking) {
          // A wait with a timeout returns (true when the event is set; a barrier may break).
          if (op.obj.kind === 'event') advance((n) => setEnv(n, this.constToken(s[obj.offset] === 1)));
          else if (op.fails === 'throws' && node.thr !== undefined) { advance((n) => setEnv(n, MAYBE)); fail(); }
          else advance((n) => setEnv(n, MAYBE));
          return out;
        }
        const o = obj.offset;
        const bit = 1 << i;
        if (op.obj.kind === 'event') {
          if (s[o] === 1) advance();
          return out;
        }
        const phase = s[this.phaseOff + i]!;
        // waitFor(predicate) returns as soon as the predicate holds: shared state not modelled.
        if (op.obj.kind === 'condition' && op.method === 'waitFor') return advance(), out;
        if (op.obj.kind === 'condition') {
          // Give up the lock and enter the waiting set at once; leave only once a notify took us
          // out of it and the lock is free again (then take it back).
          const l = this.conditionLock(op.obj);
          if (phase === 0) {
            const n = s.slice();
            n[o] = n[o]! | bit;
            n[this.phaseOff + i] = 1;
            if (n[l] === i + 1) { n[l] = 0; n[l + 1] = 0; }
            out.push({ next: n, op: undefined, safe: false });
          } else if ((s[o]! & bit) === 0 && s[l] === 0) {
            advance((n) => { n[l] = i + 1; n[l + 1] = 1; });
          }
          return out;
        }
        if (op.obj.kind === 'barrier') {
          if (phase === 0) {
            const n = s.slice();
            n[o] = n[o]! | bit;
            n[this.phaseOff + i] = 1;
            const parties = typeof op.obj.size === 'number' ? op.obj.size : Infinity;
            if (popcount(n[o]!) >= parties) {
              // The last party releases everyone who arrived in this generation.
              this.instances.forEach((_, j) => { if (n[o]! & (1 << j)) n[this.phaseOff + j] = 2; });
              n[o] = 0;
            }
            out.push({ next: n, op: undefined, safe: false });
          } else if (phase === 2) {
            advance();
          }
          return out;
        }
        return advance(), out;
      }
      case 'notify': {
        if (!obj) return advance(), out;
        const o = obj.offset;
        const waiting = s[o]!;
        if (op.method === 'notifyAll' || waiting === 0) {
          advance((n) => { n[o] = 0; });
        } else {
          // notify(1): any one waiter.
          for (let j = 0; j < this.instances.length; j++) {
            if (waiting & (1 << j)) advance((n) => { n[o] = waiting & ~(1 << j); });
          }
        }
        return out;
      }
      case 'abort':
        if (obj && op.obj.kind === 'barrier') {
          advance((n) => {
            this.instances.forEach((_, j) => { if (n[obj.offset]! & (1 << j)) n[this.phaseOff + j] = 2; });
            n[obj.offset] = 0;
          });
        } else {
          advance();
        }
        return out;
      case 'start': {
        const k = this.procSites.indexOf(op.obj);
        const total = this.instances.filter((x) => x.proc === op.obj).length;
        advance((n) => { if (k >= 0 && n[this.startedOff + k]! < total) n[this.startedOff + k]!++; }, true);
        return out;
      }
      case 'join': {
        const k = this.procSites.indexOf(op.obj);
        const pair = this.joinPairs.get(`${i}|${k}`);
        if (k < 0 || pair === undefined) return advance(), out;
        // A join returns once an instance this process has not joined yet has finished; joining
        // again a process already joined (or one never started: an error, not a wait) returns too.
        const done = s[this.joinOff + pair]!;
        const started = s[this.startedOff + k]!;
        if (!op.blocking || started === 0 || done >= started || this.finishedOf(s, op.obj) > done) {
          advance((n) => { n[this.joinOff + pair]!++; });
        }
        return out;
      }
      case 'terminate':
        advance((n) => {
          this.instances.forEach((x, j) => { if (x.proc === op.obj && this.started(n, j)) n[this.pcOff + j] = x.aut.end; });
        });
        return out;
      default:
        // Reads, writes, pool and manager bookkeeping: they never wait here.
        advance(undefined, true);
        return out;
    }
  }

  explore(limits: ExploreLimits): ExploreResult {
    const { maxStates, maxDeadlocks = 5, maxMs = Infinity, shouldStop } = limits;
    const started = performance.now();
    const init = this.initial();
    // Per state (by number): the state, where it was reached from, the step taken, and the
    // renaming of instances that made it canonical (see canonical()).
    const states: Int32Array[] = [];
    const table = new StateTable(states);
    const from: number[] = [];
    const steps: (Step | undefined)[] = [];
    const renames: (Int8Array | undefined)[] = [];
    const visit = (s: Int32Array, parent: number, step: Step | undefined): void => {
      const rename = this.canonical(s);
      if (table.lookupOrAdd(s, states.length) >= 0) return;
      states.push(s);
      from.push(parent);
      steps.push(step);
      renames.push(rename);
    };
    visit(init, -1, undefined);
    const deadlocks: Deadlock[] = [];
    const seenDeadlocks = new Set<string>();
    let exhausted: ExploreResult['exhausted'] = false;
    const succs: ReturnType<Explorer['successors']>[] = [];
    for (let head = 0; head < states.length; head++) {
      if (states.length > maxStates) { exhausted = 'states'; break; }
      if (head % POLL_EVERY === POLL_EVERY - 1) {
        if (shouldStop?.()) { exhausted = 'cancelled'; break; }
        if (performance.now() - started > maxMs) { exhausted = 'time'; break; }
      }
      const s = states[head]!;
      // The first instance whose every next step is safe takes it alone; else all interleave.
      let alone = -1;
      let any = false;
      succs.length = 0;
      for (let i = 0; i < this.instances.length; i++) {
        const succ = this.successors(s, i);
        succs.push(succ);
        if (succ.length === 0) continue;
        any = true;
        if (succ.every((x) => x.safe)) { alone = i; break; }
      }
      if (!any) {
        // A state reached through a choice the analysis cannot see is no evidence.
        const stuck = s[this.taintOff] === 1 ? [] : this.stuck(s);
        if (stuck.length > 0) {
          // Symmetric deadlocks are one state here, so this also reports each of them once.
          const id = stuck.map((b) => `${b.instance}:${b.op.call.pos}`).join(';');
          if (!seenDeadlocks.has(id)) {
            seenDeadlocks.add(id);
            deadlocks.push(this.concrete(head, stuck, from, steps, renames));
            if (deadlocks.length >= maxDeadlocks) break;
          }
        }
        continue;
      }
      for (let i = alone < 0 ? 0 : alone; i < (alone < 0 ? succs.length : alone + 1); i++) {
        for (const m of succs[i]!) visit(m.next, head, m.op ? { instance: i, op: m.op } : undefined);
      }
    }
    return { deadlocks, states: states.length, exhausted };
  }

  /**
   * Puts a state in canonical form, in place: within each group of interchangeable instances, the
   * started ones sorted by their local state (program counter, phase, guard values, joins, locks
   * held, waits). Returns the renaming applied (old instance -> new), or undefined if none.
   */
  private canonical(n: Int32Array): Int8Array | undefined {
    let rename: Int8Array | undefined;
    let old: Int32Array | undefined;
    for (const g of this.groups) {
      const started = Math.min(g.size, n[this.startedOff + g.site]!);
      if (started < 2) continue;
      const src = old ?? n;
      let sorted = true;
      for (let p = g.first + 1; p < g.first + started && sorted; p++) sorted = this.compareLocal(src, p - 1, p) <= 0;
      if (sorted) continue;
      const order = Array.from({ length: started }, (_, p) => g.first + p);
      order.sort((a, b) => this.compareLocal(src, a, b));
      if (!rename) {
        rename = new Int8Array(this.instances.length);
        for (let i = 0; i < rename.length; i++) rename[i] = i;
      }
      order.forEach((inst, p) => { rename![inst] = g.first + p; });
      old ??= n.slice();
    }
    if (!rename || !old) return undefined;
    const G = this.slotCount;
    for (let i = 0; i < this.instances.length; i++) {
      const j = rename[i]!;
      if (j === i) continue;
      n[this.pcOff + j] = old[this.pcOff + i]!;
      n[this.phaseOff + j] = old[this.phaseOff + i]!;
      for (let g = 0; g < G; g++) n[this.envOff + j * G + g] = old[this.envOff + i * G + g]!;
      const to = this.joinSlots[j]!;
      this.joinSlots[i]!.forEach((slot, x) => { n[to[x]!] = old![slot]!; });
    }
    for (const o of this.ownerSlots) {
      const owner = old[o]!;
      if (owner > 0 && owner <= rename.length) n[o] = rename[owner - 1]! + 1;
    }
    for (const o of this.maskSlots) {
      const bits = old[o]!;
      let moved = 0;
      for (let i = 0; i < this.instances.length; i++) if (bits & (1 << i)) moved |= 1 << rename[i]!;
      n[o] = moved;
    }
    return rename;
  }

  /** Orders two instances of one group by everything that is theirs in a state. */
  private compareLocal(s: Int32Array, a: number, b: number): number {
    const G = this.slotCount;
    let d = s[this.pcOff + a]! - s[this.pcOff + b]! || s[this.phaseOff + a]! - s[this.phaseOff + b]!;
    for (let g = 0; g < G && d === 0; g++) d = s[this.envOff + a * G + g]! - s[this.envOff + b * G + g]!;
    const ja = this.joinSlots[a]!;
    const jb = this.joinSlots[b]!;
    for (let x = 0; x < ja.length && d === 0; x++) d = s[ja[x]!]! - s[jb[x]!]!;
    for (let x = 0; x < this.ownerSlots.length && d === 0; x++) {
      const o = this.ownerSlots[x]!;
      d = (s[o] === a + 1 ? 1 + s[o + 1]! : 0) - (s[o] === b + 1 ? 1 + s[o + 1]! : 0);
    }
    for (let x = 0; x < this.maskSlots.length && d === 0; x++) {
      const bits = s[this.maskSlots[x]!]!;
      d = ((bits >> a) & 1) - ((bits >> b) & 1);
    }
    return d;
  }

  /**
   * The deadlock at state `at` with instances named as in one real run: the search stored each
   * state renamed to its canonical form, so follow the path from the start and undo the renamings.
   */
  private concrete(at: number, stuck: { instance: number; op: Op }[], from: number[], steps: (Step | undefined)[], renames: (Int8Array | undefined)[]): Deadlock {
    const path: number[] = [];
    for (let cur = at; cur >= 0; cur = from[cur]!) path.push(cur);
    path.reverse();
    // real[i]: the instance of the real run that is instance i of the current canonical state.
    let real: Int8Array = Int8Array.from(this.instances, (_, i) => i);
    const renameStart = renames[path[0]!];
    if (renameStart) real = invert(renameStart, real);
    const trace: Step[] = [];
    for (const state of path.slice(1)) {
      const step = steps[state];
      if (step) trace.push({ instance: real[step.instance]!, op: step.op });
      const rename = renames[state];
      if (rename) real = invert(rename, real);
    }
    return { blocked: stuck.map((b) => ({ instance: real[b.instance]!, op: b.op })).sort((x, y) => x.instance - y.instance), trace };
  }

  /**
   * Whether a deadlock's trace is a real run of the programs' automata, checked without symmetry
   * or reduction: from the start, its steps in order (any silent steps between them), to a state
   * where nothing can move and exactly its blocked instances wait in its operations. For tests.
   */
  replays(d: Deadlock, maxStates = 100_000): boolean {
    let seen = 0;
    const silentClosure = (from: Int32Array[]): Int32Array[] => {
      const all = new Map<string, Int32Array>();
      const queue = [...from];
      while (queue.length > 0 && seen < maxStates) {
        const s = queue.pop()!;
        const k = s.join(',');
        if (all.has(k)) continue;
        all.set(k, s);
        seen++;
        for (let i = 0; i < this.instances.length; i++) {
          for (const x of this.successors(s, i)) if (!x.op) queue.push(x.next);
        }
      }
      return [...all.values()];
    };
    let frontier = silentClosure([this.initial()]);
    for (const step of d.trace) {
      const next: Int32Array[] = [];
      for (const s of frontier) for (const x of this.successors(s, step.instance)) if (x.op === step.op) next.push(x.next);
      frontier = silentClosure(next);
      if (frontier.length === 0) return false;
    }
    const want = d.blocked.map((b) => `${b.instance}:${b.op.call.pos}:${b.op.kind}`).sort().join(';');
    return frontier.some((s) => {
      if (s[this.taintOff] === 1) return false;
      for (let i = 0; i < this.instances.length; i++) if (this.successors(s, i).length > 0) return false;
      return this.stuck(s).map((b) => `${b.instance}:${b.op.call.pos}:${b.op.kind}`).sort().join(';') === want;
    });
  }

  /** In a state where nothing can move: the instances still waiting (daemons only while main runs). */
  private stuck(s: Int32Array): { instance: number; op: Op }[] {
    const mainIdx = this.instances.findIndex((x) => x.isMain);
    const mainDone = mainIdx < 0 || this.finished(s, mainIdx);
    const out: { instance: number; op: Op }[] = [];
    this.instances.forEach((inst, i) => {
      if (!this.started(s, i) || this.finished(s, i)) return;
      if (inst.daemon && mainDone) return; // terminated when main exits
      const op = inst.aut.nodes[s[this.pcOff + i]!]!.op;
      if (op) out.push({ instance: i, op });
    });
    // Only daemons left waiting while main itself waits on nothing: not a hang.
    return out.some((b) => !this.instances[b.instance]!.daemon) ? out : [];
  }
}

/** After renaming old instance i to rename[i]: the real instance behind each new one. */
function invert(rename: Int8Array, real: Int8Array): Int8Array {
  const next = new Int8Array(real.length);
  for (let i = 0; i < real.length; i++) next[rename[i]!] = real[i]!;
  return next;
}

/** Visited states, by content: open addressing over their numbers (no key strings to build). */
class StateTable {
  private slots = new Int32Array(1 << 12).fill(-1);
  /** Hash of each state by number, so that growing does not hash them again. */
  private readonly hashes: number[] = [];

  constructor(private readonly states: readonly Int32Array[]) {}

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
      if (this.hashes[at] === h && equal(this.states[at]!, s)) return at;
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

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v; v &= v - 1) n++;
  return n;
}
