// Reading a run's trace (docs/runtime-trace.md, written by the shim when PT_MP_TRACE is set):
// parse and check its lines, match its processes and objects to the static model's nodes, and turn
// it into replay steps with the state of every process and object after each. Pure (no Node, no
// DOM), so the command line, the graph page and the tests share it. The wait report's shape
// (RuntimeReport) is declared here too, as tools read it.
import type { EdgeKind, Location, ModelEdge, TopologyModel } from './model';

export const TRACE_VERSION = 1;

/** The wait report (see docs/runtime-trace.md): the shim's RuntimeReport, as tools read it. */
export interface RuntimeReport {
  version: 1;
  kind: 'deadlock' | 'wait' | 'no-progress';
  root: string;
  time: string;
  stalledMs: number | null;
  processes: {
    pid: number;
    name: string;
    role: 'main' | 'child' | 'pool-worker' | 'manager';
    parent: number | null;
    target: string | null;
    daemon: boolean;
    loc: Location | null;
    start: Location | null;
    state: 'running' | 'blocked' | 'exited';
    exitcode: number | null;
    busy: string[];
    waits: { op: string; object: string | null; on: string; end: number | null; loc: Location | null; waitingMs: number; timeout: number | null }[];
  }[];
  objects: { id: string; kind: string; variant: string | null; label: string; loc: Location | null; creator: number | null; host: number | null; state: Record<string, unknown> }[];
}

export interface TraceSite {
  id: number;
  /** Relative to the trace's root (or absolute). */
  file: string;
  /** 1-based. */
  line: number;
  col: number;
}

export interface TraceHeader {
  version: number;
  root: string;
  main: string | null;
  argv: string[];
  started: string;
}

export interface TraceProcess {
  pid: number;
  name: string;
  role: 'main' | 'child' | 'pool-worker' | 'manager';
  parent: number | null;
  target: string | null;
  daemon: boolean;
  site: TraceSite | null;
  start: TraceSite | null;
  /** Its start's number among the processes made at the same site (0, 1, ...): the loop instance. */
  instance: number;
  t: number;
  exit: { t: number; code: number | null } | null;
}

export interface TraceObject {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  site: TraceSite | null;
  name: string | null;
  creator: number | null;
  host: number | null;
  t: number;
}

/** An operation on an object (a hub answered it), or a wait of a process of its own. */
export interface TraceOp {
  n: number;
  t: number;
  pid: number;
  /** The object (null for a wait on a process or a pool result). */
  obj: string | null;
  op: string;
  site: TraceSite | null;
  blocked: boolean;
  /** What a process waits on by itself (`join` of a process, a pool result). */
  on: { kind: string; name: string; pid?: number } | null;
  /** The object's state after the operation. */
  state: Record<string, unknown>;
  end: { t: number; r: string; err: string | null; by: number | null; state: Record<string, unknown> } | null;
}

export interface ParsedTrace {
  header: TraceHeader;
  processes: Map<number, TraceProcess>;
  objects: Map<string, TraceObject>;
  /** In the order of the file. */
  ops: TraceOp[];
  pools: { t: number; op: string; pool: string; job: number; worker: number | null; pid: number }[];
  reports: { t: number; kind: string; report: RuntimeReport }[];
  sched: Record<string, unknown>[];
  steer: Record<string, unknown>[];
  close: { t: number; code: number | null } | null;
  /** Lines of kinds this reader does not know (a later version's): skipped. */
  skipped: number;
}

export class TraceError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
  }
}

type Raw = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});

