// The monitor: what every process of the program waits on, gathered by the root, and the proof
// that nothing can ever move again (a global deadlock).
//
// Every process keeps its pending shim calls as wait records (waits.ts) and counts the frames it
// exchanges with each hub and pool peer. When a report is asked for, or the root's hub has seen no
// operation for a while, the root probes every process (a frame pushed on its hub connection);
// each answers with its state: its pending calls, what else could wake it (activity.ts: timers,
// sockets, stdin, other child processes...), its frame counts, its children. A manager process
// adds its hub's counts and timeouts.
//
// Deadlock, for certain: every live process answered, none has anything but shim calls pending,
// no hub has a timeout armed, and every channel is empty: for each connection, what one side
// wrote the other side read (the counts match). Then no process can be woken: it could only be
// by a frame, and none is on its way, or by a timer or a handle, and there is none. A second,
// deeper round (Node's libuv handle list, which also shows unref()'d sockets and watchers) must
// find the same counts unchanged. Only then are the main process's blocked calls rejected with a
// DeadlockError carrying the report. A process that is busy in synchronous code cannot answer:
// its silence keeps the verdict open, never decides it.
//
// A process reports only what it holds itself (its calls, its counts), so an operation that some
// day skips the hub (a lock in shared memory) only needs its wait recorded and its waker counted.
import fs from 'node:fs';
import { deepWakers, internalSignal, internalTimer, quickWakers, watchUnrefs } from './activity';
import { controlChild, controlRoot } from './control';
import { DeadlockError } from './errors';
import { Hub, hubActivity, hubTimeouts, HUB_OBJECT, type HubClient, type HubRequest, type Respond } from './hub';
import { poolChannels, type PoolChannel } from './pool';
import {
  formatReport,
  kindTitle,
  modelKind,
  objectLabel,
  rootUri,
  toLocation,
  type ReportKind,
  type RuntimeObject,
  type RuntimeProcess,
  type RuntimeReport,
  type RuntimeWait,
} from './report';
import {
  call,
  creationSite,
  exitedChildren,
  managerPorts,
  rootPort,
  runtime,
  shimTimers,
  theRootHub,
  whenRootHub,
} from './runtime';
import type { ObjectRef } from './serialize';
import { formatSite, sourceOfModule, type Site } from './site';
import { forwardEvents, observeHub, traceWriter, tracing, type TraceEvent, type TraceWriter } from './trace';
import { SocketPort, type Header } from './transport';
import { pendingWaits, probeSites, waitsSettled, type LocalTarget } from './waits';
import { allLockOperations, lockHolder, nativeOperations, usable } from './native';

// ---- what a process says when probed ------------------------------------------------------------

interface ObjectBrief {
  id: string;
  kind: string;
  at: string | null;
  /** A lock in shared memory (native.ts): its offset, so the root's hub can describe it. */
  shm?: number;
}

interface WaitState {
  seq: number;
  op: string;
  obj: ObjectBrief | null;
  /** A pipe end's number; the lock of a Condition or a synchronized value. */
  end: number | null;
  lock: ObjectBrief | null;
  local: LocalTarget | null;
  ms: number;
  timeout: number | null;
  site: Site | null;
  internal: boolean;
}

interface HubState {
  at: string | null;
  timeouts: number;
  draining: boolean;
  /** Operations a scheduler holds for their turn. */
  held: number;
  conns: { pid: number; in: number; out: number }[];
  objects: Record<string, Record<string, unknown>>;
}

export interface ProcessState {
  s: number;
  pid: number;
  name: string;
  busy: string[];
  /** Frames exchanged with the root's hub (null in the root). */
  io: { in: number; out: number } | null;
  /** Operations on locks in shared memory so far (native.ts): they move without frames. */
  nat: number;
  ports: { at: string; in: number; out: number }[];
  pool: PoolChannel[];
  waits: WaitState[];
  children: { pid: number | null; name: string; alive: boolean; exitcode: number | null }[];
  /** A manager process: its own hub. */
  hub: HubState | null;
  /** Deep rounds: where this process made the objects asked about. */
  made: Record<string, Site | null>;
}

