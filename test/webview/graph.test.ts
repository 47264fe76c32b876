// Browser test of the graph page: bundles webview/src/main.ts with esbuild, loads it in Debian's
// Chromium through playwright-core, once as the standalone page (`graph --format html`) and once in
// a VS Code–like page, and checks the drawing, clicks, updates and the CSP.
// Run from the repository root: node --import tsx --test test/webview/graph.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Location, ModelNode, TopologyModel } from '../../common/model';
import { jsonForScript, standaloneHtml } from '../../webview/src/standalone';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'test-results');
const CHROMIUM = '/usr/bin/chromium';

function loc(line: number, character = 2, length = 20): Location {
  return { file: 'src/app.ts', range: { start: { line, character }, end: { line, character: character + length } } };
}

const MAIN = 'proc:main';
const QUEUE = 'queue:q@src/app.ts:32';
const PRODUCER = 'proc:producer@src/app.ts:33';
const CONSUMER = 'proc:consumer@src/app.ts:34';

function fixture(): TopologyModel {
  return {
    version: 1,
    root: 'file:///home/me/app',
    nodes: [
      { id: MAIN, kind: 'process', role: 'main', label: 'main', loc: loc(30) },
      { id: QUEUE, kind: 'queue', variant: 'Queue', maxsize: 0, label: 'q', loc: loc(31, 8, 13) },
      { id: PRODUCER, kind: 'process', role: 'child', label: 'producer', multiplicity: 3, daemon: false,
        target: 'producer', loc: loc(32, 4, 40) },
      { id: CONSUMER, kind: 'process', role: 'child', label: 'consumer', multiplicity: 2, daemon: false,
        target: 'consumer', loc: loc(34, 4, 40) },
    ],
    edges: [
      { id: 'e1', kind: 'spawn', from: MAIN, to: PRODUCER, count: 3, locs: [loc(36, 6, 9)] },
      { id: 'e2', kind: 'spawn', from: MAIN, to: CONSUMER, count: 2, locs: [loc(37, 6, 9)] },
      { id: 'e3', kind: 'put', from: PRODUCER, to: QUEUE, count: 'loop', locs: [loc(12, 4, 12)] },
      { id: 'e4', kind: 'get', from: QUEUE, to: CONSUMER, count: 'loop', blocking: true, locs: [loc(20, 17, 7)] },
      { id: 'e5', kind: 'join', from: MAIN, to: PRODUCER, locs: [loc(39, 6, 8)] },
      { id: 'e6', kind: 'join', from: MAIN, to: CONSUMER, locs: [loc(40, 6, 8)] },
    ],
    findings: [
      {
        rule: 'missing-sentinel',
        severity: 'error',
        message: '2 consumers wait for a null sentinel on q, but none is ever put',
        loc: loc(20, 17, 7),
        related: [{ message: 'producers finish here', loc: loc(14, 2, 1) }],
        nodes: [CONSUMER],
        edges: ['e4'],
      },
    ],
  };
}

/** The fixture plus one node (a lock the consumers take) and its edge. */
function grown(): TopologyModel {
  const m = fixture();
  m.nodes.push({ id: 'lock:l@src/app.ts:33', kind: 'lock', variant: 'Lock', label: 'l', loc: loc(32, 8, 12) });
  m.edges.push({ id: 'e7', kind: 'acquire', from: CONSUMER, to: 'lock:l@src/app.ts:33', locs: [loc(22, 6, 14)] });
  return m;
}

