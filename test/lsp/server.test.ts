// The built language server over real LSP (stdio): pull diagnostics, the model request, and
// bad input that must not take it down.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isTopologyModel, type TopologyModel } from '../../common/model';
import { MODEL_REQUEST } from '../../common/protocol';
import { startServer, type LspSession } from '../helpers/lsp-client';
import { BROKEN_EXAMPLE, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { positionOf } from '../helpers/source';
import { applyEdits } from '../helpers/edits';

interface Diagnostic {
  range: { start: { line: number; character: number } };
  severity: number;
  source: string;
  code: string;
  message: string;
  codeDescription?: { href: string };
  relatedInformation?: unknown[];
}

describe('language server over stdio', () => {
  let s: LspSession;
  before(async () => {
    s = await startServer(ROOT);
  });
  after(async () => {
    await s.close();
  });

  function open(file: string, text = fs.readFileSync(file, 'utf8'), version = 1): string {
    const uri = pathToFileURL(file).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version, text } });
    return uri;
  }

  async function diagnostics(uri: string): Promise<Diagnostic[]> {
    const report = await s.connection.sendRequest<{ kind: string; items: Diagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } });
    assert.equal(report.kind, 'full');
    return report.items;
  }

  it('reports missing-sentinel on the broken example, with source, code, range and a doc link', async () => {
    const uri = open(BROKEN_EXAMPLE);
    const items = await diagnostics(uri);
    assert.equal(items.length, 1);
    const [d] = items;
    assert.equal(d!.source, 'process-topology');
    assert.equal(d!.code, 'missing-sentinel');
    assert.equal(d!.severity, 1);
    assert.deepEqual(d!.range.start, positionOf(BROKEN_EXAMPLE, 'q.get()'));
    assert.match(d!.codeDescription!.href, /docs\/rules\/missing-sentinel\.md$/);
    assert.equal(d!.relatedInformation!.length, 1);
  });

  it('reports nothing on the good example', async () => {
    const uri = open(GOOD_EXAMPLE);
    assert.deepEqual(await diagnostics(uri), []);
  });

  it('answers the model request with the topology of the document', async () => {
    const uri = pathToFileURL(GOOD_EXAMPLE).href;
    const model = await s.connection.sendRequest<TopologyModel | null>(MODEL_REQUEST, { textDocument: { uri } });
    assert.ok(model && isTopologyModel(model));
    assert.deepEqual(model.nodes.map((n) => n.label).sort(), ['consumer', 'main', 'producer', 'q']);
    assert.equal(model.root, pathToFileURL(ROOT).href);
  });

  it('follows edits: adding the sentinels clears the finding, a syntax error mid-typing is survived', async () => {
    const uri = pathToFileURL(BROKEN_EXAMPLE).href;
    const text = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
    const anchor = 'for (const c of consumers) await c.join();';
    const fixed = text.replace(anchor, `for (const _ of consumers) await q.put(null);\n  ${anchor}`);
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
    assert.deepEqual(await diagnostics(uri), []);
    const broken = fixed.replace('for (;;) {', 'for (;; {{{ ) ][');
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: broken }] });
    assert.ok(Array.isArray(await diagnostics(uri)));
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: '\u0000\u0001binary\uffff'.repeat(1000) }] });
    assert.deepEqual(await diagnostics(uri), []);
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 5 }, contentChanges: [{ text }] });
    assert.equal((await diagnostics(uri)).length, 1);
    assert.equal(s.child.exitCode, null, 'the server is still running');
    for (const deadline = Date.now() + 5000; s.refreshes === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.ok(s.refreshes > 0, 'edits ask the client to pull diagnostics again');
  });
});

describe('language server: modules shared between files', () => {
  let s: LspSession;
  before(async () => {
    s = await startServer(ROOT);
  });
  after(async () => {
    await s.close();
  });

  it('gives a module that is not an entry the model of the program that imports it', async () => {
    const worker = `${ROOT}/test/fixtures/extraction/multi-file/worker.ts`;
    const uri = pathToFileURL(worker).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(worker, 'utf8') } });
    const model = await s.connection.sendRequest<TopologyModel | null>(MODEL_REQUEST, { textDocument: { uri } });
    assert.ok(model && isTopologyModel(model));
    const labels = model.nodes.map((n) => `${n.kind}:${n.label}`).sort();
    assert.deepEqual(labels, ['process:consume', 'process:main', 'queue:makeQueue()']);
    const get = model.edges.find((e) => e.kind === 'get')!;
    assert.equal(get.locs[0]!.file, 'test/fixtures/extraction/multi-file/worker.ts');
  });

  it('refreshes a consumer in one file when its producer in another changes', async () => {
    const main = `${ROOT}/test/fixtures/extraction/multi-file/main.ts`;
    const worker = pathToFileURL(`${ROOT}/test/fixtures/extraction/multi-file/worker.ts`).href;
    const mainUri = pathToFileURL(main).href;
    const text = fs.readFileSync(main, 'utf8');
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: mainUri, languageId: 'typescript', version: 1, text } });
    const diag = async (): Promise<{ code: string }[]> =>
      (await s.connection.sendRequest<{ items: { code: string }[] }>('textDocument/diagnostic', { textDocument: { uri: worker } })).items;
    assert.deepEqual(await diag(), []);
    const refreshes = s.refreshes;
    // Remove the sentinel in main.ts: the consumer's get() in worker.ts now waits forever.
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri: mainUri, version: 2 }, contentChanges: [{ text: text.replace("await q.put(null);", '') }] });
    assert.deepEqual((await diag()).map((d) => d.code), ['missing-sentinel']);
    // The refresh goes out once the edits pause (REFRESH_DELAY_MS), not on every keystroke.
    for (const deadline = Date.now() + 5000; s.refreshes === refreshes && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.ok(s.refreshes > refreshes, 'the edit asked the client to pull diagnostics again');
  });
});

