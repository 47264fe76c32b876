// A run on the drawing: the decorations of drawing/live.ts (per model node and edge) put on the
// view's nodes and edges — run classes (running, blocked, exited, deadlock, extra), a badge under
// each node, a count beside each edge's label, a short pulse on edges an operation just went along,
// tooltip lines. Called at most once per animation frame (the page coalesces the stream); only what
// changed since the last call touches the DOM. paint() (draw.ts) keeps the run classes when it sets
// a node's or an edge's classes again.
import type { LiveDecorations } from '../../../drawing/live';
import type { ViewGraph } from '../../../drawing/view-model';
import type { GraphState } from './state';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** How long an edge stays lit after an operation went along it. */
export const PULSE_MS = 320;

/** What the run puts on one view node or edge. */
export interface LiveMark {
  cls: string[];
  badge: string;
  tip: string[];
}

export interface LiveView {
  nodes: Map<string, LiveMark>;
  edges: Map<string, LiveMark & { count: number }>;
  /** View edge -> when its pulse ends (performance.now()). */
  pulseUntil: Map<string, number>;
  /** What was last written to the DOM, per element (classes joined, badge text). */
  applied: Map<string, string>;
}

/** The run classes of a view node or edge (paint() adds them to the others). */
export function liveClasses(st: GraphState, id: string, edge: boolean): string[] {
  const live = st.live;
  if (!live) return [];
  const m = edge ? live.edges.get(id) : live.nodes.get(id);
  const cls = m ? [...m.cls] : [];
  if (edge && (live.pulseUntil.get(id) ?? 0) > performance.now()) cls.push('rt-pulse');
  return cls;
}

/** Decorations by view id: instances of expanded processes get their own; merged edges sum their counts. */
function toView(view: ViewGraph, d: LiveDecorations): { nodes: Map<string, LiveMark>; edges: Map<string, LiveMark & { count: number }> } {
  const nodes = new Map<string, LiveMark>();
  for (const n of view.nodes) {
    const deco = n.instance !== undefined && n.modelId ? d.nodes.get(`${n.modelId}#${n.instance}`) : d.nodes.get(n.id);
    if (deco) nodes.set(n.id, { cls: deco.cls, badge: deco.badge, tip: deco.tip });
    else if (n.instance !== undefined && n.modelId && d.processesOf.has(n.modelId)) nodes.set(n.id, { cls: ['rt-idle'], badge: 'not started', tip: [] });
  }
  const edges = new Map<string, LiveMark & { count: number }>();
  const counted = new Set<string>();
  for (const e of view.edges) {
    let count = 0;
    let wait = false;
    let extra = false;
    for (const id of e.model) {
      const deco = d.edges.get(id);
      if (!deco) continue;
      // A model edge drawn as several view edges (one per instance): its count goes on the first.
      if (!counted.has(id)) count += deco.count;
      counted.add(id);
      wait ||= deco.wait;
      extra ||= deco.extra;
    }
    if (count === 0 && !wait && !extra) continue;
    const cls = [count > 0 ? 'rt-used' : '', wait ? (d.summary.deadlocked ? 'rt-deadlock-wait' : 'rt-wait') : '', extra ? 'rt-extra' : ''].filter(Boolean);
    edges.set(e.id, {
      cls, count, badge: count > 0 ? `×${count.toLocaleString('en-US')}` : '',
      tip: [count > 0 ? `${count.toLocaleString('en-US')} operation${count === 1 ? '' : 's'} in this run` : '', wait ? 'A blocked process waits along it' : '',
        extra ? 'Not in the static graph: the run did this, the analysis has no such edge' : ''].filter(Boolean),
    });
  }
  return { nodes, edges };
}

function badgeOf(g: SVGGElement, cls: string, create: boolean): SVGTextElement | null {
  let t = g.querySelector<SVGTextElement>(`:scope > text.${cls}`);
  if (!t && create) {
    t = g.ownerDocument.createElementNS(SVG_NS, 'text') as SVGTextElement;
    t.setAttribute('class', cls);
    t.setAttribute('text-anchor', 'middle');
    g.append(t);
  }
  return t;
}

