// Zoom and pan of the graph, and moving the view to what matters (fit, centring, revealing what
// the keyboard focused).
//
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
import { zoom, zoomIdentity, zoomTransform, type ZoomBehavior } from 'd3';
import { round } from '../../../drawing/shapes';
import type { Box, Point } from '../../../drawing/layout';
import { changed, nodeEl, type GraphState } from './state';

type Transform = { k: number; x: number; y: number };

export interface Zoom {
  readonly zoomer: ZoomBehavior<HTMLDivElement, unknown>;
  fitBox(box: Box | undefined, animate: boolean, maxK?: number): void;
  /** Fits the whole drawing, and follows it from now on. */
  fit(): void;
  centerOn(ids: readonly string[]): void;
  reveal(el: SVGGElement, center: Point | undefined): void;
  /** Sets the view to a saved transform. */
  restore(t: Transform): void;
  dispose(): void;
}

export function createZoom(st: GraphState): Zoom {
  const { stage, stageSel, svg, viewport, shield, container } = st;
  const svgEl = svg.node()!;
  let drawn: Transform = { k: 1, x: 0, y: 0 };
  /** The SVG's margin around the stage, in pixels. */
  const margin = (): Point => ({ x: stage.clientWidth / 2, y: stage.clientHeight / 2 });
  const commit = (t: Transform): void => {
    drawn = { k: t.k, x: t.x, y: t.y };
    const m = margin();
    viewport.attr('transform', `translate(${t.x + m.x},${t.y + m.y}) scale(${t.k})`);
    if (svgEl.style.getPropertyValue('transform')) svgEl.style.removeProperty('transform');
    svg.classed('zoomed-out', t.k < 0.45).classed('zoomed-far', t.k < 0.25);
  };
  /** Moves the layer to `t`; false when it cannot show `t` as it is drawn (past the margin, or a scale too far off). */
  const moveLayer = (t: Transform): boolean => {
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
    .on('zoom', (event: { transform: Transform; sourceEvent: Event | null }) => {
      const t = event.transform;
      if (event.sourceEvent) {
        st.autoFit = false;
        st.actions.hideTip();
        // Only once the mouse moves: a click (no move) must still reach the node under it.
        const type = event.sourceEvent.type;
        if (shield.hidden && (type === 'mousemove' || type === 'touchmove')) shield.hidden = false;
        if (moveLayer(t)) return;
      }
      commit(t);
    })
    .on('end', (event: { transform: Transform }) => {
      if (event.transform.k !== drawn.k) commit(event.transform);
      shield.hidden = true;
      changed(st);
    });
  stageSel.call(zoomer).on('dblclick.zoom', null);

  const fitBox = (box: Box | undefined, animate: boolean, maxK = 1.25): void => {
    const width = stage.clientWidth;
    const height = stage.clientHeight;
    if (!box || width === 0 || height === 0) return;
    const pad = 24;
    const bottom = Math.min(height / 3, Math.max(pad, (st.opts.bottomInset?.() ?? 0) + 8));
    const bw = Math.max(1, box.x1 - box.x0);
    const bh = Math.max(1, box.y1 - box.y0);
    const k = Math.max(0.02, Math.min(maxK, (width - 2 * pad) / bw, (height - pad - bottom) / bh));
    const t = zoomIdentity
      .translate(width / 2 - k * (box.x0 + bw / 2), (height - bottom + pad) / 2 - k * (box.y0 + bh / 2))
      .scale(k);
    if (animate && !st.reducedMotion) stageSel.transition().duration(350).call(zoomer.transform, t);
    else stageSel.call(zoomer.transform, t);
  };
  const fit = (): void => {
    fitBox(st.bounds, false);
    st.autoFit = true;
  };

  const onKey = (event: KeyboardEvent): void => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if ((event.target as Element | null)?.closest('input, select, textarea, button')) return;
    if (event.key === '+' || event.key === '=') zoomer.scaleBy(stageSel, 1.25);
    else if (event.key === '-' || event.key === '_') zoomer.scaleBy(stageSel, 0.8);
    else if (event.key === '0') fit();
    else return;
    st.autoFit = false;
    event.preventDefault();
  };
  container.addEventListener('keydown', onKey);

  const resize = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(() => {
    if (st.disposed) return;
    // The large graphs' margin is a share of the stage: draw again for the new size.
    if (st.autoFit) fit(); else commit(zoomTransform(stage));
  });
  resize?.observe(container);

  const inView = (el: Element): boolean => {
    const r = el.getBoundingClientRect();
    const s = stage.getBoundingClientRect();
    return r.left >= s.left && r.right <= s.right && r.top >= s.top && r.bottom <= s.bottom;
  };
  /** Brings a node or edge into view when keyboard focus lands outside the viewport. */
  const reveal = (el: SVGGElement, center: Point | undefined): void => {
    if (!center || !matchesSafe(el, ':focus-visible')) return;
    if (inView(el)) return;
    zoomer.translateTo(stageSel, center.x, center.y);
    st.autoFit = false;
  };
  const centerOn = (ids: readonly string[]): void => {
    const pts = ids.map((id) => st.positions.get(id)).filter((p): p is Point => p !== undefined);
    if (pts.length === 0) return;
    const els = ids.map((id) => nodeEl(st, id)).filter((e): e is SVGGElement => e !== undefined);
    if (els.length > 0 && els.every(inView)) return;
    const x = pts.reduce((s, p) => s + p.x, 0) / pts.length;
    const y = pts.reduce((s, p) => s + p.y, 0) / pts.length;
    if (st.reducedMotion) zoomer.translateTo(stageSel, x, y);
    else stageSel.transition().duration(300).call(zoomer.translateTo, x, y);
    st.autoFit = false;
  };

  return {
    zoomer, fitBox, fit, centerOn, reveal,
    restore(t: Transform): void {
      stageSel.call(zoomer.transform, zoomIdentity.translate(t.x, t.y).scale(t.k));
      st.autoFit = false;
    },
    dispose(): void {
      resize?.disconnect();
      container.removeEventListener('keydown', onKey);
      stageSel.on('.zoom', null);
    },
  };
}

/** `el.matches(selector)`, true where the browser does not know the selector. */
export function matchesSafe(el: Element, selector: string): boolean {
  try {
    return el.matches(selector);
  } catch {
    return true;
  }
}