/** Hellos of processes whose connection ended (pid -> hello): their target and sites. */
const gone = new Map<number, Header>();

/** The hub this process serves, if any (the root's, or a manager's). */
let ownHub: Hub | null = null;

export function servingHub(hub: Hub): void {
  ownHub = hub;
  if (tracing && runtime.isChild) observeHub(hub, null); // a manager's hub reports into the same trace
}

/**
 * A lock in shared memory has no waiting list of its own (each process waits on it by itself):
 * the processes whose answers show a wait on it, longest waiting first, as the hub lists its own.
 */
function nativeWaiters(hub: HubState, states: ProcessState[]): void {
  for (const [id, state] of Object.entries(hub.objects)) {
    if (!nativeObjects.has(id)) continue;
    const waits: { pid: number; name: string; ms: number }[] = [];
    for (const st of states) for (const w of st.waits) if (w.obj?.id === id && w.op === 'acquire') waits.push({ pid: st.pid, name: st.name, ms: w.ms });
    state.waiting = waits.sort((a, b) => b.ms - a.ms).map(({ pid, name }) => ({ pid, name }));
  }
}

/** Locks in shared memory that processes wait on (id -> kind and offset), for the root's hub's report. */
const nativeObjects = new Map<string, { kind: string; params: Record<string, unknown> }>();

function hubState(hub: Hub, objs: string[] | null): HubState {
  const objects: Record<string, Record<string, unknown>> = {};
  for (const id of objs ?? []) {
    const known = nativeObjects.get(id);
    // A lock no operation brought to this hub yet: its state is in shared memory (native.ts).
    if (known && !runtime.isChild) hub.object({ id, kind: known.kind, params: known.params });
    const d = hub.describe(id);
    if (d) objects[id] = d;
  }
  return {
    at: hub.address,
    timeouts: hubTimeouts(),
    draining: hub.draining(),
    held: hub.gate?.held() ?? 0,
    conns: hub.connections().map((c) => ({ pid: c.pid!, in: c.framesIn ?? 0, out: c.framesOut ?? 0 })),
    objects,
  };
}

/**
 * This process's state. `deep`: also its calls' sites, the libuv handle list, and the creation
 * sites of `objs` made here.
 */
export async function processState(round: number, deep: boolean, objs: string[] | null): Promise<ProcessState> {
  if (deep) await probeSites();
  const now = Date.now();
  const busy = quickWakers(shimTimers());
  // A lock in shared memory that is free now: this process's waiter thread is taking it.
  for (const w of pendingWaits()) {
    const off = w.ref?.params.shm;
    if (w.op === 'acquire' && typeof off === 'number' && usable(w.ref!.params, w.ref!.at) && lockHolder(off) === 0) busy.push(`taking ${w.ref!.kind} ${w.ref!.id}`);
  }
  if (deep && busy.length === 0) busy.push(...deepWakers());
  const made: Record<string, Site | null> = {};
  if (deep) for (const id of objs ?? []) {
    const site = creationSite(id);
    if (site) made[id] = site.get();
  }
  const root = rootPort();
  const children = [...runtime.children].map((c) => ({ pid: c.pid, name: c.name, alive: c.isAlive(), exitcode: null }));
  for (const e of exitedChildren) children.push({ pid: e.pid, name: e.name, alive: false, exitcode: e.exitcode as never });
  return {
    s: round,
    pid: process.pid,
    name: runtime.name,
    busy,
    io: root ? { in: root.framesIn, out: root.framesOut } : null,
    nat: nativeOperations(),
    ports: managerPorts().map(([at, p]) => {
      const inner = (p as unknown as { inner?: SocketPort }).inner;
      return { at, in: inner?.framesIn ?? 0, out: inner?.framesOut ?? 0 };
    }),
    pool: poolChannels(),
    waits: pendingWaits().map((w) => ({
      seq: w.seq,
      op: w.op,
      obj: w.ref ? { id: w.ref.id, kind: w.ref.kind, at: w.ref.at ?? null, ...(typeof w.ref.params.shm === 'number' ? { shm: w.ref.params.shm } : {}) } : null,
      end: w.ref?.kind === 'pipe' ? Number(w.ref.params.end) : null,
      lock: lockOf(w.ref),
      local: w.local,
      ms: now - w.since,
      timeout: w.timeout ?? null,
      site: w.site ?? null,
      internal: w.internal,
    })),
    children: children as ProcessState['children'],
    hub: ownHub && runtime.isChild ? hubState(ownHub, objs) : null,
    made,
  };
}