describe('language server: quick fixes, hovers and code lenses', () => {
  let s: LspSession;
  before(async () => {
    s = await startServer(ROOT);
  });
  after(async () => {
    await s.close();
  });

  interface Action { title: string; kind: string; edit?: { changes: Record<string, { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]> }; command?: { command: string; arguments: unknown[] } }

  it('offers the missing-sentinel fix, suppression and docs; applying the fix clears the diagnostic', async () => {
    const uri = pathToFileURL(BROKEN_EXAMPLE).href;
    const text = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
    const diags = (await s.connection.sendRequest<{ items: { range: unknown; code: string }[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
    assert.equal(diags.length, 1);
    const actions = await s.connection.sendRequest<Action[]>('textDocument/codeAction', {
      textDocument: { uri }, range: diags[0]!.range, context: { diagnostics: diags },
    });
    const titles = actions.map((a) => a.title);
    assert.ok(titles.some((t) => /sentinel/.test(t)), titles.join(' | '));
    assert.ok(titles.includes('Suppress missing-sentinel on this line (give a reason)'));
    const docs = actions.find((a) => a.command?.command === 'processTopology.showRuleDoc');
    assert.deepEqual(docs?.command?.arguments, ['missing-sentinel']);
    const fix = actions.find((a) => /sentinel/.test(a.title) && a.edit)!;
    const edits = fix.edit!.changes[uri]!.map((e) => ({ file: 'x', ...e }));
    const fixed = applyEdits(text, edits);
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
    const after = (await s.connection.sendRequest<{ items: unknown[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
    assert.deepEqual(after, []);
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text }] });
  });

  it('the suppression action silences the finding, and asks for a reason until one is given', async () => {
    const uri = pathToFileURL(BROKEN_EXAMPLE).href;
    const text = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
    const diags = (await s.connection.sendRequest<{ items: { range: unknown; code: string }[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
    const actions = await s.connection.sendRequest<Action[]>('textDocument/codeAction', { textDocument: { uri }, range: diags[0]!.range, context: { diagnostics: diags } });
    const suppress = actions.find((a) => a.title.startsWith('Suppress'))!;
    const suppressed = applyEdits(text, suppress.edit!.changes[uri]!.map((e) => ({ file: 'x', ...e })));
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: suppressed }] });
    let codes = (await s.connection.sendRequest<{ items: { code: string }[] }>('textDocument/diagnostic', { textDocument: { uri } })).items.map((d) => d.code);
    assert.deepEqual(codes, ['suppression-without-reason']);
    const reasoned = suppressed.replace('missing-sentinel -- \n', 'missing-sentinel -- consumers are killed by the supervisor\n');
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 5 }, contentChanges: [{ text: reasoned }] });
    codes = (await s.connection.sendRequest<{ items: { code: string }[] }>('textDocument/diagnostic', { textDocument: { uri } })).items.map((d) => d.code);
    assert.deepEqual(codes, []);
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 6 }, contentChanges: [{ text }] });
  });

  it('hovers a queue operation with the queue\'s role in the topology', async () => {
    const uri = pathToFileURL(BROKEN_EXAMPLE).href;
    const hover = await s.connection.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(BROKEN_EXAMPLE, 'q.get()') });
    assert.ok(hover);
    assert.match(hover.contents.value, /Queue q — put by producer ×3; taken by consumer ×2/);
  });

  it('puts a "Show in graph" lens above each process and queue', async () => {
    const uri = pathToFileURL(BROKEN_EXAMPLE).href;
    const lenses = await s.connection.sendRequest<{ command: { title: string; command: string; arguments: unknown[] } }[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.deepEqual(lenses.map((l) => l.command.title).sort(), ['Show consumer ×2 in graph', 'Show producer ×3 in graph', 'Show q in graph']);
    for (const l of lenses) {
      assert.equal(l.command.command, 'processTopology.showGraph');
      assert.equal(l.command.arguments[0], uri);
    }
  });
});
