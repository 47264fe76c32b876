// The pure part of the graph drawing, shared by graph.ts (D3 in the webview and the html page) and
// static-svg.ts (a string, for `process-topology graph --format svg`): node shapes per kind, edge
// routes and labels, finding marks, tooltips. No DOM here, so the CLI can bundle it.
import { curveCatmullRom, line } from 'd3';
import {
  displayLabel,
  type EdgeKind,
  type Location,
  type ModelEdge,
  type ModelNode,
  type NodeKind,
  type TopologyModel,
} from '../../common/model';
import { boxAround, type Box, type Point, type Size } from './layout';

export type Mark = 'error' | 'warning' | 'info';
export type Category = 'data' | 'control' | 'sync';
export type Shape = 'rect' | 'cylinder' | 'diamond' | 'circle';

export interface Marks {
  severity: Mark;
  messages: string[];
}

export interface NodeGeom {
  shape: Shape;
  /** Half width and half height of the shape itself (not the label below it). */
  hw: number;
  hh: number;
  /** The room the node takes in the layout. */
  box: Size;
}

/** One SVG element of a node's shape, drawn before its label. */
export interface ShapePart {
  tag: 'rect' | 'path' | 'circle';
  /** The element's `class`. */
  cls: string;
  /** Attributes in the order they are set. */
  attrs: Record<string, number | string>;
}

export interface NodeDrawing {
  geom: NodeGeom;
  parts: ShapePart[];
  /** Where the label moves from the centre (only the coordinates that change). */
  label: { x?: number; y?: number };
}

export const CONTROL: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['spawn', 'join', 'terminate']);
export const DATA: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['put', 'get', 'send', 'recv', 'read', 'write', 'submit', 'result']);
export const SHAPES: Partial<Record<NodeKind, Shape>> = {
  process: 'rect', pool: 'rect', manager: 'rect', queue: 'cylinder', pipe: 'cylinder', lock: 'diamond',
};
export const MARKS: readonly Mark[] = ['error', 'warning', 'info'];
export const CATEGORIES: readonly Category[] = ['data', 'control', 'sync'];
export const BUNDLE_SPACING = 16;
export const EMPTY_MESSAGE = 'No processes found in this file';
/** The arrowhead at the end of each edge: a `<marker>`'s attributes (besides id and class) and its path. */
export const ARROW_MARKER = {
  attrs: {
    viewBox: '0 -5 10 10', refX: 9, refY: 0, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto',
  } as Readonly<Record<string, string | number>>,
  d: 'M0,-4.5L10,0L0,4.5Z',
} as const;
export const LABEL_FONT_PX = 12;
export const EDGE_FONT_PX = 11;

/** A label's width when it cannot be measured (no DOM, or not laid out yet). */
export function estimateTextWidth(text: string, fontPx: number): number {
  return text.length * fontPx * 0.6;
}

export function shapeOf(kind: NodeKind): Shape {
  return SHAPES[kind] ?? 'circle';
}

