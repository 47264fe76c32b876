// Drawing the view into the SVG: joining its nodes and edges to the DOM (with their keyboard and
// pointer handling), writing their geometry (animated moves between layouts), and painting their
// classes (finding marks, selection, search, filters, focus, the trace replay). Colours come from
// CSS classes only (webview/media/graph.css), so the drawing follows the VS Code theme.
import { easeCubicInOut, select, timer, type Selection } from 'd3';
import type { Location } from '../../../common/model';
import {
  EDGE_FONT_PX, LABEL_FONT_PX, MARKS, category, classes, displayLabel, drawingBounds, edgeClasses, edgeLabel, edgeRoute as routeOf,
  findingMarks, nodeClasses, nodeDrawing, nodeName, polylinePoint, round, routePath, withMarks, type Mark, type Marks, type NodeGeom,
} from '../../../drawing/shapes';
import { isCycleFinding } from '../../../drawing/findings';
import type { Box, Point } from '../../../drawing/layout';
import { CLUSTER_TITLE_HEIGHT, CLUSTER_TITLE_PX, clusterFrames, programFindingSummary, titleAnchor } from '../../../drawing/programs';
import { neighbourhood, type ViewEdge, type ViewNode } from '../../../drawing/view-model';
import { changed, isHidden, visibleEdges, type FocusDirection, type GraphState } from './state';
import { edgeTip, hideTip, nodeTip, showTip, toggleHint } from './tooltip';
import { traceMarks } from './trace';
import { liveClasses } from './live';
import { matchesSafe } from './zoom';

/** Above this many drawn nodes, layout changes jump instead of animating. */
const ANIMATE_MAX = 1200;
const ANIMATE_MS = 450;

// ---- Nodes and edges in the DOM ------------------------------------------------------------------

function activate(st: GraphState, loc: Location | undefined): void {
  if (loc) st.opts.onOpen(loc);
}

function select1(st: GraphState, id: string | undefined): void {
  if (st.selected === id) return;
  st.selected = id;
  paint(st);
  changed(st);
}

function drawBody(st: GraphState, g: Selection<SVGGElement, ViewNode, null, undefined>, d: ViewNode): NodeGeom {
  g.selectAll('*').remove();
  const body = g.append('g').attr('class', 'node-body');
  const label = displayLabel(d);
  const text = body.append('text').attr('class', 'node-label').attr('text-anchor', 'middle').attr('dy', '0.35em').text(label);
  const drawing = nodeDrawing(d, st.measure(label, LABEL_FONT_PX));
  for (const part of drawing.parts) {
    const el = body.insert(part.tag, 'text').attr('class', part.cls);
    for (const [name, value] of Object.entries(part.attrs)) el.attr(name, value);
  }
  if (drawing.label.x !== undefined) text.attr('x', drawing.label.x);
  if (drawing.label.y !== undefined) text.attr('y', drawing.label.y);
  if (d.toggle) {
    const geom = drawing.geom;
    const t = g.append('g')
      .attr('class', `toggle toggle-${d.toggle}`)
      .attr('transform', `translate(${round(geom.hw)},${round(-geom.hh)})`)
      .attr('aria-hidden', 'true')
      .on('click', (event: MouseEvent) => {
        event.stopPropagation();
        st.actions.toggle(d.toggleTarget ?? d.id);
      });
    t.append('circle').attr('r', 8);
    t.append('path').attr('d', d.toggle === 'expand' || d.toggle === 'expand-pool' || d.toggle === 'expand-group' ? 'M-4,0H4M0,-4V4' : 'M-4,0H4');
  }
  return drawing.geom;
}

const nodeSig = (d: ViewNode): string => `${d.kind}|${displayLabel(d)}|${d.multiplicity ?? ''}|${d.toggle ?? ''}`;

