// Placing the view's nodes and routing its edges. The layered layout of drawing/layout.ts paints at
// once; the elkjs `layered` layout, computed in a Web Worker (../layout-client.ts), replaces it when
// it arrives, animated. Live updates keep the place of every node that persists, and reuse the
// layout whole when the nodes and edges are the same.
import type { ModelNode, TopologyModel } from '../../../common/model';
import { EDGE_FONT_PX, edgeLabel, round } from '../../../drawing/shapes';
import type { LayoutRequest, LayoutResponse } from '../../../drawing/elk-layout';
import { boxAround, detour, layeredLayout, mergePositions, type Box, type Point, type Size } from '../../../drawing/layout';
import { fileGroupId, poolMembers, structureKey } from '../../../drawing/view-model';
import { moveTo } from './draw';
import { mark, type GraphState, type RenderReason } from './state';

export function sizeOf(st: GraphState, id: string): Size {
  return st.geoms.get(id)?.box ?? { width: 80, height: 36 };
}

const asModel = (st: GraphState): TopologyModel => ({ ...st.model, nodes: st.view.nodes as unknown as ModelNode[], edges: st.view.edges });

/** Edges laid out from their target (life-cycle edges follow the spawn between the same nodes). */
function reversedEdges(st: GraphState): Set<string> {
  const { view } = st;
  const spawned = new Set(view.edges.filter((e) => e.kind === 'spawn').map((e) => `${e.from}\u0000${e.to}`));
  return new Set(view.edges.filter((e) => (e.kind === 'join' || e.kind === 'terminate') && spawned.has(`${e.to}\u0000${e.from}`)).map((e) => e.id));
}

function elkRequest(st: GraphState): LayoutRequest {
  const rev = reversedEdges(st);
  return {
    nodes: st.view.nodes.map((n) => ({ id: n.id, ...sizeOf(st, n.id), ...(n.kind === 'process' && n.role === 'main' ? { first: true } : {}) })),
    edges: st.view.edges.filter((e) => e.from !== e.to).map((e) => ({
      id: e.id, from: e.from, to: e.to, ...(rev.has(e.id) ? { reversed: true } : {}),
      labelWidth: Math.ceil(st.measure(edgeLabel(e), EDGE_FONT_PX) + 6),
    })),
  };
}

function requestElk(st: GraphState): void {
  const { svg, opts } = st;
  const client = opts.layout;
  if (!client || st.view.nodes.length === 0) return;
  if (client.failure) { svg.attr('data-layout-failure', client.failure); return; }
  const gen = ++st.generation;
  svg.attr('data-layout-state', 'pending');
  const started = performance.now();
  void client.layout(elkRequest(st)).then((res) => {
    if (st.disposed || gen !== st.generation) return;
    if (!res) {
      svg.attr('data-layout-state', 'settled').attr('data-layout', 'layered').attr('data-layout-failure', client.failure ?? null);
      opts.onLayout?.('layered', { nodes: st.view.nodes.length });
      return;
    }
    // Which worker computed it (the page's CSP allows workers from blob: URLs only): tests read it.
    svg.attr('data-layout-worker', client.startedFrom ?? null);
    applyElk(st, res, performance.now() - started);
  });
}

function applyElk(st: GraphState, res: LayoutResponse, wallMs: number): void {
  const { view, positions } = st;
  const target = new Map(res.nodes);
  if (![...target.keys()].every((id) => view.byId.has(id)) || target.size !== view.nodes.length) return;
  // Keep one node still on screen (the selected one, else main), unless the view follows the fit.
  const anchor = [st.selected, view.nodes.find((n) => n.kind === 'process' && n.role === 'main')?.id, view.nodes[0]?.id]
    .find((id): id is string => id !== undefined && positions.has(id) && target.has(id));
  let dx = 0;
  let dy = 0;
  if (anchor) {
    dx = positions.get(anchor)!.x - target.get(anchor)!.x;
    dy = positions.get(anchor)!.y - target.get(anchor)!.y;
  }
  const shift = (p: Point): Point => ({ x: round(p.x + dx), y: round(p.y + dy) });
  const nextPos = new Map([...target].map(([id, p]) => [id, shift(p)]));
  const nextWay = new Map(res.waypoints.map(([id, pts]) => [id, pts.map(shift)]));
  st.labelPos = new Map(res.labels.map(([id, p]) => [id, shift(p)]));
  st.layoutSource = 'elk';
  moveTo(st, nextPos, nextWay, true);
  mark('pt-layout-elk');
  st.svg.attr('data-layout', 'elk').attr('data-layout-ms', String(res.ms)).attr('data-layout-wall-ms', String(Math.round(wallMs)));
  st.opts.onLayout?.('elk', { ms: res.ms, nodes: view.nodes.length });
}

