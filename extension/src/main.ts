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
}

export async function activate(extension: vscode.ExtensionContext): Promise<Api> {
  const ctx = new Ctx(extension);
  extension.subscriptions.push(ctx);
  registerCommands(ctx);
  registerWalkthrough(extension);
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
  };
}

export function deactivate(): void {
  GraphPanel.current?.dispose();
}
