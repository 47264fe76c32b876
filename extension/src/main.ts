// Extension entry: builds the context, starts the server, registers commands and the panel serializer.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { GraphPanel, VIEW_TYPE } from './graph-panel';
import type { StatusSnapshot } from './status';
import { registerWalkthrough } from './walkthrough';
import type { TraceSnapshot } from './trace';
import type { TopologyModel } from '../../common/model';
import type { ServerInfo } from '../../common/protocol';
import { RunController, type RunSnapshot } from './run/watch';

/** What the extension exports: read by the integration tests (and by other extensions). */
export interface Api {
  /** The graph panel's document and what its webview last drew, when the panel is open. */
  graph(): { document: string | undefined; rendered: { nodes: number; edges: number; programs?: string[] } | undefined } | undefined;
  /**
   * The language server: its process and counters (undefined while it is not running), how often
   * it stopped unexpectedly, and what the status item says.
   */
  server(): Promise<{ info: ServerInfo | undefined; crashes: number; status: StatusSnapshot }>;
  /** The topology model the server computes for a document (the graph panel draws it). */
  model(uri: vscode.Uri): Promise<TopologyModel | null>;
  /** The trace being stepped through in the editor (`processTopology.showTrace`), if any. */
  trace(): TraceSnapshot | undefined;
  /** The last run (Run and Watch, Reproduce, a run of Explore Interleavings), if any. */
  run(): RunSnapshot | undefined;
  /** The "deadlocked in this run" diagnostics of a file. */
  runDiagnostics(uri: vscode.Uri): readonly vscode.Diagnostic[];
  /** The static findings runs confirmed (file URI, rule, 0-based line). */
  confirmed(): readonly { uri: string; rule: string; line: number }[];
  /** Why the last run command did not run (Restricted Mode, a bad setting), if it did not. */
  lastRefusal(): string | undefined;
  /** Cancels a running Explore Interleavings, as its notification's Cancel does. */
  cancelExplore(): void;
}

export async function activate(extension: vscode.ExtensionContext): Promise<Api> {
  const ctx = new Ctx(extension);
  extension.subscriptions.push(ctx);
  registerCommands(ctx);
  registerWalkthrough(extension);
  // Before the server starts: it decorates the diagnostics the client receives.
  const runner = new RunController(ctx);
  extension.subscriptions.push(runner);
  extension.subscriptions.push(vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    deserializeWebviewPanel: async (panel) => {
      GraphPanel.revive(panel, extension.extensionUri, (u) => ctx.model(u));
    },
  }));
  await ctx.start();
  return {
    graph: () => {
      const panel = GraphPanel.current;
      return panel && { document: panel.currentDocument?.toString(), rendered: panel.rendered };
    },
    server: async () => ({ info: await ctx.serverInfo(), crashes: ctx.crashes, status: ctx.status.snapshot }),
    model: (uri) => ctx.model(uri),
    trace: () => ctx.trace.snapshot,
    run: () => runner.snapshot(),
    runDiagnostics: (uri) => runner.diagnostics.runDiagnostics(uri),
    confirmed: () => runner.diagnostics.confirmed,
    lastRefusal: () => runner.lastRefusal,
    cancelExplore: () => runner.cancelExplore(),
  };
}

export function deactivate(): void {
  GraphPanel.current?.dispose();
}