/** The lock a Condition or a synchronized value waits for. */
function lockOf(ref: ObjectRef | null): ObjectBrief | null {
  const l = ref?.params.lock as ObjectRef | null | undefined;
  if (!l || typeof l !== 'object' || typeof l.id !== 'string') return null;
  return { id: l.id, kind: l.kind, at: l.at ?? null };
}

// ---- a child answers probes ---------------------------------------------------------------------

/** In a child: connect to the root's hub now, and answer its probes. */
export function startChildMonitor(): void {
  watchUnrefs();
  const port = rootPort();
  if (!port) return;
  if (tracing) forwardEvents((ev) => port.control({ o: 'ev', t: HUB_OBJECT, ev }));
  controlChild(port);
  port.onPush(HUB_OBJECT, (h) => {
    if (h.n !== 'probe') return;
    void processState(Number(h.r), h.d === 1, Array.isArray(h.x) ? (h.x as string[]) : null).then(
      (st) => port.control({ o: 'state', t: HUB_OBJECT, st }),
      () => {},
    );
  });
}

// ---- the root: rounds of probes -----------------------------------------------------------------

interface Round {
  n: number;
  deep: boolean;
  expected: Set<HubClient>;
  answers: Map<HubClient, ProcessState>;
  done: (ok: boolean) => void;
}

export type DeadlockMode = 'raise' | 'report' | 'hang';

export interface MonitorOptions {
  deadlock: DeadlockMode;
  /** Seconds without a completed operation before the no-progress report (0: off). */
  watchdog: number;
}

/** What rounds gather: every answer, and the hub's counts once all were in. */
interface Snapshot {
  states: ProcessState[];
  /** Processes that did not answer in time (a report's round only). */
  silent: HubClient[];
  conns: Map<number, { in: number; out: number; hello: Header | undefined; client: HubClient }>;
  rootHub: HubState;
  activity: number;
}

const DEBUG = /\bmonitor\b/.test(process.env.PT_MP_DEBUG ?? '');

function debug(message: string): void {
  if (DEBUG) process.stderr.write(`[pt-mp monitor ${process.pid}] ${message}\n`);
}

const TICK_MS = 200;
const MAX_BACKOFF_MS = 1000;
/** A report waits this long for busy processes to answer. */
const REPORT_WAIT_MS = 1500;

/** A process's exit code when the deadlock detector ended it (or its uncaught DeadlockError did). */
export const DEADLOCK_EXIT_CODE = 3;

export class Monitor {
  private round: Round | null = null;
  private rounds = 0;
  private lastActivity = -1;
  private quietSince = Date.now();
  private lastTick = Date.now();
  private nextProbeAt = 0;
  private backoff = TICK_MS;
  private timer: NodeJS.Timeout | null = null;
  /** The activity stamp of the last deadlock or no-progress report (reported once per stall). */
  private reportedAt = -1;
  private watchdogAt = -1;
  private connEvents = 0;
  /** Listeners of reports (the trace, the report file). */
  readonly onReport: ((report: RuntimeReport) => void)[] = [];
  /** The trace's writer, when the run is traced. */
  trace: TraceWriter | null = null;
  /** News of controlled scheduling or steering from a process (control.ts). */
  onControl: ((client: HubClient, header: Header) => void) | null = null;

  constructor(
    private readonly hub: Hub,
    private readonly options: MonitorOptions,
  ) {
    hub.control = (client, header) => this.control(client, header);
    hub.connectionListeners.push((client, open) => {
      this.connEvents++;
      // What an ended process said about itself, for reports that list it as exited.
      if (!open && client.pid !== undefined && client.hello) {
        gone.set(client.pid, client.hello);
        if (gone.size > 200) gone.delete(gone.keys().next().value!);
      }
    });
    hub.services.set('report', (req, respond) => this.serveReport(req, respond));
    servingHub(hub);
    watchUnrefs();
  }