/** Joins the view's nodes and edges to the DOM; returns the ids that are new. */
export function join(st: GraphState): Set<string> {
  const { nodeLayer, edgeLayer, tip, view } = st;
  const fresh = new Set<string>();
  st.changedIds.clear();
  const nodeSel = nodeLayer
    .selectAll<SVGGElement, ViewNode>('g.node')
    .data(view.nodes, (d) => d.id)
    .join(
      (enter) => enter.append('g')
        .attr('class', 'node')
        .attr('tabindex', 0)
        .attr('role', 'button')
        .each((d) => { fresh.add(d.id); })
        .on('click', (_event: MouseEvent, d) => { select1(st, d.id); activate(st, d.loc); })
        .on('keydown', (event: KeyboardEvent, d) => onNodeKey(st, event, d))
        .on('focus', function (this: SVGGElement, _event: FocusEvent, d) {
          st.actions.reveal(this, st.positions.get(d.id));
          if (matchesSafe(this, ':focus-visible')) showTip(st, nodeTip(st, d), this);
        })
        .on('blur', () => hideTip(st))
        .on('mouseenter', function (this: SVGGElement, _event: MouseEvent, d) { showTip(st, nodeTip(st, d), this); })
        .on('mouseleave', () => hideTip(st)),
      (update) => update,
      (exit) => exit.attr('class', 'node-leaving').attr('tabindex', null).attr('data-id', null)
        .call((s) => { setTimeout(() => s.remove(), st.reducedMotion ? 0 : 260); }),
    );
  nodeSel.attr('data-id', (d) => d.id).attr('aria-describedby', tip.id);
  const nextGeoms = new Map<string, NodeGeom>();
  nodeSel.each(function (d) {
    const sig = nodeSig(d);
    const old = st.geoms.get(d.id);
    if (old && st.sigs.get(d.id) === sig) { nextGeoms.set(d.id, old); return; }
    if (old) st.changedIds.add(d.id);
    st.sigs.set(d.id, sig);
    nextGeoms.set(d.id, drawBody(st, select(this), d));
  });
  for (const id of st.sigs.keys()) if (!nextGeoms.has(id)) st.sigs.delete(id);
  st.geoms = nextGeoms;

  const edgeSel = edgeLayer
    .selectAll<SVGGElement, ViewEdge>('g.edge')
    .data(view.edges, (d) => d.id)
    .join(
      (enter) => {
        // Edges are focusable but out of the Tab order (they come before the nodes in the DOM, to
        // be painted below them); arrow keys reach them from their nodes.
        const g = enter.append('g')
          .attr('class', 'edge')
          .attr('tabindex', -1)
          .attr('role', 'button')
          .each((d) => { fresh.add(d.id); })
          .on('click', (_event: MouseEvent, d) => activate(st, d.locs[0]))
          .on('keydown', (event: KeyboardEvent, d) => onEdgeKey(st, event, d))
          .on('focus', function (this: SVGGElement, _event: FocusEvent, d) {
            const a = st.positions.get(d.from);
            const b = st.positions.get(d.to);
            st.actions.reveal(this, a && b ? { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } : undefined);
            if (matchesSafe(this, ':focus-visible')) showTip(st, edgeTip(st, d), this);
          })
          .on('blur', () => hideTip(st))
          .on('mouseenter', function (this: SVGGElement, _event: MouseEvent, d) { showTip(st, edgeTip(st, d), this.querySelector('.edge-label') ?? this); })
          .on('mouseleave', () => hideTip(st));
        g.append('path').attr('class', 'edge-hit');
        g.append('path').attr('class', 'edge-line');
        g.append('rect').attr('class', 'edge-label-bg').attr('rx', 3);
        g.append('text').attr('class', 'edge-label').attr('text-anchor', 'middle').attr('dy', '0.35em');
        return g;
      },
      (update) => update,
      (exit) => exit.remove(),
    );
  edgeSel.attr('data-id', (d) => d.id).attr('aria-describedby', tip.id);
  edgeSel.select<SVGTextElement>('text.edge-label').text((d) => edgeLabel(d));
  return fresh;
}

