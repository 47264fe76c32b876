// How the server schedules analyses, over real LSP (dist/server.js): a burst of edits is analyzed
// once, cancelled requests are answered at once without an analysis, a newer edit supersedes the
// older request, and an analysis that runs past its hard time limit is stopped without taking the
// server down.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { SERVER_INFO_REQUEST, type ServerInfo } from '../../common/protocol';
import { startServer, type LspSession } from '../helpers/lsp-client';
import { makeWorkspace, type Workspace } from '../helpers/workspace';

interface Report { kind: string; items: { code: string; range: { start: { line: number } } }[] }

const SENTINELS = 'for (const _ of consumers) await q.put(null);';

describe('analysis scheduling over LSP', () => {
  let ws: Workspace;
  let s: LspSession;
  let uri: string;
  let text: string;
  let version = 1;
  before(async () => {
    ws = makeWorkspace({ fixtures: false });
    // A long debounce makes "one analysis per burst" independent of how loaded the machine is.
    s = await startServer(ws.dir, {}, { debounceMs: 300 });
    const file = path.join(ws.dir, 'examples', 'producer-consumer.ts');
    text = fs.readFileSync(file, 'utf8');
    uri = pathToFileURL(file).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version, text } });
    assert.deepEqual((await diagnostics()).items, []);
  });
  after(async () => {
    await s.close();
    ws.dispose();
  });

  const diagnostics = (token?: CancellationTokenSource): Promise<Report> =>
    token
      ? s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } }, token.token)
      : s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } });
  const edit = (newText: string): void => {
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: newText }] });
  };
  const analyses = async (): Promise<number> => (await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST)).analyses;

  it('analyzes a burst of edits once, and answers every request of the burst with the newest text', async () => {
    const before = await analyses();
    const pending: Promise<Report>[] = [];
    // Twenty edits, each followed by its diagnostic request: the sentinels go away, then come back
    // in the last edit but one, and go away for good in the last.
    for (let i = 0; i < 20; i++) {
      const withSentinels = i === 18;
      edit((withSentinels ? text : text.replace(SENTINELS, '')) + `\n// burst ${i}\n`);
      pending.push(diagnostics());
    }
    const reports = await Promise.all(pending);
    for (const r of reports) assert.deepEqual(r.items.map((d) => d.code), ['missing-sentinel']);
    assert.equal(await analyses() - before, 1, 'one analysis for the whole burst');
  });

  it('answers a cancelled request at once with RequestCancelled, and does not analyze for it', async () => {
    const before = await analyses();
    edit(text);
    const source = new CancellationTokenSource();
    const pending = diagnostics(source);
    source.cancel();
    await assert.rejects(pending, (err: unknown) => err instanceof ResponseError && err.code === -32800);
    // Past the debounce: nothing was analyzed for the cancelled request.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await analyses(), before);
    assert.deepEqual((await diagnostics()).items, []);
    assert.equal(await analyses(), before + 1);
  });

  it('a newer edit supersedes the older request: cancelled by the client, or answered with the newer text', async () => {
    const source = new CancellationTokenSource();
    edit(text.replace(SENTINELS, ''));
    const older = diagnostics(source);
    const uncancelled = diagnostics();
    // The client cancels the older pull when the document changes again (as VS Code does).
    edit(text);
    source.cancel();
    const newer = diagnostics();
    await assert.rejects(older, (err: unknown) => err instanceof ResponseError && err.code === -32800);
    assert.deepEqual((await newer).items, []);
    // A request nobody cancelled gets an answer at least as new as the text it was made for.
    assert.deepEqual((await uncancelled).items, []);
  });
});

