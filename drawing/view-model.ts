// What the graph draws of a model: replicated processes once ("×3") or one node per instance,
// pools with their workers or folded into one node, and (for very large models) a whole file folded
// into one node. Pure (no DOM): the same model and options always give the same view graph.
import type { EdgeCount, Location, ModelEdge, ModelNode, Multiplicity, TopologyModel } from '../common/model';
import { displayLabel, type DrawNode } from './shapes';

export interface ViewOptions {
  /** Replicated processes (model ids) drawn as one node per instance. */
  expanded: ReadonlySet<string>;
  /** Pools (their model ids) folded with their workers, and files (`fileGroupId`) folded into one node. */
  collapsed: ReadonlySet<string>;
}

/** What the small toggle on a node does. */
export type Toggle = 'expand' | 'collapse-instances' | 'collapse-pool' | 'expand-pool' | 'expand-group';

export interface ViewNode extends DrawNode {
  /** The model node drawn (for an instance, its process); undefined for a folded file. */
  modelId?: string;
  /** 1-based instance number of an expanded replicated process. */
  instance?: number;
  /** Model node ids folded into this node: a folded pool's workers, a folded file's nodes. */
  members?: string[];
  toggle?: Toggle;
  /** The id `toggle` acts on: the replicated process, the pool, or the file group. */
  toggleTarget?: string;
}

export interface ViewEdge extends ModelEdge {
  /** The model edges this view edge draws (several when folding merged them). */
  model: string[];
}

export interface ViewGraph {
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Model node id -> the view nodes that draw it (its instances, or the node it is folded into). */
  nodesOf: Map<string, string[]>;
  /** Model edge id -> the view edges that draw it. */
  edgesOf: Map<string, string[]>;
  byId: Map<string, ViewNode>;
}

/** How many instances an expanded process draws; "several" draws three (the third is "#n"). */
export const SEVERAL_INSTANCES = 3;
/** More instances than this are not drawn one by one. */
export const MAX_INSTANCES = 24;
/** Drawing more instance-to-instance edges than this for one model edge gives up on pairs. */
const MAX_PAIR_EDGES = 64;

export function instanceCount(m: Multiplicity | undefined): number {
  if (m === 'several') return SEVERAL_INSTANCES;
  return typeof m === 'number' && Number.isInteger(m) && m > 1 ? Math.min(m, MAX_INSTANCES) : 1;
}

export function isExpandable(n: Pick<ModelNode, 'kind' | 'multiplicity'>): boolean {
  return n.kind === 'process' && instanceCount(n.multiplicity) > 1;
}

export function fileGroupId(file: string): string {
  return `group:file:${file}`;
}

/** Each pool with the pool-worker processes it spawns. */
export function poolMembers(model: Pick<TopologyModel, 'nodes' | 'edges'>): Map<string, string[]> {
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const out = new Map<string, string[]>();
  for (const e of model.edges) {
    const from = byId.get(e.from);
    const to = byId.get(e.to);
    if (e.kind !== 'spawn' || from?.kind !== 'pool' || to?.kind !== 'process' || to.role !== 'pool-worker') continue;
    const list = out.get(from.id) ?? [];
    if (!list.includes(to.id)) list.push(to.id);
    out.set(from.id, list);
  }
  return out;
}

/** The files of the model with their node ids, in model order. */
export function fileGroups(model: Pick<TopologyModel, 'nodes'>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of model.nodes) {
    const list = out.get(n.loc.file) ?? [];
    list.push(n.id);
    out.set(n.loc.file, list);
  }
  return out;
}

function mergeCounts(counts: (EdgeCount | undefined)[]): EdgeCount | undefined {
  if (counts.length === 1) return counts[0];
  if (counts.includes('loop')) return 'loop';
  if (counts.includes('several')) return 'several';
  return counts.reduce<number>((s, c) => s + (typeof c === 'number' ? c : 1), 0);
}

function basename(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1) || file;
}

