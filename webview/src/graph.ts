// The graph drawing: one SVG, drawn with D3 from a TopologyModel, and the API the page drives it
// with. renderGraph makes the graph's state (render/state.ts) and binds its parts, one module each:
// render/zoom.ts (zoom, pan, fit), render/tooltip.ts, render/draw.ts (nodes and edges in the DOM,
// their geometry and classes), render/layout.ts (layered first paint, then elkjs) and
// render/trace.ts (a finding's trace replay). What is drawn of a model (folds, instances, file
// groups), the shapes and the layouts are DOM-free, in drawing/.
import { zoomTransform } from 'd3';
import type { Location, TopologyModel } from '../../common/model';
import { displayLabel, drawingBounds, edgeSpread, round, type DrawKind } from '../../drawing/shapes';
import { atLocation } from '../../drawing/findings';
import type { Box, Point } from '../../drawing/layout';
import { buildView, fileGroupId, fileGroups, neighbourhood, poolMembers } from '../../drawing/view-model';
import { computeMarks, drawGeometry, join, paint } from './render/draw';
import { place } from './render/layout';
import type { ProgramCluster } from '../../drawing/programs';
import {
  changed, clusterViewNodes, createState, mark, nodeEl, setModel, visibleEdges,
  type FocusDirection, type GraphOptions, type GraphState, type LayoutSource, type RenderReason, type SavedView,
} from './render/state';
import { hideTip } from './render/tooltip';
import { playTrace, showFinding, stopPlay, traceStep, traceView } from './render/trace';
import { createZoom } from './render/zoom';
import { applyLive, syncLive } from './render/live';
import type { LiveDecorations } from '../../drawing/live';

export { EMPTY_MESSAGE } from '../../drawing/shapes';
export type { FocusDirection, GraphOptions, LayoutSource, SavedView, TraceView } from './render/state';

export function isSavedView(v: unknown): v is SavedView {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const strings = (a: unknown): boolean => Array.isArray(a) && a.length < 100_000 && a.every((x) => typeof x === 'string');
  const t = s.transform as Record<string, unknown> | undefined;
  return strings(s.expanded) && strings(s.collapsed) && strings(s.hiddenKinds)
    && (s.selected === undefined || typeof s.selected === 'string')
    && (t === undefined || (typeof t === 'object' && t !== null && [t.x, t.y, t.k].every((n) => typeof n === 'number' && Number.isFinite(n))));
}

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
  /** The model as drawn (the programs of a model of several kept apart: drawing/programs.ts). */
  readonly model: TopologyModel;
  /**
   * Puts a run's decorations on the drawing (undefined: takes them off); `pulsed`: model edges an
   * operation just went along. Returns whether an edge is still lit (draw another frame).
   */
  setLive(d: LiveDecorations | undefined, pulsed?: ReadonlySet<string>): boolean;
  /** The programs drawn apart, when the model holds several. */
  programs(): readonly ProgramCluster[];
  /** Brings a program's frame into view; false when there is no such program. */
  showProgram(id: string): boolean;
}

/** Above this many model nodes, pools start folded; above AUTO_FOLD_FILES, files too. */
export const AUTO_FOLD_POOLS = 1500;
export const AUTO_FOLD_FILES = 2500;

