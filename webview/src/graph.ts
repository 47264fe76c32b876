// The graph drawing: one SVG, drawn with D3 from a TopologyModel. Colours come from CSS classes
// only (webview/media/graph.css), so the drawing follows the VS Code theme; nothing here sets an
// inline `style` attribute (the page's CSP has no 'unsafe-inline').
import {
  curveCatmullRom,
  line,
  select,
  zoom,
  zoomIdentity,
  type Selection,
  type ZoomBehavior,
} from 'd3';
import {
  displayLabel,
  type EdgeKind,
  type Location,
  type ModelEdge,
  type ModelNode,
  type NodeKind,
  type TopologyModel,
} from '../../common/model';
import {
  boxAround,
  detour,
  drawableEdges,
  layeredLayout,
  mergePositions,
  type Box,
  type Point,
  type Size,
} from './layout';

export interface GraphOptions {
  /** Called when the user activates a node or an edge (click, Enter, Space). */
  onOpen(loc: Location): void;
}

export interface GraphView {
  /** Redraws in place; nodes whose ids persist keep their position, and the view does not move. */
  update(model: TopologyModel): void;
  /** Zooms so the whole graph is visible. */
  fit(): void;
  dispose(): void;
  readonly svg: SVGSVGElement;
}

export const EMPTY_MESSAGE = 'No processes found in this file';

type Mark = 'error' | 'warning' | 'info';
type Category = 'data' | 'control' | 'sync';
type Shape = 'rect' | 'cylinder' | 'diamond' | 'circle';

interface Marks {
  severity: Mark;
  messages: string[];
}

interface NodeGeom {
  shape: Shape;
  /** Half width and half height of the shape itself (not the label below it). */
  hw: number;
  hh: number;
  /** The room the node takes in the layout. */
  box: Size;
}

const CONTROL: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['spawn', 'join', 'terminate']);
const DATA: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['put', 'get', 'send', 'recv', 'read', 'write', 'submit', 'result']);
const SHAPES: Partial<Record<NodeKind, Shape>> = {
  process: 'rect', pool: 'rect', manager: 'rect', queue: 'cylinder', pipe: 'cylinder', lock: 'diamond',
};
const MARKS: readonly Mark[] = ['error', 'warning', 'info'];
const CATEGORIES: readonly Category[] = ['data', 'control', 'sync'];
const BUNDLE_SPACING = 16;
const LABEL_FONT_PX = 12;
const EDGE_FONT_PX = 11;

let instances = 0;

