// The trace of a run (PT_MP_TRACE=<file> or unix:<socket>): one stream of JSON lines for the whole
// program, written by the main process alone. Its format is docs/runtime-trace.md (versioned).
//
// What goes in: process starts and exits (from the parent, which knows the target, the creation
// and start sites and the exit code); object creations (kind, parameters, site); every operation a
// hub handles (process, object, operation, payload size, call site, blocked or done at once, and
// the object's state after it: queue depth, lock owners, event flag), with the end of each
// operation that waited; the waits a process makes on its own (join, pool results); pool tasks;
// reports and deadlocks; scheduling and steering decisions.
// Children and manager processes send their events to the main process as monitor frames
// ({o: 'ev'}, not counted among operations: see monitor.ts), with their own clock (epoch ms),
// which the writer turns into milliseconds since the trace began. Call sites are interned: a
// `site` event defines a number once, events refer to it.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { internalSocket, internalTimer } from './activity';
import type { Hub, HubClient, HubObject, ObservedOp } from './hub';
import { rootUri } from './report';
import type { Site } from './site';
import type { Header } from './transport';

export const TRACE_VERSION = 1;

export type TraceEvent = { e: string } & Record<string, unknown>;

/** Whether this run is traced (every process of it: the switch is inherited). */
export const tracing = (process.env.PT_MP_TRACE ?? '') !== '';

const now = (): number => performance.timeOrigin + performance.now();

// ---- sites, interned per process -----------------------------------------------------------------

const siteIds = new Map<string, number>();
/** The same site objects come back for the same position (site.ts remembers them): by identity first. */
const siteObjects = new WeakMap<Site, number>();

/**
 * The number of `site` in this process's table, defining it first (through `send`) when it is
 * new. In the main process the numbers are the trace's own; a child's are mapped by the writer.
 */
export function siteNumber(site: Site | null | undefined): number | undefined {
  if (!site) return undefined;
  const known = siteObjects.get(site);
  if (known !== undefined) return known;
  const key = `${site.file}:${site.line}:${site.column}`;
  let id = siteIds.get(key);
  if (id === undefined) {
    siteIds.set(key, (id = siteIds.size + 1));
    sendEvent({ e: 'site', id, file: site.file, line: site.line, col: site.column });
  }
  siteObjects.set(site, id);
  return id;
}

/** A site spelled out: [file, line, column]. */
export type SiteText = [file: string, line: number, column: number];

/**
 * `site` spelled out, for an operation on a manager's object made by a child: the manager's hub
 * reports it to the main process over its own connection, which may overtake the `site` event this
 * process sent over its connection, so a number could reach the writer before its definition.
 */
export function siteText(site: Site | null | undefined): SiteText | undefined {
  return site ? [site.file, site.line, site.column] : undefined;
}

function isSiteText(v: unknown): v is SiteText {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';
}

// ---- sending: the main process writes, others forward ---------------------------------------------

let forward: ((ev: TraceEvent) => void) | null = null;
let writer: TraceWriter | null = null;
const early: TraceEvent[] = [];

/** In a child: where its events go (the monitor frame to the main process's hub). */
export function forwardEvents(f: (ev: TraceEvent) => void): void {
  forward = f;
  for (const ev of early.splice(0)) f(ev);
}

/** Record an event of this process (its pid and clock are added). */
export function sendEvent(ev: TraceEvent): void {
  if (!tracing) return;
  ev.pid ??= process.pid;
  ev.at = now();
  if (writer) writer.add(ev, process.pid);
  else if (forward) forward(ev);
  else early.push(ev); // a child before it is connected
}

// ---- the writer (main process) -------------------------------------------------------------------

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

