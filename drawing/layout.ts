// Layered (Sugiyama-style) placement of the topology, left to right: the main process first, then
// what it spawns, then the queues they feed, then their consumers. Deterministic: the same model and
// node sizes always give the same positions. Pure (no DOM), so a later elkjs layout can replace it
// behind the same `LayoutResult`.
import type { EdgeKind, ModelEdge, ModelNode, TopologyModel } from '../common/model';

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface LayoutResult {
  /** Node centres in graph coordinates. */
  nodes: Map<string, Point>;
  /** Bend points of each edge between its two ends, ordered from `edge.from` to `edge.to`. */
  waypoints: Map<string, Point[]>;
  /** The layer (column) of each node, 0 on the left. */
  layers: Map<string, number>;
}

export interface LayoutOptions {
  /** Horizontal space between columns; edge labels sit in it. */
  layerGap: number;
  /** Vertical space between two nodes of a column. */
  nodeGap: number;
  /** Height reserved in a column for an edge passing through it. */
  laneHeight: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { layerGap: 110, nodeGap: 30, laneHeight: 18 };

/** Edges about a process's life cycle: drawn from the parent to the child whatever their direction. */
const LIFECYCLE: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['join', 'terminate']);

interface Item {
  /** Node id, or undefined for a dummy standing for a long edge crossing this layer. */
  id?: string;
  bundle?: Bundle;
  height: number;
  width: number;
  layer: number;
  index: number;
  preds: Item[];
  succs: Item[];
  y: number;
}

interface Bundle {
  from: string;
  to: string;
  edges: ModelEdge[];
  /** Per edge: true when the edge runs from `to` to `from`. */
  reversed: boolean[];
  dummies: Item[];
}

/** Edges that can be drawn: both ends exist and differ. */
export function drawableEdges(model: TopologyModel): ModelEdge[] {
  const ids = new Set(model.nodes.map((n) => n.id));
  return model.edges.filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to);
}

