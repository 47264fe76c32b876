// A run as it happens: the state of every process and object of a program while its trace
// (docs/runtime-trace.md) streams in, one JSON line at a time, and how many operations went along
// each path between a process and an object. The graph panel folds a live run's lines into it (and
// replays a finished run with it); the extension host keeps one too, for its outcome and its
// diagnostics. Counting is exact at any rate: every line is applied, nothing is sampled; what the
// panel draws of it is coalesced per animation frame elsewhere (drawing/live.ts). Pure: no DOM, no
// Node.
import type { EdgeKind } from './model';
import { edgeKindOf, type RuntimeReport, type TraceSite } from './trace';

export type LiveProcessState = 'running' | 'blocked' | 'exited';

/** An operation a process waits in (a hub operation that blocked, or a wait of its own). */
export interface LiveWait {
  /** The operation's number in the trace. */
  n: number;
  op: string;
  /** The object it waits on (null: a process, a pool result). */
  obj: string | null;
  /** What it waits on when it is not an object: a process it joins, a pool result. */
  on: { kind: string; name: string; pid: number | null } | null;
  site: TraceSite | null;
  /** When it started waiting (ms since the trace began). */
  t: number;
}

export interface LiveProcess {
  pid: number;
  name: string;
  role: 'main' | 'child' | 'pool-worker' | 'manager';
  parent: number | null;
  target: string | null;
  site: TraceSite | null;
  /** Its start's number among the processes made at the same site (0, 1, ...). */
  instance: number;
  t: number;
  state: LiveProcessState;
  /** The operations it waits in, by number (a process may wait in several at once). */
  waits: Record<number, LiveWait>;
  code: number | null;
  /** In the run's deadlock: it stays drawn blocked in it (the DeadlockError that ends the run does not free it). */
  deadlocked: boolean;
}

export interface LiveObject {
  id: string;
  kind: string;
  name: string | null;
  site: TraceSite | null;
  params: Record<string, unknown>;
  creator: number | null;
  /** The object's state after the last operation on it: depth, owners, set, arrived, ... */
  state: Record<string, unknown>;
  t: number;
}

/** Operations of one process on one object (or with one process or pool) of one edge kind. */
export interface LiveFlow {
  key: string;
  pid: number;
  /** The object (queue, lock, pipe, pool, ...), or null for a process-to-process flow. */
  obj: string | null;
  /** The other process (spawn, join), else null. */
  other: number | null;
  kind: EdgeKind;
  /** Operations completed along it. */
  count: number;
  /** When the last one completed. */
  t: number;
}

export interface LiveState {
  root: string;
  main: string | null;
  started: string;
  sites: Record<number, TraceSite>;
  processes: Record<number, LiveProcess>;
  /** Process ids in the order their `proc` events came. */
  order: number[];
  objects: Record<string, LiveObject>;
  flows: Record<string, LiveFlow>;
  /** Operations waiting for their `end`, by number: who made them and along which flow they count. */
  pending: Record<number, { pid: number; flow: string | null }>;
  /** Pool jobs: who submitted them (results flow back to them). */
  jobs: Record<string, number>;
  /** Instances per creation site (`file:line:col`). */
  instances: Record<string, number>;
  /** Operations completed (counted on flows), and lines applied. */
  ops: number;
  events: number;
  /** The last time any line had (ms since the trace began). */
  t: number;
  deadlock: RuntimeReport | null;
  /** The last wait report asked for (on demand, or a watchdog's "no progress"). */
  report: RuntimeReport | null;
  steer: { outcome: string; at: number | null; why: string | null; done: number; steps: number } | null;
  /** The main process's exit (the last line of a complete trace). */
  closed: { code: number | null } | null;
  /** Lines that were not JSON or not events (counted, skipped). */
  bad: number;
}

/** What a line did, for the replay's step list; null when it changed nothing worth a step. */
export interface LiveStep {
  t: number;
  text: string;
  pid: number | null;
  site: TraceSite | null;
}

type Raw = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});

const STATE_KEYS = ['depth', 'unfinished', 'value', 'owners', 'set', 'arrived', 'broken', 'inbox', 'waiting'] as const;

