// `$/progress` while the server analyzes the whole workspace (the `workspace` diagnostics scope):
// over real LSP, a client that announces window.workDoneProgress (as VS Code does) is asked to
// create a progress token, then gets begin, reports that only move forward, and end; a client
// that does not announce it gets none.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type LspSession } from '../helpers/lsp-client';
import { makeWorkspace, type Workspace } from '../helpers/workspace';

async function until(what: string, ok: () => boolean, s: LspSession, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms; progress: ${JSON.stringify(s.progress)}\n${s.stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('workspace analysis progress', () => {
  let ws: Workspace;
  before(() => {
    // The examples and the analysis fixtures: a couple of hundred files, several programs.
    ws = makeWorkspace();
  });
  after(() => ws.dispose());

  it('reports begin, forward-moving reports with the file count, and end, on the token the client created', async () => {
    const s = await startServer(ws.dir, { diagnostics: { scope: 'workspace' } }, {}, { window: { workDoneProgress: true } });
    try {
      // The client's held workspace diagnostic request starts the workspace analysis.
      const report = s.connection.sendRequest<{ items: unknown[] }>('workspace/diagnostic', { previousResultIds: [] });
      await until('a progress end', () => s.progress.some((p) => p.value.kind === 'end'), s);
      assert.ok((await report).items.length > 0);
      assert.equal(s.progressTokens.length >= 1, true);
      const token = s.progressTokens[0]!;
      const mine = s.progress.filter((p) => p.token === token);
      const kinds = mine.map((p) => p.value.kind);
      assert.equal(kinds[0], 'begin');
      assert.equal(kinds.at(-1), 'end');
      assert.ok(kinds.slice(1, -1).every((k) => k === 'report'), kinds.join(','));
      assert.equal(mine[0]!.value.title, 'Process Topology');
      const reports = mine.filter((p) => p.value.kind === 'report');
      assert.ok(reports.length >= 1, 'at least one report');
      const percentages = reports.map((p) => p.value.percentage!);
      assert.deepEqual(percentages, [...percentages].sort((a, b) => a - b), 'never backwards');
      assert.ok(percentages.every((p) => p >= 0 && p <= 100));
      const counts = reports.map((p) => /^analyzing the workspace: (\d+)\/(\d+) files$/.exec(p.value.message ?? ''));
      assert.ok(counts.every((m) => m !== null), JSON.stringify(reports));
      const total = Number(counts[0]![2]);
      assert.ok(total >= ws.files.length * 0.9, `the total counts the workspace's files (${total} of ${ws.files.length})`);
      assert.ok(counts.every((m) => Number(m![1]) <= total));
    } finally {
      await s.close();
    }
  });

  it('sends no progress to a client that does not announce window.workDoneProgress', async () => {
    const s = await startServer(ws.dir, { diagnostics: { scope: 'workspace' } });
    try {
      const report = await s.connection.sendRequest<{ items: unknown[] }>('workspace/diagnostic', { previousResultIds: [] });
      assert.ok(report.items.length > 0);
      assert.deepEqual(s.progressTokens, []);
      assert.deepEqual(s.progress, []);
    } finally {
      await s.close();
    }
  });
});
