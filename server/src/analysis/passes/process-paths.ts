// What each process does along its paths, for the lock, lifecycle and race rules: which locks it
// holds at each acquire and release and when it ends, which processes it has started and not yet
// joined, and which shared values or files it reads and then writes. Computed once per program
// (passes/index.ts: `Passes.processPaths`, on the first rule that asks) with the flow walker; a
// process the walker cannot finish within its budget is left out, so no rule speaks about it.
import ts from '../typescript';
import { constOf, skipOuter } from '../ast';
import type { Extraction, Flow, ObjectSite, Op, ProcessRef } from '../facts';
import { guardAnswer } from '../guards';
import { FlowWalker, WalkBudgetExceeded, type ExitFlow, type FlowWalkMemo, type Transfer } from './flow-walk';

export interface Hold {
  lock: ObjectSite;
  acq: Op;
  /** Taken by an acquire that may have failed (timeout, `block` false) or skipped with its loop. */
  maybe: boolean;
  /** The first `return`/`break`/`continue`/`throw` taken while it was held. */
  exit?: ts.Statement;
  /** The signals sent and waits passed before it was taken (see `Sync`). */
  sync: Sync;
  /**
   * Taken by main while no other process that acquires the lock runs, and none started since:
   * nobody can be left waiting for it (a drain at the end, after every user was joined).
   */
  quiet?: boolean;
}

interface ReadMark {
  op: Op;
  holds: Hold[];
  sync: Sync;
}

/**
 * The signals a process has sent and the waits it has passed on a path, on the channels that
 * order two processes (see `SyncObjects`): `s<channel>` it signalled the channel (set an event,
 * put to a queue, sent on a pipe end, released a semaphore of no units, arrived at a barrier),
 * `w<channel>` it returned from a wait on it without a timeout, which only a signal can end.
 */
export type Sync = readonly string[];

/**
 * The channels that order processes: whatever the signalling process did before its first signal
 * on one happens before whatever a waiter does after its wait (a happens-before edge, as a token
 * passed through a queue is). A channel is one object for the whole program, not handed to code
 * the analysis cannot see, and signalled by one process that runs once (`proc`); or a barrier
 * whose every party is a process instance that waits on it (`parties`: the first round takes each
 * one's first arrival, so what any did before arriving comes before what any does after).
 * `underLock`: channels signalled while a lock was held (then lock holds are not ordered by them).
 */
export interface SyncObjects {
  by: Map<string, { site: ObjectSite; proc: ProcessRef | 'parties'; parties?: ReadonlySet<ProcessRef> }>;
  underLock: Set<string>;
  /**
   * Per channel and signalling process: the waits it had passed at every one of its signals on
   * the channel (so a waiter on the channel comes after what those waits came after: orders chain).
   */
  carried: Map<string, Map<ProcessRef, Set<string>>>;
}

interface PState {
  holds: readonly Hold[];
  started: ReadonlyMap<ObjectSite, { op?: Op; maybe: boolean }>;
  live: readonly ObjectSite[];
  reads: ReadonlyMap<string, ReadMark>;
  decisions: readonly { key: string; value: boolean; depth: number }[];
  /** Acquires with a timeout on this path: whether the last run of each took the lock. */
  outcomes: ReadonlyMap<Op, boolean>;
  sync: Sync;
}

export interface DoubleAcquire { proc: ProcessRef; second: Op; first: Op }
export interface LockPair { proc: ProcessRef; outer: Op; inner: Op; held: ObjectSite; wanted: ObjectSite; gate: ObjectSite[]; live: ObjectSite[]; sync: Sync }
export interface Leak { proc: ProcessRef; acq: Op; exit?: ts.Statement; quiet?: boolean }
/** `readSync`: the waits passed before the read; `writeSync`: the signals sent before the write. */
export interface Rmw { proc: ProcessRef; read: Op; write: Op; site: ObjectSite; key: string; protect: ObjectSite[]; live: ObjectSite[]; readSync: Sync; writeSync: Sync }

