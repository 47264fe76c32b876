// The server in the workspaces users have, over real LSP (dist/server.js): several workspace
// folders, several tsconfig.json projects in one (their own compiler options), JavaScript files
// (ES modules and CommonJS) using the shim; diagnostics for the whole workspace when the setting
// asks for it; diagnostics that clear when a file is closed, fixed on disk or deleted; hovers
// with the sentinel count; the time budget in the status.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { TopologyModel } from '../../common/model';
import { MODEL_REQUEST } from '../../common/protocol';
import { startServer, type LspSession } from '../helpers/lsp-client';
import { BROKEN_EXAMPLE } from '../helpers/paths';
import { positionOf } from '../helpers/source';
import { makeWorkspace, type Workspace } from '../helpers/workspace';

interface Diagnostic { code: string; range: { start: { line: number; character: number } } }
interface WorkspaceItem { kind: 'full' | 'unchanged'; uri: string; resultId?: string; items?: Diagnostic[] }

const SHIM = '@process-topology/multiprocessing';
const BROKEN = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
const SENTINELS_BEFORE = 'for (const c of consumers) await c.join();';
const FIXED = BROKEN.replace(SENTINELS_BEFORE, `for (const _ of consumers) await q.put(null);\n  ${SENTINELS_BEFORE}`);

/** The consumer half of the broken example, in a module of its own (imported through a tsconfig path). */
const CONSUMER = `import type { Queue } from '${SHIM}';
export async function consumer(q: Queue<string | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}
`;
const MAIN_WITH_PATHS = `import { Process, Queue, isMainProcess } from '${SHIM}';
import { consumer } from '@lib/consumer';
if (isMainProcess()) {
  const q = new Queue<string | null>();
  const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));
  for (const c of consumers) c.start();
  await q.put('work');
  for (const c of consumers) await c.join();
}
`;
/** The broken example in JavaScript: an ES module, then CommonJS with require(). */
const JS_ESM = `import { Process, Queue, isMainProcess } from '${SHIM}';
export async function consumer(q) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}
if (isMainProcess()) {
  const q = new Queue();
  const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));
  for (const c of consumers) c.start();
  for (const c of consumers) await c.join();
}
`;
const JS_CJS = `const { Process, Queue } = require('${SHIM}');
async function consumer(q) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}
module.exports = { consumer };
if (require.main === module) {
  (async () => {
    const q = new Queue();
    const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));
    for (const c of consumers) c.start();
    for (const c of consumers) await c.join();
  })();
}
`;

function tsconfig(options: Record<string, unknown>, include: string[]): string {
  return JSON.stringify({ compilerOptions: { target: 'es2022', strict: true, noEmit: true, types: [], ...options }, include });
}