/** The hub operations that move something along an edge (a poll or a qsize moves nothing). */
function flowKind(objKind: string, op: string): EdgeKind | null {
  if (op === 'poll' || op === 'close' || op === 'qsize' || op === 'empty' || op === 'full' || op === 'isSet' || op === 'locked') return null;
  return edgeKindOf(objKind, op);
}

export function emptyLiveState(): LiveState {
  return {
    root: '', main: null, started: '', sites: {}, processes: {}, order: [], objects: {}, flows: {}, pending: {}, jobs: {}, instances: {},
    ops: 0, events: 0, t: 0, deadlock: null, report: null, steer: null, closed: null, bad: 0,
  };
}

/** A live run: feed it the trace's lines as they come. */
export class LiveRun {
  state: LiveState = emptyLiveState();
  /** Flows whose count grew, processes and objects that changed, since `takeChanges`. */
  private changedFlows = new Set<string>();
  private changed = false;
  /** A process or object appeared (the matching may need to look again). */
  private grew = false;

  /** Applies lines (each one JSON event; empty lines are skipped). */
  feed(lines: readonly string[]): void {
    for (const line of lines) this.line(line);
  }

  /** Applies one line; returns the step it makes, when it makes one. */
  line(line: string): LiveStep | null {
    if (line.length === 0 || line.trim() === '') return null;
    let ev: Raw;
    try {
      ev = rec(JSON.parse(line));
    } catch {
      this.state.bad++;
      return null;
    }
    return this.apply(ev);
  }

  /** What changed since the last call (the panel draws it once per frame). */
  takeChanges(): { any: boolean; grew: boolean; flows: Set<string> } {
    const out = { any: this.changed, grew: this.grew, flows: this.changedFlows };
    this.changed = false;
    this.grew = false;
    this.changedFlows = new Set();
    return out;
  }

  private site(v: unknown): TraceSite | null {
    const id = num(v);
    return id === null ? null : (this.state.sites[id] ?? null);
  }

  private pname(pid: number | null): string {
    return pid === null ? 'a process' : (this.state.processes[pid]?.name ?? `pid ${pid}`);
  }

  private oname(id: string | null): string {
    const o = id === null ? undefined : this.state.objects[id];
    return o ? (o.name ? `${o.kind} '${o.name}'` : o.kind) : 'an object';
  }

  private count(key: string | null, t: number): void {
    if (key === null) return;
    const f = this.state.flows[key];
    if (!f) return;
    f.count++;
    f.t = t;
    this.state.ops++;
    this.changedFlows.add(key);
  }

  private flow(pid: number, kind: EdgeKind | null, obj: string | null, other: number | null): string | null {
    if (kind === null) return null;
    const key = `${pid}|${obj ?? `p${other ?? '?'}`}|${kind}`;
    if (!this.state.flows[key]) this.state.flows[key] = { key, pid, obj, other, kind, count: 0, t: 0 };
    return key;
  }

  private setState(objId: string | null, ev: Raw): void {
    if (objId === null) return;
    const o = this.state.objects[objId];
    if (!o) return;
    for (const k of STATE_KEYS) if (k in ev) o.state[k] = ev[k];
  }