export interface ProcessPaths {
  /** Processes whose every path was followed. */
  done: Set<ProcessRef>;
  doubleAcquires: DoubleAcquire[];
  pairs: LockPair[];
  /** Releases reached on some path without any hold of their lock. */
  /** `live`: the children the releasing process had started and not joined then. */
  unheldReleases: { proc: ProcessRef; op: Op; gaveUp?: Op; live: readonly ObjectSite[] }[];
  /** A Condition's wait or notify some path reaches without this process holding the condition's lock. */
  unheldConditionCalls: { proc: ProcessRef; op: Op }[];
  leaks: Leak[];
  /** Acquires whose hold some path releases. */
  released: Set<Op>;
  /**
   * Acquires some hold of which is not quiet (see `Hold.quiet`) for all its life, on some path:
   * taken by main while another process that acquires the lock may run, or kept while one starts.
   */
  loudAcquires: Set<Op>;
  joinUnstarted: { proc: ProcessRef; op: Op }[];
  /**
   * Operations that run only on some ways of a branch the analysis could not decide (inside one
   * alternative of it, at any depth): two of them may depend on the same fact (`if (on) start()`
   * … `if (on) join()`, through a flag, a list or a field) in a way the paths do not record.
   */
  conditional: Set<Op>;
  startTwice: { proc: ProcessRef; op: Op; first: Op }[];
  rmw: Rmw[];
  /** Child processes that can run at the same time as each other (`a|b` by site index). */
  coLive: Set<string>;
  syncObjects: SyncObjects;
  siteIndex: Map<ObjectSite, number>;
}

export const SHARED_KINDS: ReadonlySet<ObjectSite['kind']> = new Set(['value', 'array', 'dict', 'list', 'namespace', 'file']);

/** Another process releases this lock without ever acquiring it: a lock used as a signal. */
export function foreignReleasers(ex: Extraction, lock: ObjectSite, proc: ProcessRef): boolean {
  return ex.ops.some((o) => o.obj === lock && o.kind === 'release' && o.proc !== proc
    && !ex.ops.some((a) => a.obj === lock && a.kind === 'acquire' && a.proc === o.proc));
}

/** Handed to code the analysis cannot see, which may acquire, release, start or join it. */
export function escaped(ex: Extraction, site: ObjectSite): boolean {
  return ex.escaped?.has(site) ?? false;
}

/** An object (a lock, an event, a value) that is one for the whole program: two uses of it are uses of the same object. */
export function singleObject(lock: ObjectSite): boolean {
  if (lock.unknown || lock.multiplicity !== 1) return false;
  const maker = lock.owner?.madeBy ?? lock.madeBy;
  return !maker || maker.kind === 'main' || maker.multiplicity === 1;
}

/** Whether a blocking acquire of `lock` by a process that already holds `held` units never returns. */
function selfBlocks(ex: Extraction, lock: ObjectSite, proc: ProcessRef, held: number): boolean {
  if (!singleObject(lock) || foreignReleasers(ex, lock, proc) || escaped(ex, lock)) return false;
  if (lock.kind === 'lock') return lock.variant !== 'RLock' && held > 0;
  if (lock.kind === 'semaphore') return typeof lock.size === 'number' && held > 0 && held >= lock.size;
  return false;
}

