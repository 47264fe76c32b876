// Run and Watch in a real VS Code (a trusted workspace with the shim and tsx, as a user's project
// has them): the broken example runs in a terminal and deadlocks — the graph panel draws its
// consumers blocked in get() and main in join(), in red, the blocked lines get "deadlocked in this
// run", the missing-sentinel finding is marked confirmed, until the file is edited; desk-and-pen.ts
// completes when run plainly, and its deadlock finding's Reproduce action makes it deadlock as
// predicted; the fixed twin completes with every process exited 0; Wait Report asks a program that
// waits; Explore Interleavings finds desk-and-pen's deadlock by seed and can be cancelled.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Api } from '../../../extension/src/main';
import { until } from '../../helpers/until';
import { api, codeOf, edit, findings, lineOf, open, restore } from './extension.tests';

type Snapshot = NonNullable<ReturnType<Api['run']>>;

/** Waits for the run with this id to end (the command line's process and its trace). */
async function ended(id: number, ms = 180_000): Promise<Snapshot> {
  return until(`run ${id} to end`, () => {
    const r = api().run();
    return r && r.info.id === id && r.end ? r : undefined;
  }, ms);
}

/** Waits until the panel's overlay reports the end of run `id`. */
async function drawn(id: number): Promise<NonNullable<Snapshot['live']>> {
  return until(`the panel to draw the end of run ${id}`, () => {
    const live = api().run()?.live;
    return live && live.run === id && live.ended ? live : undefined;
  }, 60_000);
}

function nodeId(model: Awaited<ReturnType<Api['model']>>, pred: (n: { kind: string; role?: string; target?: string }) => boolean): string {
  const n = model?.nodes.find(pred);
  assert.ok(n, 'the node is in the model');
  return n.id;
}