  start(): void {
    if (this.timer || (this.options.deadlock === 'hang' && this.options.watchdog <= 0)) return;
    this.timer = internalTimer(setInterval(() => this.tick(), TICK_MS));
    this.timer.unref();
  }

  /** Operations seen: the hub's, connections opening and closing, the root's own waits settling. */
  private activity(): number {
    return hubActivity() + this.connEvents + waitsSettled() + allLockOperations();
  }

  private control(client: HubClient, header: Header): void {
    if (header.o === 'ev') {
      if (this.trace && client.pid !== undefined && header.ev && typeof header.ev === 'object') this.trace.add(header.ev as TraceEvent, client.pid);
      return;
    }
    if (header.o === 'sched') {
      this.onControl?.(client, header);
      return;
    }
    if (header.o !== 'state') return;
    const st = header.st as ProcessState | undefined;
    const r = this.round;
    if (!r || !st || st.s !== r.n || !r.expected.has(client)) return;
    r.answers.set(client, st);
    if (r.answers.size === r.expected.size) r.done(true);
  }

  private tick(): void {
    const act = this.activity();
    const now = Date.now();
    const previous = this.lastTick;
    this.lastTick = now;
    if (act !== this.lastActivity) {
      this.lastActivity = act;
      // It changed since the previous tick: the stall is at most this old (an upper bound).
      this.quietSince = previous;
      this.backoff = TICK_MS;
      this.nextProbeAt = now + TICK_MS;
      return;
    }
    // Only while some process can be blocked in a shim call (main waiting, or children connected):
    // a main that polls a timer while its children are still starting up is not stalled.
    if (this.options.watchdog > 0 && this.watchdogAt !== act && now - this.quietSince >= this.options.watchdog * 1000 && !this.round && this.anyWaits()) {
      this.watchdogAt = act;
      void this.noProgress();
      return;
    }
    if (this.options.deadlock === 'hang' || this.round || now < this.nextProbeAt || this.reportedAt === act) return;
    // The root itself must be stuck first: a cheap look before anyone is asked.
    const busy = quickWakers(shimTimers());
    if (busy.length > 0 || !this.anyWaits()) {
      debug(`main is busy with ${busy.join(', ') || 'nothing (no waits)'}`);
      this.later(now);
      return;
    }
    void this.check(act).then((found) => {
      if (!found) this.later(Date.now());
    });
  }

  private later(now: number): void {
    this.nextProbeAt = now + this.backoff;
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
  }

  private anyWaits(): boolean {
    return pendingWaits().length > 0 || this.hub.connections().length > 0;
  }

