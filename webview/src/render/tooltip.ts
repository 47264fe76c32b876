// The graph's tooltip: what a node or an edge is, its code locations, its operations and the
// findings on it, shown beside it on hover or keyboard focus. Placed through CSSOM (the page's CSP
// forbids `style` attributes).
import { sentinelPhrase } from '../../../common/model';
import { edgeTitle, nodeName, nodeTitle } from '../../../drawing/shapes';
import type { ViewEdge, ViewNode } from '../../../drawing/view-model';
import type { GraphState } from './state';

export interface TipLine {
  text: string;
  cls?: string;
}

export function showTip(st: GraphState, lines: TipLine[], anchor: Element): void {
  const { tip, container, doc } = st;
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
}

export function hideTip(st: GraphState): void {
  if (!st.tip.hidden) st.tip.hidden = true;
}

export function nodeTip(st: GraphState, d: ViewNode): TipLine[] {
  const { marks, view } = st;
  const [head, ...rest] = nodeTitle(d, marks.nodes.get(d.id)).split('\n');
  const lines: TipLine[] = [{ text: head!, cls: 'tip-head' }];
  const run = st.live?.nodes.get(d.id);
  if (run && run.tip.length > 0) {
    lines.push({ text: 'In this run', cls: 'tip-section' });
    for (const t of run.tip.slice(0, 12)) lines.push({ text: t, cls: `tip-run${run.cls.includes('rt-blocked') && t.includes(': blocked') ? ' tip-run-blocked' : ''}` });
    if (run.tip.length > 12) lines.push({ text: `… and ${run.tip.length - 12} more`, cls: 'tip-run' });
  }
  const messages = marks.nodes.get(d.id)?.messages ?? [];
  for (const l of rest) if (!messages.includes(l)) lines.push({ text: l, cls: 'tip-loc' });
  if (d.members && d.members.length > 0) lines.push({ text: `${d.members.length} node${d.members.length === 1 ? '' : 's'} folded in`, cls: 'tip-detail' });
  if (d.sentinel) lines.push({ text: `Consumers stop at a sentinel: ${sentinelPhrase(d.sentinel)}`, cls: 'tip-detail' });
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
}

export function edgeTip(st: GraphState, d: ViewEdge): TipLine[] {
  const mark = st.marks.edges.get(d.id);
  const [head, ...rest] = edgeTitle(d, st.view.byId, mark).split('\n');
  const messages = mark?.messages ?? [];
  const run = st.live?.edges.get(d.id);
  return [
    { text: head!, cls: 'tip-head' },
    ...(run?.tip ?? []).map((text) => ({ text, cls: 'tip-run' })),
    ...rest.filter((l) => !messages.includes(l)).map((text) => ({ text, cls: 'tip-loc' })),
    ...messages.map((text) => ({ text, cls: `tip-finding tip-${mark!.severity}` })),
  ];
}

/** What pressing X does on a node that folds or unfolds. */
export function toggleHint(d: ViewNode): string {
  switch (d.toggle) {
    case 'expand': return `press X to draw each of its ${d.multiplicity === 'several' ? 'several' : d.multiplicity} instances`;
    case 'collapse-instances': return 'press X to draw its instances as one node';
    case 'collapse-pool': return 'press X to fold its workers into the pool';
    case 'expand-pool': return 'press X to draw its workers';
    case 'expand-group': return 'press X to draw the nodes of this file';
    default: return '';
  }
}
