// The language server, over real LSP to its process, on bad and hostile input (issue 13): a
// workspace holding every hostile file at once (peak memory, threads, findings, exit), analysis
// threads stuck in a hung mount, documents too large to analyze, markdown in hover text from the
// user's code, requests after `shutdown` and with invalid params, and process-topology.json.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ResponseError } from 'vscode-jsonrpc/node';
import type { TopologyModel } from '../../common/model';
import { MODEL_REQUEST, SERVER_INFO_REQUEST, type ServerInfo, type StatusParams } from '../../common/protocol';
import { makeHostileWorkspace, memoryOf, type HostileWorkspace } from '../helpers/hostile';
import { startServer, type LspSession } from '../helpers/lsp-client';
import { BROKEN_EXAMPLE, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { positionOf } from '../helpers/source';
import { makeWorkspace, type Workspace } from '../helpers/workspace';

interface Report { kind: string; items: { code: string; message: string }[] }
interface WorkspaceReport { items: { uri: string; items: { code: string }[] }[] }

function open(s: LspSession, file: string, text = fs.readFileSync(file, 'utf8'), version = 1): string {
  const uri = pathToFileURL(file).href;
  s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version, text } });
  return uri;
}

async function codes(s: LspSession, uri: string): Promise<string[]> {
  const report = await s.connection.sendRequest<Report>('textDocument/diagnostic', { textDocument: { uri } });
  return report.items.map((d) => d.code);
}

