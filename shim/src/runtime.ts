// Per-process state of the shim: who this process is (root main program or a spawned child), how
// it reaches the hub, which children it started, and what keeps its event loop alive.
//
// Lifetime rules: the hub server, its sockets and the child handles never keep a process alive by
// themselves. A pending blocking call (join, get, put, ...) does, through `hold()`. When the root
// program's own code is done ('beforeExit'), it waits for its non-daemon children, then terminates
// its daemon children, as Python's exit handler does; a child does the same after its target.
import path from 'node:path';
import { fromWire, type WireError } from './errors';
import { Hub, HUB_OBJECT } from './hub';
import type { MainModule, TargetRef } from './locate';
import type { CompiledProgram } from './child-build';
import type { ObjectRef } from './serialize';
import { internalTimer } from './activity';
import { eagerSite, LazySite, nameAt, type Site } from './site';
import { controlled } from './scheduler';
import { sendEvent, siteNumber, siteText, tracing } from './trace';
import { SocketPort, type Header, type Port, type PushHandler, type Reply } from './transport';
import { openWait, settle } from './waits';

/** What a parent tells its new child (sent over the IPC channel, structured-clone encoded). */
export interface Boot {
  t: 'pt-mp-boot';
  hub: string;
  main: MainModule | null;
  identity: number[];
  name: string;
  daemon: boolean;
  parent: { pid: number; name: string };
  /** Where the child finds the target function (see locate.ts); null: no target. */
  target: TargetRef | null;
  /** For a Process subclass overriding run(): where to find the class, and the instance's fields. */
  cls: TargetRef | null;
  state: Uint8Array | null;
  args: Uint8Array;
  kwargs: Uint8Array;
  /** tsx's hooks, which the child registers itself (see process.ts childLaunch); null: none. */
  loader: Loader | null;
  /** What the child tells the hub about itself when it connects (see ProcessInfo). */
  info: ProcessInfo;
  /** The run's shared segment (native.ts) is the child's file descriptor 4; false: there is none. */
  shm: boolean;
  /** The compiled copy of a tsx-run program the child imports instead of registering tsx (child-build.ts). */
  compiled: CompiledProgram | null;
}

/** A process as the parent that started it knows it: for the wait report and the trace. */
export interface ProcessInfo {
  role: 'child' | 'pool-worker' | 'manager';
  /** The target function's name (or `Cls.run`). */
  target: string | null;
  /** Where the Process object was made, and where start() was called. */
  site: Site | null;
  start: Site | null;
}

/** Where the child finds tsx's hooks (files of the tsx package the parent was started with). */
export interface Loader {
  /** tsx/esm/api (CommonJS build), its ES hooks module (URL), and tsx's --import entry (URL). */
  esmApi: string | null;
  esmHooks: string | null;
  loader: string | null;
  /** tsx/cjs/api (CommonJS build). */
  cjsApi: string | null;
}

/** What the runtime needs from a started child (implemented by Process). */
export interface ChildHandle {
  readonly daemon: boolean;
  readonly pid: number | null;
  readonly name: string;
  isAlive(): boolean;
  /** join() on the exit handler's behalf (its wait is the shim's, not the user's). */
  joinAtExit(): Promise<void>;
  terminate(): void;
}

/** The shim's own process targets (pool workers, manager processes) and the role they give. */
const roles = new Map<unknown, 'pool-worker' | 'manager'>();

export function registerInternalTarget(target: unknown, role: 'pool-worker' | 'manager'): void {
  roles.set(target, role);
}

export function internalRole(target: unknown): 'pool-worker' | 'manager' | undefined {
  return roles.get(target);
}

/** Children of this process that ended lately (newest last), for the wait report. */
export const exitedChildren: { pid: number | null; name: string; exitcode: number }[] = [];

export function noteExit(pid: number | null, name: string, exitcode: number): void {
  exitedChildren.push({ pid, name, exitcode });
  if (exitedChildren.length > 100) exitedChildren.shift();
}

function rootMain(): MainModule | null {
  // process.mainModule is set for a CommonJS main even when it was loaded through the ES loader
  // (tsx), where require.main may be missing in the shim's own modules.
  const cjsMain = process.mainModule ?? require.main;
  if (cjsMain) return { file: cjsMain.filename, esm: false };
  return process.argv[1] ? { file: path.resolve(process.argv[1]), esm: true } : null;
}