  /** Probe every connected process; resolves once all answered (null: given up). */
  private probe(deep: boolean, objs: string[] | null, abortOnActivity: number | null, waitMs: number | null): Promise<Snapshot | null> {
    const n = ++this.rounds;
    const expected = new Set(this.hub.connections());
    const answers = new Map<HubClient, ProcessState>();
    return new Promise<Snapshot | null>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      let watch: NodeJS.Timeout | null = null;
      const finish = (ok: boolean) => {
        if (this.round?.n === n) this.round = null;
        if (timer) clearTimeout(timer);
        if (watch) clearInterval(watch);
        if (!ok && waitMs === null) return resolve(null);
        void this.snapshot(answers, expected, n, deep, objs).then(resolve, () => resolve(null));
      };
      this.round = { n, deep, expected, answers, done: finish };
      for (const c of expected) c.push?.({ t: HUB_OBJECT, n: 'probe', r: n, d: deep ? 1 : 0, x: objs });
      if (waitMs !== null) {
        timer = internalTimer(setTimeout(() => finish(false), waitMs));
        timer.unref();
      }
      if (abortOnActivity !== null) {
        watch = internalTimer(setInterval(() => {
          if (this.activity() !== abortOnActivity || expected.size !== this.hub.connections().length) finish(false);
        }, 50));
        watch.unref();
      }
      if (expected.size === 0) finish(true);
    });
  }

  private async snapshot(answers: Map<HubClient, ProcessState>, expected: Set<HubClient>, n: number, deep: boolean, objs: string[] | null): Promise<Snapshot> {
    const own = await processState(n, deep, objs);
    own.hub = hubState(this.hub, objs);
    nativeWaiters(own.hub, [own, ...answers.values()]);
    const conns = new Map<number, { in: number; out: number; hello: Header | undefined; client: HubClient }>();
    for (const c of this.hub.connections()) conns.set(c.pid!, { in: c.framesIn ?? 0, out: c.framesOut ?? 0, hello: c.hello, client: c });
    return {
      states: [own, ...answers.values()],
      silent: [...expected].filter((c) => !answers.has(c)),
      conns,
      rootHub: own.hub,
      activity: this.activity(),
    };
  }

  // ---- the verdict ----

  /** Why the snapshot is not a proven deadlock (null: it is one). */
  private notStuck(snap: Snapshot): string | null {
    if (snap.silent.length > 0) return 'a process did not answer';
    const byPid = new Map(snap.states.map((s) => [s.pid, s]));
    for (const st of snap.states) {
      if (st.busy.length > 0) return `${st.name} is busy with ${st.busy.join(', ')}`;
      for (const w of st.waits) if (w.timeout !== null) return `${st.name} waits with a timeout`;
      for (const c of st.children) if (c.alive && (c.pid === null || !byPid.has(c.pid))) return `${c.name} is starting or ending`;
      if (st.hub && (st.hub.timeouts > 0 || st.hub.draining)) return `${st.name}'s hub has a timeout armed`;
      if (st.hub && st.hub.held > 0) return 'the scheduler holds operations for their turn';
    }
    // The root's hub: each connection read what the process wrote, and the other way round.
    for (const [pid, c] of snap.conns) {
      const st = byPid.get(pid);
      if (!st?.io || st.io.out !== c.in || st.io.in !== c.out) return `frames are on their way to or from ${st?.name ?? pid}`;
    }
    // Managers' hubs, likewise.
    for (const st of snap.states) {
      if (!st.hub?.at || st.pid === process.pid) continue;
      const seen = new Map(st.hub.conns.map((c) => [c.pid, c]));
      for (const other of snap.states) {
        const p = other.ports.find((x) => x.at === st.hub!.at);
        if (!p) continue;
        const c = seen.get(other.pid);
        if (!c || c.in !== p.out || c.out !== p.in) return `frames are on their way between ${other.name} and the manager ${st.name}`;
      }
    }
    // Pools: owner and worker, likewise.
    const sides = new Map<string, PoolChannel[]>();
    for (const st of snap.states) for (const ch of st.pool) sides.set(ch.key, [...(sides.get(ch.key) ?? []), ch]);
    for (const [key, list] of sides) {
      const owner = list.find((c) => c.side === 'owner');
      const worker = list.find((c) => c.side === 'worker');
      if (!owner || !worker || key === '' || owner.out !== worker.in || owner.in !== worker.out) return 'a pool task or result is on its way';
    }
    if (!snap.states.some((s) => s.waits.length > 0)) return 'nothing waits';
    return null;
  }

  /** Whether two snapshots saw exactly the same frames (nothing moved in between). */
  private same(a: Snapshot, b: Snapshot): boolean {
    if (a.activity !== b.activity || a.conns.size !== b.conns.size) return false;
    const key = (s: Snapshot) =>
      JSON.stringify(
        s.states
          .map((st) => [st.pid, st.io, st.nat, st.ports, st.pool, st.waits.map((w) => w.seq), st.hub?.conns ?? null])
          .sort((x, y) => (x[0] as number) - (y[0] as number)),
      );
    return key(a) === key(b);
  }

  /** One attempt: resolves true when a deadlock was found and acted on. */
  private async check(act: number): Promise<boolean> {
    const first = await this.probe(false, null, act, null);
    const why = first ? this.notStuck(first) : 'the first round was given up';
    debug(`round 1: ${why ?? 'stuck'}`);
    if (!first || why !== null) return false;
    const objs = involvedObjects(first.states);
    const second = await this.probe(true, objs, act, null);
    const why2 = second ? this.notStuck(second) ?? (this.same(first, second) ? null : 'something moved') : 'the second round was given up';
    debug(`round 2: ${why2 ?? 'stuck'}`);
    if (!second || why2 !== null) return false;
    this.reportedAt = act;
    const report = buildReport('deadlock', second, Date.now() - this.quietSince);
    this.act(report);
    return true;
  }

  private act(report: RuntimeReport): void {
    const text = formatReport(report);
    for (const f of this.onReport) f(report);
    if (this.options.deadlock === 'report') {
      process.stderr.write(`\n${text}\n\n`);
      return;
    }
    const own = pendingWaits().filter((w) => !w.internal);
    let failed = 0;
    for (const w of own) if (w.fail(new DeadlockError(text, report, w.site ? `${w.site.file}:${w.site.line}:${w.site.column}` : undefined))) failed++;
    if (failed > 0) return;
    // Nothing of the user's code waits in the main process: its code is done and it waits for
    // its children at exit (or for nothing the shim knows). End the program with the report.
    process.stderr.write(`DeadlockError: ${text}\n`);
    process.exitCode = DEADLOCK_EXIT_CODE;
    process.exit();
  }

  // ---- reports on demand ----

  /** The wait report now (processes busy in synchronous code are shown as such). */
  async report(kind: ReportKind = 'wait'): Promise<RuntimeReport> {
    while (this.round) await new Promise<void>((r) => setImmediate(r));
    const first = await this.probe(false, null, null, REPORT_WAIT_MS);
    const objs = first ? involvedObjects(first.states) : [];
    const snap = await this.probe(true, objs, null, REPORT_WAIT_MS);
    const report = buildReport(kind, snap!, Date.now() - this.quietSince);
    for (const f of this.onReport) f(report);
    return report;
  }

  private async noProgress(): Promise<void> {
    const report = await this.report('no-progress');
    if (report.processes.some((p) => p.state === 'blocked')) process.stderr.write(`\n${formatReport(report)}\n\n`);
  }

  private serveReport(_req: HubRequest, respond: Respond): void {
    void this.report().then(
      (r) => respond({ v: r }),
      (err: unknown) => respond({ e: 'ProcessError', m: `the wait report failed: ${err instanceof Error ? err.message : String(err)}` }),
    );
  }
}