/** The process's end: its exit code or signal, or 'running' after `ms`. */
function ended(s: LspSession, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'running'> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return Promise.resolve({ code: s.child.exitCode, signal: s.child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms);
    s.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

async function shutdownAndExit(s: LspSession): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'running'> {
  await s.connection.sendRequest('shutdown');
  await s.connection.sendNotification('exit');
  return ended(s, 5000);
}

/** Budget of the whole server process in the hostile-workspace run: the analysis thread's heap limit, and the rest. */
const ANALYSIS_MEMORY_MB = 512;
const PROCESS_BUDGET_MB = ANALYSIS_MEMORY_MB + 256;

describe('a workspace holding every hostile file at once', () => {
  let ws: HostileWorkspace;
  let s: LspSession;
  before(async () => {
    ws = makeHostileWorkspace();
    s = await startServer(ws.dir, { diagnostics: { scope: 'workspace' } }, { analysisMemoryMb: ANALYSIS_MEMORY_MB });
  });
  after(async () => {
    if (s.child.exitCode === null && s.child.signalCode === null) await s.close();
    ws.dispose();
  });

  it('reports every program\'s findings, names every skipped file, stays under its memory budget with one thread, and exits on `exit`', { timeout: 300_000 }, async () => {
    // The whole workspace (it reads every file of the folder), then each program as a document.
    const report = await s.connection.sendRequest<WorkspaceReport>('workspace/diagnostic', { previousResultIds: [] });
    const byFile = new Map(report.items.map((r) => [path.relative(ws.dir, new URL(r.uri).pathname), r.items.map((d) => d.code)]));
    for (const program of ws.programs) assert.ok(byFile.get(program)?.includes('missing-sentinel'), `${program}: ${JSON.stringify([...byFile])}`);
    const workspaceStatus = s.statuses.at(-1)!;
    assert.equal(workspaceStatus.file, 'the workspace');
    for (const [file, note] of Object.entries(ws.skipped)) {
      assert.ok(workspaceStatus.notes?.some((n) => note.test(n)), `${file}: ${JSON.stringify(workspaceStatus.notes, null, 1)}`);
    }
    for (const program of ws.programs.slice(0, 2)) {
      const uri = open(s, path.join(ws.dir, program));
      assert.deepEqual(await codes(s, uri), ['missing-sentinel'], program);
      const status = s.statuses.at(-1)!;
      assert.ok(['ok', 'slow'].includes(status.state), JSON.stringify(status));
      assert.ok(status.notes?.some((n) => ws.skipped['zero.ts']!.test(n)), JSON.stringify(status.notes));
    }
    assert.ok(s.statuses.every((st) => st.state !== 'error'), JSON.stringify(s.statuses.filter((st) => st.state === 'error')));
    const info = await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST);
    assert.equal(info.workersStarted, 1, 'no analysis thread was replaced');
    assert.equal(info.analysisThreads, 1, 'no thread is stuck');
    const { peakMb } = memoryOf(s.child.pid!);
    console.log(`hostile workspace: peak RSS ${peakMb} MB of a ${PROCESS_BUDGET_MB} MB budget (analysis heap limit ${ANALYSIS_MEMORY_MB} MB); ${s.statuses.length} analyses, slowest ${Math.max(...s.statuses.map((st) => st.ms))} ms`);
    assert.ok(peakMb < PROCESS_BUDGET_MB, `peak RSS ${peakMb} MB`);
    const started = Date.now();
    assert.deepEqual(await shutdownAndExit(s), { code: 0, signal: null });
    console.log(`hostile workspace: exited with code 0 ${Date.now() - started} ms after shutdown`);
  });
});

describe('analysis threads blocked in a hung network mount', () => {
  let ws: Workspace;
  let s: LspSession;
  let fifo: string;
  before(async () => {
    ws = makeWorkspace({ fixtures: false, extra: { 'hung-mount/remote.ts': 'export const remote = 1;\n' } });
    fifo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-hung-')), 'never-written');
    execFileSync('mkfifo', [fifo]);
    // 5 s: past the thread's cold start (loading TypeScript) even on a busy machine, so it is
    // stopped while blocked in the mount, not while loading.
    s = await startServer(ws.dir, {}, { analysisTimeoutMs: 5000 }, {
      execArgv: ['--require', path.join(ROOT, 'test/helpers/hung-mount.cjs')],
      env: { ...process.env, PT_HUNG_FIFO: fifo },
    });
  });
  after(async () => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    ws.dispose();
    fs.rmSync(path.dirname(fifo), { recursive: true, force: true });
  });

  it('are not replaced without bound, and `exit` ends the process all the same', { timeout: 180_000 }, async () => {
    const file = path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts');
    const uri = open(s, file);
    const messages: string[] = [];
    const STUCK = /2 analysis threads are stuck in a file-system call \(a file on a hung network mount\?\) and cannot be stopped/;
    // Each analysis lists the folder, which reaches the hung mount: it is stopped, and its thread stays.
    for (let version = 2; version <= 8 && !STUCK.test(messages.at(-1) ?? ''); version++) {
      assert.deepEqual(await codes(s, uri), []);
      messages.push(s.statuses.at(-1)?.message ?? '');
      s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: `${fs.readFileSync(file, 'utf8')}\n// ${version}\n` }] });
    }
    assert.match(messages[0]!, /took longer than \d+ s and was stopped/);
    assert.match(messages.at(-1)!, STUCK, messages.join('\n'));
    const info = await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST);
    assert.equal(info.analysisThreads, 2, 'two stuck threads, no live one');
    // More requests start no more threads.
    for (let version = 20; version < 23; version++) {
      s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: `// ${version}\n` }] });
      assert.deepEqual(await codes(s, uri), []);
      assert.match(s.statuses.at(-1)?.message ?? '', STUCK);
    }
    assert.equal((await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST)).workersStarted, info.workersStarted);
    assert.ok(s.logs.some((l) => /told to stop has not: it is blocked in a system call/.test(l)), s.logs.join('\n'));
    const started = Date.now();
    const end = await shutdownAndExit(s);
    assert.notEqual(end, 'running', 'the process ended on exit');
    console.log(`stuck threads: ${info.workersStarted} started, ${info.analysisThreads} stuck; the process ended ${Date.now() - started} ms after shutdown (${JSON.stringify(end)})`);
  });
});