export const runtime = {
  /** False in the root main program (the `if __name__ == '__main__'` side). */
  isChild: false,
  /** True while a child imports the main module: starting a process then is an error. */
  bootstrapping: false,
  identity: [] as number[],
  name: 'MainProcess',
  daemon: false,
  parent: null as { pid: number; name: string } | null,
  /** The root program's main module, re-imported by every child (Python's __mp_main__). */
  main: rootMain(),
  hubPath: null as string | null,
  children: new Set<ChildHandle>(),
  processCounter: 0,
  /** True once the exit handler started ending the children: pools stop replacing their workers. */
  finalizing: false,
  /** In a child: the tsx hooks it registered, passed on to its own children. */
  loader: null as Loader | null,
  /** In a child: what its parent said about it (told to the hub when it connects). */
  info: null as ProcessInfo | null,
};

let objectCounter = 0;
const token = Math.random().toString(36).slice(2, 6);

/** Where this process made its shared objects (by id), for reports: read only when one asks. */
const creations = new Map<string, LazySite>();
const MAX_CREATIONS = 50_000;

/** A fresh id for a shared object, made locally so constructors stay synchronous. */
export function nextObjectId(): string {
  const id = `${process.pid}.${token}:${++objectCounter}`;
  if (creations.size < MAX_CREATIONS) creations.set(id, new LazySite(nextObjectId));
  return id;
}

/** Where this process made object `id` (its creation site), if it made it. */
export function creationSite(id: string): LazySite | undefined {
  return creations.get(id);
}

// ---- objects in the trace ------------------------------------------------------------------------

const traced = new Set<string>();
let untraced = 0;

/** Objects made while `make` runs are not traced yet (a manager re-hosts them, then traces them). */
export function withoutTrace<T>(make: () => T): T {
  untraced++;
  try {
    return make();
  } finally {
    untraced--;
  }
}

function isRef(v: unknown): v is ObjectRef {
  return typeof v === 'object' && v !== null && typeof (v as ObjectRef).id === 'string' && typeof (v as ObjectRef).kind === 'string';
}

/**
 * When tracing: an `obj` event for a new shared object (and the objects its parameters name, a
 * Condition's lock), with its kind, parameters, creation site and variable name. `host`: the pid
 * of the manager process that holds it.
 */
export function traceObject(ref: ObjectRef, host?: number | null): void {
  if (!tracing || untraced > 0 || traced.has(ref.id)) return;
  traced.add(ref.id);
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ref.params)) {
    if (isRef(v)) {
      traceObject(v, host);
      params[k] = { ref: v.id };
    } else if (v === null || ['number', 'string', 'boolean'].includes(typeof v)) {
      params[k] = v;
    }
  }
  const site = creations.get(ref.id)?.get() ?? null;
  const name = nameAt(site);
  sendEvent({ e: 'obj', id: ref.id, kind: ref.kind, params, site: siteNumber(site), ...(name ? { name } : {}), ...(host ? { host } : {}) });
}

export function initChild(boot: Boot): void {
  runtime.isChild = true;
  runtime.identity = boot.identity;
  runtime.name = boot.name;
  runtime.daemon = boot.daemon;
  runtime.parent = boot.parent;
  runtime.main = boot.main;
  runtime.hubPath = boot.hub;
  runtime.loader = boot.loader;
  runtime.info = boot.info;
}

// ---- keeping the event loop alive while something waits --------------------------------------

let holds = 0;
const keepAlive = internalTimer(setInterval(() => {}, 2 ** 30));
keepAlive.unref();

/** How many timers of the shim keep this process alive now (its keep-alive interval, while held). */
export function shimTimers(): number {
  return holds > 0 ? 1 : 0;
}

/** Keep the process alive until the returned function is called (once). */
export function hold(): () => void {
  if (holds++ === 0) keepAlive.ref();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds === 0) keepAlive.unref();
  };
}

// ---- reaching the hub --------------------------------------------------------------------------

let hub: Hub | null = null;
let port: Port | null = null;

/** Called once the root's hub exists (the monitor starts watching it: monitor.ts). */
let onRootHub: ((hub: Hub) => void) | null = null;

export function whenRootHub(f: (hub: Hub) => void): void {
  onRootHub = f;
  if (hub) f(hub);
}

function rootHub(): Hub {
  if (!hub) {
    hub = new Hub();
    onRootHub?.(hub);
  }
  return hub;
}

/** The socket path children connect to (the root starts serving on first use). */
export function hubAddress(): string {
  if (runtime.isChild) return runtime.hubPath!;
  runtime.hubPath ??= rootHub().listen();
  return runtime.hubPath;
}

function getPort(): Port {
  if (!port) {
    port = runtime.isChild ? new SocketPort(runtime.hubPath!, helloOf()) : rootHub().localPort();
  }
  return port;
}