function onNodeKey(st: GraphState, event: KeyboardEvent, d: ViewNode): void {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    select1(st, d.id);
    activate(st, d.loc);
  } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
    // Follow the node's outgoing (right) or incoming (left) edges.
    const out = event.key === 'ArrowRight';
    const edge = visibleEdges(st).find((e) => (out ? e.from : e.to) === d.id);
    if (edge && focusItem(st.edgeLayer, 'g.edge', edge.id)) event.preventDefault();
  } else if (event.key === 'x' || event.key === 'X') {
    if (d.toggle) { event.preventDefault(); st.actions.toggle(d.toggleTarget ?? d.id, d.id); }
  } else if (event.key === 'u' || event.key === 'd' || event.key === 'b') {
    event.preventDefault();
    const dir: FocusDirection = event.key === 'u' ? 'up' : event.key === 'd' ? 'down' : 'both';
    st.actions.focusNeighbourhood(st.focus?.id === d.id && st.focus.dir === dir ? undefined : dir, d.id);
  } else if (event.key === 'Escape') {
    if (st.focus) { st.actions.focusNeighbourhood(undefined); event.preventDefault(); }
  }
}

function onEdgeKey(st: GraphState, event: KeyboardEvent, d: ViewEdge): void {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    activate(st, d.locs[0]);
  } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
    // To the edge's target (right) or source (left) node.
    if (focusItem(st.nodeLayer, 'g.node', event.key === 'ArrowRight' ? d.to : d.from)) event.preventDefault();
  } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    // To the next or previous edge leaving the same node.
    const siblings = visibleEdges(st).filter((e) => e.from === d.from);
    const i = siblings.findIndex((e) => e.id === d.id);
    const stepBy = event.key === 'ArrowDown' ? 1 : siblings.length - 1;
    const edge = siblings[(i + stepBy) % siblings.length];
    if (edge && focusItem(st.edgeLayer, 'g.edge', edge.id)) event.preventDefault();
  }
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

// ---- Geometry to the DOM -------------------------------------------------------------------------

export function routeFor(st: GraphState, e: ViewEdge, pos: Map<string, Point>, way: Map<string, Point[]>): Point[] {
  return routeOf(e, st.spread.offsetOf.get(e.id) ?? 0, pos, st.geoms, way);
}

function drawPositions(st: GraphState, pos: Map<string, Point>): void {
  st.nodeLayer.selectAll<SVGGElement, ViewNode>('g.node').attr('transform', (d) => {
    const p = pos.get(d.id) ?? { x: 0, y: 0 };
    return `translate(${round(p.x)},${round(p.y)})`;
  });
}

function drawEdges(st: GraphState, pos: Map<string, Point>, routes: (e: ViewEdge) => Point[], exactLabels: boolean): void {
  st.edgeLayer.selectAll<SVGGElement, ViewEdge>('g.edge').each(function (d) {
    if (!pos.has(d.from) || !pos.has(d.to)) return;
    const g = select(this);
    const route = routes(d);
    const path = routePath(route);
    g.select('path.edge-hit').attr('d', path);
    g.select('path.edge-line').attr('d', path);
    const elk = exactLabels && (st.spread.offsetOf.get(d.id) ?? 0) === 0 ? st.labelPos.get(d.id) : undefined;
    const mid = elk ?? polylinePoint(route, st.spread.labelAt.get(d.id) ?? 0.5);
    const label = edgeLabel(d);
    const w = st.measure(label, EDGE_FONT_PX) + 6;
    g.select('text.edge-label').attr('x', mid.x).attr('y', mid.y);
    // A run's count of the edge's operations (render/live.ts), under its label.
    g.select('text.rt-count').attr('x', mid.x).attr('y', mid.y + EDGE_FONT_PX + 2);
    g.select('rect.edge-label-bg')
      .attr('x', round(mid.x - w / 2)).attr('y', round(mid.y - EDGE_FONT_PX / 2 - 2))
      .attr('width', round(w)).attr('height', EDGE_FONT_PX + 4);
  });
}

