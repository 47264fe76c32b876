// The commands of the manifest, each a small function of the extension context. Two kinds live
// beside what they drive instead: the trace stepping commands (processTopology.showTrace,
// traceNext, tracePrevious, traceStop) in trace.ts, which owns the stepping state, and the
// walkthrough's processTopology.openExample in walkthrough.ts.
import * as vscode from 'vscode';
import { COMMANDS } from '../../common/protocol';
import type { Ctx } from './ctx';
import { GraphPanel, isCode } from './graph-panel';

export function registerCommands(ctx: Ctx): void {
  const { extension } = ctx;
  extension.subscriptions.push(
    // From the palette (no argument), the editor title (a Uri) or a code lens (a URI string and a node id).
    vscode.commands.registerCommand(COMMANDS.showGraph, (target?: vscode.Uri | string, nodeId?: unknown) => {
      // With no argument: the active editor, else (the walkthrough page has the focus) a visible code editor.
      const document = target instanceof vscode.Uri ? target : typeof target === 'string' ? vscode.Uri.parse(target)
        : (vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => isCode(e.document)))?.document.uri;
      const panel = GraphPanel.createOrShow(extension.extensionUri, (u) => ctx.model(u), document);
      if (typeof nodeId === 'string') panel.focus(nodeId);
    }),
    vscode.commands.registerCommand(COMMANDS.showRuleDoc, async (rule?: unknown) => {
      if (typeof rule !== 'string' || !/^[a-z-]+$/.test(rule)) return;
      const doc = vscode.Uri.joinPath(extension.extensionUri, 'docs', 'rules', `${rule}.md`);
      await vscode.commands.executeCommand('markdown.showPreview', doc);
    }),
    vscode.commands.registerCommand(COMMANDS.restartServer, () => ctx.restart()),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => ctx.output.show(true)),
  );
}
