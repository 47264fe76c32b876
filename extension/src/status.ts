// The language status item: the last analysis (time, findings), slow analyses against the time
// budget, and the server's state (restarting after a crash).
import * as vscode from 'vscode';
import { COMMANDS, type StatusParams } from '../../common/protocol';
import { DOCUMENT_SELECTOR } from './client';

export class Status implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem('processTopology.status', DOCUMENT_SELECTOR);

  constructor() {
    this.item.name = 'Process Topology';
    this.item.text = '$(sync~spin) Topology';
    this.item.detail = 'starting the analysis server';
    this.item.command = { title: 'Show Output', command: COMMANDS.showOutput };
  }

  analysis(s: StatusParams): void {
    const findings = s.findings === 1 ? '1 finding' : `${s.findings} findings`;
    if (s.state === 'error') {
      this.item.severity = vscode.LanguageStatusSeverity.Error;
      this.item.text = '$(error) Topology';
      this.item.detail = `analysis of ${s.file} failed: ${s.message ?? 'see the output'}`;
    } else if (s.state === 'slow') {
      this.item.severity = vscode.LanguageStatusSeverity.Warning;
      this.item.text = `$(watch) Topology ${s.ms} ms`;
      this.item.detail = `${s.file}: ${findings}; slower than the ${s.budgetMs} ms budget (processTopology.timeBudgetMs)`;
    } else {
      this.item.severity = vscode.LanguageStatusSeverity.Information;
      this.item.text = `$(check) Topology`;
      this.item.detail = `${s.file}: ${findings}, analyzed in ${s.ms} ms`;
    }
  }

  server(state: 'running' | 'stopped' | 'restarting'): void {
    if (state === 'running') return;
    this.item.severity = vscode.LanguageStatusSeverity.Warning;
    this.item.text = state === 'restarting' ? '$(sync~spin) Topology' : '$(debug-disconnect) Topology';
    this.item.detail = state === 'restarting' ? 'the server stopped unexpectedly and is restarting' : 'the server is stopped; run "Process Topology: Restart Server"';
  }

  dispose(): void {
    this.item.dispose();
  }
}
