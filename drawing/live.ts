// A run on the static graph: from a live run's state (common/live-run.ts) and the program's model,
// what each node and edge shows — a process node's state (running, blocked, exited, and how many
// of its instances are in each), an object's depth, holder or flag, how many operations went along
// each edge and which edges blocked processes wait on — and what the run had that the model lacks,
// as extra nodes and edges (marked, never dropped). Pure (no DOM): the webview paints it once per
// animation frame, the tests read it.
import type { EdgeKind, Location, ModelEdge, ModelNode, NodeKind, TopologyModel } from '../common/model';
import type { LiveFlow, LiveObject, LiveProcess, LiveState, LiveWait } from '../common/live-run';
import { absolute, modelMatcher, type ModelMatcher, type TraceSite } from '../common/trace';

export interface LiveDeco {
  /** CSS classes: rt-running, rt-blocked, rt-exited, rt-failed, rt-idle, rt-deadlock, rt-extra, rt-live. */
  cls: string[];
  /** One short line drawn under the node ("2 running · 1 blocked", "3 items", "held by Process-2"). */
  badge: string;
  /** Tooltip lines: each runtime process of the node, or the object's state. */
  tip: string[];
}

export interface LiveEdgeDeco {
  /** Operations completed along the edge (all its flows). */
  count: number;
  /** A blocked process waits along it (red when the run is deadlocked). */
  wait: boolean;
  /** When an operation last completed along it (ms since the trace began). */
  t: number;
  extra: boolean;
}

export interface LiveDecorations {
  /** By model node id (and by `id#k` for the k-th instance, 1-based, of a process node). */
  nodes: Map<string, LiveDeco>;
  /** By model edge id (extras included). */
  edges: Map<string, LiveEdgeDeco>;
  /** Flow key -> the model edge it counts on. */
  flowEdge: Map<string, string>;
  /** What the run had that the model has no node or edge for, in the model's shape. */
  extras: { nodes: ModelNode[]; edges: ModelEdge[] };
  /** The runtime processes of each model node, in start order. */
  processesOf: Map<string, number[]>;
  summary: { processes: number; running: number; blocked: number; exited: number; failed: number; ops: number; deadlocked: boolean };
}

/** Ids of extra nodes and edges start with this. */
export const EXTRA_PREFIX = 'run:';

const OBJECT_KIND: Record<string, NodeKind> = {
  queue: 'queue', joinablequeue: 'queue', simplequeue: 'queue', pipe: 'pipe', lock: 'lock', rlock: 'lock',
  semaphore: 'semaphore', boundedsemaphore: 'semaphore', event: 'event', condition: 'condition', barrier: 'barrier',
  value: 'value', array: 'array', pool: 'pool', 'manager.control': 'manager', 'manager.dict': 'dict', 'manager.list': 'list',
  'manager.namespace': 'namespace', 'manager.value': 'value',
};

/** Edge kinds whose data flows from the object to the process (the model's arrows point that way). */
const INWARD = new Set<EdgeKind>(['get', 'recv', 'wait', 'read', 'result']);

/** A trace site as a model location (relative to the model's root when inside it). */
export function siteLocation(site: TraceSite, traceRoot: string, modelRoot: string): Location {
  const abs = absolute(traceRoot, site.file);
  const root = absolute(modelRoot, '.');
  const file = abs.startsWith(`${root}/`) ? abs.slice(root.length + 1) : relativePath(root, abs);
  const at = { line: Math.max(0, site.line - 1), character: Math.max(0, site.col - 1) };
  return { file, range: { start: at, end: at } };
}

