// Run and Watch: the commands that run the user's program (trusted workspaces only) and put the run
// on the graph — Run and Watch (command, editor title button, a lens on the main guard), Reproduce
// (a finding's code action and the panel's button: steered replay of its trace), Explore
// Interleavings (seeded runs under controlled scheduling, with a progress notification that can be
// cancelled), Wait Report (asks the running program), Show Run Report, Stop Run. When a run
// deadlocks: diagnostics at the blocked calls, the static findings it confirms marked, and a
// notification that offers the report. In Restricted Mode none of this runs: the commands say why,
// the lens and the code action are shown disabled with the reason.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Finding, TopologyModel } from '../../../common/model';
import { COMMANDS, isReproduceArgs, type RunEnd, type RunInfo } from '../../../common/protocol';
import { reportText } from '../../../common/run-report';
import type { RuntimeReport } from '../../../common/trace';
import type { Ctx } from '../ctx';
import { GraphPanel, isCode } from '../graph-panel';
import { isBundledExample } from '../walkthrough';
import { RunDiagnostics } from './diagnostics';
import { RunSession } from './session';
import { runnerSettings, SettingsError } from './settings';

export const RESTRICTED_REASON = 'Restricted Mode: this workspace is not trusted, and running its program would run its code. Trust the workspace to run it (the analysis works either way).';
const REPORT_SCHEME = 'process-topology-report';

/** What the tests read of the runner. */
export interface RunSnapshot {
  info: RunInfo;
  program: string;
  end: RunEnd | undefined;
  exitCode: number | null;
  lines: number;
  terminal: string;
  /** What the panel's overlay last reported drawing. */
  live: GraphPanel['live'];
  state: { processes: { name: string; target: string | null; state: string; code: number | null; waits: { op: string; line: number | null }[] }[]; ops: number; deadlocked: boolean; steer: string | null };
}

/** What a program's project lacks to run with the runtime: the shim, and tsx for TypeScript. */
export function missingPackages(program: string): string[] {
  const has = (pkg: string): boolean => {
    for (let dir = path.dirname(program); ; dir = path.dirname(dir)) {
      if (fs.existsSync(path.join(dir, 'node_modules', pkg, 'package.json'))) return true;
      if (path.dirname(dir) === dir) return false;
    }
  };
  const missing: string[] = [];
  if (!has('@process-topology/multiprocessing')) missing.push('@process-topology/multiprocessing');
  if (/\.(ts|mts|cts|tsx)$/.test(program) && !has('tsx')) missing.push('tsx');
  return missing;
}

export class RunController implements vscode.Disposable {
  readonly diagnostics = new RunDiagnostics();
  private session: RunSession | undefined;
  private readonly sessions: RunSession[] = [];
  private nextId = 1;
  private readonly disposables: vscode.Disposable[] = [];
  private lastReport: { report: RuntimeReport; title: string } | undefined;
  private readonly reportChanged = new vscode.EventEmitter<vscode.Uri>();
  /** Why the last command refused to run (tests). */
  lastRefusal: string | undefined;
  private explore: { cancel(): void } | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.decorateDiagnostics = (uri, items) => this.diagnostics.decorate(uri, items);
    GraphPanel.runner = {
      reproduce: (f, model, doc) => void this.reproduce(f, model, doc),
      showReport: () => void this.showReport(),
      state: () => (vscode.workspace.isTrusted ? { enabled: true } : { enabled: false, reason: RESTRICTED_REASON }),
      confirmed: (model) => this.diagnostics.confirmedIn(model),
    };
    this.disposables.push(
      this.diagnostics, this.reportChanged,
      this.diagnostics.onDidChangeConfirmations(() => {
        ctx.refreshDiagnostics();
        GraphPanel.current?.postRunnerState();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => GraphPanel.current?.postRunnerState()),
      vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, {
        onDidChange: this.reportChanged.event,
        provideTextDocumentContent: () => (this.lastReport ? `${this.lastReport.title}\n\n${reportText(this.lastReport.report)}\n` : 'No run report yet.\n'),
      }),
      vscode.commands.registerCommand(COMMANDS.runAndWatch, (target?: unknown) => this.runAndWatch(target)),
      vscode.commands.registerCommand(COMMANDS.reproduce, (args?: unknown) => this.reproduceCommand(args)),
      vscode.commands.registerCommand(COMMANDS.exploreInterleavings, (target?: unknown) => this.exploreInterleavings(target)),
      vscode.commands.registerCommand(COMMANDS.waitReport, () => this.waitReport()),
      vscode.commands.registerCommand(COMMANDS.showRunReport, () => this.showReport()),
      vscode.commands.registerCommand(COMMANDS.stopRun, () => this.stop()),
      vscode.languages.registerCodeLensProvider([...['typescript', 'typescriptreact', 'javascript', 'javascriptreact'].map((language) => ({ scheme: 'file', language }))], {
        provideCodeLenses: (doc) => this.lenses(doc),
      }),
      vscode.languages.registerCodeActionsProvider(['typescript', 'typescriptreact', 'javascript', 'javascriptreact'].map((language) => ({ scheme: 'file', language })), {
        provideCodeActions: (doc, _range, context) => this.codeActions(doc, context),
      }, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    );
  }

