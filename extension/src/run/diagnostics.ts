// What a deadlocked run leaves in the editor: a diagnostic "deadlocked in this run" at each blocked
// call (source process-topology, the other processes' blocked calls as related locations), and the
// static findings the run confirmed, marked "confirmed by a run" in their own diagnostics (the
// language client's diagnostics pass through `decorate`). Both last until the next run of the
// program or an edit of the file.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vscode from 'vscode';
import type { Finding, TopologyModel } from '../../../common/model';
import type { ConfirmedFinding } from '../../../common/protocol';
import { runConfirms, type RuntimeReport } from '../../../common/trace';

export const RUN_DIAGNOSTIC_CODE = 'deadlocked-in-run';
const SOURCE = 'process-topology';

interface Confirmation {
  /** The file of the finding's anchor (a file: URI string). */
  uri: string;
  rule: string;
  line: number;
  by: string;
}

function rootPath(root: string): string {
  return root.startsWith('file:') ? fileURLToPath(root) : root;
}

/** The line's code from `character` on, trimmed (a zero-width call site made visible). */
function callRange(doc: vscode.TextDocument | undefined, line: number, character: number): vscode.Range {
  if (!doc || line >= doc.lineCount) return new vscode.Range(line, character, line, character);
  const text = doc.lineAt(line).text;
  const end = text.trimEnd().replace(/;$/, '').length;
  return new vscode.Range(line, Math.min(character, end), line, Math.max(end, Math.min(character, end)));
}

export class RunDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('process-topology-run');
  private confirmations: Confirmation[] = [];
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly changed = new vscode.EventEmitter<vscode.Uri[]>();
  /** Files whose static diagnostics should be pulled again (their confirmations changed). */
  readonly onDidChangeConfirmations = this.changed.event;

  constructor() {
    this.disposables.push(this.changed, vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length === 0) return;
      const uri = e.document.uri.toString();
      if (this.collection.has(e.document.uri)) this.collection.delete(e.document.uri);
      const before = this.confirmations.length;
      this.confirmations = this.confirmations.filter((c) => c.uri !== uri);
      if (this.confirmations.length !== before) this.changed.fire([e.document.uri]);
    }));
  }

  /** A new run of a program: what the last one left goes. */
  clear(): void {
    this.collection.clear();
    const uris = [...new Set(this.confirmations.map((c) => c.uri))].map((u) => vscode.Uri.parse(u));
    this.confirmations = [];
    if (uris.length > 0) this.changed.fire(uris);
  }

  /** The diagnostics of a run's deadlock, at each blocked call. */
  async showDeadlock(report: RuntimeReport, label: string): Promise<vscode.Uri[]> {
    const root = rootPath(report.root);
    type Call = { uri: vscode.Uri; line: number; character: number; who: string[]; op: string; on: string };
    const calls = new Map<string, Call>();
    for (const p of report.processes) {
      if (p.state !== 'blocked') continue;
      for (const w of p.waits) {
        if (!w.loc) continue;
        const uri = vscode.Uri.file(path.resolve(root, w.loc.file));
        const key = `${uri.toString()}:${w.loc.range.start.line}:${w.loc.range.start.character}:${w.op}`;
        const o = report.objects.find((x) => x.id === w.object);
        const call = calls.get(key) ?? { uri, line: w.loc.range.start.line, character: w.loc.range.start.character, who: [], op: w.op, on: `${w.on}${o ? ` '${o.label}'` : ''}` };
        call.who.push(`${p.name}${p.target ? ` (${p.target})` : ''}`);
        calls.set(key, call);
      }
    }
    const byFile = new Map<string, vscode.Diagnostic[]>();
    const docs = new Map<string, vscode.TextDocument | undefined>();
    for (const c of calls.values()) {
      const k = c.uri.toString();
      if (!docs.has(k)) docs.set(k, await vscode.workspace.openTextDocument(c.uri).then((d) => d, () => undefined));
    }
    const list = [...calls.values()];
    for (const c of list) {
      const doc = docs.get(c.uri.toString());
      const who = c.who.length === 1 ? `${c.who[0]} waits` : `${c.who.length} processes wait (${c.who.join(', ')})`;
      const d = new vscode.Diagnostic(callRange(doc, c.line, c.character),
        `deadlocked in this run: ${who} in ${c.op}() on ${c.on} forever (${label})`, vscode.DiagnosticSeverity.Error);
      d.source = SOURCE;
      d.code = RUN_DIAGNOSTIC_CODE;
      d.relatedInformation = list.filter((o) => o !== c).map((o) => new vscode.DiagnosticRelatedInformation(
        new vscode.Location(o.uri, callRange(docs.get(o.uri.toString()), o.line, o.character)),
        `${o.who.join(', ')} ${o.who.length === 1 ? 'waits' : 'wait'} here in ${o.op}() on ${o.on}`));
      const k = c.uri.toString();
      byFile.set(k, [...(byFile.get(k) ?? []), d]);
    }
    for (const [k, ds] of byFile) this.collection.set(vscode.Uri.parse(k), ds);
    return [...byFile.keys()].map((k) => vscode.Uri.parse(k));
  }

  /** Marks the model's findings the run's deadlock confirms; returns them. */
  confirm(report: RuntimeReport, model: TopologyModel, label: string): Finding[] {
    const found = model.findings.filter((f) => runConfirms(report, f, model.root));
    const root = rootPath(model.root);
    const uris: vscode.Uri[] = [];
    for (const f of found) {
      const uri = vscode.Uri.file(path.resolve(root, f.loc.file));
      const c: Confirmation = { uri: uri.toString(), rule: f.rule, line: f.loc.range.start.line, by: label };
      if (!this.confirmations.some((x) => x.uri === c.uri && x.rule === c.rule && x.line === c.line)) this.confirmations.push(c);
      uris.push(uri);
    }
    if (uris.length > 0) this.changed.fire(uris);
    return found;
  }

  /** The confirmations as the panel lists them (relative to the model's root). */
  confirmedIn(model: TopologyModel): ConfirmedFinding[] {
    const root = rootPath(model.root);
    return this.confirmations.map((c) => ({
      rule: c.rule, line: c.line, by: c.by,
      file: path.relative(root, vscode.Uri.parse(c.uri).fsPath).split(path.sep).join('/'),
    }));
  }

  get confirmed(): readonly Confirmation[] {
    return this.confirmations;
  }

  /** The run's diagnostics of a file (tests). */
  runDiagnostics(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  /** The static diagnostics of a document with the confirmed ones marked. */
  decorate(uri: vscode.Uri, items: vscode.Diagnostic[]): vscode.Diagnostic[] {
    const mine = this.confirmations.filter((c) => c.uri === uri.toString());
    if (mine.length === 0) return items;
    return items.map((d) => {
      const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
      const c = mine.find((x) => x.rule === code && x.line === d.range.start.line);
      if (!c || d.source !== SOURCE || d.message.includes('Confirmed by a run')) return d;
      const out = new vscode.Diagnostic(d.range, `${d.message}\nConfirmed by a run: ${c.by} deadlocked here as this says.`, d.severity);
      out.source = d.source;
      out.code = d.code;
      if (d.relatedInformation) out.relatedInformation = d.relatedInformation;
      if (d.tags) out.tags = d.tags;
      return out;
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