describe('multi-root workspaces, tsconfig projects and JavaScript', () => {
  let ws: Workspace;
  let s: LspSession;
  let alpha: string;
  let beta: string;
  before(async () => {
    ws = makeWorkspace({
      examples: false,
      fixtures: false,
      extra: {
        // alpha: two projects; app resolves `@lib/*` only through its own tsconfig's paths.
        'alpha/app/tsconfig.json': tsconfig({ module: 'esnext', moduleResolution: 'bundler', baseUrl: '.', paths: { '@lib/*': ['lib/*'] } }, ['**/*.ts']),
        'alpha/app/main.ts': MAIN_WITH_PATHS,
        'alpha/app/lib/consumer.ts': CONSUMER,
        'alpha/jobs/tsconfig.json': tsconfig({ module: 'nodenext', moduleResolution: 'nodenext', allowJs: true, checkJs: false }, ['*.js']),
        'alpha/jobs/pipeline.js': JS_ESM,
        // beta: no tsconfig (an inferred project), CommonJS JavaScript.
        'beta/legacy.cjs': JS_CJS,
      },
    });
    alpha = path.join(ws.dir, 'alpha');
    beta = path.join(ws.dir, 'beta');
    s = await startServer([alpha, beta]);
  });
  after(async () => {
    await s.close();
    ws.dispose();
  });

  const open = (file: string, languageId = 'typescript'): string => {
    const uri = pathToFileURL(file).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text: fs.readFileSync(file, 'utf8') } });
    return uri;
  };
  const codes = async (uri: string): Promise<string[]> =>
    (await s.connection.sendRequest<{ items: Diagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } })).items.map((d) => d.code);
  const model = async (uri: string): Promise<TopologyModel> => {
    const m = await s.connection.sendRequest<TopologyModel | null>(MODEL_REQUEST, { textDocument: { uri } });
    assert.ok(m);
    return m;
  };

  it('resolves imports with the compiler options of the project a file belongs to', async () => {
    const main = open(path.join(alpha, 'app/main.ts'));
    const consumer = open(path.join(alpha, 'app/lib/consumer.ts'));
    // Only through the `paths` of alpha/app/tsconfig.json does main.ts reach the consumer's get().
    assert.deepEqual(await codes(consumer), ['missing-sentinel']);
    const m = await model(main);
    assert.equal(m.root, pathToFileURL(alpha).href);
    assert.ok(m.edges.some((e) => e.kind === 'get' && e.locs.some((l) => l.file === 'app/lib/consumer.ts')), JSON.stringify(m.edges.map((e) => e.id)));
  });

  it('analyzes JavaScript: an ES module in a project with allowJs, and CommonJS in another folder', async () => {
    const esm = open(path.join(alpha, 'jobs/pipeline.js'), 'javascript');
    assert.deepEqual(await codes(esm), ['missing-sentinel']);
    assert.deepEqual((await model(esm)).nodes.map((n) => n.label).sort(), ['consumer', 'main', 'q']);
    const cjs = open(path.join(beta, 'legacy.cjs'), 'javascript');
    assert.deepEqual(await codes(cjs), ['missing-sentinel']);
    // Each workspace folder is the root of its own files' models.
    const m = await model(cjs);
    assert.equal(m.root, pathToFileURL(beta).href);
    assert.ok(m.nodes.every((n) => n.loc.file === 'legacy.cjs'));
  });
});

describe('diagnostics that clear, hovers and the time budget', () => {
  let ws: Workspace;
  let s: LspSession;
  const settings: Record<string, unknown> = { timeBudgetMs: 0.001 };
  before(async () => {
    ws = makeWorkspace({ fixtures: false });
    s = await startServer(ws.dir, settings);
  });
  after(async () => {
    await s.close();
    ws.dispose();
  });
  const file = (): string => path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts');
  const diagnostics = async (uri: string): Promise<Diagnostic[]> =>
    (await s.connection.sendRequest<{ items: Diagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;

  it('clears the diagnostics of a document that is closed, and of one whose file is deleted', async () => {
    const uri = pathToFileURL(file()).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: BROKEN } });
    assert.equal((await diagnostics(uri)).length, 1);
    s.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    assert.deepEqual(await diagnostics(uri), []);
    // Open again, then delete the file while the editor still shows it.
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 2, text: BROKEN } });
    assert.equal((await diagnostics(uri)).length, 1);
    fs.rmSync(file());
    s.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 3 }] });
    assert.deepEqual(await diagnostics(uri), []);
    // Saved again (the file is back): so are its diagnostics.
    fs.writeFileSync(file(), BROKEN);
    s.connection.sendNotification('textDocument/didSave', { textDocument: { uri } });
    assert.equal((await diagnostics(uri)).length, 1);
    s.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  it('hovers a queue with who puts, who takes, and how many sentinels', async () => {
    const hover = async (f: string, text: string, needle: string): Promise<string> => {
      const uri = pathToFileURL(f).href;
      s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
      const position = positionOf(f, needle);
      const h = await s.connection.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position });
      s.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
      assert.ok(h, `a hover at ${needle}`);
      return h.contents.value;
    };
    assert.match(await hover(file(), BROKEN, 'new Queue'), /Queue q — put by producer ×3; taken by consumer ×2; no null sentinel put/);
    const good = path.join(ws.dir, 'examples', 'producer-consumer.ts');
    assert.match(await hover(good, fs.readFileSync(good, 'utf8'), 'q.get()'), /Queue q — put by producer ×3, main; taken by consumer ×2; 2 null sentinels/);
  });

  it('reports an analysis slower than the time budget as slow, with its time', async () => {
    const uri = pathToFileURL(path.join(ws.dir, 'examples', 'pipe-ping-pong.ts')).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(path.join(ws.dir, 'examples', 'pipe-ping-pong.ts'), 'utf8') } });
    await diagnostics(uri);
    const last = s.statuses.at(-1);
    assert.equal(last?.state, 'slow');
    assert.equal(last.budgetMs, 0.001);
    assert.equal(last.file, 'pipe-ping-pong.ts');
    assert.ok(last.ms >= 1, `${last.ms} ms`);
  });
});