/** The objects the waits are on (and a Condition's lock, whose holder matters). */
function involvedObjects(states: ProcessState[]): string[] {
  const ids = new Set<string>();
  for (const st of states) {
    for (const w of st.waits) {
      if (w.obj?.shm !== undefined && w.obj.at === null) nativeObjects.set(w.obj.id, { kind: w.obj.kind, params: { shm: w.obj.shm } });
      if (w.obj) ids.add(w.obj.id);
      if (w.lock) ids.add(w.lock.id);
    }
  }
  return [...ids];
}

// ---- the report ---------------------------------------------------------------------------------

function pidOf(id: string): number | null {
  const n = Number(id.split('.')[0]);
  return Number.isInteger(n) ? n : null;
}

function buildReport(kind: ReportKind, snap: Snapshot, stalledMs: number): RuntimeReport {
  const root = process.cwd();
  const byPid = new Map(snap.states.map((s) => [s.pid, s]));
  const refs = new Map<string, { kind: string; at: string | null }>();
  for (const st of snap.states) {
    for (const w of st.waits) {
      if (w.obj) refs.set(w.obj.id, { kind: w.obj.kind, at: w.obj.at });
      if (w.lock) refs.set(w.lock.id, { kind: w.lock.kind, at: w.lock.at });
    }
  }
  // Where each object lives (the root's hub or a manager's), and where it was made.
  const hubs = new Map<string | null, { pid: number; hub: HubState }>();
  for (const st of snap.states) if (st.hub) hubs.set(st.pid === process.pid ? null : st.hub.at, { pid: st.pid, hub: st.hub });
  const made = new Map<string, Site | null>();
  for (const st of snap.states) for (const [id, site] of Object.entries(st.made)) made.set(id, site);
  const counters = new Map<string, number>();
  const objects: RuntimeObject[] = [];
  const labels = new Map<string, string>();
  for (const [id, ref] of refs) {
    const host = hubs.get(ref.at);
    const [k, variant] = modelKind(ref.kind, ref.at !== null);
    const n = (counters.get(k) ?? 0) + 1;
    counters.set(k, n);
    const site = made.get(id) ?? null;
    let label = objectLabel(ref.kind, site, n);
    // An object made inside another one's constructor (a Condition's or a Value's lock) shares its line.
    const twin = objects.find((o) => o.label === label && site && o.loc && toLocation(site, root)?.range.start.line === o.loc.range.start.line);
    if (twin) label = `${twin.label}'s ${kindTitle(ref.kind).toLowerCase()}`;
    labels.set(id, label);
    objects.push({
      id,
      kind: k,
      variant,
      label,
      loc: toLocation(site, root),
      creator: pidOf(id),
      host: ref.at === null ? null : (host?.pid ?? null),
      state: host?.hub.objects[id] ?? {},
    });
  }
  const processes: RuntimeProcess[] = [];
  const exited = new Map<number, { name: string; exitcode: number | null; parent: number }>();
  for (const st of snap.states) for (const c of st.children) if (!c.alive && c.pid !== null) exited.set(c.pid, { name: c.name, exitcode: c.exitcode, parent: st.pid });
  const describeWait = (w: WaitState): RuntimeWait => {
    let on: string;
    if (w.obj) on = w.end === null ? kindTitle(w.obj.kind) : 'Pipe end';
    else if (w.local?.kind === 'process') on = `${w.local.name}${w.local.pid ? ` (pid ${w.local.pid})` : ''}${w.internal ? ', at exit' : ''}`;
    else on = w.local?.name ?? 'something';
    return { op: w.op, object: w.obj?.id ?? null, on, end: w.end, loc: toLocation(w.site, root), waitingMs: w.ms, timeout: w.timeout };
  };
  const add = (st: ProcessState | undefined, pid: number, hello: Header | undefined) => {
    const main = pid === process.pid;
    const siteOf = (v: unknown) => (v && typeof v === 'object' ? toLocation(v as Site, root) : null);
    const waits = st ? st.waits.filter((w) => !(w.obj?.id === HUB_OBJECT)).map(describeWait) : [];
    const blocked = st !== undefined && st.busy.length === 0 && st.waits.length > 0;
    processes.push({
      pid,
      name: st?.name ?? String(hello?.name ?? pid),
      role: main ? 'main' : ((hello?.role as RuntimeProcess['role']) ?? 'child'),
      parent: main ? null : typeof hello?.ppid === 'number' ? hello.ppid : null,
      target: main ? null : typeof hello?.target === 'string' ? hello.target : null,
      daemon: hello?.daemon === true,
      loc: main ? null : siteOf(hello?.site),
      start: main ? null : siteOf(hello?.start),
      state: blocked ? 'blocked' : 'running',
      exitcode: null,
      busy: st ? st.busy : ['it did not answer (busy in synchronous code, or starting)'],
      waits,
    });
  };
  add(byPid.get(process.pid), process.pid, undefined);
  for (const [pid, c] of snap.conns) add(byPid.get(pid), pid, c.hello);
  for (const [pid, e] of exited) {
    if (processes.some((p) => p.pid === pid)) continue;
    const hello = gone.get(pid);
    const siteOf = (v: unknown) => (v && typeof v === 'object' ? toLocation(v as Site, root) : null);
    processes.push({
      pid, name: e.name, role: (hello?.role as RuntimeProcess['role']) ?? 'child', parent: e.parent,
      target: typeof hello?.target === 'string' ? hello.target : null, daemon: hello?.daemon === true,
      loc: siteOf(hello?.site), start: siteOf(hello?.start), state: 'exited', exitcode: e.exitcode, busy: [], waits: [],
    });
  }
  // Main first, then in the order they were made (their names: Process-1, Process-2, ..., 2:1, ...).
  const order = (p: RuntimeProcess) => (p.role === 'main' ? '' : p.name.replace(/\d+/g, (d) => d.padStart(8, '0')));
  processes.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return {
    version: 1,
    kind,
    root: rootUri(root),
    time: new Date().toISOString(),
    stalledMs: kind === 'wait' ? null : stalledMs,
    processes,
    objects: objects.map((o) => ({ ...o, label: labels.get(o.id) ?? o.label })),
  };
}