export function renderGraph(container: HTMLElement, initialModel: TopologyModel, opts: GraphOptions): GraphView {
  const st = createState(container, initialModel, opts);
  const zoom = createZoom(st);

  const render = (reason: RenderReason): void => {
    const { model, expanded, collapsed, reducedMotion, nodeLayer, edgeLayer, svg } = st;
    // Forget expansions and folds of things that are gone.
    const ids = new Set(model.nodes.map((n) => n.id));
    for (const id of expanded) if (!ids.has(id)) expanded.delete(id);
    const files = new Set(model.nodes.map((n) => fileGroupId(n.loc.file)));
    for (const id of collapsed) if (!ids.has(id) && !files.has(id)) collapsed.delete(id);
    st.view = buildView(model, { expanded, collapsed });
    clusterViewNodes(st);
    const view = st.view;
    if (st.selected !== undefined && !view.byId.has(st.selected)) st.selected = undefined;
    if (st.focus && !view.byId.has(st.focus.id)) st.focus = undefined;
    const isEmpty = view.nodes.length === 0;
    st.empty.hidden = !isEmpty;
    svg.classed('is-empty', isEmpty);
    const fresh = join(st);
    st.spread = edgeSpread(view.edges);
    computeMarks(st);
    if (st.searchText) st.matches = computeMatches(st, st.searchText);
    place(st, reason);
    const animating = st.animation !== undefined;
    if (!animating) drawGeometry(st);
    paint(st);
    // A run's badges and counts on nodes and edges drawn anew.
    syncLive(st);
    // New nodes fade in, and changed ones flash once, briefly.
    if (reason === 'update' && !reducedMotion && !st.firstRender) {
      nodeLayer.selectAll<SVGGElement, { id: string }>('g.node').filter((d) => fresh.has(d.id)).classed('entering', true);
      nodeLayer.selectAll<SVGGElement, { id: string }>('g.node').filter((d) => st.changedIds.has(d.id)).classed('changed', true);
      edgeLayer.selectAll<SVGGElement, { id: string }>('g.edge').filter((d) => fresh.has(d.id)).classed('entering', true);
      setTimeout(() => {
        nodeLayer.selectAll('.entering, .changed').classed('entering', false).classed('changed', false);
        edgeLayer.selectAll('.entering').classed('entering', false);
      }, 700);
    }
    st.firstRender = false;
    if (svg.attr('data-layout-state') !== 'pending' && !animating) svg.attr('data-layout-state', 'settled');
    opts.onTrace?.(traceView(st));
  };

  const toggle = (id: string, keepFocusOn?: string): void => {
    const { model, collapsed, expanded } = st;
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
    hideTip(st);
    render('user');
    changed(st);
    if (keepFocusOn !== undefined) {
      const target = st.view.nodesOf.get(node?.id ?? id)?.[0] ?? id;
      nodeEl(st, target)?.focus();
    }
  };

  const focusNeighbourhood = (dir: FocusDirection | undefined, id?: string): boolean => {
    const target = id ?? st.selected;
    if (!dir || !target || !st.view.byId.has(target)) {
      st.focus = undefined;
      paint(st);
      return false;
    }
    st.focus = { id: target, dir };
    st.selected = target;
    paint(st);
    const set = neighbourhood(visibleEdges(st), target, dir);
    const box = drawingBounds(new Map([...set].map((n) => [n, st.positions.get(n)!]).filter(([, p]) => p !== undefined) as [string, Point][]), st.geoms, new Map());
    zoom.fitBox(box, true);
    st.autoFit = false;
    changed(st);
    return true;
  };

  st.actions = {
    render, toggle, focusNeighbourhood,
    paint: () => paint(st),
    hideTip: () => hideTip(st),
    fitBox: zoom.fitBox,
    centerOn: zoom.centerOn,
    reveal: zoom.reveal,
  };

  // ---- First draw ----------------------------------------------------------------------------
  if (!opts.initial && st.model.nodes.length > AUTO_FOLD_POOLS) {
    for (const pool of poolMembers(st.model).keys()) st.collapsed.add(pool);
  }
  if (!opts.initial && st.model.nodes.length > AUTO_FOLD_FILES) {
    const groups = fileGroups(st.model);
    if (groups.size > 1) for (const file of groups.keys()) st.collapsed.add(fileGroupId(file));
  }
  render('update');
  mark('pt-first-draw');
  // The first frame with the drawing on screen.
  requestAnimationFrame(() => setTimeout(() => mark('pt-first-paint'), 0));
  const t0 = opts.initial?.transform;
  if (t0) zoom.restore(t0);
  else zoom.fit();

  const api: GraphView = {
    svg: st.svg.node()!,
    get model() { return st.model; },
    get layoutSource() { return st.layoutSource; },
    update(next: TopologyModel): void {
      if (st.disposed) return;
      const hadNodes = st.positions.size > 0;
      setModel(st, next);
      if (st.activeFinding !== undefined && !st.model.findings[st.activeFinding]) { st.activeFinding = undefined; st.step = undefined; stopPlay(st); }
      render('update');
      if (!hadNodes) zoom.fit();
      if (st.editorLoc) api.highlight(st.editorLoc, undefined);
    },
    fit: zoom.fit,
    dispose(): void {
      if (st.disposed) return;
      st.disposed = true;
      stopPlay(st);
      st.animation?.stop();
      zoom.dispose();
      st.stage.remove();
      st.empty.remove();
      st.tip.remove();
    },
    search(text: string): number {
      st.searchText = text;
      st.matches = computeMatches(st, text);
      st.matchIndex = -1;
      paint(st);
      return st.matches.length;
    },
    nextMatch(): string | undefined {
      if (st.matches.length === 0) return undefined;
      st.matchIndex = (st.matchIndex + 1) % st.matches.length;
      const id = st.matches[st.matchIndex]!;
      paint(st);
      zoom.centerOn([id]);
      return id;
    },
    setHiddenKinds(kinds: Iterable<string>): void {
      st.hiddenKinds.clear();
      for (const k of kinds) st.hiddenKinds.add(k);
      if (st.searchText) st.matches = computeMatches(st, st.searchText);
      paint(st);
      changed(st);
    },
    focusNeighbourhood,
    highlight(loc: Location | undefined, nodeIds?: string[]): number {
      const { view, model } = st;
      st.editorLoc = loc;
      const nodes = new Set<string>();
      const edges = new Set<string>();
      if (nodeIds) for (const id of nodeIds) for (const v of view.nodesOf.get(id) ?? (view.byId.has(id) ? [id] : [])) nodes.add(v);
      if (loc) {
        const hit = atLocation(model, loc);
        for (const id of hit.nodes) for (const v of view.nodesOf.get(id) ?? []) nodes.add(v);
        for (const id of hit.edges) for (const v of view.edgesOf.get(id) ?? []) edges.add(v);
      }
      st.editorNodes = nodes;
      st.editorEdges = edges;
      paint(st);
      if (nodes.size > 0) zoom.centerOn([...nodes]);
      return nodes.size;
    },
    toggle: (id: string) => toggle(id),
    collapseAll(what: 'pools' | 'files', on: boolean): void {
      const ids = what === 'pools' ? [...poolMembers(st.model).keys()] : [...fileGroups(st.model).keys()].map(fileGroupId);
      for (const id of ids) if (on) st.collapsed.add(id); else st.collapsed.delete(id);
      render('user');
      changed(st);
    },
    relayout(): void {
      st.autoFit = true;
      render('relayout');
    },
    showFinding: (index: number | undefined) => showFinding(st, index),
    traceStep: (to: 'next' | 'prev' | 'end' | number) => traceStep(st, to),
    playTrace: (on: boolean) => playTrace(st, on),
    state(): SavedView {
      const t = zoomTransform(st.stage);
      return {
        expanded: [...st.expanded], collapsed: [...st.collapsed], hiddenKinds: [...st.hiddenKinds],
        ...(st.selected !== undefined ? { selected: st.selected } : {}),
        ...(st.autoFit ? {} : { transform: { x: round(t.x), y: round(t.y), k: Math.round(t.k * 1000) / 1000 } }),
      };
    },
    kinds(): DrawKind[] {
      return [...new Set(st.model.nodes.map((n) => n.kind))];
    },
    bounds: () => st.bounds,
    setLive: (d: LiveDecorations | undefined, pulsed?: ReadonlySet<string>) => (st.disposed ? false : applyLive(st, d, pulsed)),
    programs: () => st.programs.clusters,
    showProgram(id: string): boolean {
      const frame = st.frames.get(id);
      if (!frame) return false;
      zoom.fitBox(frame, !st.reducedMotion);
      st.autoFit = false;
      changed(st);
      return true;
    },
  };
  return api;
}

/** The view nodes (of kinds not filtered out) whose label, target, variant or id contains `text`. */
function computeMatches(st: GraphState, text: string): string[] {
  const q = text.trim().toLowerCase();
  if (!q) return [];
  return st.view.nodes.filter((n) => !st.hiddenKinds.has(n.kind)
    && [n.label, displayLabel(n), n.target ?? '', n.variant ?? '', n.id].some((s) => s.toLowerCase().includes(q))).map((n) => n.id);
}
