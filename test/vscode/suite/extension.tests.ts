// What a user sees in VS Code: the inline diagnostic on the broken example, and the graph panel.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Api } from '../../../extension/src/main';

/** Polls until `check` returns a value, or fails after `ms` (no fixed sleeps). */
async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

export function registerTests(): void {
  describe('Process Topology in VS Code', () => {
    it('activates and contributes its commands', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('producer-consumer.ts'));
      await vscode.window.showTextDocument(doc);
      const wanted = ['processTopology.showGraph', 'processTopology.restartServer', 'processTopology.showOutput'];
      await until('the commands to be registered', async () => {
        const all = await vscode.commands.getCommands(true);
        return wanted.every((c) => all.includes(c)) ? true : undefined;
      });
      const ext = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === 'process-topology');
      assert.ok(ext, 'the extension is installed');
      await until('activation', () => (ext.isActive ? true : undefined));
    });

    it('shows the missing-sentinel diagnostic inline on the broken example', async () => {
      const uri = workspaceFile('producer-consumer-no-sentinel.ts');
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const diag = await until('the missing-sentinel diagnostic', () =>
        vscode.languages.getDiagnostics(uri).find((d) => d.source === 'process-topology'));
      assert.equal(typeof diag.code === 'object' ? diag.code.value : diag.code, 'missing-sentinel');
      assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
      const line = doc.lineAt(diag.range.start.line).text;
      assert.ok(line.includes('q.get()'), `anchored at the consumer's get: ${line}`);
      console.log(`diagnostic: ${diag.message}`);
    });

    it('opens the graph panel with Show Graph', async () => {
      await vscode.commands.executeCommand('processTopology.showGraph');
      const tab = await until('the graph panel', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('processTopology.graph')));
      assert.match(tab.label, /Topology/);
      const ext = vscode.extensions.getExtension<Api>('process-topology.process-topology');
      assert.ok(ext?.isActive);
      // The webview reports what it drew: main, producer ×3, consumer ×2 and q.
      const drawn = await until('the graph to be drawn', () => ext.exports.graph()?.rendered);
      assert.equal(drawn.nodes, 4);
      assert.ok(drawn.edges >= 5);
      console.log(`graph panel: ${tab.label}, ${drawn.nodes} nodes, ${drawn.edges} edges`);
    });
  });
}