/** Parse a trace file's text; throws TraceError (with the line) when it is not one. */
export function parseTrace(text: string): ParsedTrace {
  const lines = text.split('\n');
  let header: TraceHeader | null = null;
  const sites = new Map<number, TraceSite>();
  const trace: ParsedTrace = {
    header: { version: 0, root: '', main: null, argv: [], started: '' },
    processes: new Map(), objects: new Map(), ops: [], pools: [], reports: [], sched: [], steer: [], close: null, skipped: 0,
  };
  const byN = new Map<number, TraceOp>();
  const instances = new Map<string, number>();
  const site = (v: unknown): TraceSite | null => (typeof v === 'number' ? (sites.get(v) ?? null) : null);
  const STATE_KEYS = ['depth', 'unfinished', 'value', 'owners', 'set', 'arrived', 'broken', 'inbox', 'waiting'];
  const state = (ev: Raw): Record<string, unknown> => {
    const s: Record<string, unknown> = {};
    for (const k of STATE_KEYS) if (k in ev) s[k] = ev[k];
    return s;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let ev: Raw;
    try {
      ev = obj(JSON.parse(line));
    } catch {
      // A run killed while writing leaves a cut last line: that one only is forgiven.
      if (i >= lines.length - 2 && header) break;
      throw new TraceError('not JSON', i + 1);
    }
    const e = str(ev.e);
    if (!header) {
      if (e !== 'trace' || ev.format !== 'process-topology-trace') throw new TraceError('not a process-topology trace (its first line must be {"e":"trace","format":"process-topology-trace",...})', i + 1);
      if (ev.version !== TRACE_VERSION) throw new TraceError(`trace version ${String(ev.version)}; this reader knows version ${TRACE_VERSION}`, i + 1);
      header = {
        version: TRACE_VERSION, root: str(ev.root) ?? '', main: str(ev.main),
        argv: Array.isArray(ev.argv) ? ev.argv.filter((a): a is string => typeof a === 'string') : [], started: str(ev.started) ?? '',
      };
      trace.header = header;
      continue;
    }
    const t = num(ev.t) ?? 0;
    switch (e) {
      case 'site': {
        const id = num(ev.id);
        const file = str(ev.file);
        if (id === null || file === null || num(ev.line) === null) throw new TraceError('a site needs id, file and line', i + 1);
        sites.set(id, { id, file, line: num(ev.line)!, col: num(ev.col) ?? 1 });
        break;
      }
      case 'proc': {
        const pid = num(ev.pid);
        if (pid === null) throw new TraceError('a proc event needs a pid', i + 1);
        const s = site(ev.site);
        const key = s ? `${s.file}:${s.line}` : `pid:${pid}`;
        const instance = instances.get(key) ?? 0;
        instances.set(key, instance + 1);
        const role = str(ev.role);
        trace.processes.set(pid, {
          pid, name: str(ev.name) ?? String(pid),
          role: role === 'main' || role === 'pool-worker' || role === 'manager' ? role : 'child',
          parent: num(ev.parent), target: str(ev.target), daemon: ev.daemon === true, site: s, start: site(ev.start), instance, t, exit: null,
        });
        break;
      }
      case 'exit': {
        const p = trace.processes.get(num(ev.pid) ?? -1);
        if (p) p.exit = { t, code: num(ev.code) };
        break;
      }
      case 'obj': {
        const id = str(ev.id);
        if (id === null || str(ev.kind) === null) throw new TraceError('an obj event needs id and kind', i + 1);
        trace.objects.set(id, {
          id, kind: str(ev.kind)!, params: obj(ev.params), site: site(ev.site), name: str(ev.name), creator: num(ev.pid), host: num(ev.host), t,
        });
        break;
      }
      case 'op': case 'wait': {
        const n = num(ev.n);
        const pid = num(ev.pid);
        const op = str(ev.op);
        if (n === null || pid === null || op === null) throw new TraceError(`an ${e} event needs n, pid and op`, i + 1);
        const on = e === 'wait' ? obj(ev.on) : null;
        const rec: TraceOp = {
          n, t, pid, obj: e === 'op' ? str(ev.obj) : null, op, site: site(ev.site), blocked: e === 'wait' || ev.st === 'blocked',
          on: on ? { kind: str(on.kind) ?? 'process', name: str(on.name) ?? '', ...(num(on.pid) !== null ? { pid: num(on.pid)! } : {}) } : null,
          state: state(ev),
          end: e === 'op' && ev.st === 'done' ? { t, r: str(ev.r) ?? 'ok', err: str(ev.err), by: null, state: state(ev) } : null,
        };
        trace.ops.push(rec);
        byN.set(n, rec);
        break;
      }
      case 'end': {
        const rec = byN.get(num(ev.n) ?? -1);
        if (rec) rec.end = { t, r: str(ev.r) ?? 'ok', err: str(ev.err), by: num(ev.by), state: state(ev) };
        break;
      }
      case 'pool':
        trace.pools.push({ t, op: str(ev.op) ?? '', pool: str(ev.pool) ?? '', job: num(ev.job) ?? 0, worker: num(ev.worker), pid: num(ev.pid) ?? 0 });
        break;
      case 'report': case 'deadlock':
        trace.reports.push({ t, kind: e, report: obj(ev.report) as unknown as RuntimeReport });
        break;
      case 'sched':
        trace.sched.push(ev);
        break;
      case 'steer':
        trace.steer.push(ev);
        break;
      case 'close':
        trace.close = { t, code: num(ev.code) };
        break;
      default:
        trace.skipped++;
    }
  }
  if (!header) throw new TraceError('empty: no trace header', 1);
  return trace;
}

