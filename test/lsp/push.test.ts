// Editors other than VS Code (Neovim, Helix, Emacs, Zed) do not pull diagnostics: the server,
// started as `process-topology lsp --stdio` from the built command line, must push them
// (textDocument/publishDiagnostics) with the same findings, related locations and code actions,
// follow edits, opens and closes, and keep pushing nothing to VS Code, which pulls.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startServer, type LspSession, type PublishedDiagnostics } from '../helpers/lsp-client';
import { DIST } from '../helpers/paths';
import { positionOf } from '../helpers/source';
import { makeWorkspace, type Workspace } from '../helpers/workspace';

const SENTINELS_BEFORE = 'for (const c of consumers) await c.join();';
const CLI_LSP = [process.execPath, path.join(DIST, 'cli.js'), 'lsp', '--stdio'];

/** Waits for the first notification after `from` (an index into `published`) that `match` accepts. */
async function published(s: LspSession, from: number, match: (p: PublishedDiagnostics) => boolean, what: string, ms = 30_000): Promise<PublishedDiagnostics> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = s.published.slice(from).find(match);
    if (hit) return hit;
    if (Date.now() > deadline) assert.fail(`no publishDiagnostics ${what} within ${ms} ms; got ${JSON.stringify(s.published.map((p) => [path.basename(p.uri), p.version, p.diagnostics.map((d) => d.code)]))}\n${s.stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('pushed diagnostics (`process-topology lsp --stdio`, a client that does not pull)', () => {
  let ws: Workspace;
  let s: LspSession;
  let broken = '';
  let brokenText = '';
  before(async () => {
    ws = makeWorkspace({ fixtures: false });
    broken = path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts');
    brokenText = fs.readFileSync(broken, 'utf8');
    s = await startServer(ws.dir, {}, {}, { pull: false, command: CLI_LSP, window: { showDocument: { support: true } } });
  });
  after(async () => {
    await s.close();
    ws.dispose();
  });

  function open(file: string, text = fs.readFileSync(file, 'utf8')): string {
    const uri = pathToFileURL(file).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
    return uri;
  }

  it('pushes the finding of an opened file: rule, message, range, related location, version', async () => {
    const from = s.published.length;
    const uri = open(broken);
    const p = await published(s, from, (x) => x.uri === uri, 'for the broken example');
    assert.equal(p.version, 1);
    assert.equal(p.diagnostics.length, 1);
    const [d] = p.diagnostics;
    assert.equal(d!.code, 'missing-sentinel');
    assert.equal(d!.source, 'process-topology');
    assert.equal(d!.severity, 1);
    assert.match(d!.message, /sentinel/);
    assert.deepEqual(d!.range.start, positionOf(broken, 'q.get()'));
    assert.equal(d!.relatedInformation?.length, 1);
    assert.equal(d!.relatedInformation![0]!.location.uri, uri);
  });

  it('offers the same fixes and suppressions as code actions, the rule page through the server, no VS Code-only trace stepping', async () => {
    const uri = pathToFileURL(broken).href;
    const at = positionOf(broken, 'q.get()');
    const actions = await s.connection.sendRequest<{ title: string; edit?: unknown; command?: { command: string; arguments?: unknown[] } }[]>('textDocument/codeAction', {
      textDocument: { uri }, range: { start: at, end: at }, context: { diagnostics: [] },
    });
    const titles = actions.map((a) => a.title);
    assert.ok(titles.some((t) => /Suppress missing-sentinel/.test(t)), titles.join(' | '));
    assert.ok(actions.some((a) => a.edit !== undefined && /sentinel/i.test(a.title) && !/Suppress/.test(a.title)), `a quick fix that puts the sentinels: ${titles.join(' | ')}`);
    assert.ok(!actions.some((a) => a.command?.command === 'processTopology.showTrace'));
    const doc = actions.find((a) => a.command?.command === 'processTopology.showRuleDoc');
    assert.ok(doc, 'the rule page action');
    // The editor runs it on the server, which asks the editor to show the page.
    const shown = new Promise<{ uri: string; external?: boolean }>((resolve) => {
      s.connection.onRequest('window/showDocument', (p: { uri: string; external?: boolean }) => {
        resolve(p);
        return { success: true };
      });
    });
    await s.connection.sendRequest('workspace/executeCommand', { command: doc!.command!.command, arguments: doc!.command!.arguments });
    const page = await shown;
    assert.match(page.uri, /docs\/rules\/missing-sentinel\.md$/);
    assert.equal(page.external, true);
  });

  it('pushes again on an edit: the fix clears the finding for that version', async () => {
    const uri = pathToFileURL(broken).href;
    const from = s.published.length;
    const fixed = brokenText.replace(SENTINELS_BEFORE, `for (const _ of consumers) await q.put(null);\n  ${SENTINELS_BEFORE}`);
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
    const p = await published(s, from, (x) => x.uri === uri && x.version === 2, 'for version 2');
    assert.deepEqual(p.diagnostics, []);
    // And back: the finding returns with version 3.
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: brokenText }] });
    const back = await published(s, from, (x) => x.uri === uri && x.version === 3, 'for version 3');
    assert.deepEqual(back.diagnostics.map((d) => d.code), ['missing-sentinel']);
  });

  it('clears a closed file\'s diagnostics (open-files scope), and pushes nothing for a clean file but its empty list', async () => {
    const good = path.join(ws.dir, 'examples', 'producer-consumer.ts');
    const goodUri = pathToFileURL(good).href;
    const uri = pathToFileURL(broken).href;
    let from = s.published.length;
    open(good);
    const p = await published(s, from, (x) => x.uri === goodUri, 'for the good example');
    assert.deepEqual(p.diagnostics, []);
    from = s.published.length;
    s.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    const cleared = await published(s, from, (x) => x.uri === uri, 'clearing the closed file');
    assert.deepEqual(cleared.diagnostics, []);
  });
});

describe('pushed diagnostics in the workspace scope', () => {
  it('pushes the findings of files no editor opened, and clears them when the file is fixed on disk', async () => {
    const ws = makeWorkspace({ fixtures: false });
    const s = await startServer(ws.dir, { diagnostics: { scope: 'workspace' } }, {}, { pull: false, command: CLI_LSP });
    try {
      const broken = path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts');
      const uri = pathToFileURL(broken).href;
      const p = await published(s, 0, (x) => x.uri === uri, 'for the unopened broken example');
      assert.deepEqual(p.diagnostics.map((d) => d.code), ['missing-sentinel']);
      assert.equal(p.version, undefined, 'no document version: the file is not open');
      const others = s.published.filter((x) => x.uri !== uri && x.diagnostics.length > 0).map((x) => path.relative(ws.dir, new URL(x.uri).pathname));
      // Every example with findings is pushed, and only those (they are the examples' broken twins).
      for (const f of others) assert.match(f, /^examples\//);
      const from = s.published.length;
      const text = fs.readFileSync(broken, 'utf8');
      fs.writeFileSync(broken, text.replace(SENTINELS_BEFORE, `for (const _ of consumers) await q.put(null);\n  ${SENTINELS_BEFORE}`));
      s.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 2 }] });
      const cleared = await published(s, from, (x) => x.uri === uri, 'clearing the fixed file');
      assert.deepEqual(cleared.diagnostics, []);
    } finally {
      await s.close();
      ws.dispose();
    }
  });
});

describe('a client that pulls (VS Code)', () => {
  it('gets no pushed diagnostics', async () => {
    const ws = makeWorkspace({ fixtures: false });
    const s = await startServer(ws.dir);
    try {
      const broken = path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts');
      const uri = pathToFileURL(broken).href;
      s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(broken, 'utf8') } });
      const report = await s.connection.sendRequest<{ items: { code: string }[] }>('textDocument/diagnostic', { textDocument: { uri } });
      assert.deepEqual(report.items.map((d) => d.code), ['missing-sentinel']);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(s.published, []);
    } finally {
      await s.close();
      ws.dispose();
    }
  });
});

describe('process-topology lsp arguments', () => {
  it('an unknown option exits 2 with a one-line reason', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'lsp', '--tcp'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /unknown option '--tcp' for lsp/);
  });
});