  get current(): RunSession | undefined {
    return this.session;
  }

  /** The run the tests look at. */
  snapshot(): RunSnapshot | undefined {
    const s = this.session;
    if (!s) return undefined;
    const st = s.live.state;
    return {
      info: s.info, program: s.opts.settings.program, end: s.end, exitCode: s.exitCode, lines: s.lines.length, terminal: s.terminal?.output ?? '',
      live: GraphPanel.current?.run === s ? GraphPanel.current.live : undefined,
      state: {
        processes: st.order.map((pid) => st.processes[pid]!).map((p) => ({
          name: p.name, target: p.target, state: p.state, code: p.code,
          waits: Object.values(p.waits).map((w) => ({ op: w.op, line: w.site ? w.site.line - 1 : null })),
        })),
        ops: st.ops, deadlocked: st.deadlock !== null, steer: st.steer?.outcome ?? null,
      },
    };
  }

  /** Refuses in Restricted Mode (with the reason); true when running is allowed. */
  private allowed(): boolean {
    if (vscode.workspace.isTrusted) return true;
    this.lastRefusal = RESTRICTED_REASON;
    void vscode.window.showWarningMessage(`Process Topology: ${RESTRICTED_REASON}`, 'Manage Workspace Trust').then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  private documentOf(target: unknown): vscode.Uri | undefined {
    if (target instanceof vscode.Uri) return target;
    if (typeof target === 'string') return vscode.Uri.parse(target);
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => isCode(e.document));
    return editor && isCode(editor.document) ? editor.document.uri : undefined;
  }

  private settingsFor(doc: vscode.Uri): ReturnType<typeof runnerSettings> | undefined {
    try {
      return runnerSettings(doc);
    } catch (err) {
      const message = err instanceof SettingsError ? err.message : String(err);
      this.lastRefusal = message;
      void vscode.window.showErrorMessage(`Process Topology: ${message}`);
      return undefined;
    }
  }