// ---- the root's monitor, switched by the environment ---------------------------------------------

let monitor: Monitor | null = null;

function modeFromEnv(): DeadlockMode {
  const v = (process.env.PT_MP_DEADLOCK ?? '').trim().toLowerCase();
  if (v === 'hang' || v === 'off' || v === '0' || v === 'python') return 'hang';
  if (v === 'report') return 'report';
  return 'raise';
}

/** In the root: the monitor of its hub (made and started on first use). */
export function rootMonitor(): Monitor | null {
  if (runtime.isChild) return null;
  if (!monitor) {
    const hub = theRootHub()!;
    if (monitor) return monitor; // (made by the hook below while the hub was made)
    const watchdog = Number(process.env.PT_MP_WATCHDOG ?? 0);
    monitor = new Monitor(hub, { deadlock: modeFromEnv(), watchdog: Number.isFinite(watchdog) && watchdog > 0 ? watchdog : 0 });
    monitor.start();
    installExitCode(); // (before the trace: its last line gives the exit code this sets)
    const trace = traceWriter(runtime.main ? sourceOfModule(runtime.main.file) : null);
    if (trace) {
      monitor.trace = trace;
      observeHub(hub, trace);
      monitor.onReport.push((r) => trace.add({ e: r.kind === 'deadlock' ? 'deadlock' : 'report', report: r, at: Date.now() }, process.pid));
    }
    installReportSignal();
    // Every report (deadlock, no progress, on demand), one JSON line each, for tools.
    monitor.onReport.push((r) => reportLine(r as unknown as Record<string, unknown>));
    controlRoot(hub, monitor, reportLine);
  }
  return monitor;
}

