// The suite for an untrusted workspace (Restricted Mode): the extension declares it supports one,
// and everything works there as in a trusted one: diagnostics, quick fixes, hovers, the graph's model.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { until } from '../../helpers/until';
import type { Api } from '../../../extension/src/main';
import { api, codeOf, findings, lineOf, open, restore } from './extension.tests';

export function registerUntrustedTests(): void {
  describe('Process Topology in Restricted Mode', () => {
    it('runs in an untrusted workspace', async () => {
      assert.equal(vscode.workspace.isTrusted, false);
      await open('producer-consumer.ts');
      const ext = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === 'process-topology');
      assert.ok(ext, 'the extension is installed');
      await until('activation', () => (ext.isActive ? true : undefined));
      console.log('restricted mode: the workspace is not trusted, the extension is active');
    });

    it('shows diagnostics, applies a quick fix and hovers', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      const text = doc.getText();
      const diag = await until('the missing-sentinel diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'));
      const line = lineOf(doc, 'q.get()');
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, doc.lineAt(line).text.indexOf('q.get()')));
      const hover = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
      assert.match(hover, /Queue q — put by producer ×3; taken by consumer ×2/);
      try {
        const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', doc.uri, diag.range);
        const fix = actions.find((a): a is vscode.CodeAction => 'edit' in a && a.edit !== undefined && /sentinel/i.test(a.title) && !a.title.startsWith('Suppress'));
        assert.ok(fix, actions.map((a) => a.title).join(' | '));
        assert.ok(await vscode.workspace.applyEdit(fix.edit!));
        await until('the finding to go away after the fix', () => (findings(doc.uri).length === 0 ? true : undefined), 30_000);
      } finally {
        await restore(doc, text);
      }
      const model = await until('the model for the graph', async () => (await api().model(doc.uri)) ?? undefined);
      assert.deepEqual(model.nodes.map((n) => n.label).sort(), ['consumer', 'main', 'producer', 'q']);
      console.log('restricted mode: diagnostics, quick fix, hover and model work');
    });

    it('runs no code: Run and Watch, Reproduce and Explore are disabled, and say why', async () => {
      const doc = await open('desk-and-pen.ts');
      const ext = vscode.extensions.getExtension<Api>('process-topology.process-topology')!;
      const json = ext.packageJSON as { contributes: { commands: { command: string; enablement?: string }[] }; capabilities: { untrustedWorkspaces: { supported: unknown; description: string } } };
      for (const c of ['processTopology.runAndWatch', 'processTopology.reproduce', 'processTopology.exploreInterleavings']) {
        assert.equal(json.contributes.commands.find((x) => x.command === c)?.enablement, 'isWorkspaceTrusted', c);
      }
      assert.equal(json.capabilities.untrustedWorkspaces.supported, 'limited');
      // Run from anywhere (a keybinding, another extension): it refuses, with the reason, and runs nothing.
      const terminals = vscode.window.terminals.length;
      assert.equal(await vscode.commands.executeCommand('processTopology.runAndWatch', doc.uri), undefined);
      assert.match(api().lastRefusal() ?? '', /^Restricted Mode: this workspace is not trusted.*Trust the workspace to run it/);
      assert.equal(await vscode.commands.executeCommand('processTopology.exploreInterleavings', doc.uri), undefined);
      assert.equal(api().run(), undefined, 'nothing ran');
      assert.equal(vscode.window.terminals.length, terminals, 'no terminal was opened');
      // The lens on the main guard says it is disabled, and why.
      const lenses = await until('the lens', async () => {
        const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 50);
        return all.find((l) => /Run and Watch/.test(l.command?.title ?? ''));
      });
      assert.match(lenses.command!.title, /Run and Watch: disabled in Restricted Mode/);
      // (Its tooltip, the reason, reaches the editor but not this read-back: VS Code's command
      // converter keeps a tooltip only for commands with arguments. The reason is checked above.)
      assert.notEqual(lenses.command!.command, 'processTopology.runAndWatch');
      // The deadlock finding offers no Reproduce that could run its code.
      const diag = await until('the deadlock diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'deadlock'));
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range);
      // Shown disabled in the light bulb (with the reason); VS Code's read-back lists enabled actions
      // only, so here it must be absent while the finding's other actions are there.
      assert.ok(actions.some((a) => /Step through the deadlock trace/.test(a.title)), actions.map((a) => a.title).join(' | '));
      assert.equal(actions.find((a) => a.command?.command === 'processTopology.reproduce'), undefined, 'no enabled Reproduce');
      console.log('restricted mode: running is disabled, with the reason');
    });
  });
}
