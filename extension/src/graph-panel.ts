// The graph panel: a singleton webview that draws the model of the active document. The server
// computes the model; the panel only forwards it to the webview and opens what the user clicks.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Finding, Location, TopologyModel } from '../../common/model';
import {
  EXPORT_EXTENSIONS, exportBytes, MAX_RUN_LINE_CHARS, MAX_RUN_LINES, parseFromWebview,
  type ConfirmedFinding, type ExportFormat, type LiveSummary, type ToWebview,
} from '../../common/protocol';
import type { RunSession } from './run/session';
import { isBundledExample } from './walkthrough';

export const VIEW_TYPE = 'processTopology.graph';

export type ModelSource = (uri: vscode.Uri) => Promise<TopologyModel | null>;

/** What the panel asks of the runner (the Reproduce buttons, the run section's report). */
export interface PanelRunner {
  reproduce(finding: Finding, model: TopologyModel, document: vscode.Uri): void;
  showReport(): void;
  /** Whether the panel may offer to run code, and why not. */
  state(): { enabled: boolean; reason?: string };
  /** The findings runs confirmed, as the panel lists them for `model`. */
  confirmed(model: TopologyModel): ConfirmedFinding[];
}

/** Lines are sent to the webview at most this often (a batch per send, whatever the rate). */
const LINES_FLUSH_MS = 40;

export class GraphPanel implements vscode.Disposable {
  static current: GraphPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private document: vscode.Uri | undefined;
  private model: TopologyModel | undefined;
  private ready = false;
  private focusId: string | undefined;
  /** What the webview last reported drawing. */
  rendered: { nodes: number; edges: number; programs?: string[] } | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private selectTimer: NodeJS.Timeout | undefined;
  /** The last selection sent, so that an unchanged one is not sent again. */
  private lastSelect = '';
  /** The run the panel watches, and its lines not sent yet. */
  private session: RunSession | undefined;
  private readonly sessionDisposables: vscode.Disposable[] = [];
  private pending: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** What the webview's run overlay last reported drawing. */
  live: LiveSummary | undefined;
  static runner: PanelRunner | undefined;

