// Stepping through a finding's trace in the editor: each step is selected and revealed in its file,
// marked with "step i/n: what happens", and the graph panel (which follows the editor's selection)
// highlights the processes and objects of that step. Next/previous/stop are commands with keys
// while a trace is shown (context key `processTopology.tracing`).
import * as vscode from 'vscode';
import { COMMANDS, isTraceArgs, type TraceArgs } from '../../common/protocol';

/** What the stepper shows, for the integration tests. */
export interface TraceSnapshot {
  rule: string;
  index: number;
  steps: number;
  label: string;
  uri: string;
  range: vscode.Range;
}

export class TraceStepper implements vscode.Disposable {
  private trace: TraceArgs | undefined;
  private index = 0;
  private readonly current = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    borderColor: new vscode.ThemeColor('editorWarning.foreground'),
    borderStyle: 'solid',
    borderWidth: '0 0 1px 0',
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em' },
  });
  /** The other steps of the trace in the same file, numbered, so the order reads at a glance. */
  private readonly others = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em' },
  });
  private readonly message = vscode.window.createStatusBarItem('processTopology.trace', vscode.StatusBarAlignment.Left, 100);
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.message.name = 'Process Topology trace';
    this.message.command = COMMANDS.traceNext;
    this.disposables.push(
      vscode.commands.registerCommand(COMMANDS.showTrace, (args: unknown) => this.start(args)),
      vscode.commands.registerCommand(COMMANDS.traceNext, () => this.go(this.index + 1)),
      vscode.commands.registerCommand(COMMANDS.tracePrevious, () => this.go(this.index - 1)),
      vscode.commands.registerCommand(COMMANDS.traceStop, () => this.stop()),
      // Back in a file of the trace: draw its marks again (decorations belong to editors).
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorate()),
    );
  }

  get snapshot(): TraceSnapshot | undefined {
    const step = this.trace?.steps[this.index];
    if (!this.trace || !step) return undefined;
    return { rule: this.trace.rule, index: this.index, steps: this.trace.steps.length, label: step.label, uri: step.uri, range: toRange(step.range) };
  }

  async start(args: unknown): Promise<void> {
    if (!isTraceArgs(args)) throw new Error('processTopology.showTrace expects a trace (it is run from a finding\'s code action)');
    this.trace = args;
    await vscode.commands.executeCommand('setContext', 'processTopology.tracing', true);
    await this.go(0);
  }

  private async go(index: number): Promise<void> {
    const trace = this.trace;
    if (!trace) return;
    this.index = Math.max(0, Math.min(trace.steps.length - 1, index));
    const step = trace.steps[this.index]!;
    const range = toRange(step.range);
    const editor = await vscode.window.showTextDocument(vscode.Uri.parse(step.uri), { selection: range, preserveFocus: false, preview: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.message.text = `$(debug-step-over) ${trace.rule} trace ${this.index + 1}/${trace.steps.length}: ${step.label}`;
    this.message.tooltip = `${trace.title}\nNext step: Alt+F8 (or click); previous: Shift+Alt+F8; stop: Escape`;
    this.message.show();
    this.decorate();
  }

  private decorate(): void {
    const trace = this.trace;
    for (const editor of vscode.window.visibleTextEditors) {
      const uri = editor.document.uri.toString();
      const current: vscode.DecorationOptions[] = [];
      const others: vscode.DecorationOptions[] = [];
      trace?.steps.forEach((step, i) => {
        if (vscode.Uri.parse(step.uri).toString() !== uri) return;
        const text = `${i + 1}/${trace.steps.length} ${step.label}`;
        if (i === this.index) current.push({ range: toRange(step.range), renderOptions: { after: { contentText: `◀ step ${text}` } } });
        // Steps on one line share it: only the current one, or the first, is spelled out.
        else if (!others.some((o) => o.range.start.line === step.range.start.line)) others.push({ range: toRange(step.range), renderOptions: { after: { contentText: text } } });
      });
      const busy = new Set(current.map((c) => c.range.start.line));
      editor.setDecorations(this.current, current);
      editor.setDecorations(this.others, others.filter((o) => !busy.has(o.range.start.line)));
    }
  }

  async stop(): Promise<void> {
    this.trace = undefined;
    this.message.hide();
    this.decorate();
    await vscode.commands.executeCommand('setContext', 'processTopology.tracing', false);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.current.dispose();
    this.others.dispose();
    this.message.dispose();
  }
}

function toRange(r: TraceArgs['steps'][number]['range']): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}