export function registerRunTests(): void {
  describe('Run and Watch', function () {
    this.timeout(300_000);

    after(async () => {
      await vscode.commands.executeCommand('processTopology.stopRun');
    });

    it('is a command with an editor title button and a lens on the main guard', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      const ext = vscode.extensions.getExtension<Api>('process-topology.process-topology')!;
      const json = ext.packageJSON as { contributes: { commands: { command: string; enablement?: string }[]; menus: { 'editor/title': { command: string }[] } } };
      assert.equal(json.contributes.commands.find((c) => c.command === 'processTopology.runAndWatch')?.enablement, 'isWorkspaceTrusted');
      assert.ok(json.contributes.menus['editor/title'].some((m) => m.command === 'processTopology.runAndWatch'));
      const lenses = await until('the lens on the main guard', async () => {
        const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 50);
        return all.some((l) => l.command?.command === 'processTopology.runAndWatch') ? all : undefined;
      });
      const lens = lenses.find((l) => l.command?.command === 'processTopology.runAndWatch')!;
      assert.equal(lens.range.start.line, lineOf(doc, 'if (isMainProcess())'));
      assert.match(lens.command!.title, /Run and Watch/);
    });

    it('runs the broken example and watches it deadlock: red at the right operations, diagnostics at the blocked lines, the finding confirmed', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      // (The first analysis of the workspace may take a while on a busy machine.)
      const static0 = await until('the missing-sentinel diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel'), 180_000);
      assert.doesNotMatch(static0.message, /Confirmed by a run/);
      const model = await until('the model', async () => (await api().model(doc.uri)) ?? undefined);
      await vscode.commands.executeCommand('processTopology.runAndWatch', doc.uri);
      const started = await until('the run to start', () => api().run());
      assert.equal(started.info.mode, 'run');
      // It runs in a terminal of its own.
      await until('its terminal', () => vscode.window.terminals.find((t) => t.name === 'Process Topology: producer-consumer-no-sentinel.ts'));
      const r = await ended(started.info.id);
      assert.equal(r.end?.kind, 'deadlock', `${r.end?.text}\n${r.terminal}`);
      assert.equal(r.exitCode, 3);
      assert.match(r.terminal, /DeadlockError: Deadlock: every process of the program is blocked/);
      assert.match(r.end!.text, /^Deadlocked: 3 processes wait forever: MainProcess in join\(\), Process-\d \(consumer\) in get\(\), Process-\d \(consumer\) in get\(\)\.$/);
      // The panel: the consumers and main blocked (red, in the deadlock) at their operations, the producers exited.
      const live = await drawn(started.info.id);
      const consumer = nodeId(model, (n) => n.target === 'consumer');
      // (The workspace's model has a main per example: this run's is the one in its file.)
      const main = model!.nodes.find((n) => n.role === 'main' && n.loc.file === 'producer-consumer-no-sentinel.ts')!.id;
      const producer = nodeId(model, (n) => n.target === 'producer');
      assert.equal(live.nodes[consumer], 'rt-blocked rt-deadlock|2 blocked');
      assert.equal(live.nodes[main], 'rt-blocked rt-deadlock|blocked in join()');
      assert.equal(live.nodes[producer], 'rt-exited|3 exited');
      assert.deepEqual({ blocked: live.blocked, exited: live.exited, deadlocked: live.deadlocked, extras: live.extras }, { blocked: 3, exited: 3, deadlocked: true, extras: 0 });
      const get = model!.edges.find((e) => e.kind === 'get')!.id;
      const put = model!.edges.find((e) => e.kind === 'put')!.id;
      assert.equal(live.edges[get], 30);
      assert.equal(live.edges[put], 30);
      // The diagnostics at the blocked lines: the consumers' get, main's join, each related to the other.
      const getLine = lineOf(doc, 'await q.get()');
      const joinLine = lineOf(doc, 'for (const c of consumers) await c.join();');
      const run = await until('the run\'s diagnostics', () => {
        const ds = api().runDiagnostics(doc.uri);
        return ds.length === 2 ? ds : undefined;
      });
      const atGet = run.find((d) => d.range.start.line === getLine);
      const atJoin = run.find((d) => d.range.start.line === joinLine);
      assert.ok(atGet && atJoin, run.map((d) => `${d.range.start.line}: ${d.message}`).join('\n'));
      assert.match(atGet.message, /^deadlocked in this run: 2 processes wait \(Process-\d \(consumer\), Process-\d \(consumer\)\) in get\(\) on Queue 'q' forever/);
      assert.match(atJoin.message, /^deadlocked in this run: MainProcess waits in join\(\) on Process-\d/);
      assert.equal(atGet.source, 'process-topology');
      assert.equal(atGet.severity, vscode.DiagnosticSeverity.Error);
      assert.deepEqual(atGet.relatedInformation?.map((i) => i.location.range.start.line), [joinLine]);
      assert.ok(findings(doc.uri).some((d) => d.message === atGet.message), 'shown with the file\'s problems');
      // The static finding that predicted it, confirmed in its diagnostic.
      const confirmed = await until('the finding marked confirmed', () => findings(doc.uri).find((d) => codeOf(d) === 'missing-sentinel' && /Confirmed by a run/.test(d.message)), 60_000);
      assert.equal(confirmed.range.start.line, getLine);
      assert.deepEqual(api().confirmed().map((c) => [c.rule, c.line]), [['missing-sentinel', getLine]]);
      console.log(`run and watch: ${r.end!.text}; diagnostics at lines ${getLine + 1} and ${joinLine + 1}; confirmed: ${confirmed.message.split('\n').at(-1)}`);
    });

    it('drops the run\'s diagnostics and the confirmation when the file is edited', async () => {
      const doc = await open('producer-consumer-no-sentinel.ts');
      const text = doc.getText();
      assert.equal(api().runDiagnostics(doc.uri).length, 2);
      try {
        await edit(doc, new vscode.Range(0, 0, 0, 0), '// edited\n');
        await until('the run diagnostics to go', () => (api().runDiagnostics(doc.uri).length === 0 ? true : undefined));
        await until('the confirmation to go', () => (findings(doc.uri).some((d) => /Confirmed by a run/.test(d.message)) ? undefined : true), 60_000);
        assert.deepEqual(api().confirmed(), []);
      } finally {
        await restore(doc, text);
      }
      console.log('run diagnostics: gone after an edit');
    });

    it('Reproduce: a deadlock a plain run misses is reproduced by following its trace', async () => {
      const doc = await open('desk-and-pen.ts');
      const diag = await until('the deadlock diagnostic', () => findings(doc.uri).find((d) => codeOf(d) === 'deadlock'));
      // A plain run completes: the deadlock needs an unlucky interleaving.
      await vscode.commands.executeCommand('processTopology.runAndWatch', doc.uri);
      const plainId = (await until('the plain run', () => api().run())).info.id;
      const plain = await ended(plainId);
      assert.equal(plain.end?.kind, 'completed', `${plain.end?.text}\n${plain.terminal}`);
      assert.match(plain.terminal, /both wrote/);
      // The finding's Reproduce action.
      const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', doc.uri, diag.range);
      const reproduce = actions.find((a): a is vscode.CodeAction => 'command' in a && typeof a.command === 'object' && a.command.command === 'processTopology.reproduce');
      assert.ok(reproduce?.command, actions.map((a) => a.title).join(' | '));
      assert.equal(reproduce.disabled, undefined);
      await vscode.commands.executeCommand(reproduce.command.command, ...(reproduce.command.arguments ?? []));
      const started = await until('the reproduction', () => {
        const r = api().run();
        return r && r.info.id > plainId ? r : undefined;
      });
      assert.equal(started.info.mode, 'reproduce');
      const r = await ended(started.info.id);
      assert.equal(r.end?.kind, 'reproduced', `${r.end?.text}\n${r.terminal}`);
      assert.equal(r.state.steer, 'reproduced');
      assert.match(r.end!.text, /^Reproduced: the run followed the deadlock finding's trace \(7 steps\) and deadlocked as predicted/);
      const model = (await api().model(doc.uri))!;
      const live = await drawn(started.info.id);
      assert.equal(live.nodes[nodeId(model, (n) => n.target === 'first')], 'rt-blocked rt-deadlock|blocked in get()');
      assert.equal(live.nodes[nodeId(model, (n) => n.target === 'second')], 'rt-blocked rt-deadlock|blocked in acquire()');
      const lines = (await until('the run\'s diagnostics', () => {
        const ds = api().runDiagnostics(doc.uri);
        return ds.length === 3 ? ds : undefined;
      })).map((d) => d.range.start.line).sort((a, b) => a - b);
      // first's get of the pen, second's acquire of the desk, main's join of first.
      const secondAcquire = lineOf(doc, 'export async function second') + 2;
      assert.match(doc.lineAt(secondAcquire).text, /await desk\.acquire\(\);/);
      assert.deepEqual(lines, [lineOf(doc, 'const pen = await pens.get();'), secondAcquire, lineOf(doc, 'await a.join();')].sort((a, b) => a - b));
      await until('the deadlock finding confirmed', () => findings(doc.uri).find((d) => codeOf(d) === 'deadlock' && /Confirmed by a run/.test(d.message)), 60_000);
      console.log(`reproduce: plain run ${plain.end!.kind}; ${r.end!.text}`);
    });

    it('the fixed twin completes, and the panel shows every process exited 0', async () => {
      const doc = await open('producer-consumer.ts');
      await vscode.commands.executeCommand('processTopology.runAndWatch', doc.uri);
      const id = (await until('the run', () => {
        const r = api().run();
        return r && r.program.endsWith('producer-consumer.ts') ? r : undefined;
      })).info.id;
      const r = await ended(id);
      assert.equal(r.end?.kind, 'completed', `${r.end?.text}\n${r.terminal}`);
      assert.equal(r.exitCode, 0);
      assert.equal(r.state.processes.length, 6);
      assert.deepEqual(r.state.processes.map((p) => [p.state, p.code]), r.state.processes.map(() => ['exited', 0]));
      await drawn(id);
      // The panel's summaries come a frame apart: the one that says every process exited must come
      // (the last seen is in the failure if it does not).
      const counts = (l: NonNullable<Snapshot['live']>) => ({ processes: l.processes, exited: l.exited, failed: l.failed, blocked: l.blocked, running: l.running });
      const want = { processes: 6, exited: 6, failed: 0, blocked: 0, running: 0 };
      let live = api().run()!.live!;
      await until('the panel to show every process exited', () => {
        live = api().run()!.live!;
        return JSON.stringify(counts(live)) === JSON.stringify(want) ? live : undefined;
      }, 10_000).catch(() => undefined);
      assert.deepEqual(counts(live), want);
      const model = (await api().model(doc.uri))!;
      for (const n of model.nodes.filter((x) => x.kind === 'process')) assert.match(live.nodes[n.id] ?? '', /^rt-exited\|/, n.id);
      assert.equal(live.edges[model.edges.find((e) => e.kind === 'get')!.id], 32);
      // A new run of another program took the last run's diagnostics away.
      assert.deepEqual(api().runDiagnostics((await open('desk-and-pen.ts')).uri), []);
      console.log(`fixed twin: ${r.end!.text}`);
    });

    it('Wait Report asks a program that waits; Stop Run stops it', async () => {
      const doc = await open('run/sleeper.ts');
      await vscode.commands.executeCommand('processTopology.runAndWatch', doc.uri);
      const id = (await until('the run', () => {
        const r = api().run();
        return r && r.program.endsWith('sleeper.ts') ? r : undefined;
      })).info.id;
      // Once main waits in its join of the sleeping child: ask.
      await until('main to wait in join()', () => api().run()?.state.processes.find((p) => p.state === 'blocked' && p.waits.some((w) => w.op === 'join')), 120_000);
      assert.equal(await vscode.commands.executeCommand('processTopology.waitReport'), true);
      const report = await until('the report document', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'process-topology-report' && /Wait report/.test(d.getText())), 60_000);
      assert.match(report.getText(), /MainProcess \(pid \d+\): blocked\n {4}waits in join\(\) on Process-1 \(pid \d+\), called at run\/sleeper\.ts:\d+:\d+/);
      await vscode.commands.executeCommand('processTopology.stopRun');
      const r = await ended(id, 60_000);
      assert.equal(r.end?.kind, 'stopped', r.end?.text);
      console.log(`wait report: ${report.getText().split('\n').find((l) => l.includes('waits in join'))?.trim()}; then ${r.end!.kind}`);
    });

    it('Explore Interleavings finds the seed that deadlocks desk-and-pen.ts, and can be cancelled', async () => {
      const doc = await open('desk-and-pen.ts');
      const found = await vscode.commands.executeCommand<{ runs: number; seed: string | null; cancelled: boolean }>('processTopology.exploreInterleavings', doc.uri);
      assert.ok(found.seed, JSON.stringify(found));
      const r = api().run()!;
      assert.equal(r.info.mode, 'explore');
      assert.equal(r.end?.kind, 'deadlock');
      assert.match(r.info.title, new RegExp(`seed ${found.seed}`));
      // Cancelled while it runs the good example: it stops early and says so.
      const good = await open('producer-consumer.ts');
      const pending = vscode.commands.executeCommand<{ runs: number; seed: string | null; cancelled: boolean }>('processTopology.exploreInterleavings', good.uri);
      await until('the first seeded run', () => {
        const s = api().run();
        return s && s.info.mode === 'explore' && s.program.endsWith('producer-consumer.ts') ? s : undefined;
      });
      api().cancelExplore();
      const cancelled = await pending;
      assert.deepEqual({ cancelled: cancelled.cancelled, seed: cancelled.seed }, { cancelled: true, seed: null });
      assert.ok(cancelled.runs < 50, JSON.stringify(cancelled));
      console.log(`explore: deadlock with seed ${found.seed} after ${found.runs} run(s); cancelled after ${cancelled.runs}`);
    });
  });
}