/** Walks every process of a program (see the top of this file); `Passes.processPaths` calls it once. */
export function computeProcessPaths(ex: Extraction, checker: ts.TypeChecker, memo: FlowWalkMemo): ProcessPaths {
  const opIndex = new Map<Op, number>(ex.ops.map((o, i) => [o, i]));
  const siteIndex = new Map<ObjectSite, number>(ex.sites.map((s, i) => [s, i]));
  const sid = (s: ObjectSite): number => siteIndex.get(s) ?? -1;
  const oid = (o: Op): number => opIndex.get(o) ?? -1;
  const out: ProcessPaths = {
    done: new Set(), doubleAcquires: [], pairs: [], unheldReleases: [], unheldConditionCalls: [], leaks: [], released: new Set(), loudAcquires: new Set(),
    joinUnstarted: [], conditional: new Set(), startTwice: [], rmw: [], coLive: new Set(), siteIndex, syncObjects: syncObjectsOf(ex, sid),
  };
  const syncBy = out.syncObjects.by;
  const syncSites = new Set([...syncBy.values()].map((c) => c.site));
  /** The state after `op`, when it signals or passes a wait on a channel that orders processes. */
  const synced = (s: PState, op: Op): PState => {
    if (!syncSites.has(op.obj)) return s;
    const tokens: string[] = [];
    const sent = signalChannel(op, sid);
    const by = sent !== undefined ? syncBy.get(sent) : undefined;
    if (sent !== undefined && by && (by.proc === 'parties' || by.proc === op.proc)) {
      tokens.push(`s${sent}`);
      if (s.holds.length > 0) out.syncObjects.underLock.add(sent);
      const perProc = out.syncObjects.carried.get(sent) ?? new Map<ProcessRef, Set<string>>();
      out.syncObjects.carried.set(sent, perProc);
      const passed = s.sync.filter((t) => t.startsWith('w'));
      const was = perProc.get(op.proc);
      perProc.set(op.proc, was ? new Set(passed.filter((t) => was.has(t))) : new Set(passed));
    }
    const waited = op.alternative ? undefined : waitChannel(op, sid);
    const from = waited !== undefined ? syncBy.get(waited) : undefined;
    if (waited !== undefined && from && (from.proc === 'parties' || from.proc !== op.proc)) tokens.push(`w${waited}`);
    const add = tokens.filter((t) => !s.sync.includes(t));
    return add.length === 0 ? s : { ...s, sync: [...s.sync, ...add].sort() };
  };
  const seen = new Set<string>();
  const once = (key: string): boolean => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const bodyOps = new WeakMap<Flow, Op[]>();
  const opsIn = (f: Flow): Op[] => {
    let list = bodyOps.get(f);
    if (!list) {
      list = [];
      const visit = (x: Flow): void => {
        switch (x.k) {
          case 'op': list!.push(x.op); break;
          case 'seq': x.items.forEach(visit); break;
          case 'branch': x.alts.forEach(visit); break;
          case 'loop': visit(x.body); break;
          case 'call': visit(x.body); break;
          case 'try': visit(x.body); if (x.handler) visit(x.handler); if (x.finalizer) visit(x.finalizer); break;
          default: break;
        }
      };
      visit(f);
      bodyOps.set(f, list);
    }
    return list;
  };
  const ambiguous = (op: Op): boolean => memo.onOneOfSeveral(op);
  const holdId = (h: Hold): string => `${sid(h.lock)}.${oid(h.acq)}`;
  const isLockish = (s: ObjectSite): boolean => s.kind === 'lock' || s.kind === 'semaphore' || s.kind === 'condition';
  // States are immutable and share their unchanged parts, and the walker asks for the key of the
  // same state many times: each part's text is built once per object (main's map of started
  // processes grows with the program, so rebuilding it per query was quadratic).
  const cached = <T extends object>(make: (x: T) => string): ((x: T) => string) => {
    const keys = new WeakMap<T, string>();
    return (x) => {
      let k = keys.get(x);
      if (k === undefined) keys.set(x, (k = make(x)));
      return k;
    };
  };
  const holdsKey = cached<readonly Hold[]>((hs) => hs.map((h) => `${holdId(h)}${h.maybe ? '?' : ''}${h.quiet ? 'q' : ''}${h.exit ? `@${h.exit.pos}` : ''}${h.sync.length > 0 ? `/${h.sync.join('.')}` : ''}`).join(','));
  // The processes that acquire each lock (a pool's workers or unknown code: every lock, for safety).
  const acquirers = new Map<ObjectSite, Set<ProcessRef>>();
  for (const o of ex.ops) {
    if (o.kind !== 'acquire') continue;
    const set = acquirers.get(o.obj) ?? new Set<ProcessRef>();
    set.add(o.proc);
    acquirers.set(o.obj, set);
  }
  const quietAcquire = (s: PState, proc: ProcessRef, lock: ObjectSite): boolean => {
    if (proc.kind !== 'main' || escaped(ex, lock) || lock.unknown) return false;
    for (const p of acquirers.get(lock) ?? []) {
      if (p === proc) continue;
      if (p.kind === 'main' || p.role !== 'child' || s.live.includes(p)) return false;
    }
    return true;
  };
  type Started = PState['started'];
  const startedEntry = (p: ObjectSite, v: { op?: Op; maybe: boolean }): string => `${sid(p)}${v.maybe ? '?' : ''}${v.op ? oid(v.op) : ''}`;
  // Main's map of started processes grows by one entry per start: its sorted entries are kept per
  // map and derived from the previous map's (see withStarted), not sorted again each time.
  const startedEntries = new WeakMap<Started, string[]>();
  const entriesOf = (st: Started): string[] => {
    let e = startedEntries.get(st);
    if (!e) startedEntries.set(st, (e = [...st].map(([p, v]) => startedEntry(p, v)).sort()));
    return e;
  };
  const startedKey = cached<Started>((st) => entriesOf(st).join(','));
  const withStarted = (st: Started, p: ObjectSite, v: { op?: Op; maybe: boolean }): Started => {
    const next = new Map(st);
    next.set(p, v);
    const entries = [...entriesOf(st)];
    const was = st.get(p);
    if (was) entries.splice(entries.indexOf(startedEntry(p, was)), 1);
    const add = startedEntry(p, v);
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]! < add) lo = mid + 1;
      else hi = mid;
    }
    entries.splice(lo, 0, add);
    startedEntries.set(next, entries);
    return next;
  };
  const liveKey = cached<readonly ObjectSite[]>((l) => l.map(sid).sort().join(','));
  const readsKey = cached<PState['reads']>((r) => [...r].map(([k, m]) => `${k}=${oid(m.op)}:${m.holds.map(holdId).join('+')}/${m.sync.join('.')}`).sort().join(','));
  const decisionsKey = cached<PState['decisions']>((ds) => ds.map((d) => `${d.key}${d.value ? 1 : 0}`).join(','));
  const outcomesKey = cached<PState['outcomes']>((os) => [...os].map(([o, v]) => `${oid(o)}${v ? 1 : 0}`).sort().join(','));
  const stateKeys = new WeakMap<PState, string>();
  const stateKey = (s: PState): string => {
    let k = stateKeys.get(s);
    if (k === undefined) {
      k = `${holdsKey(s.holds)}|${startedKey(s.started)}|${liveKey(s.live)}|${readsKey(s.reads)}|${decisionsKey(s.decisions)}|${outcomesKey(s.outcomes)}|${s.sync.join('.')}`;
      stateKeys.set(s, k);
    }
    return k;
  };

  for (const flow of ex.flows.values()) markConditional(flow, false, out.conditional);

  for (const [proc, flow0] of ex.flows) {
    // A pool worker runs its tasks one after another, any number of them.
    const flow: Flow = proc.kind !== 'main' && proc.role === 'pool-worker' && flow0.k === 'loop'
      ? { k: 'loop', count: 'several', body: flow0.body } : flow0;
    const events: (() => void)[] = [];
    const t: Transfer<PState> = {
      key: stateKey,
      op: (s, op) => transfer(synced(s, op), op),
      // Exactly the operations `transfer` does not return unchanged for (most are queue traffic).
      changes: (op) => {
        if (syncSites.has(op.obj)) return true;
        switch (op.kind) {
          case 'acquire': case 'release': return isLockish(op.obj);
          case 'wait': case 'notify': return op.obj.kind === 'condition';
          case 'start': case 'join': return op.obj.kind === 'process';
          case 'read': return SHARED_KINDS.has(op.obj.kind) && isPlainRead(op);
          case 'write': return SHARED_KINDS.has(op.obj.kind) && isModifyingWrite(op);
          default: return false;
        }
      },
      exit: (s, f: ExitFlow) => {
        if (!f.node || !s.holds.some((h) => !h.maybe && !h.exit)) return s;
        return { ...s, holds: s.holds.map((h) => (h.maybe || h.exit ? h : { ...h, exit: f.node! })) };
      },
      skip: (s, body) => {
        let next = s;
        for (const op of opsIn(body)) {
          if (op.kind === 'acquire' && isLockish(op.obj) && !next.holds.some((h) => h.lock === op.obj)) {
            next = { ...next, holds: [...next.holds, { lock: op.obj, acq: op, maybe: true, sync: next.sync }] };
          } else if (op.kind === 'release' && next.holds.some((h) => h.lock === op.obj && !h.maybe)) {
            next = { ...next, holds: next.holds.map((h) => (h.lock === op.obj ? { ...h, maybe: true } : h)) };
          } else if (op.kind === 'start' && op.obj.kind === 'process' && !next.started.has(op.obj)) {
            next = { ...next, started: withStarted(next.started, op.obj, { maybe: true }) };
          }
        }
        return next;
      },
      decide: (s, key, value, depth, guard) => {
        // `if (!(await lock.acquire(true, 1))) return`: the path where the acquire failed takes the
        // early return, the one where it succeeded goes on holding the lock.
        const outcome = guard ? s.outcomes.get(guard.source) : undefined;
        if (guard && outcome !== undefined) {
          const answer = guardAnswer(guard, { t: 'const', v: outcome });
          if (answer !== undefined && answer !== value) return undefined;
        }
        const known = s.decisions.find((d) => d.key === key);
        if (known) return known.value === value ? s : undefined;
        return { ...s, decisions: [...s.decisions, { key, value, depth }] };
      },
      leave: (s, depth) => (s.decisions.some((d) => d.depth >= depth) ? { ...s, decisions: s.decisions.filter((d) => d.depth < depth) } : s),
      // A dropped async call runs without the caller's locks (and what it takes and gives back
      // is its own); the caller goes on holding what it held.
      detach: (s) => (s.holds.length === 0 ? s : { ...s, holds: [] }),
      reattach: (after, before) => (after.holds === before.holds ? after : { ...after, holds: before.holds }),
      // A pool task's reads end with it: the next task the worker runs cannot write back what it read.
      task: (s) => (s.reads.size === 0 ? s : { ...s, reads: new Map() }),
    };

    const transfer = (s: PState, op: Op): PState[] => {
      const obj = op.obj;
      switch (op.kind) {
        case 'acquire': {
          if (!isLockish(obj)) return [s];
          const mine = s.holds.filter((h) => h.lock === obj && !h.maybe);
          if (ambiguous(op)) {
            events.push(() => out.loudAcquires.add(op));
            return [{ ...s, holds: [...s.holds, { lock: obj, acq: op, maybe: true, sync: s.sync }] }];
          }
          if (op.blocking) {
            for (const h of s.holds) {
              if (h.maybe || h.lock === obj || h.lock.kind !== 'lock' || obj.kind !== 'lock') continue;
              const gate = s.holds.filter((g) => !g.maybe && g.lock !== obj && g.lock !== h.lock && excludes(g.lock)).map((g) => g.lock);
              const live = [...s.live];
              if (once(`pair|${oid(h.acq)}|${oid(op)}|${gate.map(sid).sort()}|${live.map(sid).sort()}|${h.sync.join('.')}`)) {
                events.push(() => out.pairs.push({ proc, outer: h.acq, inner: op, held: h.lock, wanted: obj, gate, live, sync: h.sync }));
              }
            }
            if (mine.length > 0 && selfBlocks(ex, obj, proc, mine.length)) {
              const first = mine[0]!.acq;
              if (once(`dbl|${oid(op)}|${oid(first)}`)) events.push(() => out.doubleAcquires.push({ proc, second: op, first }));
              return []; // this process waits here forever
            }
          }
          if (op.fails === 'returns' && !op.blocking) {
            // A timed acquire: on one path it took the lock, on the other it gave up.
            const took = new Map(s.outcomes).set(op, true);
            const gaveUp = new Map(s.outcomes).set(op, false);
            events.push(() => out.loudAcquires.add(op));
            return [{ ...s, holds: [...s.holds, { lock: obj, acq: op, maybe: false, sync: s.sync }], outcomes: took }, { ...s, outcomes: gaveUp }];
          }
          const hold: Hold = { lock: obj, acq: op, maybe: !op.blocking, sync: s.sync };
          if (quietAcquire(s, proc, obj)) hold.quiet = true;
          else events.push(() => out.loudAcquires.add(op));
          return [{ ...s, holds: [...s.holds, hold] }];
        }
        case 'release': {
          if (!isLockish(obj)) return [s];
          let i = -1;
          for (let j = s.holds.length - 1; j >= 0; j--) if (s.holds[j]!.lock === obj && !s.holds[j]!.maybe) { i = j; break; }
          if (i < 0) for (let j = s.holds.length - 1; j >= 0; j--) if (s.holds[j]!.lock === obj) { i = j; break; }
          if (i < 0) {
            // On a path where this process's own acquire of the lock timed out.
            const gaveUp = [...s.outcomes].find(([a, took]) => !took && a.obj === obj)?.[0];
            const live = s.live;
            if (!ambiguous(op) && once(`unheld|${oid(op)}|${gaveUp ? oid(gaveUp) : ''}|${live.map(sid).sort()}`)) events.push(() => out.unheldReleases.push({ proc, op, ...(gaveUp ? { gaveUp } : {}), live }));
            return [s];
          }
          const h = s.holds[i]!;
          if (!h.maybe) events.push(() => out.released.add(h.acq));
          return [{ ...s, holds: s.holds.filter((_, j) => j !== i) }];
        }
        case 'start': {
          if (obj.kind !== 'process') return [s];
          const st = s.started.get(obj);
          if (st && !st.maybe && st.op && once(`twice|${oid(op)}|${oid(st.op)}`)) {
            const first = st.op;
            events.push(() => out.startTwice.push({ proc, op, first }));
          }
          for (const x of s.live) out.coLive.add(pairKey(sid(x), sid(obj)));
          const started = withStarted(s.started, obj, { op: st?.op ?? op, maybe: false });
          // A process started while a lock is held quietly may wait for it.
          const wakes = (h: Hold): boolean => h.quiet === true && acquirers.get(h.lock)?.has(obj) === true;
          const holds = s.holds.some(wakes) ? s.holds.map((h) => (wakes(h) ? (events.push(() => out.loudAcquires.add(h.acq)), { ...h, quiet: false }) : h)) : s.holds;
          return [{ ...s, holds, started, live: s.live.includes(obj) ? s.live : [...s.live, obj] }];
        }
        case 'wait': case 'notify': {
          // A Condition's wait and notify need its lock held by the caller: "cannot wait on
          // un-acquired lock" otherwise. Its lock: its own, the one it was made on, or getLock()'s.
          if (obj.kind !== 'condition') return [s];
          const mine = conditionLock(obj);
          const held = s.holds.some((h) => conditionLock(h.lock) === mine);
          if (!held && !ambiguous(op) && once(`uncond|${oid(op)}`)) events.push(() => out.unheldConditionCalls.push({ proc, op }));
          return [s];
        }
        case 'join': {
          if (obj.kind !== 'process') return [s];
          if (!s.started.has(obj) && once(`unstarted|${oid(op)}`)) events.push(() => out.joinUnstarted.push({ proc, op }));
          return op.blocking ? [{ ...s, live: s.live.filter((x) => x !== obj) }] : [s];
        }
        case 'read': {
          if (!SHARED_KINDS.has(obj.kind) || !isPlainRead(op)) return [s];
          const reads = new Map(s.reads);
          reads.set(`${sid(obj)}:${keyOf(op, checker)}`, { op, holds: s.holds.filter((h) => !h.maybe), sync: s.sync });
          return [{ ...s, reads }];
        }
        case 'write': {
          if (!SHARED_KINDS.has(obj.kind) || !isModifyingWrite(op)) return [s];
          const key = keyOf(op, checker);
          const mark = s.reads.get(`${sid(obj)}:${key}`);
          if (mark) {
            const now = s.holds.filter((h) => !h.maybe);
            const protect = [...new Set(mark.holds.filter((h) => excludes(h.lock) && now.some((n) => n.lock === h.lock && n.acq === h.acq)).map((h) => h.lock))];
            const live = [...s.live];
            if (once(`rmw|${oid(mark.op)}|${oid(op)}|${protect.map(sid).sort()}|${live.map(sid).sort()}|${mark.sync.join('.')}|${s.sync.join('.')}`)) {
              events.push(() => out.rmw.push({ proc, read: mark.op, write: op, site: obj, key, protect, live, readSync: mark.sync, writeSync: s.sync }));
            }
          }
          return [s];
        }
        default:
          return [s];
      }
    };

    const walker = new FlowWalker<PState>(t, checker, memo);
    const savedCoLive = new Set(out.coLive);
    try {
      const ends = walker.ends(flow, { holds: [], started: new Map(), live: [], reads: new Map(), decisions: [], outcomes: new Map(), sync: [] });
      // A joiner of this process comes after the waits it had passed at its end (see `ordered`).
      const self = proc.kind === 'main' ? undefined : proc;
      if (self && syncBy.has(`j${sid(self)}`)) {
        const passed = ends.map((s) => s.sync.filter((t) => t.startsWith('w')));
        const all = passed.reduce<string[] | undefined>((acc, list) => (acc === undefined ? list : acc.filter((t) => list.includes(t))), undefined) ?? [];
        out.syncObjects.carried.set(`j${sid(self)}`, new Map([[proc, new Set(all)]]));
      }
      for (const s of ends) {
        for (const h of s.holds) {
          if (h.maybe) continue;
          const acq = h.acq;
          const exit = h.exit;
          if (once(`leak|${oid(acq)}|${exit?.pos ?? -1}|${h.quiet ? 1 : 0}`)) events.push(() => out.leaks.push({ proc, acq, ...(exit ? { exit } : {}), ...(h.quiet ? { quiet: true } : {}) }));
        }
      }
      for (const e of events) e();
      out.done.add(proc);
    } catch (err) {
      if (!(err instanceof WalkBudgetExceeded)) throw err;
      out.coLive.clear();
      for (const k of savedCoLive) out.coLive.add(k);
    }
  }
  return out;
}