export function buildView(model: TopologyModel, opts: ViewOptions): ViewGraph {
  const seen = new Set<string>();
  const nodes = model.nodes.filter((n) => (seen.has(n.id) ? false : (seen.add(n.id), true)));
  const byModel = new Map(nodes.map((n) => [n.id, n]));
  const pools = poolMembers({ nodes, edges: model.edges });
  const workerPool = new Map<string, string>();
  for (const [pool, workers] of pools) for (const w of workers) if (!workerPool.has(w)) workerPool.set(w, pool);
  const files = fileGroups({ nodes });

  // Where each model node is drawn: the ids of its view nodes.
  const nodesOf = new Map<string, string[]>();
  const out: ViewNode[] = [];
  const emitted = new Set<string>();
  const emit = (v: ViewNode): void => {
    if (emitted.has(v.id)) return;
    emitted.add(v.id);
    out.push(v);
  };
  for (const n of nodes) {
    const group = fileGroupId(n.loc.file);
    if (opts.collapsed.has(group)) {
      const members = files.get(n.loc.file)!;
      nodesOf.set(n.id, [group]);
      if (!emitted.has(group)) {
        const first = byModel.get(members[0]!)!;
        emit({
          id: group, kind: 'group', label: `${basename(n.loc.file)} · ${members.length}`, members,
          loc: { file: n.loc.file, range: first.loc.range }, toggle: 'expand-group', toggleTarget: group,
        });
      }
      continue;
    }
    const pool = workerPool.get(n.id);
    if (pool !== undefined && opts.collapsed.has(pool) && byModel.has(pool) && !opts.collapsed.has(fileGroupId(byModel.get(pool)!.loc.file))) {
      nodesOf.set(n.id, [pool]);
      continue;
    }
    if (n.kind === 'pool' && pools.has(n.id)) {
      const workers = pools.get(n.id)!.map((w) => byModel.get(w)!).filter((w) => !opts.collapsed.has(fileGroupId(w.loc.file)));
      if (opts.collapsed.has(n.id) && workers.length > 0) {
        const label = workers.length === 1 ? `${n.label} (${displayLabel(workers[0]!)})` : `${n.label} (${workers.length} workers)`;
        emit({ ...n, modelId: n.id, label, members: workers.map((w) => w.id), toggle: 'expand-pool', toggleTarget: n.id });
      } else {
        emit({ ...n, modelId: n.id, ...(workers.length > 0 ? { toggle: 'collapse-pool' as const, toggleTarget: n.id } : {}) });
      }
      nodesOf.set(n.id, [n.id]);
      continue;
    }
    if (isExpandable(n) && opts.expanded.has(n.id)) {
      const count = instanceCount(n.multiplicity);
      const ids: string[] = [];
      for (let i = 1; i <= count; i++) {
        const id = `${n.id}#${i}`;
        ids.push(id);
        const last = n.multiplicity === 'several' && i === count;
        emit({
          ...n, id, modelId: n.id, instance: i, multiplicity: 1, label: `${n.label} #${last ? 'n' : i}`,
          toggle: 'collapse-instances', toggleTarget: n.id,
        });
      }
      nodesOf.set(n.id, ids);
      continue;
    }
    emit({ ...n, modelId: n.id, ...(isExpandable(n) ? { toggle: 'expand' as const, toggleTarget: n.id } : {}) });
    nodesOf.set(n.id, [n.id]);
  }

  // Edges: each model edge between the view nodes of its ends; edges folded onto the same two view
  // nodes with the same kind are merged into one, edges inside one folded node are not drawn.
  const edgesOf = new Map<string, string[]>();
  const edgeSeen = new Set<string>();
  const buckets = new Map<string, { kind: ModelEdge['kind']; from: string; to: string; edges: ModelEdge[] }>();
  const direct: ViewEdge[] = [];
  for (const e of model.edges) {
    if (edgeSeen.has(e.id)) continue;
    edgeSeen.add(e.id);
    const froms = nodesOf.get(e.from);
    const tos = nodesOf.get(e.to);
    if (!froms || !tos) continue;
    const folded = froms.length === 1 && tos.length === 1 && (froms[0] !== e.from || tos[0] !== e.to);
    if (folded) {
      const from = froms[0]!;
      const to = tos[0]!;
      if (from === to && e.from !== e.to) continue;
      const key = `${e.kind}\u0000${from}\u0000${to}`;
      const b = buckets.get(key) ?? { kind: e.kind, from, to, edges: [] };
      b.edges.push(e);
      buckets.set(key, b);
      continue;
    }
    if (froms.length === 1 && tos.length === 1) {
      direct.push({ ...e, model: [e.id] });
      edgesOf.set(e.id, [e.id]);
      continue;
    }
    // An expanded end: one edge per instance (instance i to instance i when both ends are expanded).
    const pairs: [string, string][] = [];
    if (froms.length > 1 && tos.length > 1) {
      if (froms.length * tos.length <= MAX_PAIR_EDGES) for (const a of froms) for (const b of tos) pairs.push([a, b]);
      else froms.forEach((a, i) => pairs.push([a, tos[i % tos.length]!]));
    } else {
      for (const a of froms) for (const b of tos) pairs.push([a, b]);
    }
    const ids: string[] = [];
    pairs.forEach(([a, b], i) => {
      if (a === b && e.from !== e.to) return;
      const id = `${e.id}#${i + 1}`;
      ids.push(id);
      direct.push({ ...e, id, from: a, to: b, model: [e.id] });
    });
    edgesOf.set(e.id, ids);
  }
  const merged: ViewEdge[] = [];
  for (const b of buckets.values()) {
    const first = b.edges[0]!;
    const id = b.edges.length === 1 ? `${first.id}@${b.from}>${b.to}` : `v|${b.kind}|${b.from}|${b.to}`;
    const locs: Location[] = b.edges.flatMap((e) => e.locs).slice(0, 50);
    const ends = [...new Set(b.edges.map((e) => e.end))];
    const edge: ViewEdge = { id, kind: b.kind, from: b.from, to: b.to, locs, model: b.edges.map((e) => e.id) };
    const count = mergeCounts(b.edges.map((e) => e.count));
    if (count !== undefined) edge.count = count;
    if (b.edges.some((e) => e.blocking)) edge.blocking = true;
    if (ends.length === 1 && ends[0] !== undefined) edge.end = ends[0];
    merged.push(edge);
    for (const e of b.edges) edgesOf.set(e.id, [...(edgesOf.get(e.id) ?? []), id]);
  }
  const edges = [...direct, ...merged];
  return { nodes: out, edges, nodesOf, edgesOf, byId: new Map(out.map((n) => [n.id, n])) };
}