  /** Process Topology: Run and Watch. */
  async runAndWatch(target?: unknown): Promise<RunSession | undefined> {
    if (!this.allowed()) return undefined;
    const doc = this.documentOf(target);
    if (!doc || doc.scheme !== 'file') {
      this.lastRefusal = 'no program to run: open a TypeScript or JavaScript file';
      void vscode.window.showInformationMessage('Process Topology: open the program to run (a TypeScript or JavaScript file) first.');
      return undefined;
    }
    const settings = this.settingsFor(doc);
    if (!settings) return undefined;
    const missing = missingPackages(settings.program);
    if (missing.length > 0) {
      // The walkthrough's example ships inside the extension, where neither is installed: it runs
      // as a copy in a workspace folder that has them (a project written with the shim).
      const folder = isBundledExample(this.ctx.extension.extensionUri, doc)
        ? vscode.workspace.workspaceFolders?.find((f) => missingPackages(path.join(f.uri.fsPath, 'example.mts')).length === 0) : undefined;
      const why = `${path.basename(settings.program)} cannot run here: it needs ${missing.join(' and ')} in its project (npm install @process-topology/multiprocessing; npm install --save-dev tsx).`;
      if (!folder) {
        this.lastRefusal = why;
        void vscode.window.showWarningMessage(`Process Topology: ${why}`);
        return undefined;
      }
      // As an .mts file: an ES module (it awaits at top level) whatever the folder's package says.
      const copy = vscode.Uri.joinPath(folder.uri, path.basename(doc.fsPath).replace(/\.ts$/, '.mts'));
      if (!fs.existsSync(copy.fsPath)) fs.copyFileSync(doc.fsPath, copy.fsPath);
      await vscode.window.showTextDocument(copy, { preview: false });
      return this.runAndWatch(copy);
    }
    await this.saveIfDirty(settings.program);
    const name = path.basename(settings.program);
    return this.start({ mode: 'run', title: `Run of ${name}` }, settings, doc, {});
  }