  static createOrShow(extensionUri: vscode.Uri, source: ModelSource, document: vscode.Uri | undefined): GraphPanel {
    const column = vscode.ViewColumn.Beside;
    if (GraphPanel.current) {
      // A panel in view stays where the user put it (a run of the program shown there keeps its place).
      const p = GraphPanel.current.panel;
      p.reveal(p.visible ? p.viewColumn : column, true);
    } else {
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Process Topology', { viewColumn: column, preserveFocus: true },
        GraphPanel.webviewOptions(extensionUri));
      GraphPanel.current = new GraphPanel(panel, extensionUri, source);
    }
    if (document) GraphPanel.current.show(document);
    return GraphPanel.current;
  }

  /** Restores a panel after a window reload (registered as a WebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, source: ModelSource): GraphPanel {
    panel.webview.options = GraphPanel.webviewOptions(extensionUri);
    GraphPanel.current = new GraphPanel(panel, extensionUri, source);
    // The webview draws its saved state at once; the active code document, if any, replaces it.
    const active = vscode.window.activeTextEditor?.document;
    if (active && isCode(active)) GraphPanel.current.show(active.uri);
    return GraphPanel.current;
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    // Only the bundle folder can be loaded by the webview.
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')] };
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly extensionUri: vscode.Uri, private readonly source: ModelSource) {
    panel.webview.html = this.html();
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((msg: unknown) => this.onMessage(msg), null, this.disposables);
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (editor && isCode(editor.document)) this.show(editor.document.uri);
    }, null, this.disposables);
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (this.document && e.document.uri.toString() === this.document.toString()) this.scheduleRefresh();
    }, null, this.disposables);
    // Selecting code highlights its nodes in the graph (debounced: selections change on every key).
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (!isCode(e.textEditor.document)) return;
      if (this.selectTimer) clearTimeout(this.selectTimer);
      this.selectTimer = setTimeout(() => this.postSelection(e.textEditor), 120);
    }, null, this.disposables);
  }

  /** Sends the editor's selection as a model location (relative to the model's root). */
  private postSelection(editor: vscode.TextEditor): void {
    if (!this.ready || !this.model) return;
    const file = modelPath(this.model, editor.document.uri);
    const sel = editor.selection;
    const msg: ToWebview = file === undefined ? { type: 'select' } : {
      type: 'select',
      loc: { file, range: { start: { line: sel.start.line, character: sel.start.character }, end: { line: sel.end.line, character: sel.end.character } } },
    };
    const key = JSON.stringify(msg);
    if (key === this.lastSelect) return;
    this.lastSelect = key;
    void this.panel.webview.postMessage(msg);
  }

  /** Watches a run: the webview's overlay starts over, and gets its lines as they come. */
  attach(session: RunSession): void {
    for (const d of this.sessionDisposables.splice(0)) d.dispose();
    this.flush();
    this.session = session;
    this.live = undefined;
    this.pending = [];
    this.sessionDisposables.push(
      session.onLines((lines) => {
        this.pending.push(...lines);
        if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), LINES_FLUSH_MS);
      }),
      session.onEnd((end) => {
        this.flush();
        if (this.ready) void this.panel.webview.postMessage({ type: 'runEnd', id: session.info.id, end } satisfies ToWebview);
      }),
    );
    this.postRun();
  }

  get run(): RunSession | undefined {
    return this.session;
  }

  /** The run from its start (a new run, or a webview that was reloaded). */
  private postRun(): void {
    const session = this.session;
    if (!this.ready || !session) return;
    this.pending = [];
    void this.panel.webview.postMessage({ type: 'run', run: session.info } satisfies ToWebview);
    this.sendLines(session.lines);
    if (session.end) void this.panel.webview.postMessage({ type: 'runEnd', id: session.info.id, end: session.end } satisfies ToWebview);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const lines = this.pending;
    this.pending = [];
    if (lines.length > 0 && this.ready) this.sendLines(lines);
  }

  private sendLines(lines: readonly string[]): void {
    const session = this.session;
    if (!session) return;
    const ok = lines.filter((l) => l.length <= MAX_RUN_LINE_CHARS);
    for (let i = 0; i < ok.length; i += MAX_RUN_LINES) {
      void this.panel.webview.postMessage({ type: 'runLines', id: session.info.id, lines: ok.slice(i, i + MAX_RUN_LINES) } satisfies ToWebview);
    }
  }

  /** The confirmations and whether the panel may run code changed. */
  postRunnerState(): void {
    const runner = GraphPanel.runner;
    if (!this.ready || !runner) return;
    void this.panel.webview.postMessage({ type: 'runner', ...runner.state() } satisfies ToWebview);
    if (this.model) void this.panel.webview.postMessage({ type: 'confirmed', findings: runner.confirmed(this.model) } satisfies ToWebview);
  }

  /** Highlights a node once the graph is drawn (a code lens's "Show in graph"). */
  focus(nodeId: string): void {
    this.focusId = nodeId;
    this.post();
  }

  get currentDocument(): vscode.Uri | undefined {
    return this.document;
  }

  show(document: vscode.Uri): void {
    this.document = document;
    void this.refresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 300);
  }

  private async refresh(): Promise<void> {
    const document = this.document;
    if (!document) return;
    const model = await this.source(document);
    if (document !== this.document || !model) return;
    this.model = model;
    this.panel.title = `Topology: ${titleOf(document)}`;
    this.post();
    this.postRunnerState();
  }

  private post(): void {
    if (!this.ready || !this.model || !this.document) return;
    const msg: ToWebview = {
      type: 'model', model: this.model, title: titleOf(this.document),
      ...(this.focusId ? { focus: this.focusId } : {}),
    };
    void this.panel.webview.postMessage(msg);
  }

  private onMessage(raw: unknown): void {
    const msg = parseFromWebview(raw);
    if (!msg) return; // Anything else from the webview is ignored.
    if (msg.type === 'ready') {
      this.ready = true;
      this.post();
      this.postRunnerState();
      this.postRun();
    } else if (msg.type === 'reproduce') {
      const f = this.model?.findings[msg.finding];
      if (f && this.model && this.document && f.trace && f.trace.length > 0) GraphPanel.runner?.reproduce(f, this.model, this.document);
    } else if (msg.type === 'showRunReport') {
      GraphPanel.runner?.showReport();
    } else if (msg.type === 'live') {
      this.live = msg.live;
    } else if (msg.type === 'open' && this.model) {
      void openLocation(this.model, msg.loc, false, this.extensionUri);
    } else if (msg.type === 'reveal' && this.model) {
      void openLocation(this.model, msg.loc, true, this.extensionUri);
    } else if (msg.type === 'rendered') {
      this.rendered = { nodes: msg.nodes, edges: msg.edges, ...(msg.programs ? { programs: msg.programs } : {}) };
    } else if (msg.type === 'export') {
      void this.saveExport(msg.format, exportBytes(msg));
    }
  }

  /** Asks where to save an export (SVG, PNG, DOT, Mermaid) and writes it there. */
  private async saveExport(format: ExportFormat, bytes: Uint8Array): Promise<void> {
    const ext = EXPORT_EXTENSIONS[format];
    const base = this.document ? path.basename(this.document.path).replace(/\.[^.]+$/, '') : 'topology';
    const folder = (this.document && vscode.workspace.getWorkspaceFolder(this.document)?.uri) ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    const names: Record<ExportFormat, string> = { svg: 'SVG image', png: 'PNG image', dot: 'Graphviz DOT', mermaid: 'Mermaid' };
    const target = await vscode.window.showSaveDialog({
      title: `Export the process topology as ${names[format]}`,
      saveLabel: 'Export',
      filters: { [names[format]]: [ext] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}.topology.${ext}`) } : {}),
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
      vscode.window.setStatusBarMessage(`Process Topology: saved ${vscode.workspace.asRelativePath(target)}`, 4000);
    } catch (err) {
      void vscode.window.showErrorMessage(`Process Topology: could not save ${target.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = makeNonce();
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'graph.css'));
    // The elkjs layout runs in a worker: the page fetches this bundle and starts it from a blob: URL
    // (a webview cannot start a worker from its resource origin directly).
    const worker = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'layout-worker.js'));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data: blob:; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src ${webview.cspSource}; connect-src ${webview.cspSource}; worker-src blob:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>Process Topology</title>
