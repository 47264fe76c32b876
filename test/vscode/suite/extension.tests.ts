// What a user sees in VS Code: the inline diagnostic on the broken example, and the graph panel.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Api } from '../../../extension/src/main';
import { until } from '../../helpers/until';

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

export function api(): Api {
  const ext = vscode.extensions.getExtension<Api>('process-topology.process-topology');
  assert.ok(ext?.isActive, 'the extension is active');
  return ext.exports;
}

/** The Process Topology diagnostics of a document. */
export function findings(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'process-topology');
}

export function codeOf(d: vscode.Diagnostic): string {
  return String(typeof d.code === 'object' ? d.code.value : d.code);
}

/** Opens a document in its own tab (not a preview, so that several stay open) and shows it. */
export async function open(name: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(workspaceFile(name));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** Edits through a WorkspaceEdit, as an extension or a refactoring would. */
export async function edit(doc: vscode.TextDocument, range: vscode.Range, text: string): Promise<void> {
  const e = new vscode.WorkspaceEdit();
  e.replace(doc.uri, range, text);
  assert.ok(await vscode.workspace.applyEdit(e), 'the edit was applied');
}

export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.includes(needle)) return i;
  throw new Error(`'${needle}' not found in ${doc.uri.fsPath}`);
}

/** Puts a document back as it is on disk (the workspace is a scratch copy, but tests share it). */
export async function restore(doc: vscode.TextDocument, text: string): Promise<void> {
  if (doc.getText() !== text) await edit(doc, new vscode.Range(0, 0, doc.lineCount, 0), text);
  await doc.save();
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
      // The code links to the rule's doc shipped in the extension: it opens offline.
      assert.ok(typeof diag.code === 'object', 'the code carries a link');
      assert.equal(diag.code.target.scheme, 'file');
      assert.match(diag.code.target.path, /\/docs\/rules\/missing-sentinel\.md$/);
      await vscode.workspace.fs.stat(diag.code.target);
      assert.ok((diag.relatedInformation ?? []).length > 0, 'the other sites are related locations');
      console.log(`diagnostic: ${diag.message}`);
    });

    it('shows and clears diagnostics as the file is edited', async () => {
      const doc = await open('producer-consumer.ts');
      const text = doc.getText();
      const model = await until('the model of the good example', async () => (await api().model(doc.uri)) ?? undefined);
      assert.deepEqual(model.findings, []);
      assert.deepEqual(findings(doc.uri), []);
      try {
        // Delete the line that puts the sentinels: the consumers now wait forever.
        const sentinels = lineOf(doc, 'for (const _ of consumers) await q.put(null);');
        let started = Date.now();
        await edit(doc, doc.lineAt(sentinels).rangeIncludingLineBreak, '');
        const diag = await until('missing-sentinel after the edit', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'), 30_000);
        assert.ok(doc.lineAt(diag.range.start.line).text.includes('q.get()'), 'anchored at the get');
        console.log(`edit -> diagnostic shown: ${Date.now() - started} ms`);
        // Type it back: the diagnostic goes away.
        started = Date.now();
        await edit(doc, new vscode.Range(sentinels, 0, sentinels, 0), '  for (const _ of consumers) await q.put(null);\n');
        await until('the diagnostic to clear', () => (findings(doc.uri).length === 0 ? true : undefined), 30_000);
        console.log(`edit -> diagnostic cleared: ${Date.now() - started} ms`);
      } finally {
        await restore(doc, text);
      }
    });

    it('keeps showing a finding while edits that leave it in place are analyzed', async () => {
      // Each edit cancels the pull of the text before it; a cancelled pull must not show as "no
      // problems" (the finding would vanish until the next result, as if the edit had fixed it).
      const doc = await open('producer-consumer-no-sentinel.ts');
      const text = doc.getText();
      await until('the missing-sentinel diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'));
      const emptied: string[] = [];
      const sub = vscode.languages.onDidChangeDiagnostics((e) => {
        if (e.uris.some((u) => u.toString() === doc.uri.toString()) && findings(doc.uri).length === 0) emptied.push(`at version ${doc.version}`);
      });
      try {
        for (let i = 0; i < 6; i++) await edit(doc, new vscode.Range(doc.lineCount, 0, doc.lineCount, 0), `// note ${i}\n`);
        const last = doc.version;
        const model = await until('the model of the last text', async () => (await api().model(doc.uri)) ?? undefined);
        assert.deepEqual(model.findings.map((f) => f.rule), ['missing-sentinel']);
        await until('the diagnostics of the last text', () => (findings(doc.uri).some((d) => codeOf(d) === 'missing-sentinel') && doc.version === last ? true : undefined));
        assert.deepEqual(emptied, [], 'the finding was never taken away while the edits were analyzed');
      } finally {
        sub.dispose();
        await restore(doc, text);
      }
    });

    it('applies the missing-sentinel quick fix from the code action provider, which removes the finding', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      const text = doc.getText();
      const diag = await until('the missing-sentinel diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'));
      try {
        const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', doc.uri, diag.range);
        const titles = actions.map((a) => a.title);
        assert.ok(titles.includes('Suppress missing-sentinel on this line (give a reason)'), titles.join(' | '));
        const fix = actions.find((a): a is vscode.CodeAction => 'edit' in a && a.edit !== undefined && /sentinel/i.test(a.title) && !a.title.startsWith('Suppress'));
        assert.ok(fix, `a quick fix among: ${titles.join(' | ')}`);
        assert.ok(await vscode.workspace.applyEdit(fix.edit!), 'the fix was applied');
        await until('the finding to go away after the fix', () => (findings(doc.uri).length === 0 ? true : undefined), 30_000);
        console.log(`quick fix applied: ${fix.title}`);
      } finally {
        await restore(doc, text);
      }
      await until('the diagnostic back on the restored file', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'), 30_000);
    });

    it('hovers a queue operation with its role in the topology', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      const line = lineOf(doc, 'q.get()');
      const position = new vscode.Position(line, doc.lineAt(line).text.indexOf('q.get()'));
      const text = await until('the hover', async () => {
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, position);
        const all = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
        return all.includes('Process Topology') ? all : undefined;
      });
      assert.match(text, /Queue q — put by producer ×3; taken by consumer ×2; no null sentinel put/);
      console.log(`hover: ${text.replace(/\s+/g, ' ')}`);
    });

    it('refreshes a consumer in one file when its producer in another file changes', async () => {
      const worker = await open('multi-file/worker.ts');
      const main = await open('multi-file/main.ts');
      const text = main.getText();
      const model = await until('the model of worker.ts', async () => (await api().model(worker.uri)) ?? undefined);
      assert.deepEqual(model.nodes.map((n) => `${n.kind}:${n.label}`).sort(), ['process:consume', 'process:main', 'queue:makeQueue()']);
      assert.deepEqual(model.findings, []);
      try {
        // main.ts stops sending the sentinel: worker.ts's get() now waits forever.
        const put = lineOf(main, 'await q.put(null);');
        await edit(main, main.lineAt(put).rangeIncludingLineBreak, '');
        const diag = await until('missing-sentinel in worker.ts', () => findings(worker.uri).find((d) => codeOf(d) === 'missing-sentinel'), 30_000);
        assert.ok(worker.lineAt(diag.range.start.line).text.includes('q.get()'));
        await edit(main, new vscode.Range(put, 0, put, 0), '  await q.put(null);\n');
        await until('worker.ts clean again', () => (findings(worker.uri).length === 0 ? true : undefined), 30_000);
        console.log('cross-file: worker.ts followed main.ts');
      } finally {
        await restore(main, text);
      }
    });

    it('says in the language status item when it last analyzed, and how long it took', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      await until('the diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'));
      const status = await until('the status of that analysis', async () => {
        const s = (await api().server()).status;
        // (The last analysis can be of any open file: the client pulls them all after an edit.)
        return /^\S+: \d+ findings?, analyzed in \d+ ms at \d/.test(s.detail ?? '') ? s : undefined;
      });
      console.log(`status item: ${status.text} — ${status.detail}`);
    });

    it('says in the language status item that a document too large is not analyzed, and why', async () => {
      const big = workspaceFile('generated-large.ts');
      await vscode.workspace.fs.writeFile(big, Buffer.from(`export const data = [${'1234567,'.repeat(260_000)}];\n`));
      try {
        const doc = await vscode.workspace.openTextDocument(big);
        await vscode.window.showTextDocument(doc, { preview: false });
        const status = await until('the status of the large document', async () => {
          const s = (await api().server()).status;
          return /^generated-large\.ts is not analyzed: it has 2,080,024 characters, more than the 1,000,000 the analysis reads/.test(s.detail ?? '') ? s : undefined;
        });
        assert.equal(status.severity, vscode.LanguageStatusSeverity.Warning);
        console.log(`status item: ${status.text} — ${status.detail}`);
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      } finally {
        await vscode.workspace.fs.delete(big);
      }
    });

    it('clears the diagnostics of a file when it is closed, and of a file that is deleted', async () => {
      const broken = workspaceFile('producer-consumer-no-sentinel.ts');
      const copy = workspaceFile('scratch-to-delete.ts');
      await vscode.workspace.fs.writeFile(copy, await vscode.workspace.fs.readFile(broken));
      try {
        const doc = await open('scratch-to-delete.ts');
        await until('the diagnostic of the copy', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'));
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
        await until('the diagnostics to clear once the file is closed', () => (findings(copy).length === 0 ? true : undefined), 30_000);
        await open('scratch-to-delete.ts');
        await until('the diagnostic back on reopening', () => findings(copy).find((d) => codeOf(d) === 'missing-sentinel'));
        await vscode.workspace.fs.delete(copy);
        await until('the diagnostics to clear once the file is deleted', () => (findings(copy).length === 0 ? true : undefined), 30_000);
        console.log('closed and deleted files: diagnostics cleared');
      } finally {
        for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
          if (tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === copy.toString()) await vscode.window.tabGroups.close(tab);
        }
        await vscode.workspace.fs.delete(copy).then(undefined, () => undefined);
      }
    });

    it('lists the problems of files that are not open with the workspace scope, and drops them when it is turned off', async () => {
      // Files no test opens: their problems can only come from the workspace analysis.
      const ticket = workspaceFile('ticket-office.ts');
      const counter = workspaceFile('manager-counter.ts');
      assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === ticket.toString()));
      assert.deepEqual(findings(ticket), []);
      const config = vscode.workspace.getConfiguration('processTopology');
      await config.update('diagnostics.scope', 'workspace', vscode.ConfigurationTarget.Workspace);
      try {
        await until('shared-file-race in the closed ticket-office.ts', () => findings(ticket).find((d) => codeOf(d) === 'shared-file-race'), 60_000);
        await until('unsynchronized-update in the closed manager-counter.ts', () => findings(counter).find((d) => codeOf(d) === 'unsynchronized-update'), 60_000);
      } finally {
        await config.update('diagnostics.scope', undefined, vscode.ConfigurationTarget.Workspace);
      }
      await until('the closed files\' problems to go', () => (findings(ticket).length + findings(counter).length === 0 ? true : undefined), 60_000);
      console.log('workspace scope: closed files listed, then dropped');
    });

    it('steps through a deadlock trace in the editor from the code action', async () => {
      const doc = await open('deadlock/bad-notify-before-wait.ts');
      const diag = await until('the deadlock diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'deadlock'));
      const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', doc.uri, diag.range);
      const step = actions.find((a): a is vscode.CodeAction => 'command' in a && typeof a.command === 'object' && a.command.command === 'processTopology.showTrace');
      assert.ok(step?.command, `a trace action among: ${actions.map((a) => a.title).join(' | ')}`);
      await vscode.commands.executeCommand(step.command.command, ...(step.command.arguments ?? []));
      const shown = (): { index: number; steps: number; label: string; line: number; selected: number | undefined } => {
        const t = api().trace();
        assert.ok(t, 'a trace is shown');
        return { index: t.index, steps: t.steps, label: t.label, line: t.range.start.line, selected: vscode.window.activeTextEditor?.selection.start.line };
      };
      const first = shown();
      assert.equal(first.index, 0);
      // The trace (main starts the waiter, notifies too early…), then the operations that wait forever.
      assert.ok(first.steps >= 3, `${first.steps} steps`);
      assert.equal(first.label, 'main: start waiter');
      assert.equal(first.selected, lineOf(doc, 'p.start()'));
      const visited = [first.label];
      for (let i = 1; i < first.steps; i++) {
        await vscode.commands.executeCommand('processTopology.traceNext');
        const now = shown();
        assert.equal(now.index, i);
        assert.equal(now.selected, now.line, `step ${i + 1} is selected in the editor`);
        visited.push(now.label);
      }
      assert.equal(visited.at(-2), 'waits forever here');
      await vscode.commands.executeCommand('processTopology.tracePrevious');
      assert.equal(shown().index, first.steps - 2);
      assert.equal(shown().selected, diag.range.start.line, 'the step where the waiter waits forever is the diagnostic');
      await vscode.commands.executeCommand('processTopology.traceStop');
      assert.equal(api().trace(), undefined);
      // "Show documentation", the other action every finding has: the bundled doc, previewed.
      const docAction = actions.find((a): a is vscode.CodeAction => 'command' in a && typeof a.command === 'object' && a.command.command === 'processTopology.showRuleDoc');
      assert.ok(docAction?.command);
      await vscode.commands.executeCommand(docAction.command.command, ...(docAction.command.arguments ?? []));
      const preview = await until('the rule doc preview', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => /deadlock\.md/.test(t.label)));
      console.log(`rule doc: ${preview.label}`);
      // (A webview too: closed, so that the one the harness inspects at the end is the graph.)
      await vscode.window.tabGroups.close(preview);
      console.log(`trace stepped: ${visited.join(' -> ')}`);
    });

    it('restarts the server with the Restart Server command, and shows its output', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      await until('the diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'));
      const before = await until('the server process id', async () => (await api().server()).info);
      const crashes = (await api().server()).crashes;
      await vscode.commands.executeCommand('processTopology.restartServer');
      const after = await until('a new server process', async () => {
        const s = await api().server();
        return s.info && s.info.pid !== before.pid ? s : undefined;
      }, 60_000);
      assert.equal(after.crashes, crashes, 'a restart asked for is not a crash');
      assert.throws(() => process.kill(before.pid, 0), 'the old server process is gone');
      await until('the diagnostic from the new server', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'), 60_000);
      await vscode.commands.executeCommand('processTopology.showOutput');
      const output = await until('the output channel to be shown', () => vscode.workspace.textDocuments
        .find((d) => d.uri.scheme === 'output' && d.getText().includes('Process Topology server restarted.')));
      console.log(`restart command: pid ${before.pid} -> ${after.info!.pid}; output ${output.uri.toString()}`);
    });

    it('restarts the server when it crashes, says so, and diagnostics come back', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      const text = doc.getText();
      await until('the diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'));
      const before = await until('the server process id', async () => (await api().server()).info);
      process.kill(before.pid, 'SIGKILL');
      const after = await until('a new server process', async () => {
        const s = await api().server();
        return s.info && s.info.pid !== before.pid ? s : undefined;
      }, 60_000);
      assert.equal(after.crashes, 1);
      console.log(`server restarted: pid ${before.pid} -> ${after.info!.pid}; status: ${after.status.detail}`);
      // The new server analyzes: an edit that adds the sentinels clears the finding, undoing it brings it back.
      const anchor = lineOf(doc, 'for (const c of consumers) await c.join();');
      try {
        await until('the diagnostic back from the new server', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'), 60_000);
        await edit(doc, new vscode.Range(anchor, 0, anchor, 0), '  for (const _ of consumers) await q.put(null);\n');
        await until('the new server to clear the finding', () => (findings(doc.uri).length === 0 ? true : undefined), 30_000);
      } finally {
        await restore(doc, text);
      }
      await until('the finding back', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'), 30_000);
      const status = (await api().server()).status;
      assert.match(status.detail ?? '', /stopped unexpectedly and was restarted \(once/);
      console.log(`status after the restart: ${status.text} — ${status.detail}`);
    });

    it('opens the graph panel with Show Graph', async () => {
      // On the broken example (the one the harness inspects once the tests are done).
      await open('producer-consumer-no-sentinel.ts');
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

    it('draws each program of a module that two entries run apart, titled with its entry', async () => {
      const graph = (): ReturnType<Api['graph']> => api().graph();
      const lib = await open('programs/lib.ts');
      // main, its queue and the shared consumer in each of forgetful.ts and good.ts: 6 nodes.
      const drawn = await until('both programs drawn', () => {
        const g = graph();
        return g?.document === lib.uri.toString() && g.rendered?.programs ? g.rendered : undefined;
      }, 60_000);
      assert.deepEqual(drawn.programs, ['programs/forgetful.ts', 'programs/good.ts']);
      assert.equal(drawn.nodes, 6);
      console.log(`graph panel of lib.ts: ${drawn.nodes} nodes in ${drawn.programs!.length} programs: ${drawn.programs!.join(', ')}`);
      // Back to the broken example, which the harness inspects once the tests are done.
      const example = await open('producer-consumer-no-sentinel.ts');
      let seen: ReturnType<typeof graph>;
      await until('the example drawn again', () => {
        const g = seen = graph();
        return g?.document === example.uri.toString() && g.rendered?.nodes === 4 && !g.rendered.programs ? true : undefined;
      }, 60_000).catch((e: Error) => {
        throw new Error(`${e.message}; the panel last showed ${JSON.stringify(seen)}`);
      });
    });
  });
}