/** A bigger program: a pool, a pipe, a results queue back to main (a cycle), locks and shared state. */
function complex(): TopologyModel {
  const n = (id: string, kind: ModelNode['kind'], label: string, line: number, extra: Partial<ModelNode> = {}): ModelNode =>
    ({ id, kind, label, loc: loc(line), ...extra });
  let next = 0;
  const e = (kind: TopologyModel['edges'][number]['kind'], from: string, to: string, extra: object = {}) =>
    ({ id: `c${++next}`, kind, from, to, locs: [loc(50 + next)], ...extra });
  return {
    version: 1,
    root: 'file:///home/me/app',
    nodes: [
      n('main', 'process', 'main', 1, { role: 'main' }),
      n('tasks', 'queue', 'tasks', 2, { variant: 'JoinableQueue' }),
      n('results', 'queue', 'results', 3, { variant: 'Queue', maxsize: 10 }),
      n('worker', 'process', 'worker', 4, { role: 'child', multiplicity: 'several', target: 'work' }),
      n('logger', 'process', 'logger', 5, { role: 'child', daemon: true }),
      n('lock', 'lock', 'printLock', 6, { variant: 'RLock' }),
      n('ev', 'event', 'stop', 7),
      n('pipe', 'pipe', 'logPipe', 8, { duplex: false }),
      n('pool', 'pool', 'pool', 9),
      n('counter', 'value', 'done', 10),
      n('file', 'file', 'out.log', 11),
    ],
    edges: [
      e('spawn', 'main', 'worker', { count: 'several' }), e('spawn', 'main', 'logger'),
      e('join', 'main', 'worker'), e('join', 'main', 'logger'), e('terminate', 'main', 'logger'),
      e('put', 'main', 'tasks', { count: 'loop' }), e('get', 'tasks', 'worker', { count: 'loop', blocking: true }),
      e('taskDone', 'worker', 'tasks'), e('put', 'worker', 'results'), e('get', 'results', 'main', { count: 4 }),
      e('acquire', 'worker', 'lock'), e('release', 'worker', 'lock'), e('acquire', 'logger', 'lock'),
      e('set', 'main', 'ev'), e('wait', 'ev', 'logger'),
      e('send', 'main', 'pipe', { end: 'end0' }), e('recv', 'pipe', 'logger', { end: 'end1' }),
      e('submit', 'main', 'pool'), e('result', 'pool', 'main'),
      e('write', 'worker', 'counter'), e('read', 'counter', 'main'), e('write', 'logger', 'file'),
    ],
    findings: [
      { rule: 'lock-not-released', severity: 'warning', message: 'printLock may stay held when logger raises',
        loc: loc(60), related: [], nodes: ['lock'], edges: ['c13'] },
      { rule: 'join-before-drain', severity: 'error', message: 'main joins the workers before draining results',
        loc: loc(61), related: [], nodes: ['main', 'results'], edges: ['c3', 'c10'] },
    ],
  };
}

let browser: Browser;
let bundle: string;
let css: string;

