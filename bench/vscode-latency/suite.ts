// The part of bench/vscode-latency.ts that runs inside VS Code's extension host: it opens the file
// named in latency.json at the workspace's root, then edits code in a process function, as a
// user types it, and times each edit from the change to the moment VS Code shows the diagnostics
// of the new text: one edit adds a missing-sentinel finding (the last consumer's sentinel test no
// longer matches what is put), the next removes it again. Each time goes to the log as one line.
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

interface Plan {
  file: string;
  /** Line (0-based) of the consumer's sentinel test, and of its get, where the finding sits. */
  testLine: number;
  getLine: number;
  edits: number;
}

function codeOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  return typeof c === 'object' && c !== null ? String(c.value) : c === undefined ? undefined : String(c);
}

/** Resolves with the ms from `t0` when `holds()` becomes true as VS Code's diagnostics change. */
function until(holds: () => boolean, t0: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (holds()) {
      resolve(performance.now() - t0);
      return;
    }
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`the diagnostics did not change within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics(() => {
      if (!holds()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(performance.now() - t0);
    });
  });
}

export async function run(): Promise<void> {
  const root = vscode.workspace.workspaceFolders![0]!.uri;
  const plan = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, 'latency.json')))) as Plan;
  const uri = vscode.Uri.joinPath(root, plan.file);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const found = (): boolean => vscode.languages.getDiagnostics(uri).some((d) => codeOf(d) === 'missing-sentinel' && d.range.start.line === plan.getLine);
  const replace = async (from: string, to: string): Promise<void> => {
    const line = doc.lineAt(plan.testLine);
    const at = line.text.indexOf(from);
    if (at < 0) throw new Error(`line ${plan.testLine + 1} has no '${from}': ${line.text}`);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(plan.testLine, at, plan.testLine, at + from.length), to);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error('the edit was not applied');
  };
  interface Info { analyses: number; cancelledAnalyses: number; analysisMs: number }
  const server = async (): Promise<Info | undefined> =>
    (await vscode.extensions.getExtension<{ server(): Promise<{ info?: Info }> }>('process-topology.process-topology')?.exports.server())?.info;
  let before: Info | undefined;
  // Two rounds to warm up (the first starts the language server and analyses the whole file).
  for (let i = 0; i < plan.edits + 2; i++) {
    if (i === 2) before = await server();
    const warm = i < 2;
    // The analysis thread's time for the edit that adds the finding: the rest of its latency is
    // spent outside the analysis (the client, the transport, the queue, the machine's other work).
    const startInfo = warm ? undefined : await server();
    let t0 = performance.now();
    await replace('item === null', 'item === undefined');
    // The edit's own round trip (extension host -> workbench -> extension host), part of the time.
    const applied = performance.now() - t0;
    const adds = await until(found, t0, warm ? 120_000 : 30_000);
    const addsInfo = warm ? undefined : await server();
    const analysis = startInfo && addsInfo ? addsInfo.analysisMs - startInfo.analysisMs : undefined;
    t0 = performance.now();
    await replace('item === undefined', 'item === null');
    const removes = await until(() => !found(), t0, warm ? 120_000 : 30_000);
    if (!warm) console.log(`LATENCY ${JSON.stringify({ adds, removes, applied, ...(analysis !== undefined ? { analysis } : {}) })}`);
  }
  const after = await server();
  // How many analyses the server ran for the timed edits (one per edit would be 2 x edits).
  if (before && after) console.log(`ANALYSES ${JSON.stringify({ analyses: after.analyses - before.analyses, cancelled: after.cancelledAnalyses - before.cancelledAnalyses, edits: 2 * plan.edits })}`);
  await vscode.commands.executeCommand('workbench.action.files.revert');
}
