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
import type { ObjectRef } from './serialize';
import { SocketPort, type Header, type Port, type PushHandler, type Reply } from './transport';

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
  isAlive(): boolean;
  join(): Promise<void>;
  terminate(): void;
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
};

let objectCounter = 0;
const token = Math.random().toString(36).slice(2, 6);

/** A fresh id for a shared object, made locally so constructors stay synchronous. */
export function nextObjectId(): string {
  return `${process.pid}.${token}:${++objectCounter}`;
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
}

// ---- keeping the event loop alive while something waits --------------------------------------

let holds = 0;
const keepAlive = setInterval(() => {}, 2 ** 30);
keepAlive.unref();

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

function rootHub(): Hub {
  return (hub ??= new Hub());
}

/** The socket path children connect to (the root starts serving on first use). */
export function hubAddress(): string {
  if (runtime.isChild) return runtime.hubPath!;
  runtime.hubPath ??= rootHub().listen();
  return runtime.hubPath;
}

function getPort(): Port {
  if (!port) {
    port = runtime.isChild
      ? new SocketPort(runtime.hubPath!, { pid: process.pid, name: runtime.name })
      : rootHub().localPort();
  }
  return port;
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
  const release = hold();
  return p
    .call(ref, op, args, payload)
    .then(
      (reply) => {
        release();
        if (typeof reply.header.e === 'string') throw fromWire(reply.header as unknown as WireError);
        return reply;
      },
      (err: unknown) => {
        release();
        throw err;
      },
    );
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
  if (p.post === undefined) return call(ref, op, args, payload).then(() => undefined);
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
  if (p.send === undefined) return call(ref, op, args).then(() => undefined);
  p.send(ref, op, args, null);
  return Promise.resolve();
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
      await Promise.all(nonDaemons.map((c) => c.join()));
      continue;
    }
    for (const c of live) c.terminate();
    await Promise.all(live.map((c) => c.join()));
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