export function pairKey(a: number, b: number): string {
  return a <= b ? `${a}|${b}` : `${b}|${a}`;
}

/** `v.get()`, `d.get(k)`, `a.get(i)`, `readFileSync(p)`: a read of one shared slot. */
function isPlainRead(op: Op): boolean {
  return op.obj.kind === 'file' || op.method === 'get';
}

/** `v.set(x + 1)`, `writeFileSync(p, data)`: a write of a value that is not a constant (as written, or as computed). */
export function isModifyingWrite(op: Op): boolean {
  const index = op.obj.kind === 'value' ? 0 : 1;
  if (op.obj.kind !== 'file' && op.method !== 'set') return false;
  // A value the analysis computed to a constant (`key.length * 10`): the same in every process.
  if (op.arg?.t === 'const') return false;
  const arg = op.call.arguments[index];
  return arg !== undefined && !constOf(skipOuter(arg));
}

/** The slot an operation reads or writes: '' for a value or file, the constant key or index, or '?'. */
export function keyOf(op: Op, checker: ts.TypeChecker): string {
  if (op.obj.kind === 'value' || op.obj.kind === 'file') return '';
  // The key as the interpreter computed it (a parameter bound to a constant, a field of a record).
  if (op.slot?.t === 'const' && (typeof op.slot.v === 'string' || typeof op.slot.v === 'number')) return JSON.stringify(String(op.slot.v));
  const arg = op.call.arguments[0];
  if (!arg) return '?';
  const c = constOf(skipOuter(arg));
  if (c && (typeof c.v === 'string' || typeof c.v === 'number')) return JSON.stringify(String(c.v));
  const type = checker.getTypeAtLocation(arg);
  if (type.isStringLiteral() || type.isNumberLiteral()) return JSON.stringify(String(type.value));
  return '?';
}