/** A signature of what the layout depends on: the node ids and the edges' ends. */
export function structureKey(view: Pick<ViewGraph, 'nodes' | 'edges'>): string {
  return `${view.nodes.map((n) => n.id).join('\u0001')}\u0002${view.edges.map((e) => `${e.from}\u0000${e.to}`).join('\u0001')}`;
}

/** Nodes reachable from `start` along the arrows (`down`), against them (`up`), or both. */
export function neighbourhood(edges: readonly Pick<ModelEdge, 'from' | 'to'>[], start: string, dir: 'up' | 'down' | 'both'): Set<string> {
  const next = new Map<string, string[]>();
  const prev = new Map<string, string[]>();
  for (const e of edges) {
    next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    prev.set(e.to, [...(prev.get(e.to) ?? []), e.from]);
  }
  const out = new Set<string>([start]);
  const walk = (adj: Map<string, string[]>): void => {
    const stack = [start];
    const seen = new Set<string>([start]);
    while (stack.length > 0) {
      const u = stack.pop()!;
      for (const v of adj.get(u) ?? []) {
        if (seen.has(v)) continue;
        seen.add(v);
        out.add(v);
        stack.push(v);
      }
    }
  };
  if (dir !== 'up') walk(next);
  if (dir !== 'down') walk(prev);
  return out;
}
