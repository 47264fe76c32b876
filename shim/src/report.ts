// The wait report: every live process of the program (name, pid, target, state), what each one
// waits on (the operation, its object and the user's line that called it), and the state of the
// objects involved (queue depths, lock holders, waiters). JSON for tools, in the topology model's
// vocabulary (node kinds, 0-based Locations relative to `root`; see docs/runtime-trace.md), and
// text for people. monitor.ts gathers it; this module only shapes and prints it.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatSite, nameAt, type Site } from './site';

export const REPORT_VERSION = 1;

/** As in the topology model (common/model.ts): 0-based, `file` relative to the report's root. */
export interface Location {
  file: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

export type ReportKind = 'deadlock' | 'wait' | 'no-progress';

export interface RuntimeWait {
  /** The operation (get, put, acquire, wait, recv, join, ...). */
  op: string;
  /** The shared object's id (see RuntimeObject), or null for a wait on a process or pool result. */
  object: string | null;
  /** What it waits on, for people: `Queue`, `Process-1 (pid 123)` (the object's label aside). */
  on: string;
  /** For a pipe: which end (0 or 1) it reads or writes. */
  end: number | null;
  /** Where the user's code called it. */
  loc: Location | null;
  waitingMs: number;
  /** Seconds it waits at most; null: forever. */
  timeout: number | null;
}

export interface RuntimeProcess {
  pid: number;
  name: string;
  role: 'main' | 'child' | 'pool-worker' | 'manager';
  parent: number | null;
  /** The target function's name. */
  target: string | null;
  daemon: boolean;
  /** Where the Process object was made (`new Process(...)`), and where start() was called. */
  loc: Location | null;
  start: Location | null;
  state: 'running' | 'blocked' | 'exited';
  exitcode: number | null;
  /** What else it waits on or does (a timer, a socket, ...), besides shim calls. */
  busy: string[];
  waits: RuntimeWait[];
}

export interface RuntimeObject {
  id: string;
  /** The topology model's node kind (queue, pipe, lock, semaphore, event, condition, ...). */
  kind: string;
  /** Queue, JoinableQueue, SimpleQueue, ManagerQueue, Lock, RLock, Semaphore, BoundedSemaphore. */
  variant: string | null;
  /** Its variable's name where the source says it, else its kind and a number. */
  label: string;
  /** Where it was made. */
  loc: Location | null;
  /** The pid of the process that made it (null when unknown). */
  creator: number | null;
  /** The pid of the manager process that hosts it; null: the main program's hub. */
  host: number | null;
  /** What the hub holds: depth, holders, waiting, set, ... (kind-specific). */
  state: Record<string, unknown>;
}

export interface RuntimeReport {
  version: typeof REPORT_VERSION;
  kind: ReportKind;
  /** A file:// URI: the folder locations are relative to (the main program's working directory). */
  root: string;
  /** When it was made (ISO 8601). */
  time: string;
  /** Milliseconds since the last shim operation completed (the hang's age); null when unknown. */
  stalledMs: number | null;
  processes: RuntimeProcess[];
  objects: RuntimeObject[];
}

// ---- building blocks -------------------------------------------------------------------------

export function rootUri(root = process.cwd()): string {
  return pathToFileURL(root).href;
}

/** A 1-based site as a model Location (0-based, relative to root). */
export function toLocation(site: Site | null | undefined, root = process.cwd()): Location | null {
  if (!site) return null;
  const rel = path.relative(root, site.file);
  const file = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : site.file;
  const pos = { line: Math.max(0, site.line - 1), character: Math.max(0, site.column - 1) };
  return { file, range: { start: pos, end: pos } };
}

export function fromLocation(loc: Location | null, root: string): Site | null {
  if (!loc) return null;
  return { file: path.resolve(root, loc.file), line: loc.range.start.line + 1, column: loc.range.start.character + 1 };
}

const KINDS: Record<string, [string, string | null]> = {
  queue: ['queue', 'Queue'],
  joinablequeue: ['queue', 'JoinableQueue'],
  simplequeue: ['queue', 'SimpleQueue'],
  pipe: ['pipe', null],
  lock: ['lock', 'Lock'],
  rlock: ['lock', 'RLock'],
  semaphore: ['semaphore', 'Semaphore'],
  boundedsemaphore: ['semaphore', 'BoundedSemaphore'],
  event: ['event', null],
  condition: ['condition', null],
  barrier: ['barrier', null],
  value: ['value', null],
  array: ['array', null],
  'manager.dict': ['dict', null],
  'manager.list': ['list', null],
  'manager.namespace': ['namespace', null],
  'manager.value': ['value', null],
  'manager.control': ['manager', null],
};

/** The model's node kind and variant of a hub kind (`joinablequeue` → queue, JoinableQueue). */
export function modelKind(kind: string, hosted: boolean): [string, string | null] {
  const [k, v] = KINDS[kind] ?? [kind, null];
  if (hosted && k === 'queue') return [k, 'ManagerQueue'];
  return [k, v];
}

const TITLES: Record<string, string> = {
  queue: 'Queue', joinablequeue: 'JoinableQueue', simplequeue: 'SimpleQueue', pipe: 'Pipe', lock: 'Lock',
  rlock: 'RLock', semaphore: 'Semaphore', boundedsemaphore: 'BoundedSemaphore', event: 'Event',
  condition: 'Condition', barrier: 'Barrier', value: 'Value', array: 'SharedArray',
  'manager.dict': 'dict proxy', 'manager.list': 'list proxy', 'manager.namespace': 'Namespace proxy',
  'manager.value': 'Value proxy', 'manager.control': 'Manager',
};

export function kindTitle(kind: string): string {
  return TITLES[kind] ?? kind;
}

/** A label for an object: its variable's name where the creation line says it. */
export function objectLabel(kind: string, site: Site | null | undefined, n: number): string {
  return nameAt(site) ?? `${kindTitle(kind).split(' ')[0]!.toLowerCase()}#${n}`;
}

// ---- text --------------------------------------------------------------------------------------

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function where(loc: Location | null, root: string): string {
  return loc ? formatSite({ file: loc.file, line: loc.range.start.line + 1, column: loc.range.start.character + 1 }, root) : 'an unknown place';
}

function describeState(o: RuntimeObject, labels: Map<string, string>): string {
  const s = o.state;
  const names = (list: unknown): string =>
    Array.isArray(list) && list.length > 0
      ? (list as { name: string; pid: number | null; count?: number }[]).map((p) => `${p.name}${p.pid ? ` (pid ${p.pid})` : ''}${p.count && p.count > 1 ? ` ×${p.count}` : ''}`).join(', ')
      : 'nobody';
  const parts: string[] = [];
  switch (o.kind) {
    case 'queue': {
      const max = typeof s.maxsize === 'number' && s.maxsize > 0 ? ` of ${s.maxsize}` : '';
      parts.push(`${s.depth ?? '?'} item${s.depth === 1 ? '' : 's'}${max}`);
      if (typeof s.unfinished === 'number') parts.push(`${s.unfinished} unfinished task${s.unfinished === 1 ? '' : 's'}`);
      if (Array.isArray(s.getters) && s.getters.length) parts.push(`waiting to get: ${names(s.getters)}`);
      if (Array.isArray(s.putters) && s.putters.length) parts.push(`waiting to put: ${names(s.putters)}`);
      if (Array.isArray(s.joiners) && s.joiners.length) parts.push(`waiting in join(): ${names(s.joiners)}`);
      break;
    }
    case 'lock': case 'semaphore':
      if (o.kind === 'semaphore') parts.push(`value ${s.value}`);
      parts.push(`held by ${names(s.holders)}`);
      if (Array.isArray(s.waiting) && s.waiting.length) parts.push(`waiting: ${names(s.waiting)}`);
      break;
    case 'event':
      parts.push(s.set ? 'set' : 'not set');
      if (Array.isArray(s.waiting) && s.waiting.length) parts.push(`waiting: ${names(s.waiting)}`);
      break;
    case 'condition': {
      const lock = typeof s.lock === 'string' ? labels.get(s.lock) : undefined;
      if (lock) parts.push(`its lock is '${lock}'`);
      parts.push(`waiting for a notify: ${names(s.waiting)}`);
      break;
    }
    case 'barrier':
      parts.push(`${s.arrived ?? 0} of ${s.parties} parties arrived${s.broken ? ', broken' : ''}`);
      if (Array.isArray(s.waiting) && s.waiting.length) parts.push(`waiting: ${names(s.waiting)}`);
      break;
    case 'pipe': {
      const ends = Array.isArray(s.ends) ? (s.ends as { messages: number; open: unknown; closed: boolean; readers: unknown }[]) : [];
      ends.forEach((e, i) => {
        parts.push(`end ${i}: ${e.messages} message${e.messages === 1 ? '' : 's'} unread, ${e.closed ? 'closed everywhere' : `open in ${names(e.open)}`}${Array.isArray(e.readers) && e.readers.length ? `, waiting to read: ${names(e.readers)}` : ''}`);
      });
      break;
    }
    default:
      for (const [k, v] of Object.entries(s)) if (typeof v !== 'object') parts.push(`${k} ${String(v)}`);
  }
  return parts.join('; ');
}

const HEADLINES: Record<ReportKind, string> = {
  deadlock: 'Deadlock: every process of the program is blocked in a shim call that no other process can answer; it can never continue.',
  wait: 'Wait report: what every process of the program is doing.',
  'no-progress': 'No progress: no shim operation has completed for a while, and some processes are blocked (others may be busy, so this is not called a deadlock).',
};

/** The report for people, as the DeadlockError message and the wait report print it. */
export function formatReport(r: RuntimeReport, root = process.cwd()): string {
  const lines: string[] = [HEADLINES[r.kind]];
  if (r.stalledMs !== null && r.kind !== 'wait') lines.push(`(The last shim operation completed ${seconds(r.stalledMs)} ago.)`);
  lines.push('');
  const objects = new Map(r.objects.map((o) => [o.id, o]));
  for (const p of r.processes) {
    const bits = [`pid ${p.pid}`];
    if (p.target) bits.push(`target ${p.target}`);
    if (p.role === 'pool-worker') bits.push('pool worker');
    if (p.role === 'manager') bits.push('manager');
    if (p.daemon && p.role === 'child') bits.push('daemon');
    if (p.start) bits.push(`started at ${where(p.start, root)}`);
    const state = p.state === 'exited' ? `exited with code ${p.exitcode ?? '?'}`
      : p.role === 'manager' && p.state === 'running' && p.busy.length === 0 && p.waits.length === 0 ? 'serving the objects it holds' : p.state;
    lines.push(`${p.name} (${bits.join(', ')}): ${state}`);
    for (const w of p.waits) {
      const obj = w.object ? objects.get(w.object) : undefined;
      const label = obj && w.end !== null ? (obj.label.split('/')[w.end] ?? `${obj.label}#${w.end}`) : obj?.label;
      const on = obj ? `${w.on} '${label}'${obj.loc ? ` (made at ${where(obj.loc, root)})` : ''}` : w.on;
      const timeout = w.timeout === null ? '' : `, timeout ${w.timeout} s`;
      lines.push(`    waits in ${w.op}() on ${on}, called at ${where(w.loc, root)}, for ${seconds(w.waitingMs)}${timeout}`);
    }
    if (p.state === 'running' && p.busy.length > 0) lines.push(`    busy with ${p.busy.join(', ')}`);
  }
  const involved = r.objects.filter((o) => o.kind !== 'manager');
  const labels = new Map(r.objects.map((o) => [o.id, o.label]));
  if (involved.length > 0) {
    lines.push('', 'Objects:');
    for (const o of involved) {
      const title = o.variant ?? kindTitle(o.kind);
      const host = o.host ? `, in the manager process (pid ${o.host})` : '';
      lines.push(`    ${title} '${o.label}'${o.loc ? ` (made at ${where(o.loc, root)}${host})` : host}: ${describeState(o, labels)}`);
    }
  }
  return lines.join('\n');
}
