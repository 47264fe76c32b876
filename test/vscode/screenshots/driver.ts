// Sets up a scene in a real VS Code for scripts/screenshots.mjs (not a test): a broken program with
// its diagnostic's hover open in the left editor group and its graph on the right; or the program
// run (Run and Watch, or its deadlock finding's Reproduce) with the run on the graph and the calls
// it deadlocked in underlined. The scene is read from `.screenshot.json` in the workspace folder: a
// workspace file, or the walkthrough's bundled example. Runs in the extension host as a test
// module (it exports run()).
import * as vscode from 'vscode';
import type { Api } from '../../../extension/src/main';
import { until } from '../../helpers/until';

interface Scene {
  /** A file of the workspace folder, or "walkthrough" for the extension's bundled example. */
  open: string;
  /** Run it with Run and Watch (to its end), or Reproduce its deadlock finding. */
  run?: 'watch' | 'reproduce';
}

export async function run(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the screenshot scene needs a workspace folder');
  const scene = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, '.screenshot.json'))).toString('utf8')) as Scene;
  // A tidy window: no side bars, no panel, no notifications.
  for (const command of ['workbench.action.closeSidebar', 'workbench.action.closeAuxiliaryBar', 'workbench.action.closePanel', 'notifications.clearAll', 'workbench.action.closeAllEditors']) {
    await vscode.commands.executeCommand(command).then(undefined, () => undefined);
  }
  const uri = scene.open === 'walkthrough'
    ? await vscode.commands.executeCommand<vscode.Uri>('processTopology.openExample')
    : vscode.Uri.joinPath(folder.uri, scene.open);
  const editor = await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preview: false });
  const ext = vscode.extensions.getExtension<Api>('process-topology.process-topology');
  if (!ext) throw new Error('the extension is not installed');
  await ext.activate();
  const diag = await until('the diagnostic', () => vscode.languages.getDiagnostics(uri).find((d) => d.source === 'process-topology'));
  console.log(`[scene] diagnostic: ${diag.message}`);
  if (scene.run) {
    await runScene(ext.exports, scene.run, editor, diag);
    return;
  }
  await vscode.commands.executeCommand('processTopology.showGraph', uri);
  const drawn = await until('the graph', () => {
    const g = ext.exports.graph();
    return g?.document === uri.toString() ? g.rendered : undefined;
  });
  console.log(`[scene] graph: ${drawn.nodes} nodes, ${drawn.edges} edges`);
  // The code on top, the graph below it: both get the window's width (the graph runs left to right).
  await vscode.commands.executeCommand('vscode.setEditorLayout', { orientation: 1, groups: [{ size: 0.56 }, { size: 0.44 }] });
  // Back to the code, the cursor on the finding, its hover open.
  await vscode.window.showTextDocument(editor.document, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  const at = diag.range.start.translate(0, 2);
  vscode.window.activeTextEditor!.selection = new vscode.Selection(at, at);
  vscode.window.activeTextEditor!.revealRange(diag.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  // Wait until the server answers the hover's requests at this spot (right after the graph opened
  // it may still be busy), so the hover shows the whole finding with its quick fixes.
  await until('the hover and code actions at the finding', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, at);
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range, vscode.CodeActionKind.QuickFix.value)
      .then((a) => a, () => []);
    return text.includes('Process Topology') && fixes.length > 0 ? true : undefined;
  });
  await vscode.commands.executeCommand('notifications.clearAll');
  await vscode.commands.executeCommand('editor.action.showHover');
  await new Promise((r) => setTimeout(r, 3000)); // the hover's parts arrive one by one
  console.log('[scene] ready');
}

/**
 * A run on the graph: Run and Watch (or the deadlock finding's Reproduce) to the run's end, the code
 * above with the calls the run deadlocked in underlined, and the graph with its run section below.
 */
async function runScene(api: Api, how: 'watch' | 'reproduce', editor: vscode.TextEditor, diag: vscode.Diagnostic): Promise<void> {
  const uri = editor.document.uri;
  // The layout first (moving editors afterwards would close and reopen the document, which drops
  // its problems for a moment): the code above, the graph below.
  await vscode.commands.executeCommand('processTopology.showGraph', uri);
  await vscode.commands.executeCommand('vscode.setEditorLayout', { orientation: 1, groups: [{ size: 0.42 }, { size: 0.58 }] });
  await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  if (how === 'watch') {
    await vscode.commands.executeCommand('processTopology.runAndWatch', uri);
  } else {
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range);
    const reproduce = actions.find((a) => a.command?.command === 'processTopology.reproduce');
    if (!reproduce?.command) throw new Error(`no Reproduce action among ${actions.map((a) => a.title).join(' | ')}`);
    await vscode.commands.executeCommand(reproduce.command.command, ...(reproduce.command.arguments ?? []));
  }
  const run = await until('the run to end', () => {
    const r = api.run();
    return r?.end && r.live?.ended && r.live.run === r.info.id ? r : undefined;
  }, 240_000);
  console.log(`[scene] run: ${run.end!.text}`);
  // The deadlock's notification comes once its findings are confirmed: let it, then clear it.
  await until('the confirmation', () => (api.confirmed().length > 0 ? true : undefined), 60_000);
  await until('the confirmed finding', () => vscode.languages.getDiagnostics(uri).find((d) => /Confirmed by a run/.test(d.message)), 60_000);
  const lines = (await until('the run\'s diagnostics', () => {
    const ds = vscode.languages.getDiagnostics(uri).filter((d) => d.message.startsWith('deadlocked in this run'));
    return ds.length > 0 ? ds : undefined;
  })).map((d) => d.range.start.line);
  await new Promise((r) => setTimeout(r, 1500));
  for (const command of ['workbench.action.closePanel', 'notifications.clearAll']) await vscode.commands.executeCommand(command).then(undefined, () => undefined);
  // The code with the blocked calls underlined in view (the cursor away from them: no hover over the graph).
  const doc = await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  const top = Math.max(0, Math.min(...lines) - 3);
  doc.selection = new vscode.Selection(top, 0, top, 0);
  doc.revealRange(new vscode.Range(top, 0, Math.max(...lines) + 1, 0), vscode.TextEditorRevealType.AtTop);
  await new Promise((r) => setTimeout(r, 2000));
  console.log('[scene] ready');
}
