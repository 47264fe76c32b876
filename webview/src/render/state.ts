// The state of one drawn graph (renderGraph in ../graph.ts), in one explicit object that the parts
// of the drawing share: the DOM it owns, the model and the view built from it, where everything is
// placed, and what the user selected, searched, filtered, focused or replays. The parts (zoom.ts,
// tooltip.ts, draw.ts, layout.ts, trace.ts) read and write it; what one part asks of another goes
// through `actions`, which renderGraph binds once every part exists.
import { select, type Selection, type Timer } from 'd3';
import type { Location, TopologyModel } from '../../../common/model';
import {
  ARROW_MARKER, CATEGORIES, EMPTY_MESSAGE, MARKS, edgeSpread, estimateTextWidth, type Marks, type NodeGeom,
} from '../../../drawing/shapes';
import type { Box, Point } from '../../../drawing/layout';
import { separatePrograms, type SeparatedModel } from '../../../drawing/programs';
import { buildView, type ViewGraph } from '../../../drawing/view-model';
import type { LayoutClient } from '../layout-client';
import type { LiveView } from './live';

/** What the view remembers across reloads (with the model, in the webview's saved state). */
export interface SavedView {
  expanded: string[];
  collapsed: string[];
  hiddenKinds: string[];
  selected?: string;
  transform?: { x: number; y: number; k: number };
}

export type LayoutSource = 'layered' | 'elk' | 'merged' | 'kept';

export type FocusDirection = 'up' | 'down' | 'both';

export interface TraceView {
  finding: number;
  /** 0-based step; `steps` is the final state. */
  step: number;
  steps: number;
  text: string;
  playing: boolean;
}

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

export type RenderReason = 'update' | 'user' | 'relayout';

/** What one part of the drawing asks of another; bound by renderGraph. */
export interface GraphActions {
  /** Builds the view again from the model and draws it (../graph.ts). */
  render(reason: RenderReason): void;
  /** Sets the classes of every node and edge: marks, selection, search, filters, focus, trace (draw.ts). */
  paint(): void;
  /** Expands or folds a node, keeping the keyboard focus on it when asked (../graph.ts). */
  toggle(id: string, keepFocusOn?: string): void;
  focusNeighbourhood(dir: FocusDirection | undefined, id?: string): boolean;
  hideTip(): void;
  /** Fits a box of the drawing into the view (zoom.ts). */
  fitBox(box: Box | undefined, animate: boolean, maxK?: number): void;
  /** Brings nodes into view unless they all are (zoom.ts). */
  centerOn(ids: readonly string[]): void;
  /** Brings a focused node or edge into view (zoom.ts). */
  reveal(el: SVGGElement, center: Point | undefined): void;
}

export interface GraphState {
  readonly opts: GraphOptions;
  // The DOM this graph owns.
  readonly doc: Document;
  readonly container: HTMLElement;
  /** Unique per graph on the page: marker and tooltip ids. */
  readonly prefix: string;
  readonly empty: HTMLDivElement;
  readonly tip: HTMLDivElement;
  /** The zoom listens here: a box that never moves, around the SVG. */
  readonly stage: HTMLDivElement;
  readonly stageSel: Selection<HTMLDivElement, unknown, null, undefined>;
  readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  /** Covers the drawing while a drag pans it. */
  readonly shield: HTMLDivElement;
  readonly viewport: Selection<SVGGElement, unknown, null, undefined>;
  /** The frames and titles of the programs, under the edges, when the model holds several. */
  readonly programLayer: Selection<SVGGElement, unknown, null, undefined>;
  readonly edgeLayer: Selection<SVGGElement, unknown, null, undefined>;
  readonly nodeLayer: Selection<SVGGElement, unknown, null, undefined>;
  /** Label widths in pixels. */
  readonly measure: (text: string, px: number) => number;
  readonly reducedMotion: boolean;
  actions: GraphActions;

  // The model and what is drawn of it.
  /** The model as drawn: with a copy per program of what programs share (setModel). */
  model: TopologyModel;
  /** Its programs, when it holds several: their clusters, and the cluster of each model node. */
  programs: SeparatedModel;
  /** View node id -> its program's cluster (for a folded file, its first member's). */
  viewCluster: Map<string, string>;
  /** Each program's frame, as last drawn. */
  frames: Map<string, Box>;
  readonly expanded: Set<string>;
  readonly collapsed: Set<string>;
  readonly hiddenKinds: Set<string>;
  view: ViewGraph;
  /** Node shapes by view id, and the signature each was drawn for. */
  geoms: Map<string, NodeGeom>;
  readonly sigs: Map<string, string>;
  /** View nodes whose body was drawn again in the last join (they flash once). */
  readonly changedIds: Set<string>;
  marks: { nodes: Map<string, Marks>; edges: Map<string, Marks> };
  cycleNodes: Set<string>;
  cycleEdges: Set<string>;
  spread: ReturnType<typeof edgeSpread>;

