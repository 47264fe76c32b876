// Bundle entry of the graph page (esbuild: browser IIFE -> dist/webview.js). Two hosts:
// - inside VS Code (`acquireVsCodeApi` exists): the extension host sends {type:'model'} and
//   {type:'select'} messages; clicks post {type:'open', loc}, trace steps {type:'reveal', loc},
//   exports {type:'export', format, data}; the model and the view survive reloads through setState;
// - the standalone page of `process-topology graph --format html`: the model (and the layout
//   worker's code) are embedded in the page, clicks show the location, exports download.
// The page runs under a strict CSP: no inline handlers, no eval, no `style` attributes.
import { formatDot, formatMermaid } from '../../common/graph-formats';
import { isTopologyModel, type Location, type TopologyModel } from '../../common/model';
import type { ConfirmedFinding, ExportFormat, FromWebview, LiveSummary } from '../../common/protocol';
import { CATEGORIES, KIND_NAMES, MARKS, category, findingMarks, nodeDrawing, type DrawKind } from '../../drawing/shapes';
import { exportPng, exportSvg } from './export';
import { hasTrace } from '../../drawing/findings';
import { renderGraph, type GraphView, type SavedView, type TraceView } from './graph';
import { createLayoutClient, type LayoutClient } from './layout-client';
import { isSavedState, MODEL_ELEMENT_ID, parseToWebview, WORKER_ELEMENT_ID, type SavedState } from './messages';
import { fileGroupId, fileGroups, poolMembers } from '../../drawing/view-model';
import { button, el } from './dom';
import { LivePanel } from './live-panel';
import { findingPrograms, programFindingSummary } from '../../drawing/programs';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: SavedState): void;
}

interface Host {
  open(loc: Location): void;
  reveal(loc: Location): void;
  save(format: ExportFormat, data: string, name: string): void;
  /** The view changed: remember it. */
  persist?(): void;
  rendered?(): void;
  /** A finding's Reproduce button (VS Code, trusted workspaces). */
  reproduce?(finding: number): void;
  showReport?(): void;
  liveSummary?(s: LiveSummary): void;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** More programs than this: the legend lists those with findings only. */
const MAX_LEGEND_PROGRAMS = 12;

/** A small dropdown: a <details> whose panel closes on Escape or a click elsewhere. */
function dropdown(doc: Document, cls: string, label: string, title: string): { root: HTMLDetailsElement; panel: HTMLDivElement } {
  const root = el(doc, 'details', `pt-dropdown ${cls}`);
  const summary = el(doc, 'summary', 'pt-button', label);
  summary.title = title;
  const panel = el(doc, 'div', 'pt-dropdown-panel');
  root.append(summary, panel);
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && root.open) { root.open = false; summary.focus(); e.stopPropagation(); }
  });
  doc.addEventListener('click', (e) => { if (root.open && !root.contains(e.target as Node)) root.open = false; });
  return { root, panel };
}

class Page {
  readonly doc: Document;
  readonly title: HTMLElement;
  readonly status: HTMLElement;
  readonly graph: HTMLElement;
  readonly search: HTMLInputElement;
  readonly kindsPanel: HTMLDivElement;
  readonly kindsRoot: HTMLDetailsElement;
  readonly foldPools: HTMLButtonElement;
  readonly foldFiles: HTMLButtonElement;
  readonly side: HTMLElement;
  readonly findingsList: HTMLOListElement;
  readonly findingsTitle: HTMLElement;
  readonly trace: HTMLElement;
  readonly traceText: HTMLElement;
  readonly prev: HTMLButtonElement;
  readonly play: HTMLButtonElement;
  readonly next: HTMLButtonElement;
  readonly end: HTMLButtonElement;
  readonly legend: HTMLElement;
  view: GraphView | undefined;
  layout: LayoutClient | undefined;
  host!: Host;
  private kindsKey = '';
  /** The model as the analysis gave it (the drawing adds a run's extras to it). */
  model: TopologyModel | undefined;
  readonly live: LivePanel;
  /** Findings runs confirmed; whether this host may run code (Reproduce), and why not. */
  confirmed: ConfirmedFinding[] = [];
  runner: { enabled: boolean; reason?: string } | undefined;