/** The frame of each program around where its nodes are (`pos`), with the edges inside it. */
function framesAt(st: GraphState, pos: Map<string, Point>, way: Map<string, Point[]>): Map<string, Box> {
  const { clusters } = st.programs;
  if (clusters.length === 0) return new Map();
  const members = new Map<string, string[]>();
  for (const [id, c] of st.viewCluster) members.set(c, [...(members.get(c) ?? []), id]);
  const titles = new Map(clusters.map((c) => [c.id, st.measure(c.title, CLUSTER_TITLE_PX)]));
  return clusterFrames(clusters, members, pos, (id) => st.geoms.get(id)?.box ?? { width: 0, height: 0 },
    (ids) => st.view.edges.filter((e) => ids.has(e.from) && ids.has(e.to)).map((e) => way.get(e.id) ?? []),
    (id) => titles.get(id) ?? 0);
}

/** Draws the programs' frames and titles (a model of several programs), under the edges. */
function drawFrames(st: GraphState, frames: Map<string, Box>): void {
  const { clusters } = st.programs;
  const shown = clusters.filter((c) => frames.has(c.id));
  const sel = st.programLayer.selectAll<SVGGElement, (typeof shown)[number]>('g.program')
    .data(shown, (c) => c.id)
    .join((enter) => {
      const g = enter.append('g').attr('class', 'program');
      g.append('title');
      g.append('rect').attr('class', 'program-frame').attr('rx', 8);
      g.append('path').attr('class', 'program-rule');
      g.append('text').attr('class', 'program-title');
      return g;
    });
  sel.attr('data-program', (c) => c.entry).attr('data-cluster', (c) => c.id);
  sel.select('title').text((c) => `Program ${c.title}: ${programFindingSummary(st.model, c.entry)}`);
  sel.each(function (c) {
    const f = frames.get(c.id)!;
    const g = select(this);
    g.select('rect.program-frame').attr('x', round(f.x0)).attr('y', round(f.y0))
      .attr('width', round(f.x1 - f.x0)).attr('height', round(f.y1 - f.y0));
    g.select('path.program-rule').attr('d', `M${round(f.x0)},${round(f.y0 + CLUSTER_TITLE_HEIGHT)}H${round(f.x1)}`);
    const t = titleAnchor(f);
    g.select('text.program-title').attr('x', round(t.x)).attr('y', round(t.y)).text(c.title);
  });
}

/** The drawing's box, frames included. */
function boundsWith(box: Box | undefined, frames: Map<string, Box>): Box | undefined {
  if (!box) return box;
  const out = { ...box };
  for (const f of frames.values()) {
    out.x0 = Math.min(out.x0, f.x0); out.y0 = Math.min(out.y0, f.y0);
    out.x1 = Math.max(out.x1, f.x1); out.y1 = Math.max(out.y1, f.y1);
  }
  return out;
}

/** Writes every node's place and edge's route as the state has them. */
export function drawGeometry(st: GraphState): void {
  drawPositions(st, st.positions);
  drawEdges(st, st.positions, (e) => routeFor(st, e, st.positions, st.waypoints), true);
  st.frames = framesAt(st, st.positions, st.waypoints);
  drawFrames(st, st.frames);
  st.bounds = boundsWith(drawingBounds(st.positions, st.geoms, st.waypoints), st.frames);
}