type ExitKind = ExitFlow['how'];

/**
 * Adds to `into` the operations of `f` that run only on some of its ways (`under`: `f` itself
 * runs only on some): those inside one alternative of an undecided branch, and those after
 * something that may leave early (`if (!enabled) return;` before a start). Returns the ways
 * out of `f` that it may take.
 */
function markConditional(f: Flow, under: boolean, into: Set<Op>): Set<ExitKind> {
  switch (f.k) {
    case 'op':
      if (under) into.add(f.op);
      return new Set();
    case 'exit':
      return new Set([f.how]);
    case 'seq': {
      const out = new Set<ExitKind>();
      let u = under;
      for (const x of f.items) {
        const exits = markConditional(x, u, into);
        for (const e of exits) out.add(e);
        if (exits.size > 0) u = true;
      }
      return out;
    }
    case 'branch': {
      const out = new Set<ExitKind>();
      for (const x of f.alts) for (const e of markConditional(x, under || f.alts.length > 1, into)) out.add(e);
      return out;
    }
    case 'loop': {
      const out = markConditional(f.body, under, into);
      out.delete('break');
      out.delete('continue');
      return out;
    }
    case 'call': {
      const out = markConditional(f.body, under, into);
      out.delete('return');
      return out;
    }
    case 'try': {
      const out = markConditional(f.body, under, into);
      if (f.handler) {
        out.delete('throw');
        for (const e of markConditional(f.handler, true, into)) out.add(e);
      }
      if (f.finalizer) for (const e of markConditional(f.finalizer, under, into)) out.add(e);
      return out;
    }
    default:
      return new Set();
  }
}