export function layeredLayout(
  model: TopologyModel,
  sizes: ReadonlyMap<string, Size>,
  options: LayoutOptions = DEFAULT_LAYOUT,
): LayoutResult {
  const nodes = model.nodes;
  const index = new Map<string, number>();
  nodes.forEach((n, i) => { if (!index.has(n.id)) index.set(n.id, i); });
  const unique = nodes.filter((n, i) => index.get(n.id) === i);
  const edges = drawableEdges(model);

  // 1. Orient: life-cycle edges follow the spawn edge between the same two nodes.
  const spawned = new Set(edges.filter((e) => e.kind === 'spawn').map((e) => pairKey(e.from, e.to)));
  const oriented = edges.map((e) => (LIFECYCLE.has(e.kind) && spawned.has(pairKey(e.to, e.from))
    ? { edge: e, u: e.to, v: e.from } : { edge: e, u: e.from, v: e.to }));

  // 2. Break cycles with a DFS that starts at the main process; back edges are reversed.
  const out = new Map<string, string[]>();
  const indeg = new Map<string, number>();
  for (const n of unique) { out.set(n.id, []); indeg.set(n.id, 0); }
  for (const { u, v } of oriented) {
    const list = out.get(u)!;
    if (!list.includes(v)) { list.push(v); indeg.set(v, indeg.get(v)! + 1); }
  }
  for (const list of out.values()) list.sort((a, b) => index.get(a)! - index.get(b)!);
  const starts = [
    ...unique.filter((n) => n.kind === 'process' && n.role === 'main'),
    ...unique.filter((n) => indeg.get(n.id) === 0),
    ...unique,
  ];
  const back = new Set<string>();
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  for (const start of starts) {
    if (state.has(start.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    state.set(start.id, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const succ = out.get(top.id)!;
      if (top.next < succ.length) {
        const v = succ[top.next++]!;
        const s = state.get(v);
        if (s === 1) back.add(pairKey(top.id, v));
        else if (s === undefined) { state.set(v, 1); stack.push({ id: v, next: 0 }); }
      } else {
        state.set(top.id, 2);
        stack.pop();
      }
    }
  }
  const dag = new Map<string, string[]>(); // u -> v, acyclic
  const dagPreds = new Map<string, string[]>();
  for (const n of unique) { dag.set(n.id, []); dagPreds.set(n.id, []); }
  const addDag = (u: string, v: string): void => {
    const list = dag.get(u)!;
    if (!list.includes(v)) { list.push(v); dagPreds.get(v)!.push(u); }
  };
  for (const [u, vs] of out) {
    for (const v of vs) {
      if (back.has(pairKey(u, v))) addDag(v, u); else addDag(u, v);
    }
  }

  // 3. Longest-path layering in topological order (Kahn, ties by model order).
  const layer = new Map<string, number>();
  const remaining = new Map<string, number>();
  for (const n of unique) remaining.set(n.id, dagPreds.get(n.id)!.length);
  const ready = unique.filter((n) => remaining.get(n.id) === 0).map((n) => n.id);
  const topo: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => index.get(a)! - index.get(b)!);
    const u = ready.shift()!;
    topo.push(u);
    const lu = layer.get(u) ?? 0;
    layer.set(u, lu);
    for (const v of dag.get(u)!) {
      layer.set(v, Math.max(layer.get(v) ?? 0, lu + 1));
      const r = remaining.get(v)! - 1;
      remaining.set(v, r);
      if (r === 0) ready.push(v);
    }
  }
  // Sources other than the main process sit just before their first successor.
  for (const u of [...topo].reverse()) {
    const node = nodes[index.get(u)!]!;
    if (dagPreds.get(u)!.length > 0 || (node.kind === 'process' && node.role === 'main')) continue;
    const succ = dag.get(u)!;
    if (succ.length > 0) layer.set(u, Math.max(0, Math.min(...succ.map((v) => layer.get(v)!)) - 1));
  }

  // 4. Items per layer: the nodes, plus one dummy per layer crossed by a long bundle of edges.
  const depth = Math.max(0, ...layer.values()) + 1;
  const columns: Item[][] = Array.from({ length: depth }, () => []);
  const itemOf = new Map<string, Item>();
  for (const n of unique) {
    const size = sizes.get(n.id) ?? { width: 80, height: 36 };
    const item: Item = {
      id: n.id, height: size.height, width: size.width, layer: layer.get(n.id)!, index: 0,
      preds: [], succs: [], y: 0,
    };
    itemOf.set(n.id, item);
    columns[item.layer]!.push(item);
  }
  const bundles = new Map<string, Bundle>();
  for (const { edge } of oriented) {
    const la = layer.get(edge.from)!;
    const lb = layer.get(edge.to)!;
    const [from, to] = la <= lb ? [edge.from, edge.to] : [edge.to, edge.from];
    const key = pairKey(from, to);
    let bundle = bundles.get(key);
    if (!bundle) { bundle = { from, to, edges: [], reversed: [], dummies: [] }; bundles.set(key, bundle); }
    bundle.edges.push(edge);
    bundle.reversed.push(from !== edge.from);
  }
  for (const bundle of bundles.values()) {
    let prev = itemOf.get(bundle.from)!;
    const last = itemOf.get(bundle.to)!;
    const lane = options.laneHeight * Math.max(1, bundle.edges.length);
    for (let l = prev.layer + 1; l < last.layer; l++) {
      const dummy: Item = { bundle, height: lane, width: 0, layer: l, index: 0, preds: [prev], succs: [], y: 0 };
      prev.succs.push(dummy);
      columns[l]!.push(dummy);
      bundle.dummies.push(dummy);
      prev = dummy;
    }
    if (prev !== last) { prev.succs.push(last); last.preds.push(prev); }
  }

  // 5. Order each column by barycentres, keeping the order with the fewest crossings. Counting
  // crossings is quadratic in the edges between two columns: large graphs (a first paint that
  // elkjs replaces) take two sweeps and keep the last order.
  columns.forEach((col) => col.forEach((it, i) => { it.index = i; }));
  const heavy = columns.reduce((s, col) => s + col.length, 0) > 1500;
  let best = columns.map((col) => [...col]);
  let bestCrossings = heavy ? Infinity : crossings(columns);
  for (let iter = 0; iter < (heavy ? 2 : 8) && bestCrossings > 0; iter++) {
    const down = iter % 2 === 0;
    const order = down ? columns.map((_, i) => i).slice(1) : columns.map((_, i) => i).reverse().slice(1);
    for (const l of order) {
      const col = columns[l]!;
      const keyed = col.map((it) => {
        const ns = down ? it.preds : it.succs;
        return { it, key: ns.length === 0 ? it.index : ns.reduce((s, n) => s + n.index, 0) / ns.length };
      });
      keyed.sort((a, b) => a.key - b.key || a.it.index - b.it.index);
      columns[l] = keyed.map((k) => k.it);
      columns[l]!.forEach((it, i) => { it.index = i; });
    }
    const c = heavy ? bestCrossings - 1 : crossings(columns);
    if (c < bestCrossings) { bestCrossings = c; best = columns.map((col) => [...col]); }
  }
  best.forEach((col, l) => { columns[l] = col; col.forEach((it, i) => { it.index = i; }); });

  // 6. Vertical positions: stack each column, then pull items toward their neighbours.
  const gap = (a: Item, b: Item): number => (a.height + b.height) / 2
    + (a.id !== undefined && b.id !== undefined ? options.nodeGap : options.nodeGap / 2);
  for (const col of columns) {
    let y = 0;
    col.forEach((it, i) => { if (i > 0) y += gap(col[i - 1]!, it); it.y = y; });
    const mid = y / 2;
    for (const it of col) it.y -= mid;
  }
  for (let iter = 0; iter < (heavy ? 4 : 12); iter++) {
    const down = iter % 2 === 0;
    const order = down ? columns.map((_, i) => i) : columns.map((_, i) => i).reverse();
    for (const l of order) {
      const col = columns[l]!;
      const desired = col.map((it) => {
        const ns = iter >= 8 ? [...it.preds, ...it.succs] : down ? it.preds : it.succs;
        return ns.length === 0 ? it.y : ns.reduce((s, n) => s + n.y, 0) / ns.length;
      });
      const a = [...desired];
      for (let i = 1; i < col.length; i++) a[i] = Math.max(a[i]!, a[i - 1]! + gap(col[i - 1]!, col[i]!));
      const b = [...desired];
      for (let i = col.length - 2; i >= 0; i--) b[i] = Math.min(b[i]!, b[i + 1]! - gap(col[i]!, col[i + 1]!));
      col.forEach((it, i) => { it.y = (a[i]! + b[i]!) / 2; });
    }
  }

  // 7. Horizontal positions: each column as wide as its widest node.
  const xs: number[] = [];
  let x = 0;
  columns.forEach((col, l) => {
    const w = Math.max(0, ...col.map((it) => it.width));
    const prevW = l === 0 ? 0 : Math.max(0, ...columns[l - 1]!.map((it) => it.width));
    if (l > 0) x += prevW / 2 + options.layerGap + w / 2;
    xs.push(x);
  });

  const result: LayoutResult = { nodes: new Map(), waypoints: new Map(), layers: layer };
  for (const [id, it] of itemOf) result.nodes.set(id, { x: Math.round(xs[it.layer]!), y: Math.round(it.y) });
  for (const bundle of bundles.values()) {
    const points = bundle.dummies.map((d) => ({ x: Math.round(xs[d.layer]!), y: Math.round(d.y) }));
    bundle.edges.forEach((e, i) => {
      result.waypoints.set(e.id, bundle.reversed[i] ? [...points].reverse() : [...points]);
    });
  }
  return result;
}