/** Who this child is, for the hub (its first frame). */
function helloOf(): Header {
  const info = runtime.info;
  return {
    pid: process.pid,
    name: runtime.name,
    ppid: runtime.parent?.pid ?? null,
    daemon: runtime.daemon,
    ident: runtime.identity,
    role: info?.role ?? 'child',
    target: info?.target ?? null,
    site: info?.site ?? null,
    start: info?.start ?? null,
  };
}

/** In a child: its connection to the root's hub (made now if it is not yet). */
export function rootPort(): SocketPort | null {
  const p = getPort();
  return p instanceof SocketPort ? p : null;
}

/** In the root: its hub (made now if it is not yet); null in a child. */
export function theRootHub(): Hub | null {
  return runtime.isChild ? null : rootHub();
}

/** The connections to managers' hubs this process made: address -> port. */
export function managerPorts(): [string, Port][] {
  return [...remotePorts];
}

// Objects hosted by another hub (a manager's: `ref.at` is its socket) are reached through a port
// per hub, made by the connector manager.ts installs.
const remotePorts = new Map<string, Port>();
let connectRemote: ((address: string) => Port) | null = null;

export function setRemoteConnector(connect: (address: string) => Port): void {
  connectRemote = connect;
}

function portFor(ref: ObjectRef): Port {
  if (ref.at === undefined) return getPort();
  let p = remotePorts.get(ref.at);
  if (!p) {
    if (!connectRemote) throw new Error(`no way to reach the hub at ${ref.at}`);
    p = connectRemote(ref.at);
    remotePorts.set(ref.at, p);
  }
  return p;
}

/** One operation on a shared object; rejects with the error class the hub answered. */
export function call(ref: ObjectRef, op: string, args: Header = {}, payload: Buffer | null = null): Promise<Reply> {
  let p: Port;
  try {
    p = portFor(ref);
  } catch (err) {
    return Promise.reject(err);
  }
  return request(p, ref, op, args, payload);
}

/** The frames above call(): the method of a proxy, then (usually) the user's code. */
const CALLER_FRAMES = 2;

/** Operations that never wait in a hub: their calls keep no stack. */
const QUERIES = new Set(['qsize', 'empty', 'full', 'isSet', 'locked', 'value', 'info', 'waiting', 'nWaiting', 'broken', 'open', 'share', 'adopt', 'close', 'ping', 'init', 'drained', 'report', 'sync', 'deadName']);

/** The call site post() or send() found, for the call() they turn into (the root's port). */
let siteForCall: Site | null | undefined;

/** How long a request may wait (see waitSeconds in hub.ts), for its wait record. */
function timeoutOf(args: Header): number | undefined {
  if (args.b === false) return 0;
  return typeof args.to === 'number' ? Math.max(0, args.to) : undefined;
}

/**
 * A request as a wait record (waits.ts) the user's async function awaits directly, so a report
 * can ask it for its call site, and the deadlock detector can fail it.
 */
async function request(p: Port, ref: ObjectRef, op: string, args: Header, payload: Buffer | null): Promise<Reply> {
  const release = hold();
  const postsBefore = p === port ? postsSent : -1;
  const given = siteForCall;
  siteForCall = undefined;
  const w = openWait<Reply>(op, ref, timeoutOf(args), null, false, call, given);
  // (A child's operation on a manager's object: its site spelled out, see siteText.)
  if (tracing) args.cs = ref.at !== undefined && runtime.isChild ? siteText(w.site) : siteNumber(w.site);
  if (controlled && w.site) args.sl = `${w.site.file}:${w.site.line}`;
  const id = p.call(ref, op, args, payload, w.done);
  if (p.cancel) w.cancel = () => p.cancel!(id);
  // Not answered at once (the root's hub parked it; a child's, it cannot tell yet): keep where it
  // was called, for a report (queries that never wait are left out).
  if (w.site === undefined && !w.answered && !QUERIES.has(op)) w.captureLazily(call);
  try {
    const reply = await settle(w);
    // The hub handles a connection's frames in order: what this process posted before is done.
    if (postsBefore > postsHandled) postsHandled = postsBefore;
    if (typeof reply.header.e === 'string') throw fromWire(reply.header as unknown as WireError);
    return reply;
  } finally {
    release();
  }
}

// Posts to the root's hub that it may not have handled yet. A lock in shared memory (native.ts) is
// released without the hub, so before a release lets another process in, what this process posted
// under the lock (a put, a pipe send) must be in the hub: then the next holder's operations come
// after it, as they do when the release itself goes through the hub.
let postsSent = 0;
let postsHandled = 0;

/** Resolves once the root's hub has handled every post this process made (at once if none is pending). */
export function postsDone(): Promise<void> | null {
  if (postsSent === postsHandled) return null;
  return call({ kind: 'hub', id: HUB_OBJECT, params: {} }, 'sync').then(() => undefined);
}