/**
 * The lock a Condition's wait and notify need (the one it was made on, or its own), for any site
 * that stands for it: the condition, another condition made on the same lock, its getLock().
 */
export function conditionLock(site: ObjectSite): ObjectSite {
  if (site.kind === 'condition') return site.lock ?? site;
  if (site.owner?.kind === 'condition') return conditionLock(site.owner);
  return site;
}

/**
 * Whether holding it keeps every other holder out: a lock, a condition (its lock), a semaphore
 * of one unit; not a semaphore of several (two processes can hold one at once).
 */
function excludes(lock: ObjectSite): boolean {
  return lock.kind !== 'semaphore' || lock.size === 1;
}

/**
 * The channel an operation signals: an event set, a put to a queue, a send on a pipe end (the
 * channel is the other end, where it is received), a release of a semaphore made with no units,
 * an arrival at a barrier.
 */
function signalChannel(op: Op, sid: (s: ObjectSite) => number): string | undefined {
  const o = op.obj;
  if (o.kind === 'event' && op.kind === 'set') return `e${sid(o)}`;
  if (o.kind === 'queue' && op.kind === 'put') return `q${sid(o)}`;
  if (o.kind === 'pipe' && op.kind === 'send' && op.end !== undefined) return `p${sid(o)}>${1 - op.end}`;
  if (o.kind === 'semaphore' && o.size === 0 && op.kind === 'release') return `m${sid(o)}`;
  if (o.kind === 'barrier' && op.kind === 'wait') return `b${sid(o)}`;
  return undefined;
}

