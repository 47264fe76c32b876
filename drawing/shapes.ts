// The pure part of the graph drawing, shared by graph.ts (D3 in the webview and the html page) and
// static-svg.ts (a string, for `process-topology graph --format svg`): node shapes per kind, edge
// routes and labels, finding marks, tooltips. No DOM here, so the CLI can bundle it.
import { curveCatmullRom, line } from 'd3';
import {
  type EdgeKind,
  type Location,
  type ModelEdge,
  type ModelNode,
  type NodeKind,
  type TopologyModel,
} from '../common/model';
import { boxAround, type Box, type Point, type Size } from './layout';

export type Mark = 'error' | 'warning' | 'info';
export type Category = 'data' | 'control' | 'sync';
/** The outline edges are clipped to: `rect` also stands for the other box-like shapes. */
export type Shape = 'rect' | 'cylinder' | 'diamond' | 'circle';
/** What the graph draws: a model node kind, or a collapsed group of nodes (one file's). */
export type DrawKind = NodeKind | 'group';

/** A node as the drawing sees it: a model node, or one the view made (an instance, a group). */
export interface DrawNode extends Omit<ModelNode, 'kind' | 'loc'> {
  kind: DrawKind;
  loc?: Location;
}

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
export const SHAPES: Partial<Record<DrawKind, Shape>> = {
  process: 'rect', pool: 'rect', manager: 'rect', queue: 'cylinder', pipe: 'rect', lock: 'diamond', group: 'rect',
  barrier: 'rect', value: 'rect', array: 'rect', dict: 'rect', list: 'rect', file: 'rect',
};
/** Kinds drawn as a box with the label inside; the others are small glyphs with the label below. */
const BOXED: ReadonlySet<DrawKind> = new Set<DrawKind>(['process', 'pool', 'manager', 'queue', 'pipe', 'group']);
/** A few words on what each shape stands for, for the legend. */
export const KIND_NAMES: Readonly<Record<DrawKind, string>> = {
  process: 'process', pool: 'pool', manager: 'manager', queue: 'queue', pipe: 'pipe', lock: 'lock',
  semaphore: 'semaphore', event: 'event', condition: 'condition', barrier: 'barrier', value: 'value',
  array: 'array', dict: 'dict', list: 'list', namespace: 'namespace', file: 'file', group: 'collapsed file',
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

export function shapeOf(kind: DrawKind): Shape {
  return SHAPES[kind] ?? 'circle';
}

const f1 = (v: number): number => Math.round(v * 10) / 10;

/** A closed polygon through `n` corners on a circle of radius `r`, the first at `start` radians. */
function polygon(n: number, r: number, start: number): string {
  const pts = Array.from({ length: n }, (_, i) => {
    const a = start + (2 * Math.PI * i) / n;
    return `${f1(r * Math.cos(a))},${f1(r * Math.sin(a))}`;
  });
  return `M${pts.join('L')}Z`;
}

/**
 * A node's shape for a label `tw` pixels wide: its elements, geometry and label offset. Every kind
 * has a shape of its own (see the legend): boxes with the label inside for processes, pools,
 * managers, queues and pipes; small glyphs with the label below for locks and shared state.
 */
export function nodeDrawing(node: Pick<DrawNode, 'kind' | 'multiplicity'>, tw: number): NodeDrawing {
  const shape = shapeOf(node.kind);
  if (BOXED.has(node.kind) && node.kind !== 'queue') {
    const hw = Math.max(42, tw / 2 + 14);
    const hh = 18;
    const rect = (cls: string, x: number, y: number, w: number, h: number, rx: number): ShapePart =>
      ({ tag: 'rect', cls, attrs: { x: f1(x), y: f1(y), width: f1(w), height: f1(h), rx } });
    if (node.kind === 'process') {
      const layers = !isReplicated(node) ? 0 : node.multiplicity === 2 ? 1 : 2;
      const parts: ShapePart[] = [];
      for (let i = layers; i >= 1; i--) parts.push(rect('shape shape-stack', -hw + 5 * i, -hh - 5 * i, 2 * hw, 2 * hh, 8));
      parts.push(rect('shape', -hw, -hh, 2 * hw, 2 * hh, 8));
      return { geom: { shape, hw, hh, box: { width: 2 * hw + 10 * layers, height: 2 * hh + 10 * layers } }, parts, label: {} };
    }
    if (node.kind === 'pool') {
      // A tray: a double outline.
      return {
        geom: { shape, hw, hh, box: { width: 2 * hw, height: 2 * hh } },
        parts: [rect('shape', -hw, -hh, 2 * hw, 2 * hh, 3), rect('shape-detail', -hw + 4, -hh + 4, 2 * hw - 8, 2 * hh - 8, 2)],
        label: {},
      };
    }
    if (node.kind === 'manager') {
      // A component: a box with two tabs on its left side.
      return {
        geom: { shape, hw, hh, box: { width: 2 * hw + 12, height: 2 * hh } },
        parts: [rect('shape', -hw, -hh, 2 * hw, 2 * hh, 3), rect('shape', -hw - 6, -11, 12, 7, 1), rect('shape', -hw - 6, 4, 12, 7, 1)],
        label: { x: 4 },
      };
    }
    if (node.kind === 'pipe') {
      // A tube, with a mark near each of its two ends.
      const r = hh;
      const w = Math.max(hw, 48);
      return {
        geom: { shape, hw: w, hh, box: { width: 2 * w, height: 2 * hh } },
        parts: [
          rect('shape', -w, -hh, 2 * w, 2 * hh, r),
          { tag: 'path', cls: 'shape-detail', attrs: { d: `M${f1(-w + r)},${-hh}V${hh}M${f1(w - r)},${-hh}V${hh}` } },
        ],
        label: {},
      };
    }
    // A collapsed group: a folder with a tab.
    const tab = Math.min(34, hw);
    return {
      geom: { shape, hw, hh, box: { width: 2 * hw, height: 2 * hh + 6 } },
      parts: [{ tag: 'path', cls: 'shape', attrs: { d: `M${f1(-hw)},${-hh - 6}H${f1(-hw + tab)}L${f1(-hw + tab + 6)},${-hh}H${f1(hw)}V${hh}H${f1(-hw)}Z` } }],
      label: { y: 2 },
    };
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
  const glyph = (half: number, parts: ShapePart[], g: Shape = shape): NodeDrawing => ({
    geom: { shape: g, hw: half, hh: half, box: labelBelow(half) },
    parts,
    label: { y: half + LABEL_FONT_PX },
  });
  const path = (cls: string, d: string): ShapePart => ({ tag: 'path', cls, attrs: { d } });
  const box = (cls: string, w: number, h: number, rx: number): ShapePart =>
    ({ tag: 'rect', cls, attrs: { x: f1(-w / 2), y: f1(-h / 2), width: w, height: h, rx } });
  switch (node.kind) {
    case 'lock': {
      const s = 18;
      return glyph(s, [path('shape', `M0,${-s}L${s},0L0,${s}L${-s},0Z`)]);
    }
    case 'semaphore': return glyph(16, [path('shape', polygon(8, 17, Math.PI / 8))], 'circle');
    case 'namespace': return glyph(16, [path('shape', polygon(6, 17, 0))], 'circle');
    case 'condition': return glyph(15, [{ tag: 'circle', cls: 'shape', attrs: { r: 15 } }, { tag: 'circle', cls: 'shape-detail', attrs: { r: 9.5 } }]);
    case 'barrier':
      // A gate: a square with two posts.
      return glyph(14, [box('shape', 28, 28, 3), path('shape-detail', 'M-5,-14V14M5,-14V14')]);
    case 'value': return glyph(12, [box('shape', 24, 24, 4)]);
    case 'array':
      // A row of cells.
      return { ...glyph(12, [box('shape', 42, 20, 2), path('shape-detail', 'M-7,-10V10M7,-10V10')]), geom: { shape: 'rect', hw: 21, hh: 10, box: labelBelow(21) } };
    case 'dict':
      // A two-column table.
      return { ...glyph(14, [box('shape', 36, 28, 2), path('shape-detail', 'M-6,-14V14M-18,0H18')]), geom: { shape: 'rect', hw: 18, hh: 14, box: labelBelow(18) } };
    case 'list':
      // Rows.
      return glyph(14, [box('shape', 28, 28, 2), path('shape-detail', 'M-14,-5H14M-14,4H14')]);
    case 'file':
      // A page with a folded corner.
      return glyph(15, [path('shape', 'M-12,-15H5L12,-8V15H-12Z'), path('shape-detail', 'M5,-15V-8H12')]);
    default: {
      // An event: a circle.
      const radius = 14;
      return glyph(radius, [{ tag: 'circle', cls: 'shape', attrs: { r: radius } }]);
    }
  }
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

export function isReplicated(node: Pick<DrawNode, 'multiplicity'>): boolean {
  return node.multiplicity !== undefined && node.multiplicity !== 1;
}

export function category(kind: EdgeKind): Category {
  return CONTROL.has(kind) ? 'control' : DATA.has(kind) ? 'data' : 'sync';
}

/** The classes of a node's group: kind, role, replication, daemon, finding mark. */
export function nodeClasses(node: DrawNode, mark: Marks | undefined): string {
  return classes('node', `kind-${node.kind}`, node.role && `role-${node.role}`,
    isReplicated(node) && 'replicated', node.daemon && 'daemon', markClass(mark));
}

/** The classes of an edge's group: kind, category, blocking, finding mark. */
export function edgeClasses(edge: ModelEdge, mark: Marks | undefined): string {
  return classes('edge', `kind-${edge.kind}`, `cat-${category(edge.kind)}`, edge.blocking && 'blocking', markClass(mark));
}

/** A short human label with the multiplicity, e.g. "consumer ×2" (as `displayLabel` of the model). */
export function displayLabel(node: Pick<DrawNode, 'label' | 'multiplicity'>): string {
  const m = node.multiplicity;
  if (m === undefined || m === 1) return node.label;
  return `${node.label} ×${m === 'several' ? 'n' : m}`;
}

export function nodeName(node: DrawNode | undefined): string {
  return node ? displayLabel(node) : '?';
}

function where(loc: Location | undefined): string {
  return loc ? `${loc.file}:${loc.range.start.line + 1}:${loc.range.start.character + 1}` : '';
}

export function nodeTitle(node: DrawNode, mark: Marks | undefined): string {
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

export function edgeTitle(edge: ModelEdge, byId: ReadonlyMap<string, DrawNode>, mark: Marks | undefined): string {
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
