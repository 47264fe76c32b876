// The graph drawing: one SVG, drawn with D3 from a TopologyModel. Colours come from CSS classes
// only (webview/media/graph.css), so the drawing follows the VS Code theme; nothing here sets an
// inline `style` attribute (the page's CSP has no 'unsafe-inline').
import {
  select,
  zoom,
  zoomIdentity,
  type Selection,
  type ZoomBehavior,
} from 'd3';
import {
  displayLabel,
  type Location,
  type ModelEdge,
  type ModelNode,
  type TopologyModel,
} from '../../common/model';
import {
  ARROW_MARKER,
  CATEGORIES,
  EMPTY_MESSAGE,
  EDGE_FONT_PX,
  LABEL_FONT_PX,
  MARKS,
  category,
  drawingBounds,
  edgeClasses,
  edgeLabel,
  edgeRoute as routeOf,
  edgeSpread,
  edgeTitle,
  estimateTextWidth,
  findingMarks,
  nodeClasses,
  nodeDrawing,
  nodeName,
  nodeTitle,
  polylinePoint,
  round,
  routePath,
  uniqueById,
  withMarks,
  type Marks,
  type NodeGeom,
} from './drawing';
import {
  boxAround,
  detour,
  drawableEdges,
  layeredLayout,
  mergePositions,
  type Box,
  type Point,
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

export { EMPTY_MESSAGE } from './drawing';

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
    const marker = defs.append('marker')
      .attr('id', `${prefix}-arrow-${m}`)
      .attr('class', `pt-arrow arrow-${m}`);
    for (const [name, value] of Object.entries(ARROW_MARKER.attrs)) marker.attr(name, value);
    marker.append('path').attr('d', ARROW_MARKER.d);
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
      .attr('class', (d) => nodeClasses(d, marks.nodes.get(d.id)))
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
    const { offsetOf, labelAt } = edgeSpread(edges);

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
      .attr('class', (d) => edgeClasses(d, marks.edges.get(d.id)))
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
      const w = (measured > 0 ? measured : estimateTextWidth(label, EDGE_FONT_PX)) + 6;
      g.select('rect.edge-label-bg')
        .attr('x', round(mid.x - w / 2)).attr('y', round(mid.y - EDGE_FONT_PX / 2 - 2))
        .attr('width', round(w)).attr('height', EDGE_FONT_PX + 4);
    });

    bounds = graphBounds();
  };

  const edgeRoute = (e: ModelEdge, offset: number): Point[] => routeOf(e, offset, positions, geoms, waypoints);

  const graphBounds = (): Box | undefined => drawingBounds(positions, geoms, waypoints);

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
  const tw = measured > 0 ? measured : estimateTextWidth(label, LABEL_FONT_PX);
  const drawing = nodeDrawing(node, tw);
  for (const part of drawing.parts) {
    const el = g.insert(part.tag, 'text').attr('class', part.cls);
    for (const [name, value] of Object.entries(part.attrs)) el.attr(name, value);
  }
  if (drawing.label.x !== undefined) text.attr('x', drawing.label.x);
  if (drawing.label.y !== undefined) text.attr('y', drawing.label.y);
  return drawing.geom;
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