  private apply(ev: Raw): LiveStep | null {
    const s = this.state;
    const e = str(ev.e);
    const t = num(ev.t) ?? s.t;
    s.events++;
    if (t > s.t) s.t = t;
    switch (e) {
      case 'trace': {
        s.root = str(ev.root) ?? '';
        s.main = str(ev.main);
        s.started = str(ev.started) ?? '';
        return null;
      }
      case 'site': {
        const id = num(ev.id);
        const file = str(ev.file);
        const line = num(ev.line);
        if (id !== null && file !== null && line !== null) s.sites[id] = { id, file, line, col: num(ev.col) ?? 1 };
        return null;
      }
      case 'proc': {
        const pid = num(ev.pid);
        if (pid === null) break;
        const site = this.site(ev.site);
        const key = site ? `${site.file}:${site.line}:${site.col}` : `pid:${pid}`;
        const instance = s.instances[key] ?? 0;
        s.instances[key] = instance + 1;
        const role = str(ev.role);
        const parent = num(ev.parent);
        s.processes[pid] = {
          pid, name: str(ev.name) ?? String(pid), role: role === 'main' || role === 'pool-worker' || role === 'manager' ? role : 'child',
          parent, target: str(ev.target), site, instance, t, state: 'running', waits: {}, code: null, deadlocked: false,
        };
        s.order.push(pid);
        if (parent !== null) this.count(this.flow(parent, 'spawn', null, pid), t);
        this.changed = this.grew = true;
        const p = s.processes[pid]!;
        return { t, text: `${p.name} starts${p.target ? ` (${p.target})` : ''}`, pid, site: this.site(ev.start) ?? site };
      }
      case 'exit': {
        const p = s.processes[num(ev.pid) ?? -1];
        if (!p) break;
        p.code = num(ev.code);
        if (!p.deadlocked) {
          p.state = 'exited';
          p.waits = {};
        }
        this.changed = true;
        return { t, text: `${p.name} exits with code ${p.code ?? '?'}`, pid: p.pid, site: null };
      }
      case 'obj': {
        const id = str(ev.id);
        const kind = str(ev.kind);
        if (id === null || kind === null) break;
        const creator = num(ev.pid);
        s.objects[id] = { id, kind, name: str(ev.name), site: this.site(ev.site), params: rec(ev.params), creator, state: {}, t };
        this.changed = this.grew = true;
        return { t, text: `${this.pname(creator)} makes ${this.oname(id)}`, pid: creator, site: s.objects[id]!.site };
      }
      case 'op': case 'wait': {
        const n = num(ev.n);
        const pid = num(ev.pid);
        const op = str(ev.op);
        if (n === null || pid === null || op === null) break;
        const site = this.site(ev.site);
        const obj = e === 'op' ? str(ev.obj) : null;
        const on = e === 'wait' ? rec(ev.on) : null;
        const onPid = on ? num(on.pid) : null;
        const o = obj === null ? undefined : s.objects[obj];
        // A join that does not block is not in the trace: joins are not counted, only drawn waiting.
        const kind = o ? flowKind(o.kind, op) : null;
        const flow = this.flow(pid, kind, obj, null);
        this.setState(obj, ev);
        this.changed = true;
        const what = on ? ` on ${str(on.name) ?? 'a process'}` : obj !== null ? ` on ${this.oname(obj)}` : '';
        if (e === 'op' && ev.st !== 'blocked') {
          if (ev.r !== 'error') this.count(flow, t);
          return { t, text: `${this.pname(pid)} ${op}${what}${ev.r === 'error' ? ` fails (${str(ev.err) ?? 'error'})` : ''}`, pid, site };
        }
        s.pending[n] = { pid, flow };
        const p = s.processes[pid];
        if (p && p.state !== 'exited') {
          p.waits[n] = { n, op, obj, on: on ? { kind: str(on.kind) ?? 'process', name: str(on.name) ?? '', pid: onPid } : null, site, t };
          p.state = 'blocked';
        }
        return { t, text: `${this.pname(pid)} ${op}${what}: waits`, pid, site };
      }
      case 'end': {
        const n = num(ev.n);
        const pending = n === null ? undefined : s.pending[n];
        if (n === null || !pending) break;
        delete s.pending[n];
        const p = s.processes[pending.pid];
        const w = p?.waits[n];
        // The operations a deadlock caught are failed by the DeadlockError: they stay in the picture.
        if (p?.deadlocked && w && ev.r === 'error') return null;
        if (p && w) {
          delete p.waits[n];
          if (p.state === 'blocked' && Object.keys(p.waits).length === 0) p.state = 'running';
        }
        this.setState(w?.obj ?? null, ev);
        if (ev.r !== 'error') this.count(pending.flow, t);
        this.changed = true;
        const ok = ev.r !== 'error';
        return { t, text: `${this.pname(pending.pid)}'s ${w?.op ?? 'operation'} ${ok ? 'completes' : `fails (${str(ev.err) ?? 'error'})`}`, pid: pending.pid, site: w?.site ?? null };
      }
      case 'pool': {
        const op = str(ev.op);
        const pool = str(ev.pool);
        const job = `${pool}#${num(ev.job) ?? '?'}`;
        if (pool === null) break;
        if (op === 'submit') {
          const pid = num(ev.pid);
          if (pid === null) break;
          s.jobs[job] = pid;
          this.count(this.flow(pid, 'submit', pool, null), t);
          this.changed = true;
          return { t, text: `${this.pname(pid)} submits ${str(ev.fn) ?? 'a task'} to ${this.oname(pool)}`, pid, site: this.site(ev.site) };
        }
        if (op === 'result') {
          const to = s.jobs[job];
          if (to === undefined) break;
          if (ev.ok !== false) this.count(this.flow(to, 'result', pool, null), t);
          this.changed = true;
          return { t, text: `${this.pname(num(ev.worker))} returns a result of ${this.oname(pool)}`, pid: num(ev.worker), site: null };
        }
        return null;
      }
      case 'deadlock': {
        s.deadlock = rec(ev.report) as unknown as RuntimeReport;
        for (const r of Array.isArray(s.deadlock.processes) ? s.deadlock.processes : []) {
          const p = s.processes[r.pid];
          if (p && r.state === 'blocked') {
            p.deadlocked = true;
            p.state = 'blocked';
          }
        }
        this.changed = true;
        return { t, text: 'Deadlock: every process is blocked and none can wake another', pid: null, site: null };
      }
      case 'report': {
        s.report = rec(ev.report) as unknown as RuntimeReport;
        this.changed = true;
        return null;
      }
      case 'steer': {
        const outcome = str(ev.outcome);
        if (outcome === null) return null;
        s.steer = { outcome, at: num(ev.at), why: str(ev.why), done: num(ev.done) ?? 0, steps: num(ev.steps) ?? 0 };
        this.changed = true;
        return null;
      }
      case 'close': {
        s.closed = { code: num(ev.code) };
        for (const pid of s.order) {
          const p = s.processes[pid]!;
          if (p.role !== 'main' || p.deadlocked) continue;
          p.state = 'exited';
          p.code = s.closed.code;
          p.waits = {};
        }
        this.changed = true;
        return { t, text: `The program exits with code ${s.closed.code ?? '?'}`, pid: null, site: null };
      }
      default:
        return null;
    }
    return null;
  }
}