  // Where things are (layout.ts).
  positions: Map<string, Point>;
  waypoints: Map<string, Point[]>;
  labelPos: Map<string, Point>;
  /** Per edge, the ends its waypoints were routed between. */
  edgeEnds: Map<string, string>;
  /** The structure the current layout was made for. */
  layoutKey: string;
  layoutSource: LayoutSource;
  /** Counts elkjs requests: only the answer to the latest is applied. */
  generation: number;
  bounds: Box | undefined;
  animation: Timer | undefined;
  /** False once the first render is done: from then on, new nodes fade in. */
  firstRender: boolean;
  /** The pool of each worker node, for the model it was computed from (layout.ts). */
  workerPools: { model: TopologyModel; map: Map<string, string> } | undefined;

  // The view on screen (zoom.ts).
  /** The view follows the drawing's fit until the user pans or zooms. */
  autoFit: boolean;
  disposed: boolean;

  // What the user chose.
  selected: string | undefined;
  searchText: string;
  matches: string[];
  matchIndex: number;
  focus: { id: string; dir: FocusDirection } | undefined;
  /** The editor's location and the view nodes and edges at it. */
  editorLoc: Location | undefined;
  editorNodes: Set<string>;
  editorEdges: Set<string>;

  // The finding shown and its trace replay (trace.ts).
  activeFinding: number | undefined;
  step: number | undefined;
  playTimer: ReturnType<typeof setInterval> | undefined;

  /** A run on the drawing (live.ts), when the page shows one. */
  live: LiveView | undefined;
}

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

const unbound = (): never => {
  throw new Error('graph actions are bound by renderGraph');
};

/** Makes the graph's DOM in `container` and its state before the first draw. */
export function createState(container: HTMLElement, model: TopologyModel, opts: GraphOptions): GraphState {
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
  const programLayer = viewport.append('g').attr('class', 'programs');
  const edgeLayer = viewport.append('g').attr('class', 'edges');
  const nodeLayer = viewport.append('g').attr('class', 'nodes');

  const expanded = new Set<string>(opts.initial?.expanded ?? []);
  const collapsed = new Set<string>(opts.initial?.collapsed ?? []);
  const programs = separatePrograms(model);
  return {
    opts, doc, container, prefix, empty, tip, stage, stageSel, svg, shield, viewport, programLayer, edgeLayer, nodeLayer, measure, reducedMotion,
    actions: {
      render: unbound, paint: unbound, toggle: unbound, focusNeighbourhood: unbound, hideTip: unbound,
      fitBox: unbound, centerOn: unbound, reveal: unbound,
    },
    model: programs.model,
    programs,
    viewCluster: new Map(),
    frames: new Map(),
    expanded,
    collapsed,
    hiddenKinds: new Set<string>(opts.initial?.hiddenKinds ?? []),
    view: buildView(programs.model, { expanded, collapsed }),
    geoms: new Map(),
    sigs: new Map(),
    changedIds: new Set(),
    marks: { nodes: new Map(), edges: new Map() },
    cycleNodes: new Set(),
    cycleEdges: new Set(),
    spread: edgeSpread([]),
    positions: new Map(),
    waypoints: new Map(),
    labelPos: new Map(),
    edgeEnds: new Map(),
    layoutKey: '',
    layoutSource: 'kept',
    generation: 0,
    bounds: undefined,
    animation: undefined,
    firstRender: true,
    workerPools: undefined,
    autoFit: true,
    disposed: false,
    selected: opts.initial?.selected,
    searchText: '',
    matches: [],
    matchIndex: -1,
    focus: undefined,
    editorLoc: undefined,
    editorNodes: new Set(),
    editorEdges: new Set(),
    activeFinding: undefined,
    step: undefined,
    playTimer: undefined,
    live: undefined,
  };
}

/** Takes a new model to draw: the programs of a model of several are kept apart (drawing/programs.ts). */
export function setModel(st: GraphState, model: TopologyModel): void {
  st.programs = separatePrograms(model);
  st.model = st.programs.model;
}

/** The cluster of each view node: its model node's, or for a folded file or pool, its first member's. */
export function clusterViewNodes(st: GraphState): void {
  st.viewCluster = new Map();
  const of = st.programs.clusterOf;
  if (of.size === 0) return;
  for (const n of st.view.nodes) {
    const c = of.get(n.modelId ?? n.members?.[0] ?? n.id) ?? n.members?.map((m) => of.get(m)).find((x) => x !== undefined);
    if (c !== undefined) st.viewCluster.set(n.id, c);
  }
}

/** Something worth saving changed. */
export function changed(st: GraphState): void {
  st.opts.onChange?.();
}

/** The view node with this id's group element, if drawn. */
export function nodeEl(st: GraphState, id: string): SVGGElement | undefined {
  return st.nodeLayer.selectAll<SVGGElement, { id: string }>('g.node').filter((d) => d.id === id).node() ?? undefined;
}

/** Whether a view node is of a kind the filter hides. */
export function isHidden(st: GraphState, id: string): boolean {
  const n = st.view.byId.get(id);
  return n !== undefined && st.hiddenKinds.has(n.kind);
}

/** The edges between nodes the filter shows. */
export function visibleEdges(st: GraphState): ViewGraph['edges'] {
  return st.view.edges.filter((e) => !isHidden(st, e.from) && !isHidden(st, e.to));
}

/** A performance mark (the benchmark reads them); harmless where marks are unavailable. */
export function mark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    // no User Timing here
  }
}