/** The channel a wait without a timeout passes: it returns only after a signal on it. */
function waitChannel(op: Op, sid: (s: ObjectSite) => number): string | undefined {
  if (!op.blocking) return undefined;
  const o = op.obj;
  if (o.kind === 'event' && op.kind === 'wait') return `e${sid(o)}`;
  if (o.kind === 'queue' && op.kind === 'get') return `q${sid(o)}`;
  if (o.kind === 'pipe' && op.kind === 'recv' && op.end !== undefined) return `p${sid(o)}>${op.end}`;
  if (o.kind === 'semaphore' && o.size === 0 && op.kind === 'acquire') return `m${sid(o)}`;
  if (o.kind === 'barrier' && op.kind === 'wait') return `b${sid(o)}`;
  // A join returns when the process has ended: after everything it did.
  if (o.kind === 'process' && op.kind === 'join') return `j${sid(o)}`;
  return undefined;
}

/** The channels that order processes (see `SyncObjects`). */
function syncObjectsOf(ex: Extraction, sid: (s: ObjectSite) => number): SyncObjects {
  const by: SyncObjects['by'] = new Map();
  const mixed = new Set<string>();
  const waited = new Map<string, Set<ProcessRef>>();
  const barriers = new Map<string, Set<ProcessRef>>();
  for (const op of ex.ops) {
    // A signal whose object the analysis could not name may be a signal of any channel.
    if (op.obj.unknown && (op.kind === 'set' || op.kind === 'put' || op.kind === 'send' || op.kind === 'release' || op.kind === 'wait')) return { by: new Map(), underLock: new Set(), carried: new Map() };
    if (op.obj.kind === 'barrier') {
      if (op.kind !== 'wait' && op.kind !== 'abort') continue;
      const c = `b${sid(op.obj)}`;
      // Aborted, or a wait that can time out: a round can end without every party.
      if (op.kind === 'abort' || !op.blocking || op.obj.timed) mixed.add(c);
      const set = barriers.get(c) ?? new Set<ProcessRef>();
      set.add(op.proc);
      barriers.set(c, set);
      by.set(c, { site: op.obj, proc: 'parties', parties: set });
      continue;
    }
    const sent = signalChannel(op, sid);
    if (sent !== undefined) {
      const was = by.get(sent);
      if (was !== undefined && was.proc !== op.proc) mixed.add(sent);
      by.set(sent, { site: op.obj, proc: op.proc });
    }
    const w = waitChannel(op, sid);
    if (w !== undefined) {
      const set = waited.get(w) ?? new Set<ProcessRef>();
      set.add(op.proc);
      waited.set(w, set);
    }
  }
  // Each process joined without a timeout is a channel it signals by ending.
  for (const op of ex.ops) {
    const c = waitChannel(op, sid);
    if (c?.startsWith('j') && op.obj.kind === 'process' && op.obj !== op.proc) by.set(c, { site: op.obj, proc: op.obj as ProcessRef });
  }
  for (const [c, { site, proc }] of [...by]) {
    let ok = !mixed.has(c) && singleObject(site) && !escaped(ex, site);
    if (proc === 'parties') {
      // Every party is one waiting instance: the parties are exactly the waiting instances.
      let instances = 0;
      for (const p of barriers.get(c) ?? []) instances += p.kind === 'main' ? 1 : typeof p.multiplicity === 'number' ? p.multiplicity : Infinity;
      ok &&= typeof site.size === 'number' && site.size === instances;
    } else {
      ok &&= (proc.kind === 'main' || proc.multiplicity === 1) && [...waited.get(c) ?? []].some((p) => p !== proc);
    }
    if (!ok) by.delete(c);
  }
  return { by, underLock: new Set(), carried: new Map() };
}