describe('a document too large to analyze', () => {
  it('is said in the status and the log, and the next document is analyzed as usual', { timeout: 120_000 }, async () => {
    const ws = makeWorkspace({ fixtures: false });
    const s = await startServer(ws.dir);
    try {
      const small = open(s, path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts'));
      assert.deepEqual(await codes(s, small), ['missing-sentinel']);
      const text = `export const data = [${'1234567,'.repeat(260_000)}];\n`;
      const big = open(s, path.join(ws.dir, 'examples', 'generated.ts'), text);
      assert.deepEqual(await codes(s, big), []);
      const status = s.statuses.at(-1)!;
      assert.deepEqual({ state: status.state, file: status.file }, { state: 'skipped', file: 'generated.ts' });
      const chars = text.length.toLocaleString('en-US');
      assert.equal(status.message, `it has ${chars} characters, more than the 1,000,000 the analysis reads (generated code?)`);
      assert.ok(s.logs.some((l) => l.endsWith(`generated.ts is not analyzed: ${status.message}`)), s.logs.slice(-5).join('\n'));
      assert.deepEqual(await codes(s, small), ['missing-sentinel']);
    } finally {
      await s.close();
      ws.dispose();
    }
  });
});

describe('hover text from the user\'s code', () => {
  it('is escaped: a sentinel value full of markdown and HTML renders as the text it is', { timeout: 120_000 }, async () => {
    const sentinel = '<img src=x onerror=alert(1)>**STOP** [docs](https://evil.example/) $(zap) `x` www.evil.example a@b.example';
    const text = [
      "import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';",
      'export async function consumer(q: Queue<number | string>) {',
      `  for (;;) { const item = await q.get(); if (item === ${JSON.stringify(sentinel)}) break; }`,
      '}',
      'if (isMainProcess()) {',
      '  const q = new Queue<number | string>();',
      '  const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));',
      '  for (const c of consumers) c.start();',
      '  for (let i = 0; i < 3; i++) await q.put(i);',
      `  await q.put(${JSON.stringify(sentinel)});`,
      '  for (const c of consumers) await c.join();',
      '}',
      '',
    ].join('\n');
    const ws = makeWorkspace({ fixtures: false, extra: { 'markdown.ts': text } });
    const s = await startServer(ws.dir);
    try {
      const file = path.join(ws.dir, 'markdown.ts');
      const uri = open(s, file, text);
      assert.deepEqual(await codes(s, uri), ['missing-sentinel'], 'the sentinel is understood');
      const hover = await s.connection.sendRequest<{ contents: { kind: string; value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(file, 'q.get()') });
      const value = hover?.contents.value ?? '';
      assert.equal(hover?.contents.kind, 'markdown');
      assert.match(value, /^\*\*Process Topology\*\* · Queue q — /);
      const body = value.slice('**Process Topology** · '.length);
      // Every markdown and HTML character of the user's text is escaped; unescaped, it is the text.
      assert.doesNotMatch(body, /(?<!\\)[[\]()<>*`$:@&_]/, body);
      assert.ok(body.replace(/\\(.)/g, '$1').includes(JSON.stringify(sentinel)), body);
    } finally {
      await s.close();
      ws.dispose();
    }
  });
});

describe('LSP conformance', () => {
  /** Invalid params are refused before the document is looked for. */
  const ELSEWHERE = 'file:///nowhere/x.ts';
  let s: LspSession;
  let good: string;
  let uri: string;
  let ws: Workspace;
  before(async () => {
    ws = makeWorkspace({ fixtures: false });
    good = path.join(ws.dir, 'examples', path.basename(GOOD_EXAMPLE));
    uri = pathToFileURL(good).href;
    s = await startServer(ws.dir);
    open(s, good);
  });
  after(async () => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    ws.dispose();
  });

  async function errorOf(method: string, params: unknown): Promise<{ code: number; message: string }> {
    try {
      await s.connection.sendRequest(method, params);
    } catch (err) {
      assert.ok(err instanceof ResponseError, String(err));
      return { code: err.code, message: err.message };
    }
    assert.fail(`${method} ${JSON.stringify(params)} was answered`);
  }

  for (const [method, params, says] of [
    ['textDocument/hover', { textDocument: { uri: ELSEWHERE } }, /position must be \{ line, character \}/],
    ['textDocument/hover', { textDocument: { uri: ELSEWHERE }, position: { line: -1, character: 'a' } }, /position must be \{ line, character \}/],
    ['textDocument/diagnostic', { textDocument: 5 }, /textDocument must be an object/],
    ['textDocument/diagnostic', {}, /textDocument must be an object/],
    ['textDocument/codeAction', { textDocument: { uri: ELSEWHERE } }, /range must be an object/],
    ['textDocument/codeAction', { textDocument: { uri: ELSEWHERE }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } }, /context must be an object/],
    ['textDocument/codeLens', { textDocument: { uri: 42 } }, /textDocument\.uri must be a string/],
    [MODEL_REQUEST, { textDocument: { uri: 'not a uri' } }, /textDocument\.uri is not a URI/],
    ['workspace/diagnostic', { previousResultIds: [{ uri: 1 }] }, /previousResultIds\[0\] must be \{ uri, value \}/],
  ] as const) {
    it(`answers invalid params with InvalidParams saying what is wrong: ${method} ${JSON.stringify(params)}`, async () => {
      const e = await errorOf(method, params);
      assert.equal(e.code, -32602, e.message);
      assert.match(e.message, says);
      assert.doesNotMatch(e.message, /TypeError|Cannot read|undefined/);
    });
  }

  it('refuses every request after shutdown with InvalidRequest, and exits with 0 on exit', async () => {
    const position = positionOf(good, 'q.get()');
    assert.ok(await s.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position }), 'answered before');
    await s.connection.sendRequest('shutdown');
    for (const [method, params] of [
      ['textDocument/hover', { textDocument: { uri }, position }],
      ['textDocument/diagnostic', { textDocument: { uri } }],
      ['textDocument/codeLens', { textDocument: { uri } }],
      ['textDocument/codeAction', { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } }],
      [MODEL_REQUEST, { textDocument: { uri } }],
      [SERVER_INFO_REQUEST, {}],
      ['workspace/diagnostic', { previousResultIds: [] }],
    ] as const) {
      const e = await errorOf(method, params);
      assert.equal(e.code, -32600, `${method}: ${e.message}`);
    }
    await s.connection.sendNotification('exit');
    assert.deepEqual(await ended(s, 5000), { code: 0, signal: null });
  });
});

describe('process-topology.json, read by the language server too', () => {
  let ws: Workspace;
  let s: LspSession;
  const settings: Record<string, unknown> = {};
  const viaWrapper = fs.readFileSync(BROKEN_EXAMPLE, 'utf8').replace("'@process-topology/multiprocessing'", "'@acme/workers'");
  before(async () => {
    ws = makeWorkspace({
      examples: false, fixtures: false,
      extra: {
        'main.ts': viaWrapper,
        'good.ts': fs.readFileSync(GOOD_EXAMPLE, 'utf8'),
        'process-topology.json': JSON.stringify({ shimModules: ['@acme/workers'], stateBudget: 100 }),
      },
    });
    s = await startServer(ws.dir, settings);
  });
  after(async () => {
    await s.close();
    ws.dispose();
  });

  it('counts its shimModules and stateBudget; the editor settings, when given, win', { timeout: 120_000 }, async () => {
    assert.deepEqual(await codes(s, open(s, path.join(ws.dir, 'main.ts'))), ['missing-sentinel'], '@acme/workers counts as the shim');
    const good = open(s, path.join(ws.dir, 'good.ts'));
    assert.deepEqual(await codes(s, good), []);
    const budgetNote = (st: StatusParams | undefined): boolean => st?.notes?.some((n) => /deadlock: explored 10\d states of good\.ts without finishing \(budget\)/.test(n)) ?? false;
    assert.ok(budgetNote(s.statuses.at(-1)), JSON.stringify(s.statuses.at(-1)));
    // processTopology.stateBudget set in the editor: it wins over the file.
    settings.stateBudget = 20_000;
    s.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const before = s.statuses.length;
      await codes(s, good);
      if (s.statuses.length > before && !budgetNote(s.statuses.at(-1))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(budgetNote(s.statuses.at(-1)), false, JSON.stringify(s.statuses.at(-1)));
  });

  it('says what is wrong with it in the status notes, and uses the rest', { timeout: 120_000 }, async () => {
    fs.writeFileSync(path.join(ws.dir, 'process-topology.json'), '{ "shimModules": ["@acme/workers"], "stateBuget": 100 }');
    s.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(path.join(ws.dir, 'process-topology.json')).href, type: 2 }] });
    const main = pathToFileURL(path.join(ws.dir, 'main.ts')).href;
    assert.deepEqual(await codes(s, main), ['missing-sentinel']);
    const model = await s.connection.sendRequest<TopologyModel>(MODEL_REQUEST, { textDocument: { uri: main } });
    assert.ok(model.notes?.some((n) => /^process-topology\.json:1:\d+: unknown key "stateBuget" \(expected shimModules or stateBudget\) \(ignored\)$/.test(n)), JSON.stringify(model.notes));
  });
});