/**
 * An operation the hub cannot refuse (see Port.post): in a child, sent without waiting for an
 * answer, resolved once nothing can lose it; in the root (or to a manager's hub), a call.
 */
export function post(ref: ObjectRef, op: string, args: Header = {}, payload: Buffer | null = null): Promise<void> {
  let p: Port;
  try {
    p = portFor(ref);
  } catch (err) {
    return Promise.reject(err);
  }
  // Under controlled scheduling a post is a call too: the process waits for the gate to run it, so
  // it cannot end while its operation is still held (the hub would then run what it held at the
  // close, outside the schedule, and a recorded schedule would not replay).
  if (p.post === undefined || controlled) {
    if (tracing || controlled) siteForCall = eagerSite(post, CALLER_FRAMES);
    return call(ref, op, args, payload).then(() => undefined);
  }
  if (tracing || controlled) siteHeader(args, post);
  if (p === port) postsSent++;
  const release = hold();
  return p.post(ref, op, args, payload).then(release, (err: unknown) => {
    release();
    throw err;
  });
}

/**
 * A request without a reply, not waiting for it to leave this process (see SocketPort.send); a
 * call where there is no such thing (then it is awaited).
 */
export function send(ref: ObjectRef, op: string, args: Header = {}): Promise<void> {
  let p: Port;
  try {
    p = portFor(ref);
  } catch (err) {
    return Promise.reject(err);
  }
  if (p.send === undefined || controlled) { // (controlled: as in post())
    if (tracing || controlled) siteForCall = eagerSite(send, CALLER_FRAMES);
    return call(ref, op, args).then(() => undefined);
  }
  if (tracing || controlled) siteHeader(args, send);
  p.send(ref, op, args, null);
  return Promise.resolve();
}

/** The trace's site number and the steering's `file:line` of an operation sent without a wait record. */
function siteHeader(args: Header, skip: Function): void {
  const site = eagerSite(skip, CALLER_FRAMES);
  if (tracing) args.cs = siteNumber(site);
  if (controlled && site) args.sl = `${site.file}:${site.line}`;
}

/** Whether post() skips the reply here (a child's connection to the root's hub). */
export function postsWithoutReply(ref: ObjectRef): boolean {
  return ref.at === undefined && runtime.isChild;
}

/** Frames the root's hub pushes about object `id` to this process (children only). */
export function onPush(id: string, handler: PushHandler): void {
  const p = getPort();
  if (p instanceof SocketPort) p.onPush(id, handler);
}

/**
 * Resolves once the root's hub has read every frame process `pid` sent it, to the end of its
 * connection (join() waits for this after the process exited, so what it posted counts).
 */
export function hubDrained(pid: number): Promise<void> {
  if (!runtime.isChild) return hub ? hub.drained(pid) : Promise.resolve();
  return call({ kind: 'hub', id: HUB_OBJECT, params: {} }, 'drained', { pid }).then(() => undefined);
}

/** Flush every write to the hub and disconnect (a child, before it exits). */
export async function closePort(): Promise<void> {
  await Promise.all([...remotePorts.values()].map((p) => p.close()));
  if (port) await port.close();
}

// ---- the end of a process ----------------------------------------------------------------------

/** Python's exit handler: join the non-daemon children, then terminate and join the daemons. */
export async function finalizeChildren(): Promise<void> {
  runtime.finalizing = true; // for good: the process is ending
  for (;;) {
    const live = [...runtime.children].filter((c) => c.isAlive());
    if (live.length === 0) return;
    const nonDaemons = live.filter((c) => !c.daemon);
    if (nonDaemons.length > 0) {
      await Promise.all(nonDaemons.map((c) => c.joinAtExit()));
      continue;
    }
    for (const c of live) c.terminate();
    await Promise.all(live.map((c) => c.joinAtExit()));
  }
}

let exitHookInstalled = false;

/** In the root: once its own code is done, wait for the children as Python does. */
export function installRootExitHook(): void {
  if (exitHookInstalled || runtime.isChild) return;
  exitHookInstalled = true;
  let finalizing = false;
  process.on('beforeExit', () => {
    if (finalizing || ![...runtime.children].some((c) => c.isAlive())) return;
    finalizing = true;
    void finalizeChildren().finally(() => {
      finalizing = false;
    });
  });
  // process.exit() or a crash cannot wait: end the daemons now; the others see their parent go
  // (IPC 'disconnect') and exit by themselves.
  process.on('exit', () => {
    for (const c of runtime.children) if (c.daemon && c.isAlive()) c.terminate();
  });
}
