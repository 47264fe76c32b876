// What else, besides the shim, could wake this process: timers, sockets and servers, child
// processes that are not the shim's, stdin, file operations, file watchers, signal listeners. The
// deadlock detector calls a process stuck only when this finds nothing (see monitor.ts), so a
// program waiting on a timer, a request or its terminal is never called deadlocked.
//
// Two depths. `quickWakers()` (every probe, microseconds): the handles and requests that keep the
// event loop alive (process._getActiveHandles/_getActiveRequests, the timer and immediate counts
// of getActiveResourcesInfo), minus the shim's own; plus timers and immediates the program
// unref()'d, which still fire while a shim call keeps the process alive (tracked by wrapping
// their unref()). `deepWakers()` (once per suspected deadlock, tens of milliseconds): the libuv
// handle list of Node's diagnostic report, which also shows unref()'d sockets, servers, watchers
// and signal handles; the shim's own are recognised by file descriptor and pid, and the tsx
// command's channel to its parent by its address.
import type net from 'node:net';

const DEBUG = /\bmonitor\b/.test(process.env.PT_MP_DEBUG ?? '');

/** Sockets and servers of the shim (hub, manager and pool connections): not wakers. */
const internalSockets = new Set<net.Socket | net.Server>();
/** Timers and immediates of the shim (not the program's). */
const internalTimers = new WeakSet<object>();
/** Pids of the shim's own child processes. */
const shimChildren = new Set<number>();
/** File descriptors of the shim's own pipes that are not sockets above (children's IPC channels). */
const internalFds = new Set<number>();
/** Signals whose listeners are the shim's own (the wait report's signal). */
const internalSignals = new Set<string>();
/** Timers and immediates the program unref()'d: they still fire while something holds the loop. */
const unrefd = new Set<{ _destroyed?: boolean; hasRef?(): boolean }>();

export function internalSocket(s: net.Socket | net.Server): void {
  internalSockets.add(s);
  const drop = () => internalSockets.delete(s);
  s.once('close', drop);
}

export function internalTimer<T extends object>(t: T): T {
  internalTimers.add(t);
  return t;
}

export function shimChild(pid: number | undefined, alive: boolean, ipcFd?: number): void {
  if (pid === undefined) return;
  if (alive) shimChildren.add(pid);
  else shimChildren.delete(pid);
  if (typeof ipcFd === 'number') {
    if (alive) internalFds.add(ipcFd);
    else internalFds.delete(ipcFd);
  }
}

export function internalSignal(signal: string): void {
  internalSignals.add(signal);
}

// ---- the program's unref()'d timers and immediates --------------------------------------------

let patched = false;

/** Start noticing timers and immediates the program unref()s (once per process). */
export function watchUnrefs(): void {
  if (patched) return;
  patched = true;
  const t = setTimeout(() => {}, 0);
  const i = setImmediate(() => {});
  clearTimeout(t);
  clearImmediate(i);
  for (const proto of [Object.getPrototypeOf(t), Object.getPrototypeOf(i)] as { unref?: (this: object) => unknown }[]) {
    const original = proto.unref;
    if (typeof original !== 'function') continue;
    proto.unref = function (this: { _destroyed?: boolean }) {
      if (!internalTimers.has(this)) {
        if (unrefd.size > 1000) sweepUnrefs();
        unrefd.add(this);
      }
      return original.call(this);
    };
  }
}

function sweepUnrefs(): void {
  for (const t of unrefd) if (t._destroyed === true) unrefd.delete(t);
}

// ---- the quick look ------------------------------------------------------------------------------

/** The file descriptors of the shim's own sockets and pipes now. */
function ownFds(): Set<number> {
  const fds = new Set(internalFds);
  for (const s of internalSockets) {
    const fd = (s as unknown as Handle)._handle?.fd;
    if (typeof fd === 'number') fds.add(fd);
  }
  return fds;
}

interface Handle {
  constructor: { name: string };
  fd?: number;
  pid?: number;
  _handle?: { fd?: number } | null;
  remoteAddress?: string;
  remotePort?: number;
}

const proc = process as unknown as {
  _getActiveHandles?(): Handle[];
  _getActiveRequests?(): { constructor: { name: string } }[];
  channel?: { fd?: number } | null;
};

function describeHandle(h: Handle): string {
  const name = h.constructor?.name ?? 'handle';
  // By its fd, not `h === process.stdin`: reading process.stdin creates the stream, whose handle
  // (a pipe's) then counts as a waker of every later look: a deadlocked program run with stdin
  // open on a pipe (an editor's terminal) was never reported.
  if ((typeof h.fd === 'number' ? h.fd : h._handle?.fd) === 0) return 'stdin';
  switch (name) {
    case 'Server': return 'a server';
    case 'Socket': return h.remoteAddress ? `a socket to ${h.remoteAddress}:${h.remotePort}` : 'a socket';
    case 'ChildProcess': return `a child process${h.pid ? ` (pid ${h.pid})` : ''} that is not a shim process`;
    case 'ReadStream': return 'stdin';
    case 'FSWatcher': case 'StatWatcher': return 'a file watcher';
    case 'Worker': case 'MessagePort': return 'a worker thread or message port';
    default: return `a ${name} handle`;
  }
}