export function renderGraph(container: HTMLElement, model: TopologyModel, opts: GraphOptions): GraphView {
  const prefix = `pt${++instances}`;
  const doc = container.ownerDocument;

  const empty = doc.createElement('div');
  empty.className = 'pt-empty';
  empty.textContent = EMPTY_MESSAGE;
  empty.hidden = true;
  container.append(empty);

  const svg = select(container)
    .append<SVGSVGElement>('svg')
    .attr('class', 'pt-svg')
    .attr('role', 'group')
    .attr('aria-label', 'Process topology graph');
  const defs = svg.append('defs');
  for (const m of [...CATEGORIES, ...MARKS]) {
    defs.append('marker')
      .attr('id', `${prefix}-arrow-${m}`)
      .attr('class', `pt-arrow arrow-${m}`)
      .attr('viewBox', '0 -5 10 10')
      .attr('refX', 9)
      .attr('refY', 0)
      .attr('markerWidth', 9)
      .attr('markerHeight', 9)
      .attr('markerUnits', 'userSpaceOnUse')
      .attr('orient', 'auto')
      .append('path')
      .attr('d', 'M0,-4.5L10,0L0,4.5Z');
  }
  const viewport = svg.append('g').attr('class', 'viewport');
  const edgeLayer = viewport.append('g').attr('class', 'edges');
  const nodeLayer = viewport.append('g').attr('class', 'nodes');

  let positions = new Map<string, Point>();
  let geoms = new Map<string, NodeGeom>();
  let waypoints = new Map<string, Point[]>();
  let edgeEnds = new Map<string, string>();
  let bounds: Box | undefined;
  /** Refit when the panel is resized, until the user pans or zooms. */
  let autoFit = true;
  let disposed = false;

  const zoomer: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([0.1, 4])
    .filter((event: Event) => {
      if (event.type === 'dblclick' && (event.target as Element | null)?.closest('.node, .edge')) return false;
      const e = event as MouseEvent;
      return (!e.ctrlKey || event.type === 'wheel') && !e.button;
    })
    .on('zoom', (event: { transform: { toString(): string }; sourceEvent: unknown }) => {
      viewport.attr('transform', event.transform.toString());
      if (event.sourceEvent) autoFit = false;
    });
  svg.call(zoomer);

  const fit = (): void => {
    const el = svg.node()!;
    const width = el.clientWidth;
    const height = el.clientHeight;
    if (!bounds || width === 0 || height === 0) return;
    const pad = 24;
    const bw = Math.max(1, bounds.x1 - bounds.x0);
    const bh = Math.max(1, bounds.y1 - bounds.y0);
    const k = Math.max(0.1, Math.min(1.25, (width - 2 * pad) / bw, (height - 2 * pad) / bh));
    const t = zoomIdentity
      .translate(width / 2 - k * (bounds.x0 + bw / 2), height / 2 - k * (bounds.y0 + bh / 2))
      .scale(k);
    svg.call(zoomer.transform, t);
    autoFit = true;
  };

  const onKey = (event: KeyboardEvent): void => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === '+' || event.key === '=') zoomer.scaleBy(svg, 1.25);
    else if (event.key === '-' || event.key === '_') zoomer.scaleBy(svg, 0.8);
    else if (event.key === '0') fit();
    else return;
    autoFit = false;
    event.preventDefault();
  };
  container.addEventListener('keydown', onKey);

  const resize = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(() => {
    if (autoFit && !disposed) fit();
  });
  resize?.observe(container);

  /** Brings a focused node or edge into view when keyboard focus lands outside the viewport. */
  const reveal = (el: SVGGElement, center: Point | undefined): void => {
    if (!center || !matchesSafe(el, ':focus-visible')) return;
    const r = el.getBoundingClientRect();
    const s = svg.node()!.getBoundingClientRect();
    if (r.left >= s.left && r.right <= s.right && r.top >= s.top && r.bottom <= s.bottom) return;
    zoomer.translateTo(svg, center.x, center.y);
    autoFit = false;
  };

  const activate = (loc: Location | undefined): void => {
    if (loc) opts.onOpen(loc);
  };

  let currentEdges: ModelEdge[] = [];

  const draw = (m: TopologyModel): void => {
    const nodes = uniqueById(m.nodes);
    const nodeIds = new Set(nodes.map((n) => n.id));
    const edges = uniqueById(m.edges).filter((e) => nodeIds.has(e.from) && nodeIds.has(e.to));
    currentEdges = edges;
    const marks = findingMarks(m);
    const isEmpty = nodes.length === 0;
    empty.hidden = !isEmpty;
    svg.classed('is-empty', isEmpty);
    const byId = new Map(nodes.map((n) => [n.id, n]));

    // Nodes: one group each, keyed by id so focus and identity survive updates.
    const nodeSel = nodeLayer
      .selectAll<SVGGElement, ModelNode>('g.node')
      .data(nodes, (d) => d.id)
      .join((enter) => enter.append('g')
        .attr('tabindex', 0)
        .attr('role', 'button')
        .on('click', (_event: MouseEvent, d) => activate(d.loc))
        .on('keydown', (event: KeyboardEvent, d) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            activate(d.loc);
          } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
            // Follow the node's outgoing (right) or incoming (left) edges.
            const out = event.key === 'ArrowRight';
            const edge = currentEdges.find((e) => (out ? e.from : e.to) === d.id);
            if (edge && focusItem(edgeLayer, 'g.edge', edge.id)) event.preventDefault();
          }
        })
        .on('focus', function (this: SVGGElement, _event: FocusEvent, d) { reveal(this, positions.get(d.id)); }));
    nodeSel
      .attr('class', (d) => classes('node', `kind-${d.kind}`, d.role && `role-${d.role}`,
        isReplicated(d) && 'replicated', d.daemon && 'daemon', markClass(marks.nodes.get(d.id))))
      .attr('data-id', (d) => d.id)
      .attr('aria-label', (d) => withMarks(`${d.kind} ${displayLabel(d)}`, marks.nodes.get(d.id)));
    const nextGeoms = new Map<string, NodeGeom>();
    nodeSel.each(function (d) {
      nextGeoms.set(d.id, drawNode(select(this), d, marks.nodes.get(d.id)));
    });

    // Positions: a fresh layered layout, merged with the positions of nodes that persist.
    const sizes = new Map([...nextGeoms].map(([id, g]) => [id, g.box]));
    const fresh = layeredLayout({ ...m, nodes, edges }, sizes);
    const merged = mergePositions(nodes, fresh, positions, sizes);
    const previousPositions = positions;
    positions = merged.nodes;
    geoms = nextGeoms;
    nodeSel.attr('transform', (d) => {
      const p = positions.get(d.id)!;
      return `translate(${p.x},${p.y})`;
    });

    // Edge routes: the fresh layout's when it was used whole; otherwise keep the routes of edges
    // whose ends did not move, and bend new ones around the nodes in their way.
    const nextWaypoints = new Map<string, Point[]>();
    const nextEnds = new Map<string, string>();
    const boxes = new Map(nodes.map((n) => [n.id, boxAround(positions.get(n.id)!, sizes.get(n.id)!, 4)]));
    for (const e of drawableEdges({ ...m, nodes, edges })) {
      const ends = `${e.from}\u0000${e.to}`;
      nextEnds.set(e.id, ends);
      const shift = merged.shift;
      if (shift) {
        nextWaypoints.set(e.id, (fresh.waypoints.get(e.id) ?? []).map((p) => ({ x: p.x + shift.x, y: p.y + shift.y })));
      } else if (edgeEnds.get(e.id) === ends && waypoints.has(e.id)
        && previousPositions.has(e.from) && previousPositions.has(e.to)) {
        nextWaypoints.set(e.id, waypoints.get(e.id)!);
      } else {
        const others = [...boxes].filter(([id]) => id !== e.from && id !== e.to).map(([, b]) => b);
        nextWaypoints.set(e.id, detour(positions.get(e.from)!, positions.get(e.to)!, others));
      }
    }
    waypoints = nextWaypoints;
    edgeEnds = nextEnds;

    // Parallel edges between the same two nodes are spread apart.
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

    const edgeSel = edgeLayer
      .selectAll<SVGGElement, ModelEdge>('g.edge')
      .data(edges, (d) => d.id)
      .join((enter) => {
        // Edges are focusable but out of the Tab order (they come before the nodes in the DOM, to
        // be painted below them); arrow keys reach them from their nodes.
        const g = enter.append('g')
          .attr('tabindex', -1)
          .attr('role', 'button')
          .on('click', (_event: MouseEvent, d) => activate(d.locs[0]))
          .on('keydown', (event: KeyboardEvent, d) => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              activate(d.locs[0]);
            } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
              // To the edge's target (right) or source (left) node.
              if (focusItem(nodeLayer, 'g.node', event.key === 'ArrowRight' ? d.to : d.from)) event.preventDefault();
            } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
              // To the next or previous edge leaving the same node.
              const siblings = currentEdges.filter((e) => e.from === d.from);
              const i = siblings.findIndex((e) => e.id === d.id);
              const step = event.key === 'ArrowDown' ? 1 : siblings.length - 1;
              const edge = siblings[(i + step) % siblings.length];
              if (edge && focusItem(edgeLayer, 'g.edge', edge.id)) event.preventDefault();
            }
          })
          .on('focus', function (this: SVGGElement, _event: FocusEvent, d) {
            const a = positions.get(d.from);
            const b = positions.get(d.to);
            reveal(this, a && b ? { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } : undefined);
          });
        g.append('title');
        g.append('path').attr('class', 'edge-hit');
        g.append('path').attr('class', 'edge-line');
        g.append('rect').attr('class', 'edge-label-bg').attr('rx', 3);
        g.append('text').attr('class', 'edge-label').attr('text-anchor', 'middle').attr('dy', '0.35em');
        return g;
      });
    edgeSel
      .attr('class', (d) => classes('edge', `kind-${d.kind}`, `cat-${category(d.kind)}`,
        d.blocking && 'blocking', markClass(marks.edges.get(d.id))))
      .attr('data-id', (d) => d.id)
      .attr('aria-label', (d) => withMarks(
        `${d.kind} from ${nodeName(byId.get(d.from))} to ${nodeName(byId.get(d.to))}`, marks.edges.get(d.id)));
    edgeSel.each(function (d) {
      const g = select(this);
      const mark = marks.edges.get(d.id);
      const route = edgeRoute(d, offsetOf.get(d.id) ?? 0);
      const path = routePath(route);
      g.select('title').text(edgeTitle(d, byId, mark));
      g.select('path.edge-hit').attr('d', path);
      g.select('path.edge-line')
        .attr('d', path)
        .attr('marker-end', `url(#${prefix}-arrow-${mark?.severity ?? category(d.kind)})`);
      const mid = polylinePoint(route, labelAt.get(d.id) ?? 0.5);
      const label = edgeLabel(d);
      const text = g.select<SVGTextElement>('text.edge-label').attr('x', mid.x).attr('y', mid.y).text(label);
      const measured = text.node()!.getComputedTextLength();
      const w = (measured > 0 ? measured : label.length * EDGE_FONT_PX * 0.6) + 6;
      g.select('rect.edge-label-bg')
        .attr('x', round(mid.x - w / 2)).attr('y', round(mid.y - EDGE_FONT_PX / 2 - 2))
        .attr('width', round(w)).attr('height', EDGE_FONT_PX + 4);
    });

    bounds = graphBounds();
  };

  const edgeRoute = (e: ModelEdge, offset: number): Point[] => {
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
  };

  const graphBounds = (): Box | undefined => {
    if (positions.size === 0) return undefined;
    const box: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    const add = (b: Box): void => {
      box.x0 = Math.min(box.x0, b.x0); box.y0 = Math.min(box.y0, b.y0);
      box.x1 = Math.max(box.x1, b.x1); box.y1 = Math.max(box.y1, b.y1);
    };
    for (const [id, p] of positions) add(boxAround(p, geoms.get(id)?.box ?? { width: 0, height: 0 }));
    for (const pts of waypoints.values()) for (const p of pts) add(boxAround(p, { width: 0, height: 0 }, 12));
    return box;
  };

  draw(model);
  fit();

  return {
    svg: svg.node()!,
    update(next: TopologyModel): void {
      if (disposed) return;
      const hadNodes = positions.size > 0;
      draw(next);
      // The view stays where it is, so the nodes that persist do not move on screen.
      if (!hadNodes) fit();
    },
    fit,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      resize?.disconnect();
      container.removeEventListener('keydown', onKey);
      svg.on('.zoom', null);
      svg.remove();
      empty.remove();
    },
  };
}