async function waitForChromium(): Promise<void> {
  // Another engineer may still be installing the Debian package: poll, bounded.
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(CHROMIUM)) {
    if (Date.now() > deadline) throw new Error(`${CHROMIUM} did not appear; install it with apt-get install -y chromium`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

before(async () => {
  await mkdir(RESULTS, { recursive: true });
  const result = await build({
    entryPoints: [path.join(ROOT, 'webview/src/main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0]!.text;
  css = await readFile(path.join(ROOT, 'webview/media/graph.css'), 'utf8');
  await waitForChromium();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
}

/** Writes `html` to test-results/<name>.html and opens it from file://, recording every problem. */
async function open(name: string, html: string): Promise<Opened> {
  const file = path.join(RESULTS, `${name}.html`);
  await writeFile(file, html);
  const page = await browser.newPage({ viewport: { width: 1000, height: 620 } });
  const problems: string[] = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // Surfaces as a console error, which the listener above records.
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
    });
  });
  await page.goto(pathToFileURL(file).href);
  return { page, problems };
}

/** A page like the one the extension host builds: VS Code's CSP and an `acquireVsCodeApi` stub. */
function vscodeLikeHtml(initialState?: unknown): string {
  const nonce = 'vscodeTestNonce0123456789';
  const stub = `
    (() => {
      const posted = [];
      window.__posted = posted;
      const stateEl = document.getElementById('initial-state');
      let state = stateEl ? JSON.parse(stateEl.textContent) : undefined;
      let acquired = false;
      window.acquireVsCodeApi = () => {
        if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
        acquired = true;
        return Object.freeze({
          postMessage: (m) => posted.push(JSON.parse(JSON.stringify(m))),
          getState: () => state,
          setState: (s) => { state = s; window.__state = JSON.parse(JSON.stringify(s)); return s; },
        });
      };
    })();`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Process Topology</title>
<style nonce="${nonce}">${css}</style>
</head>
<body>
${initialState === undefined ? '' : `<script type="application/json" id="initial-state">${jsonForScript(initialState)}</script>`}
<script nonce="${nonce}">${stub}</script>
<script nonce="${nonce}">${bundle.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>`;
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}

async function kindCounts(page: Page): Promise<Record<string, number>> {
  const kinds = await page.$$eval('.node', (els) => els.map((el) => Array.from(el.classList).find((c) => c.startsWith('kind-'))!.slice(5)));
  return countBy(kinds, (k) => k);
}

async function nodeCenters(page: Page): Promise<Record<string, { x: number; y: number }>> {
  return page.$$eval('.node', (els) => Object.fromEntries(els.map((el) => {
    const r = el.getBoundingClientRect();
    return [el.getAttribute('data-id')!, { x: r.x + r.width / 2, y: r.y + r.height / 2 }];
  })));
}

async function checkDrawing(page: Page, model: TopologyModel): Promise<void> {
  await page.waitForSelector('.node');
  assert.deepEqual(await kindCounts(page), countBy(model.nodes, (n: ModelNode) => n.kind));
  assert.equal(await page.locator('.edge').count(), model.edges.length);
  for (const n of model.nodes) {
    const g = page.locator(`.node[data-id="${n.id}"]`);
    assert.equal(await g.count(), 1, n.id);
    assert.equal(await g.getAttribute('tabindex'), '0');
    assert.equal(await g.getAttribute('role'), 'button');
    assert.match((await g.getAttribute('aria-label'))!, new RegExp(`^${n.kind} ${n.label}`));
  }
  for (const e of model.edges) {
    const g = page.locator(`.edge[data-id="${e.id}"]`);
    assert.equal(await g.count(), 1, e.id);
    assert.match((await g.getAttribute('class'))!, new RegExp(`\\bedge kind-${e.kind}\\b`));
    assert.equal((await g.locator('.edge-label').textContent())!.split(' ')[0], e.kind);
  }
  // The finding marks its node and edge, and its message is in their tooltips.
  const consumer = page.locator(`.node[data-id="${CONSUMER}"]`);
  const get = page.locator('.edge[data-id="e4"]');
  assert.match((await consumer.getAttribute('class'))!, /\bfinding-error\b/);
  assert.match((await get.getAttribute('class'))!, /\bfinding-error\b/);
  assert.equal(await page.locator('.finding-error').count(), 2);
  assert.match((await consumer.locator('title').textContent())!, /none is ever put/);
  assert.match((await get.locator('title').textContent())!, /none is ever put/);
  assert.equal(await consumer.locator('.node-label').textContent(), 'consumer ×2');
  assert.equal(await page.locator(`.node[data-id="${PRODUCER}"] .node-label`).textContent(), 'producer ×3');
  // Every node is inside the visible area after the initial fit.
  const svg = (await page.locator('svg.pt-svg').boundingBox())!;
  for (const n of model.nodes) {
    const b = (await page.locator(`.node[data-id="${n.id}"]`).boundingBox())!;
    assert.ok(b.x >= svg.x && b.y >= svg.y && b.x + b.width <= svg.x + svg.width
      && b.y + b.height <= svg.y + svg.height, `${n.id} is not fully visible`);
  }
}

describe('graph webview', () => {
  test('standalone page draws the model and shows clicked locations', async () => {
    const model = fixture();
    const { page, problems } = await open('webview-standalone', standaloneHtml(model, bundle, css, 'app.ts — Process Topology'));
    await checkDrawing(page, model);
    assert.equal(await page.title(), 'app.ts — Process Topology');
    assert.match((await page.locator('.pt-status').textContent())!, /3 processes · 6 edges · 1 error/);
    await page.locator(`.node[data-id="${CONSUMER}"]`).click();
    assert.equal(await page.locator('.pt-status').textContent(), 'src/app.ts:35:5');
    await page.locator('.edge[data-id="e4"] .edge-label').click();
    assert.equal(await page.locator('.pt-status').textContent(), 'src/app.ts:21:18');
    await page.screenshot({ path: path.join(RESULTS, 'webview-standalone.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a bigger model draws every node and edge without overlaps', async () => {
    const model = complex();
    const { page, problems } = await open('webview-complex', standaloneHtml(model, bundle, css, 'complex.ts'));
    await page.waitForSelector('.node');
    assert.deepEqual(await kindCounts(page), countBy(model.nodes, (n: ModelNode) => n.kind));
    assert.equal(await page.locator('.edge').count(), model.edges.length);
    assert.equal(await page.locator('.node.finding-warning').count(), 1);
    assert.equal(await page.locator('.edge.finding-error').count(), 2);
    const boxes = await page.$$eval('.node', (els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return { id: el.getAttribute('data-id'), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
    }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        assert.ok(!(a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1), `${a.id} and ${b.id} overlap`);
      }
    }
    await page.screenshot({ path: path.join(RESULTS, 'webview-complex.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('the layout is deterministic', async () => {
    const transforms = async (): Promise<string[]> => {
      const { page } = await open('webview-deterministic', standaloneHtml(fixture(), bundle, css, 't'));
      await page.waitForSelector('.node');
      const t = await page.$$eval('.node, .edge .edge-line', (els) => els.map((el) => el.getAttribute('transform') ?? el.getAttribute('d')!));
      await page.close();
      return t;
    };
    assert.deepEqual(await transforms(), await transforms());
  });

  test('inside VS Code: ready, model messages, open on click and Enter, state, update in place', async () => {
    const model = fixture();
    const { page, problems } = await open('webview-vscode', vscodeLikeHtml());
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    const posted = (): Promise<unknown[]> => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
    assert.deepEqual(await posted(), [{ type: 'ready' }]);
    assert.equal(await page.locator('.node').count(), 0);

    // Malformed messages are ignored.
    await page.evaluate(() => {
      window.postMessage({ type: 'model', model: { version: 1, nodes: 'nope' }, title: 'x' }, '*');
      window.postMessage({ type: 'other' }, '*');
      window.postMessage('model', '*');
    });
    await page.waitForTimeout(100);
    assert.equal(await page.locator('.node').count(), 0);

    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'app.ts' }, '*'), model);
    await checkDrawing(page, model);
    const state = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    assert.deepEqual(state, { model, title: 'app.ts' });

    const consumerNode = model.nodes.find((n) => n.id === CONSUMER)!;
    await page.locator(`.node[data-id="${CONSUMER}"]`).click();
    assert.deepEqual((await posted()).at(-1), { type: 'open', loc: consumerNode.loc });
    await page.locator('.edge[data-id="e3"] .edge-label').click();
    assert.deepEqual((await posted()).at(-1), { type: 'open', loc: model.edges[2]!.locs[0] });

    // Keyboard: Tab reaches the nodes, Enter opens the focused one.
    await page.locator(`.node[data-id="${MAIN}"]`).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted()).at(-1), { type: 'open', loc: model.nodes[0]!.loc });
    await page.locator(`.node[data-id="${CONSUMER}"]`).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted()).at(-1), { type: 'open', loc: consumerNode.loc });
    // Arrow keys follow edges: Left from a node to an incoming edge, Right from an edge to its target.
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'e2');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'e5');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted()).at(-1), { type: 'open', loc: model.edges[1]!.locs[0] });
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), CONSUMER);
    // Tab goes from the toolbar's button through the nodes, in model order.
    await page.locator('.pt-fit').focus();
    const order: (string | null | undefined)[] = [];
    for (let i = 0; i < model.nodes.length; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.getAttribute('data-id')));
    }
    assert.deepEqual(order, model.nodes.map((n) => n.id));
    await page.locator(`.node[data-id="${CONSUMER}"]`).focus();
    await page.screenshot({ path: path.join(RESULTS, 'webview-vscode.png') });

    // An update with one more node keeps the others where they are on screen, and the focus.
    const before = await nodeCenters(page);
    const next = grown();
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'app.ts' }, '*'), next);
    await page.waitForFunction((n) => document.querySelectorAll('.node').length === n, next.nodes.length);
    assert.deepEqual(await kindCounts(page), countBy(next.nodes, (n: ModelNode) => n.kind));
    assert.equal(await page.locator('.edge').count(), next.edges.length);
    const afterUpdate = await nodeCenters(page);
    for (const [id, p] of Object.entries(before)) {
      const q = afterUpdate[id]!;
      assert.ok(Math.abs(p.x - q.x) < 0.5 && Math.abs(p.y - q.y) < 0.5, `${id} moved from ${JSON.stringify(p)} to ${JSON.stringify(q)}`);
    }
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), CONSUMER);
    // The new node does not sit on an old one.
    const boxes = await page.$$eval('.node .shape:not(.shape-stack)', (els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
    }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        assert.ok(!(a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1), `shapes ${i} and ${j} overlap`);
      }
    }
    await page.screenshot({ path: path.join(RESULTS, 'webview-vscode-updated.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('inside VS Code: draws the saved state again after a reload', async () => {
    const model = fixture();
    const { page, problems } = await open('webview-vscode-restore', vscodeLikeHtml({ model, title: 'app.ts' }));
    await checkDrawing(page, model);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted), [{ type: 'ready' }]);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('an empty model shows a friendly message', async () => {
    const { page, problems } = await open('webview-empty', standaloneHtml(
      { version: 1, root: 'file:///x', nodes: [], edges: [], findings: [] }, bundle, css, 'empty.ts'));
    const empty = page.locator('.pt-empty');
    await empty.waitFor({ state: 'visible' });
    assert.equal(await empty.textContent(), 'No processes found in this file');
    assert.equal(await page.locator('.node').count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('labels cannot break out of the embedded model', async () => {
    const model = fixture();
    const evil = '</script><script>window.__pwned = 1</script><!--';
    model.nodes[1]!.label = evil;
    const html = standaloneHtml(model, bundle, css, '</title><script>window.__pwned = 2</script>');
    assert.equal(html.match(/<\/script>/g)!.length, 2, 'only the two real script elements end');
    assert.ok(!html.includes('window.__pwned = 1</script>'));
    const { page, problems } = await open('webview-escape', html);
    await page.waitForSelector('.node');
    assert.equal(await page.locator(`.node[data-id="${QUEUE}"] .node-label`).textContent(), evil);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('standalone pages get a fresh nonce and a strict CSP', () => {
    const a = standaloneHtml(fixture(), 'void 0;', '', 't');
    const b = standaloneHtml(fixture(), 'void 0;', '', 't');
    const nonce = (html: string): string => /<script nonce="([^"]+)">/.exec(html)![1]!;
    assert.notEqual(nonce(a), nonce(b));
    assert.match(a, new RegExp(`content="default-src 'none'; script-src 'nonce-${nonce(a)}'; style-src 'nonce-${nonce(a)}'`));
    assert.match(a, new RegExp(`<style nonce="${nonce(a)}">`));
    assert.ok(!/\son[a-z]+=/i.test(a), 'no inline event handlers');
  });
});
