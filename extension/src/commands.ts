// The commands of the manifest, each a small function of the extension context.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { GraphPanel } from './graph-panel';

export function registerCommands(ctx: Ctx): void {
  const { extension } = ctx;
  extension.subscriptions.push(
    vscode.commands.registerCommand('processTopology.showGraph', (uri?: vscode.Uri) => {
      const document = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      GraphPanel.createOrShow(extension.extensionUri, (u) => ctx.model(u), document);
    }),
    vscode.commands.registerCommand('processTopology.restartServer', () => ctx.restart()),
    vscode.commands.registerCommand('processTopology.showOutput', () => ctx.output.show(true)),
  );
}
