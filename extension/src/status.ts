// The language status item: the analysis of the document in the active editor (time, findings,
// or why it was not analyzed), slow analyses against the time budget, and the server's state
// (restarting after a crash, and that it did restart). Analyses of other documents (a refresh, a
// file open beside) are kept per document, so switching editors shows each one's own.
import * as vscode from 'vscode';
import { COMMANDS, type StatusParams } from '../../common/protocol';
import { DOCUMENT_SELECTOR } from './client';

/** What the status item shows, for the integration tests. */
export interface StatusSnapshot {
  text: string;
  detail: string | undefined;
  severity: vscode.LanguageStatusSeverity;
}

/** Documents whose last status is kept. */
const MAX_KEPT = 200;

export class Status implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem('processTopology.status', DOCUMENT_SELECTOR);
  /** Times the server stopped unexpectedly and was restarted, and when it last did. */
  private crashes = 0;
  private lastCrash: Date | undefined;
  /** The last status of each analyzed document (a bounded number, the oldest dropped first). */
  private readonly byUri = new Map<string, StatusParams>();
  /** The last status received, shown when the active editor's document has none. */
  private last: StatusParams | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.item.name = 'Process Topology';
    this.item.text = '$(sync~spin) Topology';
    this.item.detail = 'starting the analysis server';
    this.item.command = { title: 'Show Output', command: COMMANDS.showOutput };
    this.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(() => this.show()));
  }

  get snapshot(): StatusSnapshot {
    return { text: this.item.text, detail: this.item.detail, severity: this.item.severity };
  }

  analysis(s: StatusParams): void {
    if (s.uri !== undefined) {
      this.byUri.delete(s.uri);
      this.byUri.set(s.uri, s);
      if (this.byUri.size > MAX_KEPT) this.byUri.delete(this.byUri.keys().next().value!);
    }
    this.last = s;
    this.show();
  }

  /** Shows the active editor's document's status, or else the last one received. */
  private show(): void {
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    const s = (active !== undefined ? this.byUri.get(active) : undefined) ?? this.last;
    if (s) this.render(s);
  }

  private render(s: StatusParams): void {
    const findings = s.findings === 1 ? '1 finding' : `${s.findings} findings`;
    if (s.state === 'skipped') {
      this.item.severity = vscode.LanguageStatusSeverity.Warning;
      this.item.text = '$(circle-slash) Topology';
      this.item.detail = `${s.file} is not analyzed: ${s.message ?? 'see the output'}`;
    } else if (s.state === 'error') {
      this.item.severity = vscode.LanguageStatusSeverity.Error;
      this.item.text = '$(error) Topology';
      this.item.detail = `analysis of ${s.file} failed: ${s.message ?? 'see the output'}`;
    } else if (s.state === 'slow') {
      this.item.severity = vscode.LanguageStatusSeverity.Warning;
      this.item.text = `$(watch) Topology ${s.ms} ms`;
      this.item.detail = `${s.file}: ${findings}, analyzed in ${s.ms} ms at ${new Date().toLocaleTimeString()}; slower than the ${s.budgetMs} ms budget (processTopology.timeBudgetMs)`;
    } else if (s.notes && s.notes.length > 0) {
      // Something was not checked (a program too big for the deadlock checker): no claim of safety.
      this.item.severity = vscode.LanguageStatusSeverity.Warning;
      this.item.text = `$(warning) Topology`;
      this.item.detail = `${s.file}: ${findings}, analyzed in ${s.ms} ms at ${new Date().toLocaleTimeString()}; not settled: ${s.notes.join('; ')}`;
    } else {
      this.item.severity = vscode.LanguageStatusSeverity.Information;
      this.item.text = `$(check) Topology`;
      this.item.detail = `${s.file}: ${findings}, analyzed in ${s.ms} ms at ${new Date().toLocaleTimeString()}`;
    }
    // What was left out (a file skipped, a budget run out): the findings may be incomplete.
    if (s.notes && s.notes.length > 0 && s.state !== 'skipped') this.item.detail += ` (${s.notes.join('; ')})`;
    // A crash stays said after the analyses resume: it is worth a look at the output.
    if (this.lastCrash) this.item.detail += ` (${this.crashNote()})`;
  }

  server(state: 'running' | 'stopped' | 'restarting'): void {
    if (state === 'running') {
      if (!this.lastCrash) return;
      this.item.severity = vscode.LanguageStatusSeverity.Warning;
      this.item.text = '$(debug-restart) Topology';
      this.item.detail = `${this.crashNote()}; see the output`;
      return;
    }
    if (state === 'restarting') {
      this.crashes++;
      this.lastCrash = new Date();
    }
    this.item.severity = vscode.LanguageStatusSeverity.Warning;
    this.item.text = state === 'restarting' ? '$(sync~spin) Topology' : '$(debug-disconnect) Topology';
    this.item.detail = state === 'restarting' ? 'the server stopped unexpectedly and is restarting' : 'the server is stopped; run "Process Topology: Restart Server"';
  }

  private crashNote(): string {
    const times = this.crashes === 1 ? 'once' : `${this.crashes} times`;
    return `the server stopped unexpectedly and was restarted (${times}, last at ${this.lastCrash!.toLocaleTimeString()})`;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.item.dispose();
  }
}