/**
 * A finished run, replayed: its lines as steps, and the state after any of them (rebuilt from a
 * checkpoint every `every` lines, so scrubbing costs at most that many lines).
 */
export class LiveReplay {
  /** The steps, each with the index of the line after which it holds. */
  readonly steps: (LiveStep & { line: number })[] = [];
  private readonly checkpoints: { line: number; state: LiveState }[] = [];

  constructor(private readonly lines: readonly string[], every = 500) {
    const run = new LiveRun();
    for (let i = 0; i < lines.length; i++) {
      if (i % every === 0) this.checkpoints.push({ line: i, state: structuredClone(run.state) });
      const step = run.line(lines[i]!);
      if (step) this.steps.push({ ...step, line: i });
    }
  }

  /**
   * The run as it was after step `k` (-1: before the first step, with the trace's header). Its
   * `takeChanges()` then gives what step `k` itself changed (the flows it counted).
   */
  at(k: number): LiveRun {
    const step = k < 0 ? undefined : this.steps[Math.min(k, this.steps.length - 1)];
    const upTo = step ? step.line : (this.steps[0]?.line ?? this.lines.length) - 1;
    const from = k > 0 ? this.steps[Math.min(k, this.steps.length - 1) - 1]!.line + 1 : 0;
    const run = new LiveRun();
    let cp = this.checkpoints[0];
    if (!cp) return run;
    for (const c of this.checkpoints) if (c.line <= from) cp = c;
    run.state = structuredClone(cp.state);
    for (let i = cp.line; i < from; i++) run.line(this.lines[i]!);
    run.takeChanges();
    for (let i = from; i <= upTo; i++) run.line(this.lines[i]!);
    return run;
  }
}