function installReportSignal(): void {
  const sig = (process.env.PT_MP_REPORT_SIGNAL ?? '').trim().toUpperCase();
  if (!sig) return;
  const name = (sig.startsWith('SIG') ? sig : `SIG${sig}`) as NodeJS.Signals;
  internalSignal(name);
  try {
    process.on(name, () => {
      void waitReport().then((r) => {
        const json = (process.env.PT_MP_REPORT_FORMAT ?? '').toLowerCase() === 'json';
        process.stderr.write(json ? `${JSON.stringify(r)}\n` : `\n${formatReport(r)}\n\n`);
      });
    });
  } catch {
    process.emitWarning(`PT_MP_REPORT_SIGNAL: cannot listen for ${name}`);
  }
}

/** A line of the report file (PT_MP_REPORT_FILE): a report, a steered replay's outcome, a schedule's summary. */
function reportLine(line: Record<string, unknown>): void {
  const file = process.env.PT_MP_REPORT_FILE;
  if (!file) return;
  try {
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch (err) {
    process.emitWarning(`PT_MP_REPORT_FILE: ${(err as Error).message}`);
  }
}

let exitCodeInstalled = false;

/** An uncaught DeadlockError ends the program with DEADLOCK_EXIT_CODE instead of Node's 1. */
function installExitCode(): void {
  if (exitCodeInstalled) return;
  exitCodeInstalled = true;
  let uncaught = false;
  process.on('uncaughtExceptionMonitor', (err) => {
    if (err instanceof DeadlockError) uncaught = true;
  });
  process.on('exit', (code) => {
    if (uncaught && code === 1) process.exitCode = DEADLOCK_EXIT_CODE;
  });
}

/**
 * The wait report: every live process of the program, what it waits on (operation, object, the
 * line that called it), the holders of the locks and the depths of the queues involved. From any
 * process (a child asks the main process, which gathers it).
 */
export async function waitReport(): Promise<RuntimeReport> {
  if (!runtime.isChild) return rootMonitor()!.report();
  const reply = await call({ kind: 'hub', id: HUB_OBJECT, params: {} }, 'report');
  return reply.header.v as RuntimeReport;
}

/** The wait report as text (what the signal and the DeadlockError print). */
export async function waitReportText(): Promise<string> {
  return formatReport(await waitReport());
}

// The root's monitor starts with its hub (a child never makes one).
whenRootHub(() => {
  if (!runtime.isChild) rootMonitor();
});

export { formatReport, formatSite };
