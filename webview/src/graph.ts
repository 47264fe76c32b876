// The graph drawing: one SVG, drawn with D3 from a TopologyModel. Colours come from CSS classes
// only (webview/media/graph.css), so the drawing follows the VS Code theme. Nothing here writes a
// `style` attribute (the page's CSP has no 'unsafe-inline'); the tooltip is placed through CSSOM.
//
// Layout: the layered layout of layout.ts paints at once; the elkjs `layered` layout, computed in a
// Web Worker (layout-client.ts), replaces it when it arrives, animated. Live updates keep the place
// of every node that persists, and reuse the layout whole when the nodes and edges are the same.
import {
  easeCubicInOut,
  select,
  timer,
  zoom,
  zoomIdentity,
  zoomTransform,
  type Selection,
  type Timer,
  type ZoomBehavior,
} from 'd3';
import type { Finding, Location, ModelNode, TopologyModel } from '../../common/model';
import {
  ARROW_MARKER,
  CATEGORIES,
  EDGE_FONT_PX,
  EMPTY_MESSAGE,
  LABEL_FONT_PX,
  MARKS,
  category,
  classes,
  displayLabel,
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
  withMarks,
  type DrawKind,
  type Mark,
  type Marks,
  type NodeGeom,
} from '../../drawing/shapes';
import type { LayoutRequest, LayoutResponse } from '../../drawing/elk-layout';
import { atLocation, finalState, hasTrace, isCycleFinding, objectOf, parseOp, stepEdge } from '../../drawing/findings';
import { boxAround, detour, layeredLayout, mergePositions, type Box, type Point, type Size } from '../../drawing/layout';
import type { LayoutClient } from './layout-client';
import {
  buildView,
  fileGroupId,
  fileGroups,
  neighbourhood,
  poolMembers,
  structureKey,
  type ViewEdge,
  type ViewGraph,
  type ViewNode,
} from '../../drawing/view-model';

export { EMPTY_MESSAGE } from '../../drawing/shapes';

/** What the view remembers across reloads (with the model, in the webview's saved state). */
export interface SavedView {
  expanded: string[];
  collapsed: string[];
  hiddenKinds: string[];
  selected?: string;
  transform?: { x: number; y: number; k: number };
}

export function isSavedView(v: unknown): v is SavedView {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const strings = (a: unknown): boolean => Array.isArray(a) && a.length < 100_000 && a.every((x) => typeof x === 'string');
  const t = s.transform as Record<string, unknown> | undefined;
  return strings(s.expanded) && strings(s.collapsed) && strings(s.hiddenKinds)
    && (s.selected === undefined || typeof s.selected === 'string')
    && (t === undefined || (typeof t === 'object' && t !== null && [t.x, t.y, t.k].every((n) => typeof n === 'number' && Number.isFinite(n))));
}

export type LayoutSource = 'layered' | 'elk' | 'merged' | 'kept';

export interface GraphOptions {
  /** The user activated a node or an edge (click, Enter, Space): open its code. */
  onOpen(loc: Location): void;
  /** A trace step: show its code without taking the focus. */
  onReveal?(loc: Location): void;
  /** The elkjs layout worker; without it the layered layout is final. */
  layout?: LayoutClient;
  /** Something worth saving changed (expansions, filters, selection, zoom). */
  onChange?(): void;
  /** A layout was applied. */
  onLayout?(source: LayoutSource, info: { ms?: number; nodes: number }): void;
  /** The trace replay moved (for the toolbar's step label and buttons). */
  onTrace?(state: TraceView | undefined): void;
  initial?: SavedView;
  /** Room to leave at the bottom of the view when fitting (the legend sits there). */
  bottomInset?: () => number;
}

export interface TraceView {
  finding: number;
  /** 0-based step; `steps` is the final state. */
  step: number;
  steps: number;
  text: string;
  playing: boolean;
}

export type FocusDirection = 'up' | 'down' | 'both';

export interface GraphView {
  readonly svg: SVGSVGElement;
  /** Redraws in place: nodes that persist keep their place, the view does not move. */
  update(model: TopologyModel): void;
  fit(): void;
  dispose(): void;
  /** Highlights the nodes whose label contains `text`; returns how many. */
  search(text: string): number;
  /** Brings the next search match into view. */
  nextMatch(): string | undefined;
  setHiddenKinds(kinds: Iterable<string>): void;
  /** Fades everything outside the neighbourhood of the selected (or given) node. */
  focusNeighbourhood(dir: FocusDirection | undefined, id?: string): boolean;
  /** Highlights the nodes at an editor location (or these model node ids); returns how many. */
  highlight(loc: Location | undefined, nodeIds?: string[]): number;
  /** Expands or folds a node (replicated process, pool, file group). */
  toggle(id: string): void;
  /** Folds (or unfolds) every pool, or every file. */
  collapseAll(what: 'pools' | 'files', on: boolean): void;
  /** Lays the graph out again from scratch (elkjs). */
  relayout(): void;
  showFinding(index: number | undefined): void;
  /** Moves the trace replay: `next`, `prev`, a step number, or the final state (`end`). */
  traceStep(to: 'next' | 'prev' | 'end' | number): void;
  playTrace(on: boolean): void;
  state(): SavedView;
  /** The model node kinds present, for the filter. */
  kinds(): DrawKind[];
  readonly layoutSource: LayoutSource;
  /** The drawing's box in graph coordinates. */
  bounds(): Box | undefined;
  /** The model as drawn. */
  readonly model: TopologyModel;
}

/** Above this many model nodes, pools start folded; above AUTO_FOLD_FILES, files too. */
export const AUTO_FOLD_POOLS = 1500;
export const AUTO_FOLD_FILES = 2500;
/** Above this many drawn nodes, layout changes jump instead of animating. */
const ANIMATE_MAX = 1200;
const ANIMATE_MS = 450;

let instances = 0;