function pairKey(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

function crossings(columns: Item[][]): number {
  let count = 0;
  for (const col of columns) {
    const segs: [number, number][] = [];
    for (const it of col) for (const s of it.succs) segs.push([it.index, s.index]);
    for (let i = 0; i < segs.length; i++) {
      for (let j = i + 1; j < segs.length; j++) {
        const [a1, b1] = segs[i]!;
        const [a2, b2] = segs[j]!;
        if ((a1 - a2) * (b1 - b2) < 0) count++;
      }
    }
  }
  return count;
}

/** Axis-aligned box around a centre. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function boxAround(p: Point, size: Size, margin = 0): Box {
  return {
    x0: p.x - size.width / 2 - margin, x1: p.x + size.width / 2 + margin,
    y0: p.y - size.height / 2 - margin, y1: p.y + size.height / 2 + margin,
  };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/**
 * Positions after an update: nodes that persist keep their old place; new nodes go to the column
 * the fresh layout gives them, moved down until they overlap nothing. `shift` is set when the fresh
 * layout could be used whole (moved by `shift`), so its edge routes are valid too.
 */
export function mergePositions(
  nodes: readonly ModelNode[],
  fresh: LayoutResult,
  previous: ReadonlyMap<string, Point>,
  sizes: ReadonlyMap<string, Size>,
  options: LayoutOptions = DEFAULT_LAYOUT,
): { nodes: Map<string, Point>; shift?: Point } {
  const kept = nodes.filter((n) => previous.has(n.id));
  if (kept.length === 0) return { nodes: new Map(fresh.nodes), shift: { x: 0, y: 0 } };
  // When the fresh layout only moved everything by one offset, use it as is (shifted).
  const first = kept[0]!;
  const dx = previous.get(first.id)!.x - fresh.nodes.get(first.id)!.x;
  const dy = previous.get(first.id)!.y - fresh.nodes.get(first.id)!.y;
  const shifted = (p: Point): Point => ({ x: p.x + dx, y: p.y + dy });
  if (kept.every((n) => {
    const a = shifted(fresh.nodes.get(n.id)!);
    const b = previous.get(n.id)!;
    return Math.abs(a.x - b.x) < 0.5 && Math.abs(a.y - b.y) < 0.5;
  })) {
    return { nodes: new Map([...fresh.nodes].map(([id, p]) => [id, shifted(p)])), shift: { x: dx, y: dy } };
  }

  const result = new Map<string, Point>();
  const placed: Box[] = [];
  const size = (id: string): Size => sizes.get(id) ?? { width: 80, height: 36 };
  for (const n of kept) {
    const p = previous.get(n.id)!;
    result.set(n.id, p);
    placed.push(boxAround(p, size(n.id), options.nodeGap / 2));
  }
  // Column x positions as the kept nodes show them.
  const columnX = new Map<number, number[]>();
  for (const n of kept) {
    const l = fresh.layers.get(n.id)!;
    columnX.set(l, [...(columnX.get(l) ?? []), previous.get(n.id)!.x]);
  }
  for (const n of nodes) {
    if (result.has(n.id)) continue;
    const f = shifted(fresh.nodes.get(n.id)!);
    const xsInColumn = columnX.get(fresh.layers.get(n.id)!);
    const p = { x: xsInColumn ? Math.round(xsInColumn.reduce((s, v) => s + v, 0) / xsInColumn.length) : f.x, y: f.y };
    for (let guard = 0; guard < 1000 && placed.some((b) => overlaps(b, boxAround(p, size(n.id), options.nodeGap / 2))); guard++) {
      p.y += 20;
    }
    result.set(n.id, p);
    placed.push(boxAround(p, size(n.id), options.nodeGap / 2));
  }
  return { nodes: result };
}

/**
 * A route for an edge drawn after an update: straight, or bent around the nodes in its way.
 * Returns the bend points between the two ends.
 */
export function detour(from: Point, to: Point, obstacles: readonly Box[]): Point[] {
  const hit = obstacles.filter((b) => segmentHitsBox(from, to, b));
  if (hit.length === 0) return [];
  const top = Math.min(...hit.map((b) => b.y0)) - 12;
  const bottom = Math.max(...hit.map((b) => b.y1)) + 12;
  const mid = (from.y + to.y) / 2;
  const y = Math.abs(top - mid) <= Math.abs(bottom - mid) ? top : bottom;
  const left = Math.min(...hit.map((b) => b.x0));
  const right = Math.max(...hit.map((b) => b.x1));
  const forward = to.x >= from.x;
  return forward
    ? [{ x: left, y }, { x: right, y }]
    : [{ x: right, y }, { x: left, y }];
}

function segmentHitsBox(a: Point, b: Point, box: Box): boolean {
  // Liang–Barsky clipping.
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const checks: [number, number][] = [
    [-dx, a.x - box.x0], [dx, box.x1 - a.x], [-dy, a.y - box.y0], [dy, box.y1 - a.y],
  ];
  for (const [p, q] of checks) {
    if (p === 0) { if (q < 0) return false; continue; }
    const r = q / p;
    if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
  }
  return t0 < t1;
}