/** A node's shape for a label `tw` pixels wide: its elements, geometry and label offset. */
export function nodeDrawing(node: ModelNode, tw: number): NodeDrawing {
  const shape = shapeOf(node.kind);
  if (shape === 'rect') {
    const hw = Math.max(42, tw / 2 + 14);
    const hh = 18;
    const layers = !isReplicated(node) ? 0 : node.multiplicity === 2 ? 1 : 2;
    const parts: ShapePart[] = [];
    for (let i = layers; i >= 1; i--) {
      parts.push({ tag: 'rect', cls: 'shape shape-stack', attrs: { x: -hw + 5 * i, y: -hh - 5 * i, width: 2 * hw, height: 2 * hh, rx: 8 } });
    }
    parts.push({ tag: 'rect', cls: 'shape', attrs: { x: -hw, y: -hh, width: 2 * hw, height: 2 * hh, rx: 8 } });
    return { geom: { shape, hw, hh, box: { width: 2 * hw + 10 * layers, height: 2 * hh + 10 * layers } }, parts, label: {} };
  }
  if (shape === 'cylinder') {
    const hh = 16;
    const e = 7; // x-radius of the elliptical ends
    const hw = Math.max(36, tw / 2 + 12 + e);
    const l = -hw + e;
    const r = hw - e;
    return {
      geom: { shape, hw, hh, box: { width: 2 * hw, height: 2 * hh } },
      parts: [
        { tag: 'path', cls: 'shape', attrs: { d: `M${l},${-hh}H${r}A${e},${hh} 0 0 1 ${r},${hh}H${l}A${e},${hh} 0 0 1 ${l},${-hh}Z` } },
        { tag: 'path', cls: 'shape-detail', attrs: { d: `M${r},${-hh}A${e},${hh} 0 0 0 ${r},${hh}` } },
      ],
      label: { x: -e / 2 },
    };
  }
  const labelBelow = (half: number): Size => ({
    width: Math.max(2 * half, tw + 8),
    height: 2 * (half + LABEL_FONT_PX + 6),
  });
  if (shape === 'diamond') {
    const s = 18;
    return {
      geom: { shape, hw: s, hh: s, box: labelBelow(s) },
      parts: [{ tag: 'path', cls: 'shape', attrs: { d: `M0,${-s}L${s},0L0,${s}L${-s},0Z` } }],
      label: { y: s + LABEL_FONT_PX },
    };
  }
  const radius = 14;
  return {
    geom: { shape, hw: radius, hh: radius, box: labelBelow(radius) },
    parts: [{ tag: 'circle', cls: 'shape', attrs: { r: radius } }],
    label: { y: radius + LABEL_FONT_PX },
  };
}

/** Parallel edges between the same two nodes: their perpendicular offset, and where their labels sit. */
export function edgeSpread(edges: readonly ModelEdge[]): { offsetOf: Map<string, number>; labelAt: Map<string, number> } {
  const bundles = new Map<string, ModelEdge[]>();
  for (const e of edges) {
    const key = e.from < e.to ? `${e.from}\u0000${e.to}` : `${e.to}\u0000${e.from}`;
    bundles.set(key, [...(bundles.get(key) ?? []), e]);
  }
  const offsetOf = new Map<string, number>();
  /** Where along its edge each label sits: parallel edges stagger theirs so they do not collide. */
  const labelAt = new Map<string, number>();
  for (const list of bundles.values()) {
    const step = Math.min(0.22, 0.6 / list.length);
    list.forEach((e, i) => {
      const k = i - (list.length - 1) / 2;
      offsetOf.set(e.id, k * BUNDLE_SPACING);
      labelAt.set(e.id, 0.5 + k * step);
    });
  }
  return { offsetOf, labelAt };
}

/** The points an edge is drawn through, from just outside its source shape to its target's. */
export function edgeRoute(
  e: ModelEdge,
  offset: number,
  positions: ReadonlyMap<string, Point>,
  geoms: ReadonlyMap<string, NodeGeom>,
  waypoints: ReadonlyMap<string, Point[]>,
): Point[] {
  const a = positions.get(e.from)!;
  const b = positions.get(e.to)!;
  const ga = geoms.get(e.from)!;
  const gb = geoms.get(e.to)!;
  if (e.from === e.to) {
    const top = a.y - ga.hh;
    const spread = 12 + Math.abs(offset);
    return [{ x: a.x - 8, y: top }, { x: a.x - spread, y: top - 34 - offset }, { x: a.x + spread, y: top - 34 - offset },
      { x: a.x + 8, y: top - 2 }];
  }
  // Offset perpendicular to the pair's direction, the same reference for both directions.
  const [p, q] = e.from < e.to ? [a, b] : [b, a];
  const len = Math.hypot(q.x - p.x, q.y - p.y) || 1;
  const nx = -(q.y - p.y) / len;
  const ny = (q.x - p.x) / len;
  const shiftBy = (pt: Point, o: number): Point => ({ x: pt.x + nx * o, y: pt.y + ny * o });
  const clampFor = (g: NodeGeom): number => Math.max(-g.hh * 0.6, Math.min(g.hh * 0.6, offset));
  const start = shiftBy(a, clampFor(ga));
  const end = shiftBy(b, clampFor(gb));
  const mids = (waypoints.get(e.id) ?? []).map((pt) => shiftBy(pt, offset));
  const first = mids[0] ?? end;
  const last = mids[mids.length - 1] ?? start;
  return [
    boundaryPoint(ga, a, start, first, 1),
    ...mids,
    boundaryPoint(gb, b, end, last, 3),
  ];
}