/**
 * Puts a run's decorations on the drawing (undefined: takes them off). `pulsed` are the model
 * edges an operation went along since the last call. Returns whether a pulse is still lit (the
 * page draws another frame to let it go out).
 */
export function applyLive(st: GraphState, d: LiveDecorations | undefined, pulsed: ReadonlySet<string> = new Set()): boolean {
  const now = performance.now();
  if (!d) {
    if (!st.live) return false;
    st.live = undefined;
    for (const t of st.svg.node()!.querySelectorAll('text.rt-badge, text.rt-count')) t.remove();
    for (const el of st.svg.node()!.querySelectorAll('[class*="rt-"]')) {
      for (const c of [...el.classList]) if (c.startsWith('rt-')) el.classList.remove(c);
    }
    return false;
  }
  const live: LiveView = st.live ?? { nodes: new Map(), edges: new Map(), pulseUntil: new Map(), applied: new Map() };
  st.live = live;
  const next = toView(st.view, d);
  live.nodes = next.nodes;
  live.edges = next.edges;
  for (const modelEdge of pulsed) for (const v of st.view.edgesOf.get(modelEdge) ?? (st.view.byId.has(modelEdge) ? [modelEdge] : [])) live.pulseUntil.set(v, now + PULSE_MS);
  let lit = false;
  for (const [id, until] of live.pulseUntil) {
    if (until > now) lit = true;
    else live.pulseUntil.delete(id);
  }
  syncLive(st, now);
  return lit;
}

/** Writes what changed to the DOM (and, after a render, what the new elements lack). */
export function syncLive(st: GraphState, now = performance.now()): void {
  const live = st.live;
  if (!live) return;
  const seen = new Set<string>();
  st.nodeLayer.selectAll<SVGGElement, { id: string }>('g.node').each(function (d) {
    const m = live.nodes.get(d.id);
    const key = `n:${d.id}`;
    seen.add(key);
    const want = m ? `${m.cls.join(' ')}|${m.badge}` : '';
    const badge = badgeOf(this, 'rt-badge', false);
    // A node drawn again (its body changed) lost its badge; its classes were set by paint().
    if (live.applied.get(key) === want && (m?.badge ? badge !== null : true) && m?.cls.every((c) => this.classList.contains(c)) !== false) return;
    live.applied.set(key, want);
    for (const c of [...this.classList]) if (c.startsWith('rt-') && !m?.cls.includes(c)) this.classList.remove(c);
    for (const c of m?.cls ?? []) this.classList.add(c);
    if (m?.badge) {
      const t = badgeOf(this, 'rt-badge', true)!;
      const box = st.geoms.get(d.id)?.box;
      t.setAttribute('y', String(Math.round((box ? box.height / 2 : 18) + 12)));
      t.textContent = m.badge;
    } else {
      badge?.remove();
    }
  });
  st.edgeLayer.selectAll<SVGGElement, { id: string }>('g.edge').each(function (d) {
    const m = live.edges.get(d.id);
    const key = `e:${d.id}`;
    seen.add(key);
    const cls = [...(m?.cls ?? []), ...((live.pulseUntil.get(d.id) ?? 0) > now ? ['rt-pulse'] : [])];
    const want = `${cls.join(' ')}|${m?.badge ?? ''}`;
    if (live.applied.get(key) === want && (m?.badge ? badgeOf(this, 'rt-count', false) !== null : true)) return;
    live.applied.set(key, want);
    for (const c of [...this.classList]) if (c.startsWith('rt-') && !cls.includes(c)) this.classList.remove(c);
    for (const c of cls) this.classList.add(c);
    if (m?.badge) {
      const t = badgeOf(this, 'rt-count', true)!;
      const label = this.querySelector('text.edge-label');
      t.setAttribute('x', label?.getAttribute('x') ?? '0');
      t.setAttribute('y', String(Number(label?.getAttribute('y') ?? 0) + 13));
      t.textContent = m.badge;
    } else {
      badgeOf(this, 'rt-count', false)?.remove();
    }
  });
  for (const k of [...live.applied.keys()]) if (!seen.has(k)) live.applied.delete(k);
}