/** Draws a node's shape, label and tooltip into its group; returns its geometry. */
function drawNode(g: Selection<SVGGElement, ModelNode, null, undefined>, node: ModelNode, mark: Marks | undefined): NodeGeom {
  g.selectAll('*').remove();
  g.append('title').text(nodeTitle(node, mark));
  const label = displayLabel(node);
  const text = g.append('text').attr('class', 'node-label').attr('text-anchor', 'middle').attr('dy', '0.35em').text(label);
  const measured = (text.node() as SVGTextElement).getComputedTextLength();
  const tw = measured > 0 ? measured : label.length * LABEL_FONT_PX * 0.6;
  const shape = SHAPES[node.kind] ?? 'circle';

  if (shape === 'rect') {
    const hw = Math.max(42, tw / 2 + 14);
    const hh = 18;
    const layers = !isReplicated(node) ? 0 : node.multiplicity === 2 ? 1 : 2;
    for (let i = layers; i >= 1; i--) {
      g.insert('rect', 'text').attr('class', 'shape shape-stack')
        .attr('x', -hw + 5 * i).attr('y', -hh - 5 * i).attr('width', 2 * hw).attr('height', 2 * hh).attr('rx', 8);
    }
    g.insert('rect', 'text').attr('class', 'shape')
      .attr('x', -hw).attr('y', -hh).attr('width', 2 * hw).attr('height', 2 * hh).attr('rx', 8);
    return { shape, hw, hh, box: { width: 2 * hw + 10 * layers, height: 2 * hh + 10 * layers } };
  }
  if (shape === 'cylinder') {
    const hh = 16;
    const e = 7; // x-radius of the elliptical ends
    const hw = Math.max(36, tw / 2 + 12 + e);
    const l = -hw + e;
    const r = hw - e;
    g.insert('path', 'text').attr('class', 'shape')
      .attr('d', `M${l},${-hh}H${r}A${e},${hh} 0 0 1 ${r},${hh}H${l}A${e},${hh} 0 0 1 ${l},${-hh}Z`);
    g.insert('path', 'text').attr('class', 'shape-detail')
      .attr('d', `M${r},${-hh}A${e},${hh} 0 0 0 ${r},${hh}`);
    text.attr('x', -e / 2);
    return { shape, hw, hh, box: { width: 2 * hw, height: 2 * hh } };
  }
  const labelBelow = (half: number): NodeGeom['box'] => ({
    width: Math.max(2 * half, tw + 8),
    height: 2 * (half + LABEL_FONT_PX + 6),
  });
  if (shape === 'diamond') {
    const s = 18;
    g.insert('path', 'text').attr('class', 'shape').attr('d', `M0,${-s}L${s},0L0,${s}L${-s},0Z`);
    text.attr('y', s + LABEL_FONT_PX);
    return { shape, hw: s, hh: s, box: labelBelow(s) };
  }
  const radius = 14;
  g.insert('circle', 'text').attr('class', 'shape').attr('r', radius);
  text.attr('y', radius + LABEL_FONT_PX);
  return { shape, hw: radius, hh: radius, box: labelBelow(radius) };
}

