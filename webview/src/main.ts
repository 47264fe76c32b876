// Bundle entry of the graph page (esbuild: browser IIFE -> dist/webview.js). Two hosts:
// - inside VS Code (`acquireVsCodeApi` exists): the extension host sends {type:'model'} messages,
//   clicks post {type:'open', loc} back, and the last model survives reloads through setState;
// - the standalone page of `process-topology graph --format html`: the model is embedded in
//   <script type="application/json" id="topology-model">, and clicks show the location.
// The page runs under a strict CSP: no inline handlers, no eval, no `style` attributes.
import { isTopologyModel, type Location, type TopologyModel } from '../../common/model';
import type { FromWebview } from '../../common/protocol';
import { renderGraph, type GraphView } from './graph';
import { isSavedState, MODEL_ELEMENT_ID, parseToWebview, type SavedState } from './messages';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: SavedState): void;
}

interface Page {
  graph: HTMLElement;
  title: HTMLElement;
  status: HTMLElement;
}

function buildPage(doc: Document): Page {
  const root = doc.getElementById('app') ?? doc.body;
  root.classList.add('pt-app');
  const header = doc.createElement('header');
  header.className = 'pt-toolbar';
  const title = doc.createElement('h1');
  title.className = 'pt-title';
  const status = doc.createElement('span');
  status.className = 'pt-status';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  const fit = doc.createElement('button');
  fit.type = 'button';
  fit.className = 'pt-fit';
  fit.textContent = 'Fit';
  fit.title = 'Fit the graph to the view (0)';
  header.append(title, status, fit);
  const graph = doc.createElement('main');
  graph.className = 'pt-graph';
  graph.setAttribute('aria-label',
    'Graph: Tab moves between nodes, Enter opens the code, arrow keys follow edges, + and - zoom, 0 fits');
  root.append(header, graph);
  fit.addEventListener('click', () => view?.fit());
  return { graph, title, status };
}

let view: GraphView | undefined;

function summary(model: TopologyModel): string {
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const processes = model.nodes.filter((n) => n.kind === 'process').length;
  const parts = [count(processes, 'process', 'processes'), count(model.edges.length, 'edge', 'edges')];
  const errors = model.findings.filter((f) => f.severity === 'error').length;
  const warnings = model.findings.filter((f) => f.severity === 'warning').length;
  if (errors > 0) parts.push(count(errors, 'error', 'errors'));
  if (warnings > 0) parts.push(count(warnings, 'warning', 'warnings'));
  return parts.join(' · ');
}

function where(loc: Location): string {
  return `${loc.file}:${loc.range.start.line + 1}:${loc.range.start.character + 1}`;
}

function show(page: Page, model: TopologyModel, title: string, onOpen: (loc: Location) => void): void {
  page.title.textContent = title;
  page.title.title = title;
  if (title) page.graph.ownerDocument.title = title;
  page.status.textContent = summary(model);
  if (view) view.update(model);
  else view = renderGraph(page.graph, model, { onOpen });
}

function startInVsCode(page: Page, vscode: VsCodeApi): void {
  const onOpen = (loc: Location): void => vscode.postMessage({ type: 'open', loc });
  const saved = vscode.getState();
  if (isSavedState(saved)) show(page, saved.model, saved.title, onOpen);
  window.addEventListener('message', (event: MessageEvent) => {
    const msg = parseToWebview(event.data);
    if (!msg) return;
    vscode.setState({ model: msg.model, title: msg.title });
    show(page, msg.model, msg.title, onOpen);
    if (msg.focus) {
      // "Show in graph" from a code lens: move keyboard focus (and the view) to that node.
      const target = [...page.graph.querySelectorAll<SVGGElement>('.node')].find((n) => n.dataset.id === msg.focus);
      target?.focus();
    }
    // Tell the host what was drawn (its status and the integration tests read it).
    vscode.postMessage({
      type: 'rendered',
      nodes: page.graph.querySelectorAll('.node').length,
      edges: page.graph.querySelectorAll('.edge').length,
    });
  });
  vscode.postMessage({ type: 'ready' });
}

function startStandalone(page: Page, doc: Document): void {
  const onOpen = (loc: Location): void => { page.status.textContent = where(loc); };
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
  show(page, model, doc.title, onOpen);
}

function start(): void {
  const page = buildPage(document);
  const acquire = (globalThis as { acquireVsCodeApi?: () => VsCodeApi }).acquireVsCodeApi;
  if (typeof acquire === 'function') startInVsCode(page, acquire());
  else startStandalone(page, document);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