describe('diagnostics for the whole workspace', () => {
  let ws: Workspace;
  let s: LspSession;
  const settings: { diagnostics: { scope: string } } = { diagnostics: { scope: 'workspace' } };
  before(async () => {
    ws = makeWorkspace({ fixtures: false });
    s = await startServer(ws.dir, settings);
  });
  after(async () => {
    await s.close();
    ws.dispose();
  });

  /** The client's side of the long poll: what it holds, sent back as previousResultIds. */
  const held = new Map<string, string>();
  const poll = async (ms = 60_000): Promise<WorkspaceItem[] | 'held'> => {
    const request = s.connection.sendRequest<{ items: WorkspaceItem[] }>('workspace/diagnostic', {
      previousResultIds: [...held].map(([uri, value]) => ({ uri, value })),
    });
    // A request still held when the server shuts down is rejected: expected, not a failure.
    request.catch(() => undefined);
    const timer = new Promise<'held'>((resolve) => setTimeout(() => resolve('held'), ms));
    const r = await Promise.race([request, timer]);
    if (r === 'held') return r;
    for (const item of r.items) if (item.resultId) held.set(item.uri, item.resultId);
    return r.items;
  };
  const uriOf = (name: string): string => pathToFileURL(path.join(ws.dir, 'examples', name)).href;

  it('reports files that are not open, holds the request until something changes, and clears what was fixed or deleted', { timeout: 180_000 }, async () => {
    const first = await poll();
    assert.ok(first !== 'held');
    const broken = first.find((i) => i.uri === uriOf('producer-consumer-no-sentinel.ts'));
    assert.equal(broken?.kind, 'full');
    assert.deepEqual(broken.items!.map((d) => d.code), ['missing-sentinel']);
    assert.ok(!first.some((i) => i.uri === uriOf('producer-consumer.ts')), 'a clean file has nothing to report');
    const others = first.filter((i) => i !== broken && (i.items?.length ?? 0) > 0);
    assert.ok(others.length > 0, 'other examples have findings too');

    // Nothing changed: the request is held (a long poll, not a busy loop).
    const pending = poll();
    await new Promise((r) => setTimeout(r, 1500));
    // Fix the broken example on disk: the held request answers with its diagnostics cleared.
    fs.writeFileSync(path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts'), FIXED);
    s.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf('producer-consumer-no-sentinel.ts'), type: 2 }] });
    const second = await pending;
    assert.ok(second !== 'held');
    assert.deepEqual(second.map((i) => [i.uri, i.kind, i.items?.length]), [[uriOf('producer-consumer-no-sentinel.ts'), 'full', 0]]);

    // Delete a file with findings: its diagnostics go.
    const gone = others[0]!.uri;
    fs.rmSync(new URL(gone));
    s.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: gone, type: 3 }] });
    const third = await poll();
    assert.ok(third !== 'held');
    assert.deepEqual(third.map((i) => [i.uri, i.items?.length]), [[gone, 0]]);

    // Back to open files only: everything the workspace scope reported is cleared.
    settings.diagnostics.scope = 'openFiles';
    s.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const fourth = await poll();
    assert.ok(fourth !== 'held');
    assert.deepEqual(fourth.map((i) => i.uri).sort(), others.slice(1).map((i) => i.uri).sort());
    assert.ok(fourth.every((i) => i.items?.length === 0));
    assert.equal(await poll(1500), 'held', 'nothing more to say while only open files are analyzed');
  });
});
