// The walkthrough: its example ships inside the extension, opens from a command, and is analyzed
// as a standalone file outside every workspace folder; the graph panel may open it, and nothing
// else outside the workspace.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Api } from '../../../extension/src/main';
import { openLocation } from '../../../extension/src/graph-panel';
import { until } from '../../helpers/until';

const EXTENSION_ID = 'process-topology.process-topology';


interface Step {
  id: string;
  description: string;
  media: { markdown?: string; image?: string };
  completionEvents?: string[];
}

function allTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs);
}

function textTabOf(uri: vscode.Uri): vscode.Tab | undefined {
  return allTabs().find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString());
}

export function registerWalkthroughTests(): void {
  describe('Process Topology walkthrough', () => {
    after(async () => {
      // Leave the window as the other suites expect it: no graph panel, no walkthrough, no example.
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('contributes a walkthrough whose commands, completion events and media exist', async () => {
      const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
      assert.ok(ext, 'the extension is installed');
      const json = ext.packageJSON as { contributes: { commands: Array<{ command: string }>; walkthroughs: Array<{ id: string; steps: Step[] }> } };
      const [walkthrough] = json.contributes.walkthroughs;
      assert.ok(walkthrough && walkthrough.steps.length >= 3, 'a walkthrough with steps');
      // VS Code's own commands are registered; the extension's are contributed (it may not be active yet).
      const commands = [...await vscode.commands.getCommands(true), ...json.contributes.commands.map((c) => c.command)];
      for (const step of walkthrough.steps) {
        for (const event of step.completionEvents ?? []) {
          const command = /^onCommand:(.+)$/.exec(event)?.[1];
          if (command) assert.ok(commands.includes(command), `${step.id}: ${command} exists`);
        }
        for (const [, command] of step.description.matchAll(/\]\(command:([\w.]+)/g)) {
          assert.ok(commands.includes(command!), `${step.id}: its button's command ${command} exists`);
        }
        for (const media of [step.media.markdown, step.media.image]) {
          if (media) await vscode.workspace.fs.stat(vscode.Uri.joinPath(ext.extensionUri, media)); // throws if missing
        }
      }
    });

    it('opens the bundled example beside the walkthrough, and its diagnostic arrives', async () => {
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#gettingStarted`, false);
      // (The page shows "Walkthrough: Process Topology", but the tab API may keep the label the
      // welcome page had while the extensions' walkthroughs were being registered: check the kind.)
      const page = await until('the walkthrough page', () => {
        const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
        return tab && tab.input === undefined && tab.label.startsWith('Walkthrough') ? tab : undefined;
      });
      console.log(`walkthrough tab: ${page.label}`);
      const uri = await vscode.commands.executeCommand<vscode.Uri>('processTopology.openExample');
      const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
      assert.ok(ext?.isActive, 'the command activated the extension');
      assert.equal(uri.toString(), vscode.Uri.joinPath(ext.extensionUri, 'media', 'walkthrough', 'squares.ts').toString());
      assert.equal(vscode.workspace.getWorkspaceFolder(uri), undefined, 'the example is outside every workspace folder');
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString(), 'the example is the active editor');
      const tab = textTabOf(uri);
      assert.ok(tab, 'the example has a tab');
      assert.notEqual(tab.group, page.group, 'opened beside the walkthrough, which stays in view');
      const started = Date.now();
      const diag = await until('the missing-sentinel diagnostic on the bundled example', () =>
        vscode.languages.getDiagnostics(uri).find((d) => d.source === 'process-topology'));
      assert.equal(typeof diag.code === 'object' ? diag.code.value : diag.code, 'missing-sentinel');
      assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
      const doc = vscode.window.activeTextEditor!.document;
      assert.ok(doc.lineAt(diag.range.start.line).text.includes('jobs.get()'), 'anchored at the workers\' get');
      console.log(`walkthrough example diagnostic after ${Date.now() - started} ms: ${diag.message}`);
    });

    it('Show Graph from the walkthrough page draws the example', async () => {
      const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID)!;
      const uri = vscode.Uri.joinPath(ext.extensionUri, 'media', 'walkthrough', 'squares.ts');
      // The walkthrough's button runs the command with no argument while the walkthrough has the focus.
      await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
      await vscode.commands.executeCommand('processTopology.showGraph');
      const graph = await until('the graph of the example', () => {
        const g = ext.exports.graph();
        return g?.document === uri.toString() && g.rendered ? g.rendered : undefined;
      });
      // main, worker ×3 and the queue jobs.
      assert.equal(graph.nodes, 3);
      assert.ok(graph.edges >= 2, `edges: ${graph.edges}`);
      console.log(`walkthrough graph: ${graph.nodes} nodes, ${graph.edges} edges`);
    });

    it('the graph opens the bundled example\'s code, and nothing else outside the workspace', async () => {
      const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID)!;
      const uri = vscode.Uri.joinPath(ext.extensionUri, 'media', 'walkthrough', 'squares.ts');
      const model = await until('the model of the example', async () => (await ext.exports.model(uri)) ?? undefined);
      const queue = model.nodes.find((n) => n.kind === 'queue');
      assert.ok(queue, 'the model has the queue');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await openLocation(model, queue.loc, false, ext.extensionUri);
      const editor = vscode.window.activeTextEditor;
      assert.equal(editor?.document.uri.toString(), uri.toString(), 'the example opened');
      assert.equal(editor.selection.start.line, queue.loc.range.start.line, 'at the queue');
      // Another file of the extension, next to the example: refused.
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const other = { file: `${queue.loc.file.replace(/[^/]+$/, '')}open-example.md`, range: queue.loc.range };
      await openLocation(model, other, false, ext.extensionUri);
      // Without the extension's location, the example itself is refused too (it is not in the workspace).
      await openLocation(model, queue.loc, false);
      assert.equal(allTabs().length, 0, `nothing else opened: ${allTabs().map((t) => t.label).join(', ')}`);
    });
  });
}