/** The box around the nodes and the bend points of the edges; undefined when there are no nodes. */
export function drawingBounds(
  positions: ReadonlyMap<string, Point>,
  geoms: ReadonlyMap<string, NodeGeom>,
  waypoints: ReadonlyMap<string, Point[]>,
): Box | undefined {
  if (positions.size === 0) return undefined;
  const box: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  const add = (b: Box): void => {
    box.x0 = Math.min(box.x0, b.x0); box.y0 = Math.min(box.y0, b.y0);
    box.x1 = Math.max(box.x1, b.x1); box.y1 = Math.max(box.y1, b.y1);
  };
  for (const [id, p] of positions) add(boxAround(p, geoms.get(id)?.box ?? { width: 0, height: 0 }));
  for (const pts of waypoints.values()) for (const p of pts) add(boxAround(p, { width: 0, height: 0 }, 12));
  return box;
}

/** Where the line from `from` toward `toward` leaves the node's shape, `gap` pixels outside it. */
export function boundaryPoint(g: NodeGeom, center: Point, from: Point, toward: Point, gap: number): Point {
  const dx = toward.x - from.x;
  const dy = toward.y - from.y;
  const len = Math.hypot(dx, dy);
  if (len === 0) return from;
  const ux = dx / len;
  const uy = dy / len;
  // Work relative to the shape's centre; `from` may be offset inside the shape.
  const ox = from.x - center.x;
  const oy = from.y - center.y;
  let t: number;
  if (g.shape === 'diamond') {
    // |x|+|y| = s along the ray (from inside): solve for the first t where it reaches s.
    t = rayExit((tt) => Math.abs(ox + ux * tt) / g.hw + Math.abs(oy + uy * tt) / g.hh, len);
  } else if (g.shape === 'circle') {
    t = rayExit((tt) => Math.hypot(ox + ux * tt, oy + uy * tt) / g.hw, len);
  } else {
    const tx = ux === 0 ? Infinity : ((ux > 0 ? g.hw : -g.hw) - ox) / ux;
    const ty = uy === 0 ? Infinity : ((uy > 0 ? g.hh : -g.hh) - oy) / uy;
    t = Math.min(tx, ty, len);
  }
  return { x: from.x + ux * (t + gap), y: from.y + uy * (t + gap) };
}

/** Smallest t in [0, max] where f(t) reaches 1 (f grows along the ray once outside). */
function rayExit(f: (t: number) => number, max: number): number {
  if (f(0) >= 1) return 0;
  let lo = 0;
  let hi = max;
  if (f(hi) < 1) return hi;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 1) lo = mid; else hi = mid;
  }
  return hi;
}

const curve = line<Point>().x((p) => p.x).y((p) => p.y).curve(curveCatmullRom.alpha(0.5));

/** SVG path data through the route: a straight segment, or a smooth curve through the bends. */
export function routePath(points: Point[]): string {
  if (points.length === 2) {
    const [a, b] = points as [Point, Point];
    return `M${round(a.x)},${round(a.y)}L${round(b.x)},${round(b.y)}`;
  }
  return curve(points) ?? '';
}

/** The point at `fraction` of the length of a polyline. */
export function polylinePoint(points: Point[], fraction: number): Point {
  const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - points[i]!.x, p.y - points[i]!.y));
  let half = lengths.reduce((s, l) => s + l, 0) * fraction;
  for (let i = 0; i < lengths.length; i++) {
    const l = lengths[i]!;
    if (half <= l && l > 0) {
      const a = points[i]!;
      const b = points[i + 1]!;
      return { x: round(a.x + ((b.x - a.x) * half) / l), y: round(a.y + ((b.y - a.y) * half) / l) };
    }
    half -= l;
  }
  return points[0] ?? { x: 0, y: 0 };
}