/**
 * The wakers the event loop knows of (besides the shim's). `shimTimers`: ref'd timers of the
 * shim itself that are counted among the process's timers (its keep-alive interval).
 */
export function quickWakers(shimTimers: number): string[] {
  const out: string[] = [];
  const ipc = proc.channel?.fd;
  const fds = ownFds();
  for (const h of proc._getActiveHandles?.() ?? []) {
    if (h === (process.stdout as unknown) || h === (process.stderr as unknown)) continue;
    if (internalSockets.has(h as unknown as net.Socket)) continue;
    const fd = typeof h.fd === 'number' ? h.fd : h._handle?.fd;
    if (typeof fd === 'number' && (fd === ipc || fds.has(fd))) continue;
    if (h.constructor?.name === 'ChildProcess' && typeof h.pid === 'number' && shimChildren.has(h.pid)) continue;
    out.push(describeHandle(h));
  }
  for (const r of proc._getActiveRequests?.() ?? []) {
    const name = r.constructor?.name ?? 'request';
    out.push(/^FS/.test(name) ? 'a file operation' : /GetAddrInfo|QueryReq/.test(name) ? 'a DNS lookup' : `a pending ${name}`);
  }
  let timeouts = 0;
  let immediates = 0;
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'Timeout') timeouts++;
    else if (r === 'Immediate') immediates++;
  }
  if (timeouts > shimTimers) out.push(timeouts - shimTimers === 1 ? 'a timer' : `${timeouts - shimTimers} timers`);
  if (immediates > 0) out.push('an immediate callback');
  sweepUnrefs();
  let unrefTimers = 0;
  for (const t of unrefd) if (t.hasRef?.() !== true) unrefTimers++;
  if (unrefTimers > 0) out.push(unrefTimers === 1 ? "a timer (unref()'d)" : `${unrefTimers} timers (unref()'d)`);
  return out;
}

// ---- the deep look -------------------------------------------------------------------------------

/**
 * The tsx command's channel to its parent (`tsx main.ts` runs node as its child, which connects
 * to the tsx process's server at <tmpdir>/tsx-<user>/<parent pid>.pipe and unref()s it): tsx
 * only reads what the program's loader sends there and never writes, so nothing can arrive on it
 * that would run the program's code.
 */
function isTsxChannel(remote: unknown): boolean {
  if (typeof remote !== 'string') return false;
  const m = /[\\/]tsx-[^\\/]+[\\/](\d+)\.pipe$/.exec(remote);
  return m !== null && Number(m[1]) === process.ppid;
}

interface UvHandle {
  type: string;
  is_active?: boolean;
  fd?: number;
  pid?: number;
  signal?: string;
  localEndpoint?: unknown;
  remoteEndpoint?: unknown;
  stdio?: string;
}

/** What the libuv handle list shows besides the shim's own (unref()'d handles included). */
export function deepWakers(): string[] {
  const report = process.report as unknown as { excludeNetwork?: boolean; getReport(): { libuv?: UvHandle[] } };
  let handles: UvHandle[];
  try {
    report.excludeNetwork = true; // no DNS lookups for endpoint names
    handles = report.getReport().libuv ?? [];
  } catch {
    return ['(its handles could not be listed)'];
  }
  const fds = ownFds();
  const ipc = proc.channel?.fd;
  if (typeof ipc === 'number') fds.add(ipc);
  const out: string[] = [];
  for (const h of handles) {
    if (!h.is_active) continue;
    switch (h.type) {
      case 'tcp': case 'udp': case 'pipe': case 'tty': case 'poll': {
        if (typeof h.fd === 'number' && (fds.has(h.fd) || h.fd === 1 || h.fd === 2)) continue;
        if (h.type === 'pipe' && isTsxChannel(h.remoteEndpoint)) continue;
        if (h.fd === 0 || h.stdio === 'stdin') out.push('stdin');
        else out.push(DEBUG ? `${h.type} fd ${h.fd}` : h.type === 'tcp' ? 'a TCP socket or server' : h.type === 'udp' ? 'a UDP socket' : h.type === 'tty' ? 'a terminal' : 'a pipe');
        break;
      }
      case 'process':
        if (typeof h.pid === 'number' && shimChildren.has(h.pid)) continue;
        out.push(`a child process${h.pid ? ` (pid ${h.pid})` : ''} that is not a shim process`);
        break;
      case 'signal':
        if (h.signal && internalSignals.has(h.signal)) continue;
        if (h.signal && process.listenerCount(h.signal as NodeJS.Signals) === 0) continue; // Node's own
        out.push(`a ${h.signal ?? 'signal'} listener`);
        break;
      case 'fs_event': case 'fs_poll':
        out.push('a file watcher');
        break;
      default:
        // timer (the program's timers are counted above), async, check, prepare, idle, loop: Node's own
    }
  }
  return out;
}