  constructor(doc: Document) {
    this.doc = doc;
    const root = doc.getElementById('app') ?? doc.body;
    root.classList.add('pt-app');
    const header = el(doc, 'header', 'pt-toolbar');
    this.title = el(doc, 'h1', 'pt-title');
    this.status = el(doc, 'span', 'pt-status');
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');

    this.search = el(doc, 'input', 'pt-search');
    this.search.type = 'search';
    this.search.placeholder = 'Search nodes';
    this.search.setAttribute('aria-label', 'Search nodes by name (Enter: next match)');
    this.search.title = 'Search nodes by name (/); Enter goes to the next match';

    const kinds = dropdown(doc, 'pt-kinds', 'Kinds', 'Show or hide nodes by kind');
    this.kindsRoot = kinds.root;
    this.kindsPanel = kinds.panel;
    this.kindsPanel.setAttribute('role', 'group');
    this.kindsPanel.setAttribute('aria-label', 'Node kinds shown');

    const focusGroup = el(doc, 'div', 'pt-group pt-focus-group');
    focusGroup.setAttribute('role', 'group');
    focusGroup.setAttribute('aria-label', 'Focus on the selected node\'s neighbourhood');
    const up = button(doc, 'pt-focus-up', '↑ Upstream', 'Fade all but what flows into the selected node (U)');
    const down = button(doc, 'pt-focus-down', '↓ Downstream', 'Fade all but what the selected node flows into (D)');
    const clear = button(doc, 'pt-focus-clear', '✕', 'Show everything again (Escape)');
    clear.setAttribute('aria-label', 'Clear the focus');
    focusGroup.append(up, down, clear);

    this.foldPools = button(doc, 'pt-fold-pools', 'Fold pools', 'Draw each pool as one node with its workers');
    this.foldFiles = button(doc, 'pt-fold-files', 'Fold files', 'Draw each file as one node (for very large programs)');
    this.foldPools.setAttribute('aria-pressed', 'false');
    this.foldFiles.setAttribute('aria-pressed', 'false');
    const relayout = button(doc, 'pt-relayout', 'Re-layout', 'Lay the graph out again from scratch');

    const exp = dropdown(doc, 'pt-export', 'Export', 'Save the graph as SVG, PNG, DOT or Mermaid');
    for (const [format, label] of [['svg', 'SVG image'], ['png', 'PNG image'], ['dot', 'Graphviz DOT'], ['mermaid', 'Mermaid']] as const) {
      const b = button(doc, `pt-export-${format}`, label, `Export the graph as ${label}`);
      b.addEventListener('click', () => { exp.root.open = false; void this.export(format); });
      exp.panel.append(b);
    }

    const fit = button(doc, 'pt-fit', 'Fit', 'Fit the graph to the view (0)');
    header.append(this.title, this.status, this.search, kinds.root, focusGroup, this.foldPools, this.foldFiles, relayout, exp.root, fit);

    const body = el(doc, 'div', 'pt-body');
    this.graph = el(doc, 'main', 'pt-graph');
    this.graph.setAttribute('aria-label',
      'Graph: Tab moves between nodes, Enter opens the code, arrow keys follow edges, X expands or folds, U and D focus upstream or downstream, + and - zoom, 0 fits');
    this.legend = el(doc, 'details', 'pt-legend');
    (this.legend as HTMLDetailsElement).open = true;
    this.legend.append(el(doc, 'summary', undefined, 'Legend'));
    this.graph.append(this.legend);

    this.side = el(doc, 'aside', 'pt-side');
    this.side.setAttribute('aria-label', 'Findings');
    this.findingsTitle = el(doc, 'h2', 'pt-side-title', 'Findings');
    this.findingsList = el(doc, 'ol', 'pt-findings');
    this.trace = el(doc, 'div', 'pt-trace');
    this.trace.setAttribute('role', 'group');
    this.trace.setAttribute('aria-label', 'Trace replay');
    this.trace.hidden = true;
    this.prev = button(doc, 'pt-trace-prev', '◀ Prev', 'Previous step');
    this.play = button(doc, 'pt-trace-play', '▶ Play', 'Play the trace step by step');
    this.next = button(doc, 'pt-trace-next', 'Next ▶', 'Next step');
    this.end = button(doc, 'pt-trace-end', 'End', 'The final state, where every process waits');
    this.traceText = el(doc, 'div', 'pt-trace-text');
    this.traceText.setAttribute('aria-live', 'polite');
    const controls = el(doc, 'div', 'pt-trace-buttons');
    controls.append(this.prev, this.play, this.next, this.end);
    this.trace.append(controls, this.traceText);
    this.live = new LivePanel(doc, {
      reveal: (loc) => this.host.reveal(loc),
      showReport: () => this.host.showReport?.(),
      summary: (sum) => this.host.liveSummary?.(sum),
    }, {
      view: () => this.view,
      model: () => this.model,
      draw: (m) => { this.view?.update(m); this.host.rendered?.(); },
    });
    this.side.append(this.live.root, this.findingsTitle, this.trace, this.findingsList);
    this.side.hidden = true;
    body.append(this.graph, this.side);
    root.append(header, body);

    fit.addEventListener('click', () => this.view?.fit());
    relayout.addEventListener('click', () => this.view?.relayout());
    this.search.addEventListener('input', () => {
      const n = this.view?.search(this.search.value) ?? 0;
      this.search.classList.toggle('no-match', this.search.value.trim() !== '' && n === 0);
      this.search.title = this.search.value.trim() ? `${n} match${n === 1 ? '' : 'es'}` : 'Search nodes by name';
    });
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); this.view?.nextMatch(); }
      if (e.key === 'Escape' && this.search.value) { e.preventDefault(); e.stopPropagation(); this.search.value = ''; this.view?.search(''); }
    });
    up.addEventListener('click', () => this.focus('up'));
    down.addEventListener('click', () => this.focus('down'));
    clear.addEventListener('click', () => this.view?.focusNeighbourhood(undefined));
    this.foldPools.addEventListener('click', () => this.fold('pools', this.foldPools));
    this.foldFiles.addEventListener('click', () => this.fold('files', this.foldFiles));
    this.prev.addEventListener('click', () => this.view?.traceStep('prev'));
    this.next.addEventListener('click', () => this.view?.traceStep('next'));
    this.end.addEventListener('click', () => this.view?.traceStep('end'));
    this.play.addEventListener('click', () => this.view?.playTrace(this.play.getAttribute('aria-pressed') !== 'true'));
    doc.addEventListener('keydown', (e) => {
      if (e.key === '/' && !(e.target as Element | null)?.closest('input, textarea')) { e.preventDefault(); this.search.focus(); }
    });
  }

  private focus(dir: 'up' | 'down'): void {
    if (!this.view?.focusNeighbourhood(dir)) this.status.textContent = 'Select a node first (click it or Tab to it).';
  }

  private fold(what: 'pools' | 'files', b: HTMLButtonElement): void {
    const on = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', String(on));
    this.view?.collapseAll(what, on);
  }

  show(model: TopologyModel, title: string, saved?: SavedView): void {
    this.title.textContent = title;
    this.title.title = title;
    if (title) this.doc.title = title;
    this.status.textContent = summary(model);
    this.model = model;
    const drawn = this.live.decorate(model);
    if (this.view) {
      this.view.update(drawn);
    } else {
      this.view = renderGraph(this.graph, drawn, {
        onOpen: (loc) => this.host.open(loc),
        onReveal: (loc) => this.host.reveal(loc),
        onChange: () => this.host.persist?.(),
        onTrace: (t) => this.showTrace(t),
        bottomInset: () => ((this.legend as HTMLDetailsElement).open ? this.legend.offsetHeight : 0),
        ...(this.layout ? { layout: this.layout } : {}),
        ...(saved ? { initial: saved } : {}),
      });
      // After the drawing in the Tab order: toolbar, nodes, legend, findings.
      this.graph.append(this.legend);
      // Saved folds, or the folds a very large model starts with, show on the buttons.
      const folded = new Set(this.view.state().collapsed);
      const pools = [...poolMembers(model).keys()];
      const files = [...fileGroups(model).keys()];
      this.foldPools.setAttribute('aria-pressed', String(pools.length > 0 && pools.every((p) => folded.has(p))));
      this.foldFiles.setAttribute('aria-pressed', String(files.length > 1 && files.every((f) => folded.has(fileGroupId(f)))));
    }
    const pools = poolMembers(model).size;
    this.foldPools.hidden = pools === 0;
    this.foldFiles.hidden = fileGroups(model).size < 2;
    this.kindFilter(model);
    this.findings(model);
    this.drawLegend(model);
  }

  private kindFilter(model: TopologyModel): void {
    const present = [...new Set(model.nodes.map((n) => n.kind))];
    const key = present.join(',');
    if (key === this.kindsKey) return;
    this.kindsKey = key;
    const hidden = new Set(this.view?.state().hiddenKinds ?? []);
    this.kindsPanel.replaceChildren(...present.map((kind) => {
      const label = el(this.doc, 'label', 'pt-kind');
      const box = el(this.doc, 'input');
      box.type = 'checkbox';
      box.checked = !hidden.has(kind);
      box.value = kind;
      box.addEventListener('change', () => {
        const off = [...this.kindsPanel.querySelectorAll<HTMLInputElement>('input')].filter((b) => !b.checked).map((b) => b.value);
        this.view?.setHiddenKinds(off);
        this.kindsRoot.classList.toggle('filtering', off.length > 0);
      });
      label.append(box, legendGlyph(this.doc, kind, 0.55), el(this.doc, 'span', undefined, `${KIND_NAMES[kind]} (${model.nodes.filter((n) => n.kind === kind).length})`));
      return label;
    }));
    this.kindsRoot.classList.toggle('filtering', hidden.size > 0);
  }

  /** The run section appeared (or the confirmations or the runner changed): the side panel follows. */
  refreshSide(): void {
    if (this.model) this.findings(this.model);
  }

  private findings(model: TopologyModel): void {
    const list = model.findings;
    this.side.hidden = list.length === 0 && !this.live.active;
    this.findingsTitle.hidden = list.length === 0;
    this.findingsTitle.textContent = `Findings (${list.length})`;
    const order = { error: 0, warning: 1, info: 2, hint: 3 } as const;
    const sorted = list.map((f, i) => ({ f, i })).sort((a, b) => order[a.f.severity] - order[b.f.severity] || a.i - b.i);
    this.findingsList.replaceChildren(...sorted.map(({ f, i }) => {
      const li = el(this.doc, 'li', `pt-finding sev-${f.severity}`);
      const b = el(this.doc, 'button', 'pt-finding-button');
      b.type = 'button';
      b.dataset.index = String(i);
      b.setAttribute('aria-pressed', 'false');
      const icon = el(this.doc, 'span', 'pt-sev-icon', f.severity === 'error' ? '✖' : f.severity === 'warning' ? '▲' : 'ℹ');
      icon.setAttribute('aria-hidden', 'true');
      const text = el(this.doc, 'span', 'pt-finding-text', f.message);
      const rule = el(this.doc, 'span', 'pt-finding-rule', `${f.severity} · ${f.rule}${hasTrace(f) ? ` · trace of ${f.trace.length} steps` : ''}`);
      b.append(icon, text, rule);
      // A page of several programs says whose finding it is.
      const programs = findingPrograms(model, f);
      if (programs) b.append(el(this.doc, 'span', 'pt-finding-program', programs));
      const confirmed = this.confirmed.find((c) => c.rule === f.rule && c.file === f.loc.file && c.line === f.loc.range.start.line);
      if (confirmed) {
        li.classList.add('confirmed');
        const badge = el(this.doc, 'span', 'pt-confirmed', '✔ confirmed by a run');
        badge.title = `Confirmed by ${confirmed.by}: the program really deadlocked where this finding says.`;
        b.append(badge);
      }
      b.addEventListener('click', () => {
        const on = b.getAttribute('aria-pressed') !== 'true';
        for (const other of this.findingsList.querySelectorAll('button')) other.setAttribute('aria-pressed', 'false');
        b.setAttribute('aria-pressed', String(on));
        this.view?.showFinding(on ? i : undefined);
        if (on && !hasTrace(f)) this.host.reveal(f.loc);
      });
      li.append(b);
      if (hasTrace(f) && this.host.reproduce && this.runner) {
        const r = el(this.doc, 'button', 'pt-button pt-reproduce', '▶ Reproduce');
        r.type = 'button';
        r.dataset.index = String(i);
        r.disabled = !this.runner.enabled;
        r.title = this.runner.enabled
          ? 'Run the program so that its processes follow this trace, and see whether it deadlocks as predicted'
          : `Reproduce is disabled: ${this.runner.reason ?? 'this workspace may not run code'}`;
        r.addEventListener('click', () => this.host.reproduce?.(i));
        li.append(r);
      }
      return li;
    }));
  }

  private showTrace(t: TraceView | undefined): void {
    this.trace.hidden = t === undefined;
    if (!t) return;
    this.traceText.textContent = t.text;
    this.prev.disabled = t.step === 0;
    this.next.disabled = t.step >= t.steps;
    this.end.disabled = t.step >= t.steps;
    this.play.textContent = t.playing ? '⏸ Pause' : '▶ Play';
    this.play.setAttribute('aria-pressed', String(t.playing));
    this.trace.dataset.step = String(t.step);
  }

  private drawLegend(model: TopologyModel): void {
    const doc = this.doc;
    const summaryEl = this.legend.querySelector('summary')!;
    const items: HTMLElement[] = [];
    const kinds: DrawKind[] = [...new Set<DrawKind>(model.nodes.map((n) => n.kind))];
    const shownKinds = this.view?.svg.querySelector('.kind-group') ? [...kinds, 'group' as const] : kinds;
    const row = (cls: string): HTMLElement => el(doc, 'div', `pt-legend-row ${cls}`);
    const kindRow = row('pt-legend-kinds');
    for (const kind of shownKinds) {
      const item = el(doc, 'span', 'pt-legend-item');
      item.append(legendGlyph(doc, kind, 0.45), el(doc, 'span', undefined, KIND_NAMES[kind]));
      kindRow.append(item);
    }
    items.push(kindRow);
    // Several programs: one entry each (its findings), a click brings its frame into view. Many
    // programs: the ones with findings, and how many others have none.
    const clusters = this.view?.programs() ?? [];
    if (clusters.length > 0) {
      const programRow = row('pt-legend-programs');
      programRow.append(el(doc, 'span', 'pt-legend-note', `${clusters.length} programs:`));
      const withFindings = (entry: string): boolean => model.findings.some((f) => f.programs?.includes(entry));
      const listed = clusters.length <= MAX_LEGEND_PROGRAMS ? clusters : clusters.filter((c) => withFindings(c.entry)).slice(0, MAX_LEGEND_PROGRAMS);
      for (const c of listed) {
        const b = button(doc, 'pt-legend-program', '', `Show the program ${c.title}`);
        b.dataset.program = c.entry;
        b.append(el(doc, 'span', 'pt-legend-program-title', c.title), el(doc, 'span', 'pt-legend-program-findings', ` · ${programFindingSummary(model, c.entry)}`));
        b.addEventListener('click', () => this.view?.showProgram(c.id));
        programRow.append(b);
      }
      if (listed.length < clusters.length) {
        const rest = clusters.length - listed.length;
        const quiet = clusters.filter((c) => !withFindings(c.entry)).length;
        programRow.append(el(doc, 'span', 'pt-legend-note', rest === quiet ? `and ${rest} without findings` : `and ${rest} more`));
      }
      items.push(programRow);
    }
    const edgeRow = row('pt-legend-edges');
    const names = { data: 'data flow', control: 'life cycle', sync: 'synchronisation' } as const;
    for (const cat of CATEGORIES) {
      const present = model.edges.filter((e) => category(e.kind) === cat);
      if (present.length === 0) continue;
      const item = el(doc, 'span', `pt-legend-item legend-edge cat-${cat}`);
      item.title = [...new Set(present.map((e) => e.kind))].join(', ');
      item.append(legendLine(doc, cat), el(doc, 'span', undefined, `${names[cat]}: ${[...new Set(present.map((e) => e.kind))].join(', ')}`));
      edgeRow.append(item);
    }
    items.push(edgeRow);
    const marks = findingMarks(model);
    const all = [...marks.nodes.values(), ...marks.edges.values()];
    const markRow = row('pt-legend-marks');
    for (const m of MARKS) {
      if (!all.some((x) => x.severity === m)) continue;
      const item = el(doc, 'span', 'pt-legend-item');
      const svg = doc.createElementNS(SVG_NS, 'svg');
      svg.setAttribute('width', '22');
      svg.setAttribute('height', '14');
      svg.setAttribute('aria-hidden', 'true');
      const g = doc.createElementNS(SVG_NS, 'g');
      g.setAttribute('class', `legend-node finding-${m}`);
      const r = doc.createElementNS(SVG_NS, 'rect');
      for (const [k, v] of Object.entries({ class: 'shape', x: 1, y: 1, width: 20, height: 12, rx: 4 })) r.setAttribute(k, String(v));
      g.append(r);
      svg.append(g);
      item.append(svg, el(doc, 'span', undefined, `${m === 'info' ? 'info or hint' : m} finding`));
      markRow.append(item);
    }
    if (model.findings.some((f) => f.rule === 'deadlock' || hasTrace(f))) {
      const item = el(doc, 'span', 'pt-legend-item legend-edge cycle');
      item.append(legendLine(doc, 'cycle'), el(doc, 'span', undefined, 'deadlock cycle'));
      markRow.append(item);
    }
    if (model.nodes.some((n) => n.multiplicity !== undefined && n.multiplicity !== 1)) {
      markRow.append(el(doc, 'span', 'pt-legend-item pt-legend-note', '×3: replicated, ⊕ expands'));
    }
    if (markRow.childElementCount > 0) items.push(markRow);
    this.legend.replaceChildren(summaryEl, ...items);
  }

  async export(format: ExportFormat): Promise<void> {
    const view = this.view;
    if (!view) return;
    const name = (this.title.textContent || 'topology').replace(/[^\w.-]+/g, '_');
    try {
      if (format === 'dot') { this.host.save('dot', formatDot(view.model), name); return; }
      if (format === 'mermaid') { this.host.save('mermaid', formatMermaid(view.model), name); return; }
      const bounds = view.bounds();
      if (!bounds) return;
      const bg = getComputedStyle(this.doc.querySelector('.pt-app') ?? this.doc.body).backgroundColor || '#ffffff';
      const svg = exportSvg(view.svg, bounds, this.title.textContent || 'Process topology', bg);
      if (format === 'svg') { this.host.save('svg', svg.svg, name); return; }
      this.host.save('png', await exportPng(svg, this.doc), name);
    } catch (err) {
      this.status.textContent = `Export failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}

/** A node kind's shape, small, for the legend and the kind filter. */
function legendGlyph(doc: Document, kind: DrawKind, scale: number): SVGSVGElement {
  const d = nodeDrawing({ kind }, 0);
  const w = Math.ceil((d.geom.box.width > 2 * d.geom.hw + 20 ? 2 * d.geom.hw : d.geom.box.width) * scale) + 6;
  const h = Math.ceil(2 * d.geom.hh * scale) + 8;
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'pt-glyph');
  const g = doc.createElementNS(SVG_NS, 'g');
  g.setAttribute('class', `legend-node kind-${kind}`);
  g.setAttribute('transform', `translate(${w / 2},${h / 2}) scale(${scale})`);
  for (const part of d.parts) {
    const e = doc.createElementNS(SVG_NS, part.tag);
    e.setAttribute('class', part.cls);
    for (const [k, v] of Object.entries(part.attrs)) e.setAttribute(k, String(v));
    g.append(e);
  }
  svg.append(g);
  return svg;
}

function legendLine(doc: Document, cls: string): SVGSVGElement {
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('width', '30');
  svg.setAttribute('height', '10');
  svg.setAttribute('aria-hidden', 'true');
  const p = doc.createElementNS(SVG_NS, 'path');
  p.setAttribute('class', `edge-line legend-line-${cls}`);
  p.setAttribute('d', 'M1,5H22');
  const a = doc.createElementNS(SVG_NS, 'path');
  a.setAttribute('class', 'legend-arrow');
  a.setAttribute('d', 'M21,1L29,5L21,9Z');
  svg.append(p, a);
  return svg;
}

function summary(model: TopologyModel): string {
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const processes = model.nodes.filter((n) => n.kind === 'process').length;
  const parts = [count(processes, 'process', 'processes'), count(model.edges.length, 'edge', 'edges')];
  if ((model.programs?.length ?? 0) > 1) parts.unshift(count(model.programs!.length, 'program', 'programs'));
  const errors = model.findings.filter((f) => f.severity === 'error').length;
  const warnings = model.findings.filter((f) => f.severity === 'warning').length;
  if (errors > 0) parts.push(count(errors, 'error', 'errors'));
  if (warnings > 0) parts.push(count(warnings, 'warning', 'warnings'));
  return parts.join(' · ');
}

function where(loc: Location): string {
  return `${loc.file}:${loc.range.start.line + 1}:${loc.range.start.character + 1}`;
}

function startInVsCode(page: Page, vscode: VsCodeApi, workerUrl: string | undefined): void {
  if (workerUrl) page.layout = createLayoutClient({ url: workerUrl });
  let current: { model: TopologyModel; title: string } | undefined;
  let persistTimer: ReturnType<typeof setTimeout> | undefined;
  /** What the last 'rendered' told the host. */
  let lastRendered: string | undefined;
  const drawn = (): FromWebview => {
    const programs = [...page.graph.querySelectorAll('.program-title')].map((t) => t.textContent ?? '');
    return {
      type: 'rendered',
      nodes: page.graph.querySelectorAll('.node').length,
      edges: page.graph.querySelectorAll('.edge').length,
      ...(programs.length > 0 ? { programs } : {}),
    };
  };
  const persist = (): void => {
    if (!current) return;
    vscode.setState({ model: current.model, title: current.title, ...(page.view ? { view: page.view.state() } : {}) });
  };
  page.host = {
    open: (loc) => vscode.postMessage({ type: 'open', loc }),
    reveal: (loc) => vscode.postMessage({ type: 'reveal', loc }),
    save: (format, data) => vscode.postMessage({ type: 'export', format, data }),
    persist: () => {
      if (persistTimer) clearTimeout(persistTimer);
      persistTimer = setTimeout(persist, 150);
    },
    rendered: () => {
      lastRendered = JSON.stringify(drawn());
      vscode.postMessage(drawn());
    },
    reproduce: (finding) => vscode.postMessage({ type: 'reproduce', finding }),
    showReport: () => vscode.postMessage({ type: 'showRunReport' }),
    liveSummary: (live) => vscode.postMessage({ type: 'live', live }),
  };
  // What was drawn changes again when a layout settles (frames of programs are drawn then): the
  // host hears of it then too, not only when a model arrives.
  // (Only a change of what was told: a drawing restored after a reload is not news.)
  let settledFrame: number | undefined;
  new MutationObserver((records) => {
    if (settledFrame !== undefined || !records.some((r) => (r.target as Element).getAttribute('data-layout-state') === 'settled')) return;
    settledFrame = requestAnimationFrame(() => {
      settledFrame = undefined;
      if (lastRendered !== undefined && JSON.stringify(drawn()) !== lastRendered) page.host.rendered?.();
    });
  }).observe(page.graph, { subtree: true, attributes: true, attributeFilter: ['data-layout-state'] });
  const saved = vscode.getState();
  if (isSavedState(saved)) {
    current = { model: saved.model, title: saved.title };
    page.show(saved.model, saved.title, saved.view);
  }
  window.addEventListener('message', (event: MessageEvent) => {
    const msg = parseToWebview(event.data);
    if (!msg) return;
    switch (msg.type) {
      case 'select':
        page.view?.highlight(msg.loc, msg.nodeIds);
        return;
      case 'run':
        page.live.start(msg.run);
        page.refreshSide();
        return;
      case 'runLines':
        page.live.feed(msg.id, msg.lines);
        return;
      case 'runEnd':
        page.live.finish(msg.id, msg.end);
        return;
      case 'confirmed':
        page.confirmed = msg.findings;
        page.refreshSide();
        return;
      case 'runner':
        page.runner = { enabled: msg.enabled, ...(msg.reason ? { reason: msg.reason } : {}) };
        page.refreshSide();
        return;
      default:
        break;
    }
    current = { model: msg.model, title: msg.title };
    page.show(msg.model, msg.title);
    persist();
    // Tell the host what was drawn (its status and the integration tests read it).
    page.host.rendered?.();
    if (msg.focus) {
      // "Show in graph" from a code lens: move keyboard focus (and the view) to that node.
      const target = [...page.graph.querySelectorAll<SVGGElement>('.node')].find((n) => n.dataset.id === msg.focus);
      target?.focus();
    }
  });
  vscode.postMessage({ type: 'ready' });
}

function startStandalone(page: Page, doc: Document): void {
  const code = doc.getElementById(WORKER_ELEMENT_ID)?.textContent;
  if (code && code.trim()) page.layout = createLayoutClient({ code });
  page.host = {
    open: (loc) => { page.status.textContent = where(loc); },
    reveal: (loc) => { page.status.textContent = where(loc); },
    save: (format, data, name) => download(doc, format, data, name),
  };
  const el = doc.getElementById(MODEL_ELEMENT_ID);
  let model: unknown;
  try {
    model = JSON.parse(el?.textContent ?? 'null');
  } catch {
    model = undefined;
  }
  if (!isTopologyModel(model)) {
    page.status.textContent = 'This page does not contain a valid topology model.';
    return;
  }
  page.show(model, doc.title);
}

/** The standalone page saves an export as a download. */
function download(doc: Document, format: ExportFormat, data: string, name: string): void {
  const ext = { svg: 'svg', png: 'png', dot: 'dot', mermaid: 'mmd' }[format];
  const a = doc.createElement('a');
  a.download = `${name}.${ext}`;
  let url: string;
  if (format === 'png') {
    url = data;
  } else {
    url = URL.createObjectURL(new Blob([data], { type: format === 'svg' ? 'image/svg+xml' : 'text/plain' }));
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  a.href = url;
  a.hidden = true;
  doc.body.append(a);
  a.click();
  a.remove();
  (globalThis as { __ptLastExport?: { format: string; size: number } }).__ptLastExport = { format, size: data.length };
}

/**
 * Counts the page's Content-Security-Policy violations on <html data-csp-violations> (with the last
 * one in data-csp-last-violation): the page is meant to run with none, and the tests check that in
 * the real VS Code webview. Installed first thing, before anything the policy could block.
 */
function countCspViolations(doc: Document): void {
  const root = doc.documentElement;
  root.dataset.cspViolations = '0';
  doc.addEventListener('securitypolicyviolation', (e: SecurityPolicyViolationEvent) => {
    root.dataset.cspViolations = String(Number(root.dataset.cspViolations ?? '0') + 1);
    root.dataset.cspLastViolation = `${e.effectiveDirective} ${e.blockedURI}`.trim();
  });
}

function start(): void {
  const page = new Page(document);
  const acquire = (globalThis as { acquireVsCodeApi?: () => VsCodeApi }).acquireVsCodeApi;
  const app = document.getElementById('app');
  if (typeof acquire === 'function') startInVsCode(page, acquire(), app?.dataset.layoutWorker);
  else startStandalone(page, document);
}

countCspViolations(document);
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