// ---- matching the static model ------------------------------------------------------------------

export interface TraceMatch {
  /** Runtime process -> model node id (null: none), and its instance among the node's processes. */
  processes: Map<number, { node: string | null; instance: number }>;
  objects: Map<string, string | null>;
}

/** `file://` URI or path -> a POSIX absolute path (the trace and the model may have different roots). */
export function absolute(root: string, file: string): string {
  if (file.startsWith('/')) return file;
  const base = decodeURIComponent(root.replace(/^file:\/\//, '')).replace(/\/$/, '');
  const parts = `${base}/${file}`.split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return `/${out.join('/')}`;
}

/** Model node kinds a runtime object kind may be drawn as. */
const NODE_KIND: Record<string, string> = {
  queue: 'queue', joinablequeue: 'queue', simplequeue: 'queue', pipe: 'pipe', lock: 'lock', rlock: 'lock',
  semaphore: 'semaphore', boundedsemaphore: 'semaphore', event: 'event', condition: 'condition', barrier: 'barrier',
  value: 'value', array: 'array', pool: 'pool', 'manager.control': 'manager', 'manager.dict': 'dict', 'manager.list': 'list',
  'manager.namespace': 'namespace', 'manager.value': 'value',
};

/** Finds the model node of a runtime process or object (see matchTrace); pure, reusable as a run goes on. */
export interface ModelMatcher {
  process(p: { role: TraceProcess['role']; site: TraceSite | null; target: string | null }): string | null;
  object(o: { kind: string; site: TraceSite | null }): string | null;
}

/**
 * The matcher of runtime processes and objects to `model`'s nodes, for a trace whose files are
 * relative to `traceRoot`: the node of the right kind whose location starts on the line where it
 * was made (same file). The main process is the main node of the module the run started
 * (`traceMain`); pool workers belong to their pool's node.
 */
export function modelMatcher(model: TopologyModel, traceRoot: string, traceMain: string | null = null): ModelMatcher {
  const at = (file: string, line: number, root: string) => `${absolute(root, file)}:${line}`;
  const nodesAt = new Map<string, TopologyModel['nodes']>();
  for (const n of model.nodes) {
    const key = at(n.loc.file, n.loc.range.start.line + 1, model.root);
    nodesAt.set(key, [...(nodesAt.get(key) ?? []), n]);
  }
  // On a line that makes several (`[new Process(a), new Process(b)]`), the column tells them
  // apart (V8's column of `new` is the node's start), else the target.
  const find = (site: TraceSite | null, kinds: string[], target?: string | null) => {
    if (!site) return null;
    const list = (nodesAt.get(at(site.file, site.line, traceRoot)) ?? []).filter((n) => kinds.includes(n.kind));
    if (list.length <= 1) return list[0] ?? null;
    return list.find((n) => n.loc.range.start.character + 1 === site.col) ?? list.find((n) => target && n.target === target) ?? list[0]!;
  };
  // A model of several programs (a workspace's) has a main node per program: the run's is the one
  // in the module it ran.
  const mains = model.nodes.filter((n) => n.kind === 'process' && n.role === 'main');
  const ran = traceMain === null ? null : absolute(traceRoot, traceMain);
  const main = mains.find((n) => ran !== null && absolute(model.root, n.loc.file) === ran) ?? (mains.length === 1 || ran === null ? mains[0] : undefined);
  return {
    process: (p) => {
      if (p.role === 'main') return main?.id ?? null;
      if (p.role === 'pool-worker') return find(p.site, ['pool', 'process'])?.id ?? null;
      if (p.role === 'manager') return find(p.site, ['manager'])?.id ?? null;
      return find(p.site, ['process'], p.target)?.id ?? null;
    },
    object: (o) => {
      const kind = NODE_KIND[o.kind];
      return kind ? (find(o.site, [kind])?.id ?? null) : null;
    },
  };
}

/**
 * Which model node each runtime process and object is (modelMatcher). Several runtime processes of
 * one node are its instances (in start order).
 */
export function matchTrace(trace: ParsedTrace, model: TopologyModel): TraceMatch {
  const matcher = modelMatcher(model, trace.header.root, trace.header.main);
  const processes = new Map<number, { node: string | null; instance: number }>();
  const counts = new Map<string, number>();
  for (const p of [...trace.processes.values()].sort((a, b) => a.t - b.t)) {
    const node = matcher.process(p);
    const instance = node ? (counts.get(node) ?? 0) : 0;
    if (node) counts.set(node, instance + 1);
    processes.set(p.pid, { node, instance });
  }
  const objects = new Map<string, string | null>();
  for (const o of trace.objects.values()) objects.set(o.id, matcher.object(o));
  return { processes, objects };
}

/** The model edge kind of an operation (`get` on a queue is a get edge, `set` on a Value a write). */
export function edgeKindOf(objKind: string, op: string): EdgeKind | null {
  if (objKind === 'value' || objKind === 'array' || objKind.startsWith('manager.')) {
    return /^(get|slice|keys|values|items|has|size|toObject|length|toArray|index|count|repr)$/.test(op) ? 'read' : 'write';
  }
  switch (op) {
    case 'put': case 'get': case 'send': case 'recv': case 'acquire': case 'release': case 'wait': case 'set': case 'notify': case 'taskDone':
      return op;
    case 'poll': return 'recv';
    case 'join': return 'wait';
    case 'clear': return 'set';
    default: return null;
  }
}

/** The model edge an operation travels along, if the model has one between the two nodes. */
export function edgeOf(model: TopologyModel, procNode: string | null, objNode: string | null, kind: EdgeKind | null): ModelEdge | null {
  if (!procNode || !objNode) return null;
  const between = model.edges.filter((e) => (e.from === procNode && e.to === objNode) || (e.from === objNode && e.to === procNode));
  return between.find((e) => e.kind === kind) ?? null;
}

// ---- replay ---------------------------------------------------------------------------------------

export type ProcessRunState = 'running' | 'blocked' | 'exited';

export interface ReplayStep {
  t: number;
  /** What happened, for people: "Process-1 put on queue 'jobs'". */
  text: string;
  pid: number | null;
  obj: string | null;
  /** The operation's model edge kind, when it moved something along an edge. */
  edge: EdgeKind | null;
  /** A join's process (the edge goes to it). */
  target: number | null;
  site: TraceSite | null;
  /** Set on the step where the detector found the run deadlocked. */
  deadlock: RuntimeReport | null;
}

export interface ReplayState {
  processes: Record<number, { state: ProcessRunState; op: string | null; obj: string | null; target: number | null; site: TraceSite | null; code: number | null }>;
  objects: Record<string, Record<string, unknown>>;
  deadlock: RuntimeReport | null;
}

/** Label of an object for replay texts: its name, else its kind. */
export function objectName(o: TraceObject | undefined): string {
  if (!o) return 'an object';
  return o.name ? `${o.kind} '${o.name}'` : o.kind;
}

/**
 * The run as steps in time order, each with the state after it (of every process and object).
 * States are kept in full every `every` steps and rebuilt in between (see ReplayTimeline).
 */
export class ReplayTimeline {
  readonly steps: ReplayStep[] = [];
  private readonly changes: ((s: ReplayState) => void)[] = [];
  private readonly checkpoints = new Map<number, string>();

  constructor(readonly trace: ParsedTrace, private readonly every = 200) {
    type Item = { t: number; order: number; step: ReplayStep; apply: (s: ReplayState) => void };
    const items: Item[] = [];
    let order = 0;
    const push = (t: number, step: Omit<ReplayStep, 't'>, apply: (s: ReplayState) => void) => items.push({ t, order: order++, step: { t, ...step }, apply });
    const pname = (pid: number) => trace.processes.get(pid)?.name ?? `pid ${pid}`;
    for (const p of trace.processes.values()) {
      push(p.t, { text: `${p.name} starts${p.target ? ` (${p.target})` : ''}`, pid: p.pid, obj: null, edge: null, site: p.start ?? p.site, target: null, deadlock: null }, (s) => {
        s.processes[p.pid] = { state: 'running', op: null, obj: null, target: null, site: null, code: null };
      });
      if (p.exit) {
        const code = p.exit.code;
        push(p.exit.t, { text: `${p.name} exits with code ${code ?? '?'}`, pid: p.pid, obj: null, edge: null, site: null, target: null, deadlock: null }, (s) => {
          s.processes[p.pid] = { state: 'exited', op: null, obj: null, target: null, site: null, code };
        });
      }
    }
    for (const o of trace.objects.values()) {
      push(o.t, { text: `${pname(o.creator ?? 0)} makes ${objectName(o)}`, pid: o.creator, obj: o.id, edge: null, site: o.site, target: null, deadlock: null }, (s) => {
        s.objects[o.id] = {};
      });
    }
    for (const op of trace.ops) {
      const o = op.obj ? trace.objects.get(op.obj) : undefined;
      const what = op.on ? op.on.name : objectName(o);
      const edge = o ? edgeKindOf(o.kind, op.op) : op.op === 'join' ? 'join' : null;
      const waits = op.blocked && (!op.end || op.end.t > op.t);
      push(op.t, { text: `${pname(op.pid)} ${op.op}${op.obj || op.on ? ` on ${what}` : ''}${waits ? ': blocked' : ''}`, pid: op.pid, obj: op.obj, edge: waits ? null : edge, site: op.site, target: op.on?.pid ?? null, deadlock: null }, (s) => {
        if (op.obj) s.objects[op.obj] = { ...s.objects[op.obj], ...op.state };
        const p = s.processes[op.pid];
        if (waits && p) s.processes[op.pid] = { ...p, state: 'blocked', op: op.op, obj: op.obj, target: op.on?.pid ?? null, site: op.site };
      });
      if (op.end && waits) {
        const end = op.end;
        push(end.t, { text: `${pname(op.pid)}'s ${op.op} ${end.r === 'ok' ? 'completes' : `fails (${end.err ?? 'error'})`}${end.by ? ` (woken by #${end.by})` : ''}`, pid: op.pid, obj: op.obj, edge, site: op.site, target: op.on?.pid ?? null, deadlock: null }, (s) => {
          if (op.obj) s.objects[op.obj] = { ...s.objects[op.obj], ...end.state };
          const p = s.processes[op.pid];
          if (p && p.state === 'blocked') s.processes[op.pid] = { ...p, state: 'running', op: null, obj: null, target: null, site: null };
        });
      }
    }
    for (const r of trace.reports) {
      if (r.kind !== 'deadlock') continue;
      push(r.t, { text: 'Deadlock: every process is blocked and none can wake another', pid: null, obj: null, edge: null, site: null, target: null, deadlock: r.report }, (s) => {
        s.deadlock = r.report;
      });
    }
    items.sort((a, b) => a.t - b.t || a.order - b.order);
    for (const it of items) {
      this.steps.push(it.step);
      this.changes.push(it.apply);
    }
  }

  /** The state after step `i` (-1: before the first). */
  stateAt(i: number): ReplayState {
    const target = Math.min(i, this.steps.length - 1);
    let from = Math.floor((target + 1) / this.every) * this.every - 1;
    while (from >= 0 && !this.checkpoints.has(from)) from -= this.every;
    let s: ReplayState = from >= 0 ? (JSON.parse(this.checkpoints.get(from)!) as ReplayState) : { processes: {}, objects: {}, deadlock: null };
    for (let k = from + 1; k <= target; k++) {
      this.changes[k]!(s);
      if ((k + 1) % this.every === 0 && !this.checkpoints.has(k)) this.checkpoints.set(k, JSON.stringify(s));
    }
    if (target < 0) s = { processes: {}, objects: {}, deadlock: null };
    return s;
  }
}

// ---- a run against a static finding ----------------------------------------------------------------

/** `file:line` (absolute) of a location relative to a root URI or path. */
function lineKey(root: string, loc: Location): string {
  return `${absolute(root, loc.file)}:${loc.range.start.line + 1}`;
}

/**
 * Whether a run's deadlock report shows the state a static `deadlock`-family finding predicted:
 * the blocked calls the finding names (its location and related locations, relative to
 * `modelRoot`) are exactly the calls the run's processes were blocked in (by file and line).
 */
export function reportConfirms(report: RuntimeReport, finding: { loc: Location; related: { loc: Location }[] }, modelRoot: string): boolean {
  if (report.kind !== 'deadlock') return false;
  const predicted = new Set([finding.loc, ...finding.related.map((r) => r.loc)].map((l) => lineKey(modelRoot, l)));
  const blocked = new Set<string>();
  for (const p of report.processes) for (const w of p.waits) if (w.loc) blocked.add(lineKey(report.root, w.loc));
  if (predicted.size !== blocked.size) return false;
  for (const k of predicted) if (!blocked.has(k)) return false;
  return true;
}

/**
 * Rules whose finding is anchored at a call that, they say, waits forever (the blocking family but
 * `deadlock`, whose related locations are the other blocked calls): a run confirms one when that
 * call is among the blocked calls of its deadlock. test/runtime/live-run.test.ts keeps this list
 * equal to the rule registry's.
 */
export const ANCHOR_BLOCKS_RULES: readonly string[] = [
  'barrier-parties-mismatch', 'bounded-queue-full', 'condition-never-notified', 'double-acquire', 'event-never-set',
  'get-without-producer', 'lock-order-inversion', 'missing-sentinel', 'task-done-missing',
];

/**
 * Whether a run's deadlock confirms a static finding: a `deadlock` finding when the run's blocked
 * calls are exactly those it predicted (reportConfirms); a finding of another blocking rule when the
 * call it says waits forever is one the deadlocked run waits in. Other findings: never.
 */
export function runConfirms(report: RuntimeReport, finding: { rule: string; loc: Location; related: { loc: Location }[] }, modelRoot: string): boolean {
  if (report.kind !== 'deadlock') return false;
  if (finding.rule === 'deadlock') return reportConfirms(report, finding, modelRoot);
  if (!ANCHOR_BLOCKS_RULES.includes(finding.rule)) return false;
  const anchor = lineKey(modelRoot, finding.loc);
  return report.processes.some((p) => p.state === 'blocked' && p.waits.some((w) => w.loc !== null && lineKey(report.root, w.loc) === anchor));
}