  private async saveIfDirty(file: string): Promise<void> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    if (open?.isDirty) await open.save();
  }

  private async start(info: Omit<RunInfo, 'id'>, settings: NonNullable<ReturnType<typeof runnerSettings>>, doc: vscode.Uri,
    extra: { reproduce?: { finding: Finding; model: TopologyModel }; seed?: string; quiet?: boolean; timeoutSeconds?: number }): Promise<RunSession> {
    this.session?.stop();
    this.diagnostics.clear();
    this.lastRefusal = undefined;
    const full: RunInfo = { id: this.nextId++, ...info };
    const session = await RunSession.start({
      info: full, settings, cli: this.ctx.extension.asAbsolutePath('dist/runner.js'), name: `Process Topology: ${path.basename(settings.program)}`, ...extra,
    }, (line) => this.ctx.output.appendLine(line));
    this.session = session;
    this.sessions.push(session);
    while (this.sessions.length > 3) this.sessions.shift()?.vscodeTerminal?.dispose();
    void vscode.commands.executeCommand('setContext', 'processTopology.running', true);
    const programUri = vscode.Uri.file(settings.program);
    const panel = GraphPanel.createOrShow(this.ctx.extension.extensionUri, (u) => this.ctx.model(u), programUri.fsPath === doc.fsPath ? doc : programUri);
    panel.attach(session);
    let reportShown: RuntimeReport | null = null;
    session.onLines(() => {
      // A wait report asked for (Wait Report) arrives in the trace: show it.
      const r = session.live.state.report;
      if (r && r !== reportShown) {
        reportShown = r;
        this.lastReport = { report: r, title: `Wait report of ${path.basename(settings.program)} (${new Date().toLocaleTimeString()})` };
        void this.openReport();
      }
    });
    void session.ended.then((end) => this.ended(session, end, programUri));
    return session;
  }

  private async ended(session: RunSession, end: RunEnd, program: vscode.Uri): Promise<void> {
    if (this.session === session) void vscode.commands.executeCommand('setContext', 'processTopology.running', false);
    this.ctx.output.appendLine(`${session.info.title}: ${end.text}`);
    const report = session.live.state.deadlock;
    if (!report || this.session !== session) return;
    const when = new Date().toLocaleTimeString();
    const label = `the ${session.info.mode === 'reproduce' ? 'reproduction' : 'run'} of ${when}${session.opts.seed ? ` (seed ${session.opts.seed})` : ''}`;
    this.lastReport = { report, title: `Deadlock in ${path.basename(session.opts.settings.program)}: ${label}` };
    this.reportChanged.fire(vscode.Uri.parse(`${REPORT_SCHEME}:/run-report.txt`));
    void vscode.commands.executeCommand('setContext', 'processTopology.hasRunReport', true);
    await this.diagnostics.showDeadlock(report, label);
    const model = await this.ctx.model(program);
    const confirmed = model ? this.diagnostics.confirm(report, model, label) : [];
    GraphPanel.current?.postRunnerState();
    const what = end.kind === 'reproduced' ? 'Reproduced the deadlock' : 'The run deadlocked';
    const also = confirmed.length > 0 ? ` It confirms ${confirmed.map((f) => f.rule).join(', ')}.` : '';
    void vscode.window.showErrorMessage(`Process Topology: ${what}: ${end.text.replace(/^[^:]*: /, '')}${also}`, 'Show Report').then((pick) => {
      if (pick) void this.showReport();
    });
  }

  /** Reproduce from a code action (a finding's document and anchor). */
  private async reproduceCommand(args: unknown): Promise<RunSession | undefined> {
    if (!this.allowed()) return undefined;
    if (!isReproduceArgs(args)) {
      this.lastRefusal = 'Reproduce needs a finding: use it from a deadlock finding\'s light bulb or the graph\'s findings list';
      void vscode.window.showInformationMessage(`Process Topology: ${this.lastRefusal}.`);
      return undefined;
    }
    const doc = vscode.Uri.parse(args.uri);
    const model = await this.ctx.model(doc);
    const f = model?.findings.find((x) => x.rule === args.rule && x.loc.range.start.line === args.line && x.loc.range.start.character === args.character && x.trace && x.trace.length > 0);
    if (!model || !f) {
      this.lastRefusal = 'the finding is gone (the file changed): run the action again from its diagnostic';
      void vscode.window.showWarningMessage(`Process Topology: ${this.lastRefusal}.`);
      return undefined;
    }
    return this.reproduce(f, model, doc);
  }

  /** Steered replay of a finding's trace. */
  async reproduce(f: Finding, model: TopologyModel, doc: vscode.Uri): Promise<RunSession | undefined> {
    if (!this.allowed()) return undefined;
    const settings = this.settingsFor(doc);
    if (!settings) return undefined;
    await this.saveIfDirty(settings.program);
    return this.start({ mode: 'reproduce', title: `Reproduce ${f.rule} in ${path.basename(settings.program)}` }, settings, doc, { reproduce: { finding: f, model } });
  }

  /** Explore Interleavings: seeded runs under controlled scheduling until one deadlocks. */
  async exploreInterleavings(target?: unknown): Promise<{ runs: number; seed: string | null; cancelled: boolean } | undefined> {
    if (!this.allowed()) return undefined;
    const doc = this.documentOf(target);
    if (!doc) {
      this.lastRefusal = 'no program to explore';
      return undefined;
    }
    const settings = this.settingsFor(doc);
    if (!settings) return undefined;
    await this.saveIfDirty(settings.program);
    const name = path.basename(settings.program);
    const n = settings.exploreRuns;
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Process Topology: exploring interleavings of ${name}`, cancellable: true }, async (progress, token) => {
      let cancelled = false;
      let current: RunSession | undefined;
      const cancel = (): void => { cancelled = true; current?.stop(); };
      this.explore = { cancel };
      token.onCancellationRequested(cancel);
      let done = 0;
      try {
        for (let k = 1; k <= n && !cancelled; k++) {
          const seed = `random-${k}`;
          progress.report({ message: `run ${k} of ${n} (seed ${seed})`, increment: 100 / n });
          current = await this.start({ mode: 'explore', title: `Explore ${name}: seed ${seed} (${k} of ${n})` }, settings, doc, { seed, quiet: true, timeoutSeconds: settings.exploreTimeout });
          const end = await current.ended;
          done = k;
          if (cancelled) break;
          if (end.kind === 'deadlock') {
            void vscode.window.showErrorMessage(`Process Topology: seed ${seed} deadlocks ${name} (run ${k} of ${n}). Run it again with: process-topology run ${name} --seed ${seed}`);
            return { runs: k, seed, cancelled: false };
          }
        }
        if (!cancelled) void vscode.window.showInformationMessage(`Process Topology: no deadlock in ${n} controlled runs of ${name}.`);
        return { runs: done, seed: null, cancelled };
      } finally {
        this.explore = undefined;
      }
    });
  }

  /** Cancels Explore Interleavings (tests; the notification's Cancel does the same). */
  cancelExplore(): void {
    this.explore?.cancel();
  }

  /** Wait Report: asks the running program; its answer opens as a document. */
  async waitReport(): Promise<boolean> {
    const s = this.session;
    if (!s || s.end) {
      void vscode.window.showInformationMessage('Process Topology: no program is running (Run and Watch starts one).');
      return false;
    }
    if (!s.requestReport()) {
      void vscode.window.showWarningMessage('Process Topology: the program has not started its runtime yet; try again in a moment.');
      return false;
    }
    return true;
  }

  async showReport(): Promise<void> {
    if (!this.lastReport) {
      void vscode.window.showInformationMessage('Process Topology: no run report yet.');
      return;
    }
    await this.openReport();
  }

  private async openReport(): Promise<void> {
    const uri = vscode.Uri.parse(`${REPORT_SCHEME}:/run-report.txt`);
    this.reportChanged.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true, viewColumn: vscode.ViewColumn.Active });
  }

  stop(): void {
    this.explore?.cancel();
    this.session?.stop();
  }

  /** A lens on the main guard: Run and Watch (or why it cannot run). */
  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const text = doc.getText();
    if (!/@process-topology\/multiprocessing/.test(text)) return [];
    const out: vscode.CodeLens[] = [];
    const guard = /\bif\s*\(\s*(?:[\w$]+\.)?isMainProcess\s*\(\s*\)\s*\)/g;
    for (let m = guard.exec(text); m; m = guard.exec(text)) {
      const range = doc.getWordRangeAtPosition(doc.positionAt(m.index), /if/) ?? new vscode.Range(doc.positionAt(m.index), doc.positionAt(m.index + 2));
      out.push(new vscode.CodeLens(range, vscode.workspace.isTrusted
        ? { title: '$(play) Run and Watch', tooltip: 'Run this program with the runtime on, and watch it on the graph', command: COMMANDS.runAndWatch, arguments: [doc.uri] }
        : { title: '$(workspace-untrusted) Run and Watch: disabled in Restricted Mode', tooltip: RESTRICTED_REASON, command: 'workbench.trust.manage' }));
      if (vscode.workspace.isTrusted) {
        out.push(new vscode.CodeLens(range, { title: 'Explore Interleavings', tooltip: 'Seeded runs under controlled scheduling, until one deadlocks', command: COMMANDS.exploreInterleavings, arguments: [doc.uri] }));
      }
    }
    return out;
  }

  /** Reproduce on each finding with a trace under the cursor (disabled, with the reason, in Restricted Mode). */
  private async codeActions(doc: vscode.TextDocument, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const ours = context.diagnostics.filter((d) => d.source === 'process-topology');
    if (ours.length === 0) return [];
    const model = await this.ctx.model(doc.uri);
    if (!model) return [];
    const root = vscode.Uri.parse(model.root.endsWith('/') ? model.root : `${model.root}/`);
    const actions: vscode.CodeAction[] = [];
    for (const d of ours) {
      const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
      const f = model.findings.find((x) => x.rule === code && x.trace && x.trace.length > 0 && x.loc.range.start.line === d.range.start.line
        && vscode.Uri.joinPath(root, x.loc.file).toString() === doc.uri.toString());
      if (!f) continue;
      const a = new vscode.CodeAction(`Reproduce this ${f.rule} (run the program along its trace)`, vscode.CodeActionKind.QuickFix);
      a.diagnostics = [d];
      a.command = { title: 'Reproduce', command: COMMANDS.reproduce, arguments: [{ uri: doc.uri.toString(), rule: f.rule, line: f.loc.range.start.line, character: f.loc.range.start.character }] };
      if (!vscode.workspace.isTrusted) a.disabled = { reason: RESTRICTED_REASON };
      actions.push(a);
    }
    return actions;
  }

  dispose(): void {
    this.stop();
    for (const s of this.sessions) s.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