describe('a newer edit gives up the older analysis', () => {
  it('stops the running analysis of an outdated text nobody waits for, and answers the newer text', { timeout: 120_000 }, async () => {
    // A script (no import or export) shares the global scope with every file: its analysis takes
    // every program of the ~150 example and fixture files as an entry, which takes a while.
    const ws = makeWorkspace();
    const s = await startServer(ws.dir);
    try {
      const uri = pathToFileURL(path.join(ws.dir, 'scratch-script.ts')).href;
      s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: 'const first = 1;\n' } });
      const info = (): Promise<ServerInfo> => s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST);
      const source = new CancellationTokenSource();
      const older = s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } }, source.token);
      // Once it runs, edit the document and cancel the older request, as VS Code does.
      for (const deadline = Date.now() + 30_000; (await info()).analyses === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
      assert.equal((await info()).analyses, 1, 'the first analysis started');
      s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'const second = 2;\n' }] });
      source.cancel();
      await assert.rejects(older, (err: unknown) => err instanceof ResponseError && err.code === -32800);
      const newer = await s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } });
      assert.deepEqual(newer.items, []);
      const after = await info();
      assert.equal(after.cancelledAnalyses, 1, 'the analysis of the first text was given up');
      assert.equal(after.analyses, 2, 'then the second text was analyzed');
      assert.equal(after.workersStarted, 1, 'in the same analysis thread (its caches kept)');
      // Only the finished analysis reports a status.
      assert.equal(s.statuses.length, 1);
    } finally {
      await s.close();
      ws.dispose();
    }
  });
});

describe('analysis scheduling with the default debounce', () => {
  it('does not queue one analysis per edit of a burst', async () => {
    const ws = makeWorkspace({ fixtures: false });
    const s = await startServer(ws.dir);
    try {
      const file = path.join(ws.dir, 'examples', 'producer-consumer.ts');
      const text = fs.readFileSync(file, 'utf8');
      const uri = pathToFileURL(file).href;
      s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
      await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
      const before = (await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST)).analyses;
      const pending: Promise<Report>[] = [];
      for (let i = 0; i < 20; i++) {
        s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: i + 2 }, contentChanges: [{ text: `${text}\n// ${i}\n` }] });
        pending.push(s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } }));
      }
      await Promise.all(pending);
      const ran = (await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST)).analyses - before;
      assert.ok(ran >= 1 && ran <= 3, `${ran} analyses for 20 edits`);
    } finally {
      await s.close();
      ws.dispose();
    }
  });
});

describe('an analysis past its hard time limit', () => {
  let ws: Workspace;
  let s: LspSession;
  before(async () => {
    ws = makeWorkspace({ fixtures: false });
    // 100 ms: less than any first analysis takes (the analysis thread loads TypeScript first).
    s = await startServer(ws.dir, {}, { analysisTimeoutMs: 100 });
  });
  after(async () => {
    await s.close();
    ws.dispose();
  });

  it('is stopped and reported; the server keeps answering with a new analysis thread', async () => {
    const file = path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts');
    const uri = pathToFileURL(file).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(file, 'utf8') } });
    const report = await s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } });
    assert.deepEqual(report.items, [], 'an empty answer, not none');
    const status = s.statuses.at(-1);
    assert.equal(status?.state, 'error');
    assert.match(status?.message ?? '', /took longer than .* and was stopped/);
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: '// edited\n' }] });
    await s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } });
    const info = await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST);
    assert.ok(info.workersStarted >= 2, `analysis threads started: ${info.workersStarted}`);
    assert.equal(s.child.exitCode, null, 'the server runs');
  });
});

describe('an analysis past its memory limit', () => {
  it('is stopped and reported; the server keeps running and analyzes the next edit with a new thread', async () => {
    const ws = makeWorkspace({ fixtures: false });
    const s = await startServer(ws.dir, {}, { analysisMemoryMb: 64 });
    try {
      const uri = pathToFileURL(path.join(ws.dir, 'examples', 'big.ts')).href;
      // 145,000 array elements (just under the size the server analyzes at all, 1,000,000 characters): about 90 MB of syntax tree and types, over the least limit the setting takes.
      const text = `import { Queue } from '@process-topology/multiprocessing';\nexport const a = [${Array.from({ length: 145_000 }, (_, i) => i).join(',')}];\n`;
      s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
      const report = await s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } });
      assert.deepEqual(report.items, []);
      assert.equal(s.statuses.at(-1)?.state, 'error');
      assert.match(s.statuses.at(-1)?.message ?? '', /ran out of memory \(64 MB, processTopology\.analysisMemoryMb\)/);
      s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'export const small = 1;\n' }] });
      await s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } });
      // Analyzed by the new thread ("slow" when its cold start, the standard library included, passes the time budget on a busy machine).
      assert.ok(['ok', 'slow'].includes(s.statuses.at(-1)?.state ?? ''), JSON.stringify(s.statuses.at(-1)));
      const info = await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST);
      assert.equal(info.workersStarted, 2);
      assert.equal(s.child.exitCode, null);
    } finally {
      await s.close();
      ws.dispose();
    }
  });
});