/** Where the line from `from` toward `toward` leaves the node's shape, `gap` pixels outside it. */
function boundaryPoint(g: NodeGeom, center: Point, from: Point, toward: Point, gap: number): Point {
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

function routePath(points: Point[]): string {
  if (points.length === 2) {
    const [a, b] = points as [Point, Point];
    return `M${round(a.x)},${round(a.y)}L${round(b.x)},${round(b.y)}`;
  }
  return curve(points) ?? '';
}

/** The point at `fraction` of the length of a polyline. */
function polylinePoint(points: Point[], fraction: number): Point {
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

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function findingMarks(model: TopologyModel): { nodes: Map<string, Marks>; edges: Map<string, Marks> } {
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

function markClass(mark: Marks | undefined): string | undefined {
  return mark && `finding-${mark.severity}`;
}

function withMarks(text: string, mark: Marks | undefined): string {
  return mark ? `${text}; ${mark.messages.join('; ')}` : text;
}

function classes(...names: (string | false | undefined)[]): string {
  return names.filter((n): n is string => typeof n === 'string' && n.length > 0).join(' ');
}

function isReplicated(node: ModelNode): boolean {
  return node.multiplicity !== undefined && node.multiplicity !== 1;
}

function category(kind: EdgeKind): Category {
  return CONTROL.has(kind) ? 'control' : DATA.has(kind) ? 'data' : 'sync';
}

function nodeName(node: ModelNode | undefined): string {
  return node ? displayLabel(node) : '?';
}

function where(loc: Location | undefined): string {
  return loc ? `${loc.file}:${loc.range.start.line + 1}:${loc.range.start.character + 1}` : '';
}

function nodeTitle(node: ModelNode, mark: Marks | undefined): string {
  const details = [
    node.role, node.variant, node.target && `target ${node.target}`,
    node.maxsize !== undefined && node.maxsize > 0 && `maxsize ${node.maxsize}`,
    node.daemon && 'daemon', node.duplex !== undefined && (node.duplex ? 'duplex' : 'one-way'),
  ].filter((d): d is string => typeof d === 'string' && d.length > 0);
  const head = `${node.kind} ${displayLabel(node)}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
  return [head, where(node.loc), ...(mark?.messages ?? [])].filter((l) => l.length > 0).join('\n');
}

function edgeLabel(edge: ModelEdge): string {
  const count = edge.count === 'loop' ? ' ↻' : edge.count === 'several' ? ' ×n'
    : typeof edge.count === 'number' && edge.count > 1 ? ` ×${edge.count}` : '';
  return `${edge.kind}${count}`;
}

function edgeTitle(edge: ModelEdge, byId: ReadonlyMap<string, ModelNode>, mark: Marks | undefined): string {
  const details = [
    edge.count === 'loop' ? 'in a loop' : edge.count !== undefined ? `count ${edge.count}` : undefined,
    edge.blocking ? 'blocking' : undefined, edge.end,
  ].filter((d): d is string => typeof d === 'string');
  const head = `${edge.kind}: ${nodeName(byId.get(edge.from))} → ${nodeName(byId.get(edge.to))}`
    + (details.length > 0 ? ` (${details.join(', ')})` : '');
  return [head, ...edge.locs.slice(0, 5).map(where), ...(mark?.messages ?? [])].filter((l) => l.length > 0).join('\n');
}

/** Focuses the group bound to `id` in `layer`; false when there is none. */
function focusItem(
  layer: Selection<SVGGElement, unknown, null, undefined>,
  selector: string,
  id: string,
): boolean {
  const el = layer.selectAll<SVGGElement, { id: string }>(selector).filter((d) => d.id === id).node();
  if (!el) return false;
  el.focus();
  return true;
}

function matchesSafe(el: Element, selector: string): boolean {
  try {
    return el.matches(selector);
  } catch {
    return true;
  }
}

function uniqueById<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((it) => (seen.has(it.id) ? false : (seen.add(it.id), true)));
}