/** Moves the nodes and edges to new places, animated when the graph is small enough. */
export function moveTo(st: GraphState, nextPos: Map<string, Point>, nextWay: Map<string, Point[]>, refit: boolean): void {
  const { view, svg } = st;
  st.animation?.stop();
  const fromPos = st.positions;
  const fromRoutes = new Map(view.edges.filter((e) => fromPos.has(e.from) && fromPos.has(e.to) && e.from !== e.to)
    .map((e) => [e.id, routeFor(st, e, fromPos, st.waypoints)]));
  st.positions = nextPos;
  st.waypoints = nextWay;
  st.edgeEnds = new Map(view.edges.map((e) => [e.id, `${e.from}\u0000${e.to}`]));
  st.frames = framesAt(st, st.positions, st.waypoints);
  st.bounds = boundsWith(drawingBounds(st.positions, st.geoms, st.waypoints), st.frames);
  // A model of one program after one of several: the old frames go now, not after the animation.
  if (st.programs.clusters.length === 0) drawFrames(st, st.frames);
  const finish = (): void => {
    st.animation = undefined;
    drawGeometry(st);
    svg.attr('data-layout-state', 'settled');
  };
  const animate = !st.reducedMotion && view.nodes.length <= ANIMATE_MAX && fromPos.size > 0;
  if (refit && st.autoFit) st.actions.fitBox(st.bounds, animate);
  if (!animate) { finish(); return; }
  svg.attr('data-layout-state', 'animating');
  const toRoutes = new Map(view.edges.filter((e) => e.from !== e.to).map((e) => [e.id, routeFor(st, e, st.positions, st.waypoints)]));
  const lerp = (a: Point, b: Point, t: number): Point => ({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });
  const resampled = new Map<string, [Point[], Point[]]>();
  for (const [id, to] of toRoutes) {
    const from = fromRoutes.get(id);
    if (!from) continue;
    const n = Math.max(from.length, to.length, 2);
    const sample = (r: Point[]): Point[] => (r.length === n ? r : Array.from({ length: n }, (_, i) => polylinePoint(r, i / (n - 1))));
    resampled.set(id, [sample(from), sample(to)]);
  }
  st.animation = timer((elapsed) => {
    const t = easeCubicInOut(Math.min(1, elapsed / ANIMATE_MS));
    if (t >= 1) { st.animation?.stop(); finish(); return; }
    const pos = new Map([...st.positions].map(([id, p]) => [id, fromPos.has(id) ? lerp(fromPos.get(id)!, p, t) : p]));
    drawPositions(st, pos);
    drawEdges(st, pos, (e) => {
      const pair = resampled.get(e.id);
      return pair ? pair[0].map((p, i) => lerp(p, pair[1][i]!, t)) : routeFor(st, e, pos, st.waypoints);
    }, false);
    if (st.programs.clusters.length > 0) drawFrames(st, framesAt(st, pos, new Map()));
  });
}

// ---- Classes: marks, selection, search, filters, focus, trace ------------------------------------

function mergeMark(map: Map<string, Marks>, id: string, mark: Marks): void {
  const rank = (m: Mark): number => MARKS.length - MARKS.indexOf(m);
  const cur = map.get(id);
  if (!cur) { map.set(id, { severity: mark.severity, messages: [...mark.messages] }); return; }
  if (rank(mark.severity) > rank(cur.severity)) cur.severity = mark.severity;
  for (const m of mark.messages) if (!cur.messages.includes(m)) cur.messages.push(m);
}

/** The findings' marks and deadlock cycles on the view's nodes and edges. */
export function computeMarks(st: GraphState): void {
  const { model, view } = st;
  const m = findingMarks(model);
  const nodes = new Map<string, Marks>();
  const edges = new Map<string, Marks>();
  for (const [id, mark] of m.nodes) for (const v of view.nodesOf.get(id) ?? []) mergeMark(nodes, v, mark);
  for (const [id, mark] of m.edges) for (const v of view.edgesOf.get(id) ?? []) mergeMark(edges, v, mark);
  st.marks = { nodes, edges };
  st.cycleNodes = new Set();
  st.cycleEdges = new Set();
  for (const f of model.findings) {
    if (!isCycleFinding(f)) continue;
    for (const id of f.nodes ?? []) for (const v of view.nodesOf.get(id) ?? []) st.cycleNodes.add(v);
    for (const id of f.edges ?? []) for (const v of view.edgesOf.get(id) ?? []) st.cycleEdges.add(v);
  }
}