export function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** The strongest finding severity on each node and edge, with the findings' messages. */
export function findingMarks(model: TopologyModel): { nodes: Map<string, Marks>; edges: Map<string, Marks> } {
  const nodes = new Map<string, Marks>();
  const edges = new Map<string, Marks>();
  const rank = (m: Mark): number => MARKS.length - MARKS.indexOf(m);
  for (const f of model.findings) {
    const severity: Mark = f.severity === 'error' || f.severity === 'warning' ? f.severity : 'info';
    const message = `${f.severity}: ${f.message} [${f.rule}]`;
    const add = (map: Map<string, Marks>, id: string): void => {
      const cur = map.get(id);
      if (!cur) map.set(id, { severity, messages: [message] });
      else {
        if (rank(severity) > rank(cur.severity)) cur.severity = severity;
        if (!cur.messages.includes(message)) cur.messages.push(message);
      }
    };
    for (const id of Array.isArray(f.nodes) ? f.nodes : []) add(nodes, id);
    for (const id of Array.isArray(f.edges) ? f.edges : []) add(edges, id);
  }
  return { nodes, edges };
}

export function markClass(mark: Marks | undefined): string | undefined {
  return mark && `finding-${mark.severity}`;
}

export function withMarks(text: string, mark: Marks | undefined): string {
  return mark ? `${text}; ${mark.messages.join('; ')}` : text;
}

export function classes(...names: (string | false | undefined)[]): string {
  return names.filter((n): n is string => typeof n === 'string' && n.length > 0).join(' ');
}

export function isReplicated(node: ModelNode): boolean {
  return node.multiplicity !== undefined && node.multiplicity !== 1;
}

export function category(kind: EdgeKind): Category {
  return CONTROL.has(kind) ? 'control' : DATA.has(kind) ? 'data' : 'sync';
}

/** The classes of a node's group: kind, role, replication, daemon, finding mark. */
export function nodeClasses(node: ModelNode, mark: Marks | undefined): string {
  return classes('node', `kind-${node.kind}`, node.role && `role-${node.role}`,
    isReplicated(node) && 'replicated', node.daemon && 'daemon', markClass(mark));
}

/** The classes of an edge's group: kind, category, blocking, finding mark. */
export function edgeClasses(edge: ModelEdge, mark: Marks | undefined): string {
  return classes('edge', `kind-${edge.kind}`, `cat-${category(edge.kind)}`, edge.blocking && 'blocking', markClass(mark));
}

export function nodeName(node: ModelNode | undefined): string {
  return node ? displayLabel(node) : '?';
}

function where(loc: Location | undefined): string {
  return loc ? `${loc.file}:${loc.range.start.line + 1}:${loc.range.start.character + 1}` : '';
}

export function nodeTitle(node: ModelNode, mark: Marks | undefined): string {
  const details = [
    node.role, node.variant, node.target && `target ${node.target}`,
    node.maxsize !== undefined && node.maxsize > 0 && `maxsize ${node.maxsize}`,
    node.daemon && 'daemon', node.duplex !== undefined && (node.duplex ? 'duplex' : 'one-way'),
  ].filter((d): d is string => typeof d === 'string' && d.length > 0);
  const head = `${node.kind} ${displayLabel(node)}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
  return [head, where(node.loc), ...(mark?.messages ?? [])].filter((l) => l.length > 0).join('\n');
}

export function edgeLabel(edge: ModelEdge): string {
  const count = edge.count === 'loop' ? ' ↻' : edge.count === 'several' ? ' ×n'
    : typeof edge.count === 'number' && edge.count > 1 ? ` ×${edge.count}` : '';
  return `${edge.kind}${count}`;
}

export function edgeTitle(edge: ModelEdge, byId: ReadonlyMap<string, ModelNode>, mark: Marks | undefined): string {
  const details = [
    edge.count === 'loop' ? 'in a loop' : edge.count !== undefined ? `count ${edge.count}` : undefined,
    edge.blocking ? 'blocking' : undefined, edge.end,
  ].filter((d): d is string => typeof d === 'string');
  const head = `${edge.kind}: ${nodeName(byId.get(edge.from))} → ${nodeName(byId.get(edge.to))}`
    + (details.length > 0 ? ` (${details.join(', ')})` : '');
  return [head, ...edge.locs.slice(0, 5).map(where), ...(mark?.messages ?? [])].filter((l) => l.length > 0).join('\n');
}

export function uniqueById<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((it) => (seen.has(it.id) ? false : (seen.add(it.id), true)));
}