/**
 * Whether one event happens before the other through a channel that orders them: the first's
 * process signals it only after the event (`before` holds no signal on it), and the second's
 * waited on it before its event. `locks`: the events are lock holds, which last until a release
 * the path does not record; then no signal on the channel may be sent while a lock is held.
 */
export function ordered(pp: ProcessPaths, first: { proc: ProcessRef; before: Sync }, second: { proc: ProcessRef; after: Sync }, locks: boolean): boolean {
  const { by, underLock, carried } = pp.syncObjects;
  // The waits the second event comes after: its own, then those its channels' signallers had
  // passed before signalling (what came before them comes before the second event too).
  const passed = new Set(second.after.filter((t) => t.startsWith('w')).map((t) => t.slice(1)));
  const queue = [...passed];
  while (queue.length > 0) {
    const c = queue.pop()!;
    const channel = by.get(c);
    if (!channel || (locks && underLock.has(c))) continue;
    const signallers = channel.proc === 'parties' ? [...channel.parties ?? []] : [channel.proc];
    // A signaller whose paths were not all followed may have signalled elsewhere.
    if (!signallers.every((p) => pp.done.has(p))) continue;
    if (signallers.includes(first.proc) && (channel.proc === 'parties' || second.proc !== channel.proc) && !first.before.includes(`s${c}`)) return true;
    for (const p of signallers) {
      for (const t of carried.get(c)?.get(p) ?? []) {
        const d = t.slice(1);
        if (!passed.has(d)) {
          passed.add(d);
          queue.push(d);
        }
      }
    }
  }
  return false;
}

/** Whether two events (a process with the children it had running then) can happen at the same time. */
export function concurrent(pp: ProcessPaths, a: { proc: ProcessRef; live: readonly ObjectSite[] }, b: { proc: ProcessRef; live: readonly ObjectSite[] }): boolean {
  const idx = (p: ObjectSite): number => pp.siteIndex.get(p) ?? -1;
  if (a.proc === b.proc) {
    const p = a.proc;
    if (p.kind === 'main' || p.multiplicity === 1) return false;
    if (p.role === 'pool-worker') return true;
    return pp.coLive.has(pairKey(idx(p), idx(p)));
  }
  if (a.proc.kind !== 'main' && b.live.includes(a.proc)) return true;
  if (b.proc.kind !== 'main' && a.live.includes(b.proc)) return true;
  if (a.proc.kind === 'main' || b.proc.kind === 'main') return false;
  return pp.coLive.has(pairKey(idx(a.proc), idx(b.proc)));
}