/** The main process's trace: numbers, clock and site ids made global, lines buffered and written. */
export class TraceWriter {
  /** Time 0: when the main process started. */
  private readonly start = performance.timeOrigin;
  private readonly root = process.cwd();
  private buf: string[] = [];
  private bytes = 0;
  private fd: number | null = null;
  private socket: net.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** pid -> (its site number -> the trace's). */
  private readonly sites = new Map<number, Map<number, number>>();
  /** `file:line:col` -> the trace's site number (processes share sites). */
  private readonly siteKeys = new Map<string, number>();
  /** Objects an `obj` event announced: operations on others (the shim's own) are left out. */
  private readonly objects = new Set<string>();
  /** pid -> (its local wait number -> the trace's operation number). */
  private readonly waits = new Map<number, Map<string, number>>();
  private ops = 0;
  failed = false;

  constructor(target: string) {
    try {
      if (target.startsWith('unix:')) {
        this.socket = net.createConnection(target.slice('unix:'.length));
        internalSocket(this.socket);
        this.socket.unref();
        this.socket.on('error', (err) => this.fail(err));
      } else {
        fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
        this.fd = fs.openSync(target, 'w');
      }
    } catch (err) {
      this.fail(err as Error);
    }
    process.on('exit', (code) => {
      this.add({ e: 'close', code: typeof process.exitCode === 'number' ? process.exitCode : code, at: now() }, process.pid);
      this.flush();
    });
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    process.emitWarning(`PT_MP_TRACE: cannot write the trace: ${err.message}`);
  }

  /** Milliseconds since the trace began (3 decimals), for an epoch time. */
  private t(at: unknown): number {
    return Math.round(((typeof at === 'number' ? at : now()) - this.start) * 1000) / 1000;
  }

  /** The trace's number for a site (`file:line:col`), written as a `site` line when it is new. */
  private site(file: string, line: unknown, col: unknown): number {
    const key = `${file}:${String(line)}:${String(col)}`;
    let id = this.siteKeys.get(key);
    if (id === undefined) {
      this.siteKeys.set(key, (id = this.siteKeys.size + 1));
      const rel = path.relative(this.root, file);
      this.line({ e: 'site', id, file: rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/'), line, col });
    }
    return id;
  }

  /** The trace's number for process `pid`'s site `id`. */
  globalSite(pid: number, id: unknown): number | undefined {
    if (typeof id !== 'number') return undefined;
    return this.sites.get(pid)?.get(id);
  }

  /** A fresh operation number (hub-handled operations and local waits share them). */
  op(): number {
    return ++this.ops;
  }

  /** An event of process `pid` (its own clock in `at`). */
  add(ev: TraceEvent, pid: number): void {
    if (this.failed) return;
    const e = ev.e;
    if (e === 'site') {
      let map = this.sites.get(pid);
      if (!map) this.sites.set(pid, (map = new Map()));
      map.set(ev.id as number, this.site(String(ev.file), ev.line, ev.col));
      return;
    }
    if (e === 'obj') this.objects.add(String(ev.id));
    if (e === 'op' && !this.objects.has(String(ev.obj))) return;
    const out: TraceEvent = { e, t: this.t(ev.at) };
    // Site numbers are the sender's, or those of `sp` (a manager's hub reports its clients' ops).
    const sitePid = typeof ev.sp === 'number' ? ev.sp : pid;
    for (const [k, v] of Object.entries(ev)) {
      if (k === 'e' || k === 'at' || k === 'sp' || v === undefined) continue;
      if ((k === 'site' || k === 'start') && typeof v === 'number') out[k] = this.globalSite(sitePid, v);
      else if (k === 'site' && isSiteText(v)) out[k] = this.site(v[0], v[1], v[2]);
      else out[k] = v;
    }
    // Pairs numbered by their sender (a wait and its end; a manager hub's operation that waited
    // and its end) get the trace's operation numbers.
    const key = typeof ev.k === 'number' ? `w${ev.k}` : typeof ev.ko === 'number' ? `o${ev.ko}` : null;
    if (key !== null) {
      delete out.k;
      delete out.ko;
      let map = this.waits.get(pid);
      if (!map) this.waits.set(pid, (map = new Map()));
      if (e === 'end') {
        out.n = map.get(key);
        map.delete(key);
        if (out.n === undefined) return; // the end of an operation left out
      } else {
        const n = this.op();
        if (e === 'wait' || ev.st === 'blocked') map.set(key, n);
        out.n = n;
      }
    }
    this.line(out);
  }

  /** Whether an `obj` event announced object `id` (operations on others are left out). */
  knows(id: unknown): boolean {
    return this.objects.has(String(id));
  }

  /** Milliseconds since the trace began, now. */
  now(): number {
    return this.t(now());
  }

  /** A line the main process made itself (hub operations: numbers and sites already the trace's). */
  rawLine(s: string): void {
    if (this.failed) return;
    this.buf.push(s);
    this.bytes += s.length + 1;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = internalTimer(setTimeout(() => this.flush(), FLUSH_MS));
      this.timer.unref();
    }
  }

  private line(ev: TraceEvent): void {
    const s = JSON.stringify(ev);
    this.buf.push(s);
    this.bytes += s.length + 1;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = internalTimer(setTimeout(() => this.flush(), FLUSH_MS));
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.bytes = 0;
    try {
      if (this.fd !== null) fs.writeSync(this.fd, text);
      else if (this.socket && !this.socket.destroyed) this.socket.write(text);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** The first lines: the format, where the run happens, and the main process. */
  header(main: string | null): void {
    this.line({
      e: 'trace', format: 'process-topology-trace', version: TRACE_VERSION, root: rootUri(this.root),
      main: main ? path.relative(this.root, main).split(path.sep).join('/') : null,
      argv: process.argv.slice(2), node: process.version, started: new Date(this.start).toISOString(), t: 0,
    });
    this.line({ e: 'proc', t: 0, pid: process.pid, name: 'MainProcess', role: 'main', parent: null, target: null, daemon: false });
  }
}

/** In the main process, when tracing: the writer (made on first use). */
export function traceWriter(main: string | null): TraceWriter | null {
  if (!tracing) return null;
  if (!writer) {
    writer = new TraceWriter(process.env.PT_MP_TRACE!);
    writer.header(main);
    for (const ev of early.splice(0)) writer.add(ev, process.pid);
  }
  return writer;
}

// ---- operations a hub handles --------------------------------------------------------------------

let localOps = 0;
/** Operations that only keep the shim's books (copies of pipe ends, a manager's liveness). */
const BOOKKEEPING = new Set(['open', 'share', 'adopt', 'ping']);
/**
 * Ends of waiting operations that the operation being handled caused (a put that hands its item
 * to a waiting get): written after that operation's own line, naming it (`by`).
 */
let deferred: (() => void)[] | null = null;
let causeOf: number | null = null;

/**
 * Trace every operation `hub` handles: `writer` in the main process (the root's hub), else (a
 * manager's hub) forwarded to it, numbered locally.
 */
export function observeHub(hub: Hub, w: TraceWriter | null): void {
  hub.observer = (client: HubClient, header: Header, payload: Buffer | null, obj: HubObject): ObservedOp | void => {
    if (header.t === 'hub' || BOOKKEEPING.has(header.o as string)) return; // the shim's own requests
    if (w && !w.knows(header.t)) return;
    const pid = client.pid ?? null;
    // (A manager's hub passes its clients' sites on as they came: numbers, or spelled out.)
    const site = w ? (pid === null ? undefined : w.globalSite(pid, header.cs)) : typeof header.cs === 'number' || isSiteText(header.cs) ? header.cs : undefined;
    return new OpTrace(w, obj, pid, String(header.t), String(header.o), payload ? payload.length : 0, site);
  };
}

const quoted = new Map<string, string>();

/** A string as JSON, remembered (object ids and operation names repeat). */
function q(s: string): string {
  let j = quoted.get(s);
  if (j === undefined) {
    j = JSON.stringify(s);
    if (quoted.size < 10_000) quoted.set(s, j);
  }
  return j;
}

/** `,"k":v` for each field of an object's brief state. */
function briefJson(b: Record<string, unknown> | undefined): string {
  if (!b) return '';
  let out = '';
  for (const k in b) {
    const v = b[k];
    out += `,"${k}":${typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v)}`;
  }
  return out;
}

/**
 * One operation on its way through a hub: its `op` line (done at once, or blocked), and the `end`
 * of one that waited. In the main process, lines are written as text straight away (this runs
 * for every operation of a traced run); a manager's hub sends events, numbered locally (`ko`).
 */
class OpTrace implements ObservedOp {
  private answered = false;
  private parked = false;
  private readonly outermost: boolean;
  private readonly n: number;

  constructor(
    private readonly w: TraceWriter | null,
    private readonly obj: HubObject,
    private readonly pid: number | null,
    private readonly objId: string,
    private readonly op: string,
    private readonly size: number,
    private readonly site: number | SiteText | undefined,
  ) {
    this.n = w ? w.op() : ++localOps;
    this.outermost = deferred === null;
    if (this.outermost) {
      deferred = [];
      causeOf = this.n;
    }
  }

  /** The `op` line, up to its state. */
  private head(st: string, t: number): string {
    return `{"e":"op","t":${t},"n":${this.n},"pid":${this.pid},"obj":${q(this.objId)},"op":${q(this.op)}${this.size ? `,"size":${this.size}` : ''}${this.site === undefined ? '' : `,"site":${this.site}`},"st":"${st}"`;
  }

  private result(reply: Header): string {
    const err = typeof reply.e === 'string';
    return `,"r":"${err ? 'error' : 'ok'}"${err ? `,"err":${q(reply.e as string)}` : ''}${typeof reply.v === 'boolean' ? `,"v":${reply.v}` : ''}`;
  }

  private event(st: string, reply: Header | null): TraceEvent {
    const ev: TraceEvent = { e: 'op', pid: this.pid, obj: this.objId, op: this.op, ko: this.n, st };
    if (this.size) ev.size = this.size;
    if (this.site !== undefined) {
      ev.site = this.site;
      ev.sp = this.pid;
    }
    if (reply) Object.assign(ev, resultFields(reply));
    return Object.assign(ev, this.obj.brief?.());
  }

  done(reply: Header): void {
    if (this.answered) return;
    this.answered = true;
    const w = this.w;
    if (!this.parked) {
      if (w) w.rawLine(`${this.head('done', w.now())}${this.result(reply)}${briefJson(this.obj.brief?.())}}`);
      else sendEvent(this.event('done', reply));
      return;
    }
    // The end of an operation that waited; woken by the one being handled now: after its line.
    const by = deferred !== null && causeOf !== null ? causeOf : null;
    const line = w
      ? (t: number) => `{"e":"end","t":${t},"n":${this.n}${this.result(reply)}${by !== null ? `,"by":${by}` : ''}${briefJson(this.obj.brief?.())}}`
      : null;
    const ev = w ? null : Object.assign({ e: 'end', ko: this.n, pid: this.pid }, resultFields(reply), this.obj.brief?.());
    if (by !== null && deferred !== null) {
      const state = line ? line(0) : null; // the state now, the time when written
      deferred.push(() => (w ? w.rawLine(state!.replace('"t":0,', `"t":${w.now()},`)) : sendEvent(ev!)));
      return;
    }
    if (w) w.rawLine(line!(w.now()));
    else sendEvent(ev!);
  }

  handled(): void {
    if (!this.answered) {
      this.parked = true;
      const w = this.w;
      if (w) w.rawLine(`${this.head('blocked', w.now())}${briefJson(this.obj.brief?.())}}`);
      else sendEvent(this.event('blocked', null));
    }
    if (this.outermost) {
      const later = deferred ?? [];
      deferred = null;
      causeOf = null;
      for (const f of later) f();
    }
  }
}

function resultFields(reply: Header): Record<string, unknown> {
  const r: Record<string, unknown> = { r: typeof reply.e === 'string' ? 'error' : 'ok' };
  if (typeof reply.e === 'string') r.err = reply.e;
  if (typeof reply.v === 'boolean') r.v = reply.v;
  return r;
}