export function paint(st: GraphState): void {
  const { view, marks, focus, selected, hiddenKinds, cycleNodes, cycleEdges, editorNodes, editorEdges, prefix } = st;
  const tm = traceMarks(st);
  const focusSet = focus && view.byId.has(focus.id) ? neighbourhood(visibleEdges(st), focus.id, focus.dir) : undefined;
  const matchSet = new Set(st.matches);
  const searching = st.searchText.length > 0;
  const current = st.matches[st.matchIndex];
  st.nodeLayer.selectAll<SVGGElement, ViewNode>('g.node')
    .attr('class', (d) => {
      const mark = marks.nodes.get(d.id);
      const faded = (focusSet !== undefined && !focusSet.has(d.id)) || (tm !== undefined && !tm.involved.has(d.id)
        && !tm.actor.has(d.id) && !tm.object.has(d.id) && !tm.waiting.has(d.id));
      return classes(nodeClasses(d, mark), d.kind === 'group' && 'kind-group', d.instance !== undefined && 'instance',
        cycleNodes.has(d.id) && 'cycle', d.id === selected && 'selected',
        hiddenKinds.has(d.kind) && 'filtered', searching && (matchSet.has(d.id) ? 'search-match' : 'search-miss'),
        d.id === current && 'search-current', editorNodes.has(d.id) && 'editor-match', faded && 'faded',
        focus?.id === d.id && 'focus-root', tm?.actor.has(d.id) && 'trace-actor', tm?.object.has(d.id) && 'trace-object',
        tm?.waiting.has(d.id) && 'trace-waiting', tm?.involved.has(d.id) && 'finding-active', ...liveClasses(st, d.id, false));
    })
    .attr('aria-label', (d) => withMarks(`${d.kind === 'group' ? 'collapsed file' : d.kind} ${displayLabel(d)}`, marks.nodes.get(d.id))
      + (d.toggle ? `; ${toggleHint(d)}` : ''))
    .attr('aria-current', (d) => (d.id === selected ? 'true' : null));
  st.edgeLayer.selectAll<SVGGElement, ViewEdge>('g.edge')
    .attr('class', (d) => {
      const mark = marks.edges.get(d.id);
      const hidden = isHidden(st, d.from) || isHidden(st, d.to);
      const inFocus = focusSet === undefined || (focusSet.has(d.from) && focusSet.has(d.to));
      const active = tm !== undefined && (tm.op.has(d.id) || tm.blocked.has(d.id));
      const faded = !inFocus || (tm !== undefined && !tm.involved.has(d.id) && !active && !tm.done.has(d.id))
        || (searching && !matchSet.has(d.from) && !matchSet.has(d.to));
      return classes(edgeClasses(d, mark), cycleEdges.has(d.id) && 'cycle', hidden && 'filtered',
        editorEdges.has(d.id) && 'editor-match', faded && 'faded', tm?.op.has(d.id) && 'trace-op',
        tm?.done.has(d.id) && 'trace-done', tm?.blocked.has(d.id) && 'trace-blocked', tm?.involved.has(d.id) && 'finding-active',
        (d.from === selected || d.to === selected) && 'selected-adjacent', ...liveClasses(st, d.id, true));
    })
    .attr('aria-label', (d) => withMarks(`${d.kind} from ${nodeName(view.byId.get(d.from))} to ${nodeName(view.byId.get(d.to))}`, marks.edges.get(d.id)))
    .each(function (d) {
      const mark = marks.edges.get(d.id);
      const active = tm !== undefined && (tm.op.has(d.id) || tm.blocked.has(d.id));
      select(this).select('path.edge-line').attr('marker-end', `url(#${prefix}-arrow-${active ? 'active' : mark?.severity ?? category(d.kind)})`);
    });
}
