// Extension entry: builds the context, starts the server, registers commands and the panel serializer.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { GraphPanel, VIEW_TYPE } from './graph-panel';

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  const ctx = new Ctx(extension);
  extension.subscriptions.push(ctx);
  registerCommands(ctx);
  extension.subscriptions.push(vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    deserializeWebviewPanel: async (panel) => {
      GraphPanel.revive(panel, extension.extensionUri, (u) => ctx.model(u));
    },
  }));
  await ctx.start();
}

export function deactivate(): void {
  GraphPanel.current?.dispose();
}