function relativePath(from: string, to: string): string {
  const a = from.split('/').filter(Boolean);
  const b = to.split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

/** `file:line` of a site, for people. */
export function siteText(site: TraceSite | null): string {
  return site ? `${site.file.split('/').pop()}:${site.line}` : 'an unknown place';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function objectLabel(o: LiveObject | undefined): string {
  if (!o) return 'an object';
  return o.name ? `${o.kind} '${o.name}'` : o.kind;
}

function waitText(st: LiveState, w: LiveWait): string {
  const on = w.on ? ` on ${w.on.name}` : w.obj !== null ? ` on ${objectLabel(st.objects[w.obj])}` : '';
  return `${w.op}()${on} at ${siteText(w.site)}`;
}

/** A process in one tooltip line. */
export function processLine(st: LiveState, p: LiveProcess, now = st.t): string {
  const head = `${p.name} (pid ${p.pid})`;
  if (p.state === 'exited') return `${head}: exited with code ${p.code ?? '?'}`;
  const waits = Object.values(p.waits);
  if (p.state === 'blocked' && waits.length > 0) {
    const since = Math.max(0, now - Math.min(...waits.map((w) => w.t)));
    return `${head}: blocked in ${waits.map((w) => waitText(st, w)).join(' and ')}, for ${(since / 1000).toFixed(1)} s`;
  }
  return `${head}: running`;
}

/** What an object holds now, in a few words ("" when nothing worth saying). */
export function objectState(st: LiveState, o: LiveObject): string {
  const s = o.state;
  const pname = (pid: unknown) => st.processes[Number(pid)]?.name ?? `pid ${String(pid)}`;
  if (typeof s.depth === 'number') {
    const max = typeof o.params.maxsize === 'number' && o.params.maxsize > 0 ? ` of ${o.params.maxsize}` : '';
    const tasks = typeof s.unfinished === 'number' && s.unfinished > 0 ? `, ${plural(s.unfinished, 'task')} unfinished` : '';
    return `${plural(s.depth, 'item')}${max}${tasks}`;
  }
  if (Array.isArray(s.owners)) {
    const held = s.owners.length > 0 ? `held by ${s.owners.map(pname).join(', ')}` : 'free';
    return o.kind.includes('semaphore') && typeof s.value === 'number' ? `value ${s.value}, ${held}` : held;
  }
  if (typeof s.set === 'boolean') return s.set ? 'set' : 'not set';
  if (s.broken === true) return 'broken';
  if (typeof s.arrived === 'number') return `${s.arrived}${typeof o.params.parties === 'number' ? ` of ${o.params.parties}` : ''} arrived`;
  if (Array.isArray(s.waiting)) return `${s.waiting.length} waiting`;
  if (Array.isArray(s.inbox)) {
    const unread = (s.inbox as unknown[]).reduce<number>((a, b) => a + (typeof b === 'number' ? b : 0), 0);
    return plural(unread, 'unread message');
  }
  return '';
}

/** How many instances in each state, for a replicated process's badge. */
function countsBadge(ps: LiveProcess[]): string {
  const running = ps.filter((p) => p.state === 'running').length;
  const blocked = ps.filter((p) => p.state === 'blocked').length;
  const exited = ps.filter((p) => p.state === 'exited');
  const failed = exited.filter((p) => p.code !== 0);
  return [
    running ? `${running} running` : '', blocked ? `${blocked} blocked` : '',
    exited.length ? `${exited.length} exited${failed.length ? ` (${failed.length} with code ${[...new Set(failed.map((p) => p.code ?? '?'))].join('/')})` : ''}` : '',
  ].filter(Boolean).join(' · ');
}

function processDeco(st: LiveState, ps: LiveProcess[], replicated: boolean, now: number): LiveDeco {
  const blocked = ps.some((p) => p.state === 'blocked');
  const running = ps.some((p) => p.state === 'running');
  const failed = ps.some((p) => p.state === 'exited' && p.code !== 0);
  const cls = [blocked ? 'rt-blocked' : running ? 'rt-running' : 'rt-exited'];
  if (failed) cls.push('rt-failed');
  if (blocked && st.deadlock) cls.push('rt-deadlock');
  let badge: string;
  if (replicated || ps.length > 1) badge = countsBadge(ps);
  else {
    const p = ps[0]!;
    const w = Object.values(p.waits)[0];
    badge = p.state === 'exited' ? `exited ${p.code ?? '?'}` : p.state === 'blocked' && w ? `blocked in ${w.op}()` : 'running';
  }
  return { cls, badge, tip: ps.map((p) => processLine(st, p, now)) };
}

/**
 * The decorations of `model`'s nodes and edges for a run. `matcher` is modelMatcher(model,
 * st.root, st.main) (pass one to reuse it between frames); `now` (ms since the trace began) dates the waits.
 */
export function liveDecorations(st: LiveState, model: TopologyModel, matcher: ModelMatcher = modelMatcher(model, st.root, st.main), now = st.t): LiveDecorations {
  const nodes = new Map<string, LiveDeco>();
  const edges = new Map<string, LiveEdgeDeco>();
  const flowEdge = new Map<string, string>();
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const extraNodes = new Map<string, ModelNode>();
  const extraEdges = new Map<string, ModelEdge>();
  const nodeOfPid = new Map<number, string>();
  const nodeOfObj = new Map<string, string>();
  const processesOf = new Map<string, number[]>();

  // Processes: their model node (or an extra one, per creation site and target).
  for (const pid of st.order) {
    const p = st.processes[pid]!;
    let node = matcher.process(p);
    if (node === null) {
      const where = p.site ? `${p.site.file}:${p.site.line}:${p.site.col}` : `pid${p.pid}`;
      node = `${EXTRA_PREFIX}proc:${where}:${p.target ?? p.name}`;
      const extra = extraNodes.get(node);
      if (extra) extra.multiplicity = (typeof extra.multiplicity === 'number' ? extra.multiplicity : 1) + 1;
      else {
        extraNodes.set(node, {
          id: node, kind: 'process', role: p.role === 'pool-worker' ? 'pool-worker' : p.role === 'main' ? 'main' : 'child',
          label: p.target ?? p.name, ...(p.target ? { target: p.target } : {}),
          loc: p.site ? siteLocation(p.site, st.root, model.root) : { file: st.main ?? '', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
        });
      }
    }
    nodeOfPid.set(pid, node);
    processesOf.set(node, [...(processesOf.get(node) ?? []), pid]);
  }
  // Objects.
  for (const o of Object.values(st.objects)) {
    let node = matcher.object(o);
    if (node === null) {
      node = `${EXTRA_PREFIX}obj:${o.id}`;
      extraNodes.set(node, {
        id: node, kind: OBJECT_KIND[o.kind] ?? 'value', label: o.name ?? o.kind,
        loc: o.site ? siteLocation(o.site, st.root, model.root) : { file: st.main ?? '', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      });
    }
    nodeOfObj.set(o.id, node);
  }

  // Flows onto edges: the model's edge of that kind between the two nodes, else an extra edge.
  const edgeBetween = (a: string, b: string, kind: EdgeKind): ModelEdge | undefined =>
    model.edges.find((e) => e.kind === kind && ((e.from === a && e.to === b) || (e.from === b && e.to === a)));
  const edgeFor = (pid: number, obj: string | null, other: number | null, kind: EdgeKind): string | null => {
    const procNode = nodeOfPid.get(pid);
    const otherNode = obj !== null ? nodeOfObj.get(obj) : other !== null ? nodeOfPid.get(other) : undefined;
    if (!procNode || !otherNode) return null;
    const found = edgeBetween(procNode, otherNode, kind) ?? (kind === 'result' ? edgeBetween(procNode, otherNode, 'submit') : undefined);
    if (found) return found.id;
    const inward = obj !== null && INWARD.has(kind);
    const from = inward ? otherNode : procNode;
    const to = inward ? procNode : otherNode;
    const id = `${EXTRA_PREFIX}edge:${from}|${to}|${kind}`;
    if (!extraEdges.has(id)) extraEdges.set(id, { id, kind, from, to, locs: [] });
    return id;
  };
  const flows: LiveFlow[] = Object.values(st.flows);
  for (const f of flows) {
    if (f.count === 0) continue;
    const id = edgeFor(f.pid, f.obj, f.other, f.kind);
    if (id === null) continue;
    flowEdge.set(f.key, id);
    const d = edges.get(id) ?? { count: 0, wait: false, t: 0, extra: id.startsWith(EXTRA_PREFIX) };
    d.count += f.count;
    d.t = Math.max(d.t, f.t);
    edges.set(id, d);
  }
  // Edges blocked processes wait along.
  for (const p of Object.values(st.processes)) {
    if (p.state !== 'blocked') continue;
    for (const w of Object.values(p.waits)) {
      const o = w.obj !== null ? st.objects[w.obj] : undefined;
      const kind: EdgeKind | null = o ? kindOfWait(o.kind, w.op) : w.on?.kind === 'process' && w.op === 'join' ? 'join' : null;
      if (!kind) continue;
      const id = edgeFor(p.pid, w.obj, o ? null : (w.on?.pid ?? null), kind);
      if (id === null) continue;
      const d = edges.get(id) ?? { count: 0, wait: false, t: 0, extra: id.startsWith(EXTRA_PREFIX) };
      d.wait = true;
      edges.set(id, d);
    }
  }

  // Process nodes: state, counts of instances, each instance.
  for (const [node, pids] of processesOf) {
    const ps = pids.map((pid) => st.processes[pid]!);
    const m = byId.get(node) ?? extraNodes.get(node);
    const replicated = m !== undefined && m.multiplicity !== undefined && m.multiplicity !== 1;
    const deco = processDeco(st, ps, replicated, now);
    if (node.startsWith(EXTRA_PREFIX)) deco.cls.push('rt-extra');
    nodes.set(node, deco);
    ps.forEach((p, k) => {
      const one = processDeco(st, [p], false, now);
      nodes.set(`${node}#${k + 1}`, one);
    });
  }
  // Process nodes the run never started.
  for (const n of model.nodes) {
    if (n.kind === 'process' && !processesOf.has(n.id)) nodes.set(n.id, { cls: ['rt-idle'], badge: 'not started', tip: ['No process of this node has started in this run.'] });
  }
  // Objects: their state.
  const objsOf = new Map<string, LiveObject[]>();
  for (const o of Object.values(st.objects)) {
    const node = nodeOfObj.get(o.id)!;
    objsOf.set(node, [...(objsOf.get(node) ?? []), o]);
  }
  for (const [node, objs] of objsOf) {
    if (nodes.has(node)) continue; // a pool node with its workers already says their states
    const states = objs.map((o) => objectState(st, o)).filter(Boolean);
    const cls = ['rt-live'];
    if (node.startsWith(EXTRA_PREFIX)) cls.push('rt-extra');
    const held = objs.some((o) => Array.isArray(o.state.owners) && o.state.owners.length > 0);
    if (held) cls.push('rt-held');
    nodes.set(node, {
      cls, badge: objs.length > 1 ? `${objs.length} objects` : (states[0] ?? ''),
      tip: objs.map((o) => `${objectLabel(o)}${objectState(st, o) ? `: ${objectState(st, o)}` : ''}`),
    });
  }
  for (const [id, n] of extraNodes) {
    const deco = nodes.get(id);
    if (deco) deco.tip.push(`Not in the static graph: the analysis has no ${n.kind} made at ${n.loc.file}:${n.loc.range.start.line + 1}.`);
  }
  for (const [id, e] of extraEdges) {
    const d = edges.get(id);
    if (d) d.extra = true;
    void e;
  }

  const all = Object.values(st.processes);
  return {
    nodes, edges, flowEdge, processesOf,
    extras: { nodes: [...extraNodes.values()], edges: [...extraEdges.values()] },
    summary: {
      processes: all.length,
      running: all.filter((p) => p.state === 'running').length,
      blocked: all.filter((p) => p.state === 'blocked').length,
      exited: all.filter((p) => p.state === 'exited').length,
      failed: all.filter((p) => p.state === 'exited' && p.code !== 0).length,
      ops: st.ops,
      deadlocked: st.deadlock !== null,
    },
  };
}

/** The edge kind a blocked operation waits along. */
function kindOfWait(objKind: string, op: string): EdgeKind | null {
  switch (op) {
    case 'put': case 'get': case 'send': case 'recv': case 'acquire': case 'wait': case 'taskDone': return op;
    case 'join': return 'wait';
    case 'poll': return 'recv';
    default: return objKind === 'pool' ? 'result' : null;
  }
}

/** The model with the run's extra nodes and edges added (what the panel draws during a run). */
export function withExtras(model: TopologyModel, extras: LiveDecorations['extras']): TopologyModel {
  if (extras.nodes.length === 0 && extras.edges.length === 0) return model;
  return { ...model, nodes: [...model.nodes, ...extras.nodes], edges: [...model.edges, ...extras.edges] };
}
