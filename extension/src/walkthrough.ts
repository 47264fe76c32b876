// The walkthrough's example: a small broken program that ships inside the extension, so that the
// walkthrough works with no folder open and nothing installed. The language server analyzes it as
// a standalone file (an inferred project of its own folder).
import * as vscode from 'vscode';

export const OPEN_EXAMPLE_COMMAND = 'processTopology.openExample';

/** The bundled examples, by file name, in media/walkthrough/ (the .vsix carries them). */
export const EXAMPLES = ['squares.ts'] as const;

export function exampleUri(extensionUri: vscode.Uri, name: (typeof EXAMPLES)[number]): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'media', 'walkthrough', name);
}

/** Whether `uri` is one of the bundled examples (the graph panel may open those besides workspace files). */
export function isBundledExample(extensionUri: vscode.Uri, uri: vscode.Uri): boolean {
  const wanted = uri.with({ query: '', fragment: '' }).toString();
  return EXAMPLES.some((name) => exampleUri(extensionUri, name).toString() === wanted);
}

export function registerWalkthrough(extension: vscode.ExtensionContext): void {
  extension.subscriptions.push(
    vscode.commands.registerCommand(OPEN_EXAMPLE_COMMAND, async (name?: unknown): Promise<vscode.Uri> => {
      const file = EXAMPLES.find((e) => e === name) ?? EXAMPLES[0];
      const doc = await vscode.workspace.openTextDocument(exampleUri(extension.extensionUri, file));
      // From the walkthrough page (not a text editor), open beside it so the steps stay in view.
      const active = vscode.window.tabGroups.activeTabGroup.activeTab;
      const beside = active !== undefined && !(active.input instanceof vscode.TabInputText);
      await vscode.window.showTextDocument(doc, { preview: false, viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active });
      return doc.uri;
    }),
  );
}