</head>
<body>
<div id="app" data-layout-worker="${worker}"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    GraphPanel.current = undefined;
    for (const d of this.sessionDisposables.splice(0)) d.dispose();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.selectTimer) clearTimeout(this.selectTimer);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** A document's name in the panel: workspace-relative, or just the file name outside the workspace. */
function titleOf(uri: vscode.Uri): string {
  return vscode.workspace.getWorkspaceFolder(uri) ? vscode.workspace.asRelativePath(uri) : path.posix.basename(uri.path);
}

export function isCode(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && /^(typescript|javascript)(react)?$/.test(doc.languageId);
}

function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars.charAt(Math.floor(Math.random() * chars.length));
  return s;
}

/** A document's path relative to the model's root, as model locations spell it; undefined outside it. */
function modelPath(model: TopologyModel, uri: vscode.Uri): string | undefined {
  const root = vscode.Uri.parse(model.root.endsWith('/') ? model.root : `${model.root}/`);
  if (root.scheme !== uri.scheme || root.authority !== uri.authority) return undefined;
  const rel = path.posix.relative(root.path, uri.path);
  return rel === '' || rel.startsWith('../') || path.posix.isAbsolute(rel) ? undefined : rel;
}

/**
 * Opens a model location, but only inside the model's root and an open workspace folder, or one of
 * the extension's bundled walkthrough examples (given `extensionUri`). With `preserveFocus` (a
 * trace step) the code is selected and revealed while the graph keeps the focus.
 */
export async function openLocation(model: TopologyModel, loc: Location, preserveFocus = false, extensionUri?: vscode.Uri): Promise<void> {
  const root = vscode.Uri.parse(model.root.endsWith('/') ? model.root : `${model.root}/`);
  if (loc.file.split('/').includes('..') || loc.file.startsWith('/')) return;
  const target = vscode.Uri.joinPath(root, loc.file);
  if (!vscode.workspace.getWorkspaceFolder(target) && !(extensionUri && isBundledExample(extensionUri, target))) return;
  const range = new vscode.Range(loc.range.start.line, loc.range.start.character, loc.range.end.line, loc.range.end.character);
  const editor = await vscode.window.showTextDocument(target, { selection: range, viewColumn: vscode.ViewColumn.One, preserveFocus });
  if (preserveFocus) editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