/** Routes for edges whose ends moved or that are new: straight, or around the nodes in the way. */
function routeEdges(st: GraphState, previous: Map<string, Point>, fresh: Map<string, Point[]> | undefined): void {
  const { view, positions, waypoints, edgeEnds } = st;
  const nextWay = new Map<string, Point[]>();
  const nextEnds = new Map<string, string>();
  const big = view.nodes.length > 1500;
  let boxes: Box[] | undefined;
  for (const e of view.edges) {
    if (e.from === e.to) continue;
    const ends = `${e.from}\u0000${e.to}`;
    nextEnds.set(e.id, ends);
    if (fresh) { nextWay.set(e.id, fresh.get(e.id) ?? []); continue; }
    const a = positions.get(e.from)!;
    const b = positions.get(e.to)!;
    const pa = previous.get(e.from);
    const pb = previous.get(e.to);
    if (edgeEnds.get(e.id) === ends && waypoints.has(e.id) && pa && pb && pa.x === a.x && pa.y === a.y && pb.x === b.x && pb.y === b.y) {
      nextWay.set(e.id, waypoints.get(e.id)!);
    } else if (big) {
      nextWay.set(e.id, []);
    } else {
      boxes ??= view.nodes.map((n) => boxAround(positions.get(n.id)!, sizeOf(st, n.id), 4));
      const others = boxes.filter((_, i) => view.nodes[i]!.id !== e.from && view.nodes[i]!.id !== e.to);
      nextWay.set(e.id, detour(a, b, others));
    }
  }
  st.waypoints = nextWay;
  st.edgeEnds = nextEnds;
}

/**
 * Places the view's nodes. `reason`: `update` (live: persisting nodes stay, no re-layout),
 * `user` (an expansion or fold: seed the new nodes, then elkjs), `relayout` (from scratch).
 */
export function place(st: GraphState, reason: RenderReason): void {
  const { view, opts } = st;
  const key = structureKey(view);
  if (key === st.layoutKey && reason !== 'relayout') {
    st.layoutSource = 'kept';
    opts.onLayout?.('kept', { nodes: view.nodes.length });
    return;
  }
  st.layoutKey = key;
  const sizes = new Map(view.nodes.map((n) => [n.id, sizeOf(st, n.id)]));
  const previous = st.positions;
  const first = previous.size === 0 || ![...previous.keys()].some((id) => view.byId.has(id));
  const t0 = performance.now();
  const fresh = layeredLayout(asModel(st), sizes);
  st.labelPos = new Map();
  if (first || reason === 'relayout') {
    if (first) {
      st.positions = fresh.nodes;
      routeEdges(st, previous, fresh.waypoints);
      st.layoutSource = 'layered';
      st.svg.attr('data-layout', 'layered');
    } else {
      // Re-layout: the layered result is only a seed; elkjs decides.
      const merged = mergePositions(view.nodes as unknown as ModelNode[], fresh, previous, sizes);
      st.positions = merged.nodes;
      routeEdges(st, previous, merged.shift ? new Map([...fresh.waypoints].map(([id, pts]) => [id, pts.map((p) => ({ x: p.x + merged.shift!.x, y: p.y + merged.shift!.y }))])) : undefined);
    }
    opts.onLayout?.('layered', { ms: performance.now() - t0, nodes: view.nodes.length });
    requestElk(st);
    return;
  }
  // New nodes that replace others start where those were: instances at their process, a folded
  // pool or file at its members, members at their folded node.
  const seeds = new Map(previous);
  for (const n of view.nodes) {
    if (seeds.has(n.id)) continue;
    const from = [n.modelId, ...(n.members ?? [])].filter((id): id is string => id !== undefined && id !== n.id);
    let p = from.map((id) => previous.get(id) ?? previous.get(`${id}#1`)).find((q) => q !== undefined);
    if (!p && n.modelId) {
      const holder = [...previous.keys()].find((id) => id === fileGroupId(n.loc?.file ?? '') || poolOfWorker(st, n.modelId!) === id);
      p = holder ? previous.get(holder) : undefined;
    }
    if (p) seeds.set(n.id, n.instance ? { x: p.x, y: p.y + (n.instance - 1) * (sizeOf(st, n.id).height + 14) } : p);
  }
  if (reason === 'user') {
    const merged = mergePositions(view.nodes as unknown as ModelNode[], fresh, seeds, sizes);
    st.positions = merged.nodes;
    routeEdges(st, previous, undefined);
    st.layoutSource = 'merged';
    requestElk(st);
    return;
  }
  const merged = mergePositions(view.nodes as unknown as ModelNode[], fresh, previous, sizes);
  st.positions = merged.nodes;
  routeEdges(st, previous, merged.shift ? new Map([...fresh.waypoints].map(([id, pts]) => [id, pts.map((p) => ({ x: p.x + merged.shift!.x, y: p.y + merged.shift!.y }))])) : undefined);
  st.layoutSource = 'merged';
  opts.onLayout?.('merged', { ms: performance.now() - t0, nodes: view.nodes.length });
}

/** The pool each worker node belongs to, computed once per model. */
function poolOfWorker(st: GraphState, id: string): string | undefined {
  if (st.workerPools?.model !== st.model) {
    const map = new Map<string, string>();
    for (const [pool, ws] of poolMembers(st.model)) for (const w of ws) map.set(w, pool);
    st.workerPools = { model: st.model, map };
  }
  return st.workerPools.map.get(id);
}