/** Label widths from a canvas (no layout flush per label), cached. */
function textMeasurer(doc: Document): (text: string, px: number) => number {
  const cache = new Map<string, number>();
  let ctx: CanvasRenderingContext2D | null | undefined;
  let family = '';
  return (text, px) => {
    const key = `${px}\u0000${text}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    if (ctx === undefined) {
      try {
        ctx = doc.createElement('canvas').getContext('2d');
      } catch {
        ctx = null;
      }
      const probe = doc.querySelector('.pt-svg') ?? doc.body;
      family = probe ? getComputedStyle(probe).fontFamily : 'sans-serif';
    }
    let w = estimateTextWidth(text, px);
    if (ctx) {
      ctx.font = `${px}px ${family || 'sans-serif'}`;
      const m = ctx.measureText(text).width;
      if (m > 0) w = m;
    }
    cache.set(key, w);
    return w;
  };
}

function mergeMark(map: Map<string, Marks>, id: string, mark: Marks): void {
  const rank = (m: Mark): number => MARKS.length - MARKS.indexOf(m);
  const cur = map.get(id);
  if (!cur) { map.set(id, { severity: mark.severity, messages: [...mark.messages] }); return; }
  if (rank(mark.severity) > rank(cur.severity)) cur.severity = mark.severity;
  for (const m of mark.messages) if (!cur.messages.includes(m)) cur.messages.push(m);
}

export function renderGraph(container: HTMLElement, initialModel: TopologyModel, opts: GraphOptions): GraphView {
  const prefix = `pt${++instances}`;
  const doc = container.ownerDocument;
  const measure = textMeasurer(doc);
  const reducedMotion = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

  const empty = doc.createElement('div');
  empty.className = 'pt-empty';
  empty.textContent = EMPTY_MESSAGE;
  empty.hidden = true;
  container.append(empty);

  const tip = doc.createElement('div');
  tip.className = 'pt-tooltip';
  tip.setAttribute('role', 'tooltip');
  tip.id = `${prefix}-tooltip`;
  tip.hidden = true;

  // The zoom behaviour listens on a stage that never moves, around the SVG: during a fast pan the
  // SVG itself is moved with a CSS transform, and pointer positions taken relative to a moving
  // element would shift with it (the pan would lag behind the mouse).
  const stage = doc.createElement('div');
  stage.className = 'pt-stage';
  container.append(stage);
  const stageSel = select(stage);
  const svg = stageSel
    .append<SVGSVGElement>('svg')
    .attr('class', 'pt-svg')
    .attr('role', 'group')
    .attr('aria-label', 'Process topology graph')
    .attr('data-layout', 'none');
  // Covers the drawing while a drag pans it: the browser then hit-tests one element per mouse move
  // instead of thousands of nodes and edge strokes, and no hover effect repaints the moving layer.
  const shield = doc.createElement('div');
  shield.className = 'pt-pan-shield';
  shield.hidden = true;
  stage.append(shield);
  container.append(tip);
  const defs = svg.append('defs');
  for (const m of [...CATEGORIES, ...MARKS, 'active']) {
    const marker = defs.append('marker')
      .attr('id', `${prefix}-arrow-${m}`)
      .attr('class', `pt-arrow arrow-${m}`);
    for (const [name, value] of Object.entries(ARROW_MARKER.attrs)) marker.attr(name, value);
    marker.append('path').attr('d', ARROW_MARKER.d);
  }
  const viewport = svg.append('g').attr('class', 'viewport');
  const edgeLayer = viewport.append('g').attr('class', 'edges');
  const nodeLayer = viewport.append('g').attr('class', 'nodes');

  // ---- State -------------------------------------------------------------------------------
  let model = initialModel;
  const expanded = new Set<string>(opts.initial?.expanded ?? []);
  const collapsed = new Set<string>(opts.initial?.collapsed ?? []);
  const hiddenKinds = new Set<string>(opts.initial?.hiddenKinds ?? []);
  let selected: string | undefined = opts.initial?.selected;
  let view: ViewGraph = buildView(model, { expanded, collapsed });
  let positions = new Map<string, Point>();
  let waypoints = new Map<string, Point[]>();
  let labelPos = new Map<string, Point>();
  let edgeEnds = new Map<string, string>();
  let geoms = new Map<string, NodeGeom>();
  const sigs = new Map<string, string>();
  let layoutKey = '';
  let layoutSource: LayoutSource = 'kept';
  let generation = 0;
  let bounds: Box | undefined;
  let autoFit = true;
  let disposed = false;
  let animation: Timer | undefined;
  let searchText = '';
  let matches: string[] = [];
  let matchIndex = -1;
  let focus: { id: string; dir: FocusDirection } | undefined;
  let editorNodes = new Set<string>();
  let editorEdges = new Set<string>();
  let activeFinding: number | undefined;
  let step: number | undefined;
  let playTimer: ReturnType<typeof setInterval> | undefined;
  let marks = { nodes: new Map<string, Marks>(), edges: new Map<string, Marks>() };
  let cycleNodes = new Set<string>();
  let cycleEdges = new Set<string>();
  let spread = edgeSpread([]);

  const changed = (): void => opts.onChange?.();

  // ---- Zoom -----------------------------------------------------------------------------------
  // The graph pans like a scrolled page. The SVG is one composited layer, twice the stage's width
  // and height, centred on it (half a stage of margin on every side: graph.css), and a gesture
  // moves that layer with a CSS transform (set through CSSOM) from the transform the drawing has
  // (`drawn`) to the zoom's: the margin comes into view already drawn. A pan leaves the layer where
  // it is, so nothing is painted again, until a drag would go past the margin; a zoom gesture is
  // drawn at its new scale when it ends (or on the way, past a ratio), so the text stays sharp.
  // Redrawing instead on every move costs a paint of the whole drawing a frame (1,000 nodes: about
  // 40 fps here, against 60 for a blank page). The SVG keeps clipping its content: with `overflow:
  // visible`, Chromium's layerization took a second a frame on 5,000 nodes. A drag also raises the
  // shield over the drawing. Programmatic moves (fit, centring, transitions) draw each step.
  const svgEl = svg.node()!;
  let drawn = { k: 1, x: 0, y: 0 };
  /** The SVG's margin around the stage, in pixels. */
  const margin = (): Point => ({ x: stage.clientWidth / 2, y: stage.clientHeight / 2 });
  const commit = (t: { k: number; x: number; y: number }): void => {
    drawn = { k: t.k, x: t.x, y: t.y };
    const m = margin();
    viewport.attr('transform', `translate(${t.x + m.x},${t.y + m.y}) scale(${t.k})`);
    if (svgEl.style.getPropertyValue('transform')) svgEl.style.removeProperty('transform');
    svg.classed('zoomed-out', t.k < 0.45).classed('zoomed-far', t.k < 0.25);
  };
  /** Moves the layer to `t`; false when it cannot show `t` as it is drawn (past the margin, or a scale too far off). */
  const moveLayer = (t: { k: number; x: number; y: number }): boolean => {
    const r = t.k / drawn.k;
    const dx = t.x - drawn.x * r;
    const dy = t.y - drawn.y * r;
    const m = margin();
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    // The moved layer must still cover the stage: [dx - r·m, dx + r·(w + m)] ⊇ [0, w], and so in y.
    const covers = dx - r * m.x <= 0 && dx + r * (w + m.x) >= w && dy - r * m.y <= 0 && dy + r * (h + m.y) >= h;
    if (r > 1.6 || r < 0.6 || !covers) return false;
    // Whole pixels when only moving: a layer left at a fractional offset would be drawn blurred.
    const px = (v: number): string => (r === 1 ? String(Math.round(v)) : String(round(v)));
    svgEl.style.setProperty('transform', `translate(${px(dx)}px,${px(dy)}px) scale(${r})`);
    return true;
  };
  const zoomer: ZoomBehavior<HTMLDivElement, unknown> = zoom<HTMLDivElement, unknown>()
    .scaleExtent([0.02, 4])
    .filter((event: Event) => {
      if (event.type === 'dblclick' && (event.target as Element | null)?.closest('.node, .edge')) return false;
      const e = event as MouseEvent;
      return (!e.ctrlKey || event.type === 'wheel') && !e.button;
    })
    .on('zoom', (event: { transform: { k: number; x: number; y: number }; sourceEvent: Event | null }) => {
      const t = event.transform;
      if (event.sourceEvent) {
        autoFit = false;
        hideTip();
        // Only once the mouse moves: a click (no move) must still reach the node under it.
        const type = event.sourceEvent.type;
        if (shield.hidden && (type === 'mousemove' || type === 'touchmove')) shield.hidden = false;
        if (moveLayer(t)) return;
      }
      commit(t);
    })
    .on('end', (event: { transform: { k: number; x: number; y: number } }) => {
      if (event.transform.k !== drawn.k) commit(event.transform);
      shield.hidden = true;
      changed();
    });
  stageSel.call(zoomer).on('dblclick.zoom', null);

  const fitBox = (box: Box | undefined, animate: boolean, maxK = 1.25): void => {
    const width = stage.clientWidth;
    const height = stage.clientHeight;
    if (!box || width === 0 || height === 0) return;
    const pad = 24;
    const bottom = Math.min(height / 3, Math.max(pad, (opts.bottomInset?.() ?? 0) + 8));
    const bw = Math.max(1, box.x1 - box.x0);
    const bh = Math.max(1, box.y1 - box.y0);
    const k = Math.max(0.02, Math.min(maxK, (width - 2 * pad) / bw, (height - pad - bottom) / bh));
    const t = zoomIdentity
      .translate(width / 2 - k * (box.x0 + bw / 2), (height - bottom + pad) / 2 - k * (box.y0 + bh / 2))
      .scale(k);
    if (animate && !reducedMotion) stageSel.transition().duration(350).call(zoomer.transform, t);
    else stageSel.call(zoomer.transform, t);
  };
  const fit = (): void => {
    fitBox(bounds, false);
    autoFit = true;
  };

  const onKey = (event: KeyboardEvent): void => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if ((event.target as Element | null)?.closest('input, select, textarea, button')) return;
    if (event.key === '+' || event.key === '=') zoomer.scaleBy(stageSel, 1.25);
    else if (event.key === '-' || event.key === '_') zoomer.scaleBy(stageSel, 0.8);
    else if (event.key === '0') fit();
    else return;
    autoFit = false;
    event.preventDefault();
  };
  container.addEventListener('keydown', onKey);

  const resize = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(() => {
    if (disposed) return;
    // The large graphs' margin is a share of the stage: draw again for the new size.
    if (autoFit) fit(); else commit(zoomTransform(stage));
  });
  resize?.observe(container);

  /** Brings a node or edge into view when keyboard focus lands outside the viewport. */
  const reveal = (el: SVGGElement, center: Point | undefined): void => {
    if (!center || !matchesSafe(el, ':focus-visible')) return;
    if (inView(el)) return;
    zoomer.translateTo(stageSel, center.x, center.y);
    autoFit = false;
  };
  const inView = (el: Element): boolean => {
    const r = el.getBoundingClientRect();
    const s = stage.getBoundingClientRect();
    return r.left >= s.left && r.right <= s.right && r.top >= s.top && r.bottom <= s.bottom;
  };
  const centerOn = (ids: readonly string[]): void => {
    const pts = ids.map((id) => positions.get(id)).filter((p): p is Point => p !== undefined);
    if (pts.length === 0) return;
    const els = ids.map((id) => nodeEl(id)).filter((e): e is SVGGElement => e !== undefined);
    if (els.length > 0 && els.every(inView)) return;
    const x = pts.reduce((s, p) => s + p.x, 0) / pts.length;
    const y = pts.reduce((s, p) => s + p.y, 0) / pts.length;
    if (reducedMotion) zoomer.translateTo(stageSel, x, y);
    else stageSel.transition().duration(300).call(zoomer.translateTo, x, y);
    autoFit = false;
  };

  // ---- Tooltip --------------------------------------------------------------------------------
  const showTip = (lines: { text: string; cls?: string }[], anchor: Element): void => {
    tip.replaceChildren(...lines.map((l) => {
      const div = doc.createElement('div');
      if (l.cls) div.className = l.cls;
      div.textContent = l.text;
      return div;
    }));
    tip.hidden = false;
    const r = anchor.getBoundingClientRect();
    const c = container.getBoundingClientRect();
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let left = r.right - c.left + 8;
    if (left + tw > c.width - 4) left = Math.max(4, r.left - c.left - tw - 8);
    let top = r.top - c.top;
    if (top + th > c.height - 4) top = Math.max(4, c.height - th - 4);
    tip.style.setProperty('left', `${Math.round(left)}px`);
    tip.style.setProperty('top', `${Math.round(Math.max(4, top))}px`);
  };
  function hideTip(): void {
    if (!tip.hidden) tip.hidden = true;
  }

  const nodeTip = (d: ViewNode): { text: string; cls?: string }[] => {
    const [head, ...rest] = nodeTitle(d, marks.nodes.get(d.id)).split('\n');
    const lines: { text: string; cls?: string }[] = [{ text: head!, cls: 'tip-head' }];
    const messages = marks.nodes.get(d.id)?.messages ?? [];
    for (const l of rest) if (!messages.includes(l)) lines.push({ text: l, cls: 'tip-loc' });
    if (d.members && d.members.length > 0) lines.push({ text: `${d.members.length} node${d.members.length === 1 ? '' : 's'} folded in`, cls: 'tip-detail' });
    const ops = view.edges.filter((e) => e.from === d.id || e.to === d.id);
    if (ops.length > 0) lines.push({ text: 'Operations', cls: 'tip-section' });
    for (const e of ops.slice(0, 12)) {
      const out = e.from === d.id;
      const other = nodeName(view.byId.get(out ? e.to : e.from));
      const extra = [e.count === 'loop' ? 'in a loop' : typeof e.count === 'number' && e.count > 1 ? `×${e.count}` : e.count === 'several' ? 'several times' : '',
        e.blocking ? 'blocking' : ''].filter((s) => s).join(', ');
      lines.push({ text: `${out ? '→' : '←'} ${e.kind} ${out ? 'to' : 'from'} ${other}${extra ? ` (${extra})` : ''}`, cls: 'tip-op' });
    }
    if (ops.length > 12) lines.push({ text: `… and ${ops.length - 12} more`, cls: 'tip-op' });
    for (const m of messages) lines.push({ text: m, cls: `tip-finding tip-${marks.nodes.get(d.id)!.severity}` });
    if (d.toggle) lines.push({ text: toggleHint(d), cls: 'tip-hint' });
    return lines;
  };
  const edgeTip = (d: ViewEdge): { text: string; cls?: string }[] => {
    const mark = marks.edges.get(d.id);
    const [head, ...rest] = edgeTitle(d, view.byId, mark).split('\n');
    const messages = mark?.messages ?? [];
    return [
      { text: head!, cls: 'tip-head' },
      ...rest.filter((l) => !messages.includes(l)).map((text) => ({ text, cls: 'tip-loc' })),
      ...messages.map((text) => ({ text, cls: `tip-finding tip-${mark!.severity}` })),
    ];
  };

  // ---- Drawing --------------------------------------------------------------------------------
  const activate = (loc: Location | undefined): void => {
    if (loc) opts.onOpen(loc);
  };
  const nodeEl = (id: string): SVGGElement | undefined =>
    nodeLayer.selectAll<SVGGElement, ViewNode>('g.node').filter((d) => d.id === id).node() ?? undefined;

  const select1 = (id: string | undefined): void => {
    if (selected === id) return;
    selected = id;
    paint();
    changed();
  };

  const drawBody = (g: Selection<SVGGElement, ViewNode, null, undefined>, d: ViewNode): NodeGeom => {
    g.selectAll('*').remove();
    const body = g.append('g').attr('class', 'node-body');
    const label = displayLabel(d);
    const text = body.append('text').attr('class', 'node-label').attr('text-anchor', 'middle').attr('dy', '0.35em').text(label);
    const drawing = nodeDrawing(d, measure(label, LABEL_FONT_PX));
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
          toggle(d.toggleTarget ?? d.id);
        });
      t.append('circle').attr('r', 8);
      t.append('path').attr('d', d.toggle === 'expand' || d.toggle === 'expand-pool' || d.toggle === 'expand-group' ? 'M-4,0H4M0,-4V4' : 'M-4,0H4');
    }
    return drawing.geom;
  };

  const nodeSig = (d: ViewNode): string => `${d.kind}|${displayLabel(d)}|${d.multiplicity ?? ''}|${d.toggle ?? ''}`;

  /** Joins the view's nodes and edges to the DOM; returns the ids that are new. */
  const changedIds = new Set<string>();
  const join = (): Set<string> => {
    const fresh = new Set<string>();
    changedIds.clear();
    const nodeSel = nodeLayer
      .selectAll<SVGGElement, ViewNode>('g.node')
      .data(view.nodes, (d) => d.id)
      .join(
        (enter) => enter.append('g')
          .attr('class', 'node')
          .attr('tabindex', 0)
          .attr('role', 'button')
          .each((d) => { fresh.add(d.id); })
          .on('click', (_event: MouseEvent, d) => { select1(d.id); activate(d.loc); })
          .on('keydown', (event: KeyboardEvent, d) => onNodeKey(event, d))
          .on('focus', function (this: SVGGElement, _event: FocusEvent, d) {
            reveal(this, positions.get(d.id));
            if (matchesSafe(this, ':focus-visible')) showTip(nodeTip(d), this);
          })
          .on('blur', hideTip)
          .on('mouseenter', function (this: SVGGElement, _event: MouseEvent, d) { showTip(nodeTip(d), this); })
          .on('mouseleave', hideTip),
        (update) => update,
        (exit) => exit.attr('class', 'node-leaving').attr('tabindex', null).attr('data-id', null)
          .call((s) => { setTimeout(() => s.remove(), reducedMotion ? 0 : 260); }),
      );
    nodeSel.attr('data-id', (d) => d.id).attr('aria-describedby', tip.id);
    const nextGeoms = new Map<string, NodeGeom>();
    nodeSel.each(function (d) {
      const sig = nodeSig(d);
      const old = geoms.get(d.id);
      if (old && sigs.get(d.id) === sig) { nextGeoms.set(d.id, old); return; }
      if (old) changedIds.add(d.id);
      sigs.set(d.id, sig);
      nextGeoms.set(d.id, drawBody(select(this), d));
    });
    for (const id of sigs.keys()) if (!nextGeoms.has(id)) sigs.delete(id);
    geoms = nextGeoms;

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
            .on('click', (_event: MouseEvent, d) => activate(d.locs[0]))
            .on('keydown', (event: KeyboardEvent, d) => onEdgeKey(event, d))
            .on('focus', function (this: SVGGElement, _event: FocusEvent, d) {
              const a = positions.get(d.from);
              const b = positions.get(d.to);
              reveal(this, a && b ? { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } : undefined);
              if (matchesSafe(this, ':focus-visible')) showTip(edgeTip(d), this);
            })
            .on('blur', hideTip)
            .on('mouseenter', function (this: SVGGElement, _event: MouseEvent, d) { showTip(edgeTip(d), this.querySelector('.edge-label') ?? this); })
            .on('mouseleave', hideTip);
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
  };

  const onNodeKey = (event: KeyboardEvent, d: ViewNode): void => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select1(d.id);
      activate(d.loc);
    } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      // Follow the node's outgoing (right) or incoming (left) edges.
      const out = event.key === 'ArrowRight';
      const edge = visibleEdges().find((e) => (out ? e.from : e.to) === d.id);
      if (edge && focusItem(edgeLayer, 'g.edge', edge.id)) event.preventDefault();
    } else if (event.key === 'x' || event.key === 'X') {
      if (d.toggle) { event.preventDefault(); toggle(d.toggleTarget ?? d.id, d.id); }
    } else if (event.key === 'u' || event.key === 'd' || event.key === 'b') {
      event.preventDefault();
      const dir: FocusDirection = event.key === 'u' ? 'up' : event.key === 'd' ? 'down' : 'both';
      focusNeighbourhood(focus?.id === d.id && focus.dir === dir ? undefined : dir, d.id);
    } else if (event.key === 'Escape') {
      if (focus) { focusNeighbourhood(undefined); event.preventDefault(); }
    }
  };
  const onEdgeKey = (event: KeyboardEvent, d: ViewEdge): void => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      activate(d.locs[0]);
    } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      // To the edge's target (right) or source (left) node.
      if (focusItem(nodeLayer, 'g.node', event.key === 'ArrowRight' ? d.to : d.from)) event.preventDefault();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      // To the next or previous edge leaving the same node.
      const siblings = visibleEdges().filter((e) => e.from === d.from);
      const i = siblings.findIndex((e) => e.id === d.id);
      const stepBy = event.key === 'ArrowDown' ? 1 : siblings.length - 1;
      const edge = siblings[(i + stepBy) % siblings.length];
      if (edge && focusItem(edgeLayer, 'g.edge', edge.id)) event.preventDefault();
    }
  };

  const isHidden = (id: string): boolean => {
    const n = view.byId.get(id);
    return n !== undefined && hiddenKinds.has(n.kind);
  };
  const visibleEdges = (): ViewEdge[] => view.edges.filter((e) => !isHidden(e.from) && !isHidden(e.to));

  // ---- Layout ---------------------------------------------------------------------------------
  const sizeOf = (id: string): Size => geoms.get(id)?.box ?? { width: 80, height: 36 };
  const asModel = (): TopologyModel => ({ ...model, nodes: view.nodes as unknown as ModelNode[], edges: view.edges });

  /** Edges laid out from their target (life-cycle edges follow the spawn between the same nodes). */
  const reversedEdges = (): Set<string> => {
    const spawned = new Set(view.edges.filter((e) => e.kind === 'spawn').map((e) => `${e.from}\u0000${e.to}`));
    return new Set(view.edges.filter((e) => (e.kind === 'join' || e.kind === 'terminate') && spawned.has(`${e.to}\u0000${e.from}`)).map((e) => e.id));
  };

  const elkRequest = (): LayoutRequest => {
    const rev = reversedEdges();
    return {
      nodes: view.nodes.map((n) => ({ id: n.id, ...sizeOf(n.id), ...(n.kind === 'process' && n.role === 'main' ? { first: true } : {}) })),
      edges: view.edges.filter((e) => e.from !== e.to).map((e) => ({
        id: e.id, from: e.from, to: e.to, ...(rev.has(e.id) ? { reversed: true } : {}),
        labelWidth: Math.ceil(measure(edgeLabel(e), EDGE_FONT_PX) + 6),
      })),
    };
  };

  const requestElk = (): void => {
    const client = opts.layout;
    if (!client || view.nodes.length === 0) return;
    if (client.failure) { svg.attr('data-layout-failure', client.failure); return; }
    const gen = ++generation;
    svg.attr('data-layout-state', 'pending');
    const started = performance.now();
    void client.layout(elkRequest()).then((res) => {
      if (disposed || gen !== generation) return;
      if (!res) {
        svg.attr('data-layout-state', 'settled').attr('data-layout', 'layered').attr('data-layout-failure', client.failure ?? null);
        opts.onLayout?.('layered', { nodes: view.nodes.length });
        return;
      }
      // Which worker computed it (the page's CSP allows workers from blob: URLs only): tests read it.
      svg.attr('data-layout-worker', client.startedFrom ?? null);
      applyElk(res, performance.now() - started);
    });
  };

  const applyElk = (res: LayoutResponse, wallMs: number): void => {
    const target = new Map(res.nodes);
    if (![...target.keys()].every((id) => view.byId.has(id)) || target.size !== view.nodes.length) return;
    // Keep one node still on screen (the selected one, else main), unless the view follows the fit.
    const anchor = [selected, view.nodes.find((n) => n.kind === 'process' && n.role === 'main')?.id, view.nodes[0]?.id]
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
    labelPos = new Map(res.labels.map(([id, p]) => [id, shift(p)]));
    layoutSource = 'elk';
    moveTo(nextPos, nextWay, true);
    mark('pt-layout-elk');
    svg.attr('data-layout', 'elk').attr('data-layout-ms', String(res.ms)).attr('data-layout-wall-ms', String(Math.round(wallMs)));
    opts.onLayout?.('elk', { ms: res.ms, nodes: view.nodes.length });
  };

  /** Routes for edges whose ends moved or that are new: straight, or around the nodes in the way. */
  const routeEdges = (previous: Map<string, Point>, fresh: Map<string, Point[]> | undefined): void => {
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
        boxes ??= view.nodes.map((n) => boxAround(positions.get(n.id)!, sizeOf(n.id), 4));
        const others = boxes.filter((_, i) => view.nodes[i]!.id !== e.from && view.nodes[i]!.id !== e.to);
        nextWay.set(e.id, detour(a, b, others));
      }
    }
    waypoints = nextWay;
    edgeEnds = nextEnds;
  };

  /**
   * Places the view's nodes. `reason`: `update` (live: persisting nodes stay, no re-layout),
   * `user` (an expansion or fold: seed the new nodes, then elkjs), `relayout` (from scratch).
   */
  const place = (reason: 'update' | 'user' | 'relayout'): void => {
    const key = structureKey(view);
    if (key === layoutKey && reason !== 'relayout') {
      layoutSource = 'kept';
      opts.onLayout?.('kept', { nodes: view.nodes.length });
      return;
    }
    layoutKey = key;
    const sizes = new Map(view.nodes.map((n) => [n.id, sizeOf(n.id)]));
    const previous = positions;
    const first = previous.size === 0 || ![...previous.keys()].some((id) => view.byId.has(id));
    const t0 = performance.now();
    const fresh = layeredLayout(asModel(), sizes);
    labelPos = new Map();
    if (first || reason === 'relayout') {
      if (first) {
        positions = fresh.nodes;
        routeEdges(previous, fresh.waypoints);
        layoutSource = 'layered';
        svg.attr('data-layout', 'layered');
      } else {
        // Re-layout: the layered result is only a seed; elkjs decides.
        const merged = mergePositions(view.nodes as unknown as ModelNode[], fresh, previous, sizes);
        positions = merged.nodes;
        routeEdges(previous, merged.shift ? new Map([...fresh.waypoints].map(([id, pts]) => [id, pts.map((p) => ({ x: p.x + merged.shift!.x, y: p.y + merged.shift!.y }))])) : undefined);
      }
      opts.onLayout?.('layered', { ms: performance.now() - t0, nodes: view.nodes.length });
      requestElk();
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
        const holder = [...previous.keys()].find((id) => id === fileGroupId(n.loc?.file ?? '') || poolOfWorker(n.modelId!) === id);
        p = holder ? previous.get(holder) : undefined;
      }
      if (p) seeds.set(n.id, n.instance ? { x: p.x, y: p.y + (n.instance - 1) * (sizeOf(n.id).height + 14) } : p);
    }
    if (reason === 'user') {
      const merged = mergePositions(view.nodes as unknown as ModelNode[], fresh, seeds, sizes);
      positions = merged.nodes;
      routeEdges(previous, undefined);
      layoutSource = 'merged';
      requestElk();
      return;
    }
    const merged = mergePositions(view.nodes as unknown as ModelNode[], fresh, previous, sizes);
    positions = merged.nodes;
    routeEdges(previous, merged.shift ? new Map([...fresh.waypoints].map(([id, pts]) => [id, pts.map((p) => ({ x: p.x + merged.shift!.x, y: p.y + merged.shift!.y }))])) : undefined);
    layoutSource = 'merged';
    opts.onLayout?.('merged', { ms: performance.now() - t0, nodes: view.nodes.length });
  };

  const poolOfWorker = (() => {
    let cache: { model: TopologyModel; map: Map<string, string> } | undefined;
    return (id: string): string | undefined => {
      if (cache?.model !== model) {
        const map = new Map<string, string>();
        for (const [pool, ws] of poolMembers(model)) for (const w of ws) map.set(w, pool);
        cache = { model, map };
      }
      return cache.map.get(id);
    };
  })();

  // ---- Geometry to the DOM -------------------------------------------------------------------
  const routeFor = (e: ViewEdge, pos: Map<string, Point>, way: Map<string, Point[]>): Point[] =>
    routeOf(e, spread.offsetOf.get(e.id) ?? 0, pos, geoms, way);

  const drawPositions = (pos: Map<string, Point>): void => {
    nodeLayer.selectAll<SVGGElement, ViewNode>('g.node').attr('transform', (d) => {
      const p = pos.get(d.id) ?? { x: 0, y: 0 };
      return `translate(${round(p.x)},${round(p.y)})`;
    });
  };

  const drawEdges = (pos: Map<string, Point>, routes: (e: ViewEdge) => Point[], exactLabels: boolean): void => {
    edgeLayer.selectAll<SVGGElement, ViewEdge>('g.edge').each(function (d) {
      if (!pos.has(d.from) || !pos.has(d.to)) return;
      const g = select(this);
      const route = routes(d);
      const path = routePath(route);
      g.select('path.edge-hit').attr('d', path);
      g.select('path.edge-line').attr('d', path);
      const elk = exactLabels && (spread.offsetOf.get(d.id) ?? 0) === 0 ? labelPos.get(d.id) : undefined;
      const mid = elk ?? polylinePoint(route, spread.labelAt.get(d.id) ?? 0.5);
      const label = edgeLabel(d);
      const w = measure(label, EDGE_FONT_PX) + 6;
      g.select('text.edge-label').attr('x', mid.x).attr('y', mid.y);
      g.select('rect.edge-label-bg')
        .attr('x', round(mid.x - w / 2)).attr('y', round(mid.y - EDGE_FONT_PX / 2 - 2))
        .attr('width', round(w)).attr('height', EDGE_FONT_PX + 4);
    });
  };

  const drawGeometry = (): void => {
    drawPositions(positions);
    drawEdges(positions, (e) => routeFor(e, positions, waypoints), true);
    bounds = drawingBounds(positions, geoms, waypoints);
  };

  /** Moves the nodes and edges to new places, animated when the graph is small enough. */
  const moveTo = (nextPos: Map<string, Point>, nextWay: Map<string, Point[]>, refit: boolean): void => {
    animation?.stop();
    const fromPos = positions;
    const fromRoutes = new Map(view.edges.filter((e) => fromPos.has(e.from) && fromPos.has(e.to) && e.from !== e.to)
      .map((e) => [e.id, routeFor(e, fromPos, waypoints)]));
    positions = nextPos;
    waypoints = nextWay;
    edgeEnds = new Map(view.edges.map((e) => [e.id, `${e.from}\u0000${e.to}`]));
    bounds = drawingBounds(positions, geoms, waypoints);
    const finish = (): void => {
      animation = undefined;
      drawGeometry();
      svg.attr('data-layout-state', 'settled');
    };
    const animate = !reducedMotion && view.nodes.length <= ANIMATE_MAX && fromPos.size > 0;
    if (refit && autoFit) fitBox(bounds, animate);
    if (!animate) { finish(); return; }
    svg.attr('data-layout-state', 'animating');
    const toRoutes = new Map(view.edges.filter((e) => e.from !== e.to).map((e) => [e.id, routeFor(e, positions, waypoints)]));
    const lerp = (a: Point, b: Point, t: number): Point => ({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });
    const resampled = new Map<string, [Point[], Point[]]>();
    for (const [id, to] of toRoutes) {
      const from = fromRoutes.get(id);
      if (!from) continue;
      const n = Math.max(from.length, to.length, 2);
      const sample = (r: Point[]): Point[] => (r.length === n ? r : Array.from({ length: n }, (_, i) => polylinePoint(r, i / (n - 1))));
      resampled.set(id, [sample(from), sample(to)]);
    }
    animation = timer((elapsed) => {
      const t = easeCubicInOut(Math.min(1, elapsed / ANIMATE_MS));
      if (t >= 1) { animation?.stop(); finish(); return; }
      const pos = new Map([...positions].map(([id, p]) => [id, fromPos.has(id) ? lerp(fromPos.get(id)!, p, t) : p]));
      drawPositions(pos);
      drawEdges(pos, (e) => {
        const pair = resampled.get(e.id);
        return pair ? pair[0].map((p, i) => lerp(p, pair[1][i]!, t)) : routeFor(e, pos, waypoints);
      }, false);
    });
  };

  // ---- Classes: marks, selection, search, filters, focus, trace ------------------------------
  const computeMarks = (): void => {
    const m = findingMarks(model);
    const nodes = new Map<string, Marks>();
    const edges = new Map<string, Marks>();
    for (const [id, mark] of m.nodes) for (const v of view.nodesOf.get(id) ?? []) mergeMark(nodes, v, mark);
    for (const [id, mark] of m.edges) for (const v of view.edgesOf.get(id) ?? []) mergeMark(edges, v, mark);
    marks = { nodes, edges };
    cycleNodes = new Set();
    cycleEdges = new Set();
    for (const f of model.findings) {
      if (!isCycleFinding(f)) continue;
      for (const id of f.nodes ?? []) for (const v of view.nodesOf.get(id) ?? []) cycleNodes.add(v);
      for (const id of f.edges ?? []) for (const v of view.edgesOf.get(id) ?? []) cycleEdges.add(v);
    }
  };

  interface TraceMarks { actor: Set<string>; op: Set<string>; object: Set<string>; done: Set<string>; waiting: Set<string>; blocked: Set<string>; involved: Set<string> }
  const traceMarks = (): TraceMarks | undefined => {
    const f = activeFinding === undefined ? undefined : model.findings[activeFinding];
    if (!f) return undefined;
    const out: TraceMarks = { actor: new Set(), op: new Set(), object: new Set(), done: new Set(), waiting: new Set(), blocked: new Set(), involved: new Set() };
    for (const id of f.nodes ?? []) for (const v of view.nodesOf.get(id) ?? []) out.involved.add(v);
    for (const id of f.edges ?? []) for (const v of view.edgesOf.get(id) ?? []) out.involved.add(v);
    if (step === undefined || !hasTrace(f)) return out;
    const trace = f.trace;
    const viewOfProcess = (process: string, op: string): string[] => {
      const ids = view.nodesOf.get(process) ?? [];
      const inst = parseOp(op).instance;
      if (ids.length > 1 && inst !== undefined) {
        const exact = ids.find((id) => view.byId.get(id)?.instance === inst);
        if (exact) return [exact];
      }
      return ids;
    };
    const edgeViews = (edgeId: string, actors: string[]): string[] => {
      const ids = view.edgesOf.get(edgeId) ?? [];
      const own = ids.filter((id) => { const e = view.edges.find((x) => x.id === id); return e && (actors.includes(e.from) || actors.includes(e.to)); });
      return own.length > 0 ? own : ids;
    };
    for (let i = 0; i < Math.min(step, trace.length); i++) {
      const s = trace[i]!;
      const e = stepEdge(model, s);
      if (e) for (const v of edgeViews(e.id, viewOfProcess(s.process, s.op))) out.done.add(v);
    }
    if (step < trace.length) {
      const s = trace[step]!;
      const actors = viewOfProcess(s.process, s.op);
      for (const a of actors) out.actor.add(a);
      const e = stepEdge(model, s);
      if (e) {
        for (const v of edgeViews(e.id, actors)) { out.op.add(v); out.done.delete(v); }
        for (const v of view.nodesOf.get(objectOf(e, s.process)) ?? []) out.object.add(v);
      }
    } else {
      const fin = finalState(model, f);
      for (const p of fin.processes) for (const v of view.nodesOf.get(p) ?? []) out.waiting.add(v);
      for (const o of fin.objects) for (const v of view.nodesOf.get(o) ?? []) out.object.add(v);
      for (const e of fin.edges) for (const v of view.edgesOf.get(e) ?? []) out.blocked.add(v);
    }
    return out;
  };

  const paint = (): void => {
    const tm = traceMarks();
    const focusSet = focus && view.byId.has(focus.id) ? neighbourhood(visibleEdges(), focus.id, focus.dir) : undefined;
    const matchSet = new Set(matches);
    const searching = searchText.length > 0;
    const current = matches[matchIndex];
    nodeLayer.selectAll<SVGGElement, ViewNode>('g.node')
      .attr('class', (d) => {
        const mark = marks.nodes.get(d.id);
        const faded = (focusSet !== undefined && !focusSet.has(d.id)) || (tm !== undefined && !tm.involved.has(d.id)
          && !tm.actor.has(d.id) && !tm.object.has(d.id) && !tm.waiting.has(d.id));
        return classes(nodeClasses(d, mark), d.kind === 'group' && 'kind-group', d.instance !== undefined && 'instance',
          cycleNodes.has(d.id) && 'cycle', d.id === selected && 'selected',
          hiddenKinds.has(d.kind) && 'filtered', searching && (matchSet.has(d.id) ? 'search-match' : 'search-miss'),
          d.id === current && 'search-current', editorNodes.has(d.id) && 'editor-match', faded && 'faded',
          focus?.id === d.id && 'focus-root', tm?.actor.has(d.id) && 'trace-actor', tm?.object.has(d.id) && 'trace-object',
          tm?.waiting.has(d.id) && 'trace-waiting', tm?.involved.has(d.id) && 'finding-active');
      })
      .attr('aria-label', (d) => withMarks(`${d.kind === 'group' ? 'collapsed file' : d.kind} ${displayLabel(d)}`, marks.nodes.get(d.id))
        + (d.toggle ? `; ${toggleHint(d)}` : ''))
      .attr('aria-current', (d) => (d.id === selected ? 'true' : null));
    edgeLayer.selectAll<SVGGElement, ViewEdge>('g.edge')
      .attr('class', (d) => {
        const mark = marks.edges.get(d.id);
        const hidden = isHidden(d.from) || isHidden(d.to);
        const inFocus = focusSet === undefined || (focusSet.has(d.from) && focusSet.has(d.to));
        const active = tm !== undefined && (tm.op.has(d.id) || tm.blocked.has(d.id));
        const faded = !inFocus || (tm !== undefined && !tm.involved.has(d.id) && !active && !tm.done.has(d.id))
          || (searching && !matchSet.has(d.from) && !matchSet.has(d.to));
        return classes(edgeClasses(d, mark), cycleEdges.has(d.id) && 'cycle', hidden && 'filtered',
          editorEdges.has(d.id) && 'editor-match', faded && 'faded', tm?.op.has(d.id) && 'trace-op',
          tm?.done.has(d.id) && 'trace-done', tm?.blocked.has(d.id) && 'trace-blocked', tm?.involved.has(d.id) && 'finding-active',
          (d.from === selected || d.to === selected) && 'selected-adjacent');
      })
      .attr('aria-label', (d) => withMarks(`${d.kind} from ${nodeName(view.byId.get(d.from))} to ${nodeName(view.byId.get(d.to))}`, marks.edges.get(d.id)))
      .each(function (d) {
        const mark = marks.edges.get(d.id);
        const active = tm !== undefined && (tm.op.has(d.id) || tm.blocked.has(d.id));
        select(this).select('path.edge-line').attr('marker-end', `url(#${prefix}-arrow-${active ? 'active' : mark?.severity ?? category(d.kind)})`);
      });
  };

  // ---- Render ---------------------------------------------------------------------------------
  const render = (reason: 'update' | 'user' | 'relayout'): void => {
    // Forget expansions and folds of things that are gone.
    const ids = new Set(model.nodes.map((n) => n.id));
    for (const id of expanded) if (!ids.has(id)) expanded.delete(id);
    const files = new Set(model.nodes.map((n) => fileGroupId(n.loc.file)));
    for (const id of collapsed) if (!ids.has(id) && !files.has(id)) collapsed.delete(id);
    view = buildView(model, { expanded, collapsed });
    if (selected !== undefined && !view.byId.has(selected)) selected = undefined;
    if (focus && !view.byId.has(focus.id)) focus = undefined;
    const isEmpty = view.nodes.length === 0;
    empty.hidden = !isEmpty;
    svg.classed('is-empty', isEmpty);
    const fresh = join();
    spread = edgeSpread(view.edges);
    computeMarks();
    if (searchText) matches = computeMatches(searchText);
    place(reason);
    const animating = animation !== undefined;
    if (!animating) drawGeometry();
    paint();
    // New nodes fade in, and changed ones flash once, briefly.
    if (reason === 'update' && !reducedMotion && layoutKeySeen) {
      nodeLayer.selectAll<SVGGElement, ViewNode>('g.node').filter((d) => fresh.has(d.id)).classed('entering', true);
      nodeLayer.selectAll<SVGGElement, ViewNode>('g.node').filter((d) => changedIds.has(d.id)).classed('changed', true);
      edgeLayer.selectAll<SVGGElement, ViewEdge>('g.edge').filter((d) => fresh.has(d.id)).classed('entering', true);
      setTimeout(() => {
        nodeLayer.selectAll('.entering, .changed').classed('entering', false).classed('changed', false);
        edgeLayer.selectAll('.entering').classed('entering', false);
      }, 700);
    }
    layoutKeySeen = true;
    if (svg.attr('data-layout-state') !== 'pending' && !animating) svg.attr('data-layout-state', 'settled');
    opts.onTrace?.(traceView());
  };
  let layoutKeySeen = false;

  const computeMatches = (text: string): string[] => {
    const q = text.trim().toLowerCase();
    if (!q) return [];
    return view.nodes.filter((n) => !hiddenKinds.has(n.kind)
      && [n.label, displayLabel(n), n.target ?? '', n.variant ?? '', n.id].some((s) => s.toLowerCase().includes(q))).map((n) => n.id);
  };

  function toggle(id: string, keepFocusOn?: string): void {
    const node = model.nodes.find((n) => n.id === id);
    if (id.startsWith('group:file:')) {
      collapsed.delete(id);
    } else if (node?.kind === 'pool') {
      if (collapsed.has(id)) collapsed.delete(id); else collapsed.add(id);
    } else if (node) {
      if (expanded.has(id)) expanded.delete(id); else expanded.add(id);
    } else {
      return;
    }
    hideTip();
    render('user');
    changed();
    if (keepFocusOn !== undefined) {
      const target = view.nodesOf.get(node?.id ?? id)?.[0] ?? id;
      nodeEl(target)?.focus();
    }
  }

  const traceView = (): TraceView | undefined => {
    const f: Finding | undefined = activeFinding === undefined ? undefined : model.findings[activeFinding];
    if (!f || !hasTrace(f) || step === undefined) return undefined;
    const steps = f.trace.length;
    const text = step < steps ? `Step ${step + 1} of ${steps}: ${f.trace[step]!.op}` : `Final state: ${f.message}`;
    return { finding: activeFinding!, step, steps, text, playing: playTimer !== undefined };
  };

  const stopPlay = (): void => {
    if (playTimer !== undefined) clearInterval(playTimer);
    playTimer = undefined;
  };

  const goToStep = (to: number): void => {
    const f = activeFinding === undefined ? undefined : model.findings[activeFinding];
    if (!f || !hasTrace(f)) return;
    step = Math.max(0, Math.min(f.trace.length, to));
    paint();
    const tm = traceMarks();
    const focusIds = tm ? [...tm.actor, ...tm.object, ...tm.waiting] : [];
    centerOn(focusIds);
    const loc = step < f.trace.length ? f.trace[step]!.loc : f.loc;
    opts.onReveal?.(loc);
    opts.onTrace?.(traceView());
  };

  const focusNeighbourhood = (dir: FocusDirection | undefined, id?: string): boolean => {
    const target = id ?? selected;
    if (!dir || !target || !view.byId.has(target)) {
      focus = undefined;
      paint();
      return false;
    }
    focus = { id: target, dir };
    selected = target;
    paint();
    const set = neighbourhood(visibleEdges(), target, dir);
    const box = drawingBounds(new Map([...set].map((n) => [n, positions.get(n)!]).filter(([, p]) => p !== undefined) as [string, Point][]), geoms, new Map());
    fitBox(box, true);
    autoFit = false;
    changed();
    return true;
  };

  // ---- First draw ----------------------------------------------------------------------------
  if (!opts.initial && model.nodes.length > AUTO_FOLD_POOLS) {
    for (const pool of poolMembers(model).keys()) collapsed.add(pool);
  }
  if (!opts.initial && model.nodes.length > AUTO_FOLD_FILES) {
    const groups = fileGroups(model);
    if (groups.size > 1) for (const file of groups.keys()) collapsed.add(fileGroupId(file));
  }
  render('update');
  mark('pt-first-draw');
  // The first frame with the drawing on screen.
  requestAnimationFrame(() => setTimeout(() => mark('pt-first-paint'), 0));
  const t0 = opts.initial?.transform;
  if (t0) {
    stageSel.call(zoomer.transform, zoomIdentity.translate(t0.x, t0.y).scale(t0.k));
    autoFit = false;
  } else {
    fit();
  }

  const api: GraphView = {
    svg: svg.node()!,
    get model() { return model; },
    get layoutSource() { return layoutSource; },
    update(next: TopologyModel): void {
      if (disposed) return;
      const hadNodes = positions.size > 0;
      model = next;
      if (activeFinding !== undefined && !model.findings[activeFinding]) { activeFinding = undefined; step = undefined; stopPlay(); }
      render('update');
      if (!hadNodes) fit();
      if (editorLoc) api.highlight(editorLoc, undefined);
    },
    fit,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      stopPlay();
      animation?.stop();
      resize?.disconnect();
      container.removeEventListener('keydown', onKey);
      stageSel.on('.zoom', null);
      stage.remove();
      empty.remove();
      tip.remove();
    },
    search(text: string): number {
      searchText = text;
      matches = computeMatches(text);
      matchIndex = -1;
      paint();
      return matches.length;
    },
    nextMatch(): string | undefined {
      if (matches.length === 0) return undefined;
      matchIndex = (matchIndex + 1) % matches.length;
      const id = matches[matchIndex]!;
      paint();
      centerOn([id]);
      return id;
    },
    setHiddenKinds(kinds: Iterable<string>): void {
      hiddenKinds.clear();
      for (const k of kinds) hiddenKinds.add(k);
      if (searchText) matches = computeMatches(searchText);
      paint();
      changed();
    },
    focusNeighbourhood,
    highlight(loc: Location | undefined, nodeIds?: string[]): number {
      editorLoc = loc;
      const nodes = new Set<string>();
      const edges = new Set<string>();
      if (nodeIds) for (const id of nodeIds) for (const v of view.nodesOf.get(id) ?? (view.byId.has(id) ? [id] : [])) nodes.add(v);
      if (loc) {
        const hit = atLocation(model, loc);
        for (const id of hit.nodes) for (const v of view.nodesOf.get(id) ?? []) nodes.add(v);
        for (const id of hit.edges) for (const v of view.edgesOf.get(id) ?? []) edges.add(v);
      }
      editorNodes = nodes;
      editorEdges = edges;
      paint();
      if (nodes.size > 0) centerOn([...nodes]);
      return nodes.size;
    },
    toggle: (id: string) => toggle(id),
    collapseAll(what: 'pools' | 'files', on: boolean): void {
      const ids = what === 'pools' ? [...poolMembers(model).keys()] : [...fileGroups(model).keys()].map(fileGroupId);
      for (const id of ids) if (on) collapsed.add(id); else collapsed.delete(id);
      render('user');
      changed();
    },
    relayout(): void {
      autoFit = true;
      render('relayout');
    },
    showFinding(index: number | undefined): void {
      stopPlay();
      activeFinding = index !== undefined && model.findings[index] ? index : undefined;
      const f = activeFinding === undefined ? undefined : model.findings[activeFinding];
      step = f && hasTrace(f) ? 0 : undefined;
      if (f) {
        // Unfold what hides the finding's nodes, so that each of them can be seen.
        for (const id of f.nodes ?? []) {
          const node = model.nodes.find((n) => n.id === id);
          if (node && collapsed.has(fileGroupId(node.loc.file))) { collapsed.delete(fileGroupId(node.loc.file)); }
        }
        render('user');
        const tm = traceMarks();
        if (tm) centerOn([...tm.involved].filter((id) => view.byId.has(id)));
        if (step !== undefined) goToStep(0);
      } else {
        paint();
      }
      opts.onTrace?.(traceView());
    },
    traceStep(to: 'next' | 'prev' | 'end' | number): void {
      const f = activeFinding === undefined ? undefined : model.findings[activeFinding];
      if (!f || !hasTrace(f)) return;
      if (typeof to !== 'number') stopPlay();
      const cur = step ?? 0;
      goToStep(to === 'next' ? cur + 1 : to === 'prev' ? cur - 1 : to === 'end' ? f.trace.length : to);
    },
    playTrace(on: boolean): void {
      const f = activeFinding === undefined ? undefined : model.findings[activeFinding];
      stopPlay();
      if (on && f && hasTrace(f)) {
        if ((step ?? 0) >= f.trace.length) goToStep(0);
        playTimer = setInterval(() => {
          if ((step ?? 0) >= f.trace.length) { stopPlay(); opts.onTrace?.(traceView()); return; }
          goToStep((step ?? 0) + 1);
          if ((step ?? 0) >= f.trace.length) { stopPlay(); opts.onTrace?.(traceView()); }
        }, reducedMotion ? 1600 : 1100);
      }
      opts.onTrace?.(traceView());
    },
    state(): SavedView {
      const t = zoomTransform(stage);
      return {
        expanded: [...expanded], collapsed: [...collapsed], hiddenKinds: [...hiddenKinds],
        ...(selected !== undefined ? { selected } : {}),
        ...(autoFit ? {} : { transform: { x: round(t.x), y: round(t.y), k: Math.round(t.k * 1000) / 1000 } }),
      };
    },
    kinds(): DrawKind[] {
      return [...new Set(model.nodes.map((n) => n.kind))];
    },
    bounds: () => bounds,
  };
  let editorLoc: Location | undefined;
  return api;
}

/** A performance mark (the benchmark reads them); harmless where marks are unavailable. */
function mark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    // no User Timing here
  }
}

function toggleHint(d: ViewNode): string {
  switch (d.toggle) {
    case 'expand': return `press X to draw each of its ${d.multiplicity === 'several' ? 'several' : d.multiplicity} instances`;
    case 'collapse-instances': return 'press X to draw its instances as one node';
    case 'collapse-pool': return 'press X to fold its workers into the pool';
    case 'expand-pool': return 'press X to draw its workers';
    case 'expand-group': return 'press X to draw the nodes of this file';
    default: return '';
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

function matchesSafe(el: Element, selector: string): boolean {
  try {
    return el.matches(selector);
  } catch {
    return true;
  }
}
