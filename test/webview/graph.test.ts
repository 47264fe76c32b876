// Browser test of the graph page: bundles webview/src/main.ts and the elkjs layout worker with
// esbuild, loads them in Debian's Chromium through playwright-core, once as the standalone page
// (`graph --format html`) and once in a VS Code–like page (VS Code's CSP with a nonce, the worker
// fetched from a resource origin and started from a blob: URL), and checks the drawing, the layout,
// clicks, filters, search, the trace replay, updates, exports, the themes, and pages of several
// programs from real analyses (screenshots in test-results/).
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
import { parseFromWebview } from '../../common/protocol';
import { standaloneHtml } from '../../drawing/standalone';
import { openVsCodePage, problemPage } from '../helpers/webview-page';
import { separatePrograms } from '../../drawing/programs';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { sharedModuleWorkspace } from '../helpers/many-programs';
import { EXAMPLES } from '../helpers/paths';

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
      n('pw', 'process', 'pool worker', 9, { role: 'pool-worker', multiplicity: 4, daemon: true }),
      n('counter', 'value', 'done', 10),
      n('file', 'file', 'out.log', 11),
      n('sem', 'semaphore', 'slots', 12),
      n('cond', 'condition', 'ready', 13),
      n('bar', 'barrier', 'start', 14),
      n('arr', 'array', 'buf', 15),
      n('dict', 'dict', 'cache', 16),
      n('list', 'list', 'log', 17),
      n('ns', 'namespace', 'cfg', 18),
      n('mgr', 'manager', 'manager', 19),
    ],
    edges: [
      e('spawn', 'main', 'worker', { count: 'several' }), e('spawn', 'main', 'logger'),
      e('join', 'main', 'worker'), e('join', 'main', 'logger'), e('terminate', 'main', 'logger'),
      e('put', 'main', 'tasks', { count: 'loop' }), e('get', 'tasks', 'worker', { count: 'loop', blocking: true }),
      e('taskDone', 'worker', 'tasks'), e('put', 'worker', 'results'), e('get', 'results', 'main', { count: 4 }),
      e('acquire', 'worker', 'lock'), e('release', 'worker', 'lock'), e('acquire', 'logger', 'lock'),
      e('set', 'main', 'ev'), e('wait', 'ev', 'logger'),
      e('send', 'main', 'pipe', { end: 'end0' }), e('recv', 'pipe', 'logger', { end: 'end1' }),
      e('submit', 'main', 'pool'), e('result', 'pool', 'main'), e('spawn', 'pool', 'pw'),
      e('write', 'worker', 'counter'), e('read', 'counter', 'main'), e('write', 'logger', 'file'),
      e('acquire', 'worker', 'sem'), e('wait', 'cond', 'worker'), e('notify', 'main', 'cond'), e('wait', 'bar', 'worker'),
      e('write', 'pw', 'arr'), e('write', 'pw', 'dict'), e('read', 'list', 'main'), e('read', 'ns', 'pw'), e('spawn', 'main', 'mgr'),
    ],
    findings: [
      { rule: 'lock-not-released', severity: 'warning', message: 'printLock may stay held when logger raises',
        loc: loc(60), related: [], nodes: ['lock'], edges: ['c13'] },
      { rule: 'join-before-drain', severity: 'error', message: 'main joins the workers before draining results',
        loc: loc(61), related: [], nodes: ['main', 'results'], edges: ['c3', 'c10'] },
    ],
  };
}

const A = 'proc:a@src/app.ts:5';
const B = 'proc:b@src/app.ts:6';
const L1 = 'lock:l1@src/app.ts:2';
const L2 = 'lock:l2@src/app.ts:3';

/** Two processes take two locks in opposite orders: a deadlock with a two-step trace. */
function deadlock(): TopologyModel {
  return {
    version: 1,
    root: 'file:///home/me/app',
    nodes: [
      { id: MAIN, kind: 'process', role: 'main', label: 'main', loc: loc(1) },
      { id: L1, kind: 'lock', variant: 'Lock', label: 'l1', loc: loc(2) },
      { id: L2, kind: 'lock', variant: 'Lock', label: 'l2', loc: loc(3) },
      { id: A, kind: 'process', role: 'child', label: 'a', target: 'a', loc: loc(5) },
      { id: B, kind: 'process', role: 'child', label: 'b', target: 'b', loc: loc(6) },
    ],
    edges: [
      { id: 'sa', kind: 'spawn', from: MAIN, to: A, locs: [loc(8)] },
      { id: 'sb', kind: 'spawn', from: MAIN, to: B, locs: [loc(9)] },
      { id: 'a1', kind: 'acquire', from: A, to: L1, locs: [loc(12, 4, 12)] },
      { id: 'a2', kind: 'acquire', from: A, to: L2, locs: [loc(13, 4, 12)] },
      { id: 'b2', kind: 'acquire', from: B, to: L2, locs: [loc(22, 4, 12)] },
      { id: 'b1', kind: 'acquire', from: B, to: L1, locs: [loc(23, 4, 12)] },
    ],
    findings: [{
      rule: 'deadlock', severity: 'error',
      message: 'Deadlock: a waits in acquire() on l2, b waits in acquire() on l1, and nothing left can wake them',
      loc: loc(13, 4, 12), related: [{ message: 'b waits here', loc: loc(23, 4, 12) }],
      trace: [
        { process: A, op: 'a: acquire l1', loc: loc(12, 4, 12) },
        { process: B, op: 'b: acquire l2', loc: loc(22, 4, 12) },
      ],
      nodes: [A, L2, B, L1], edges: ['a2', 'b1'],
    }],
  };
}

/** `n` producer → queue → consumer pipelines, all spawned by main: 3n + 1 nodes. */
function pipelines(n: number): TopologyModel {
  const model: TopologyModel = { version: 1, root: 'file:///home/me/app', nodes: [{ id: MAIN, kind: 'process', role: 'main', label: 'main', loc: loc(1) }], edges: [], findings: [] };
  for (let i = 0; i < n; i++) {
    const [p, q, c] = [`proc:p${i}`, `queue:q${i}`, `proc:c${i}`];
    model.nodes.push(
      { id: p, kind: 'process', role: 'child', label: `producer${i}`, target: `producer${i}`, loc: loc(10 + i) },
      { id: q, kind: 'queue', variant: 'Queue', maxsize: 0, label: `q${i}`, loc: loc(10 + i) },
      { id: c, kind: 'process', role: 'child', label: `consumer${i}`, target: `consumer${i}`, loc: loc(10 + i) },
    );
    model.edges.push(
      { id: `s${i}`, kind: 'spawn', from: MAIN, to: p, locs: [loc(10 + i)] },
      { id: `t${i}`, kind: 'spawn', from: MAIN, to: c, locs: [loc(10 + i)] },
      { id: `p${i}`, kind: 'put', from: p, to: q, count: 'loop', locs: [loc(10 + i)] },
      { id: `g${i}`, kind: 'get', from: q, to: c, count: 'loop', blocking: true, locs: [loc(10 + i)] },
    );
  }
  return model;
}

let browser: Browser;
let bundle: string;
let workerBundle: string;
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
  const bundleOf = async (entry: string, minify: boolean): Promise<string> => (await build({
    entryPoints: [path.join(ROOT, entry)], bundle: true, format: 'iife', platform: 'browser', target: 'es2022',
    write: false, logLevel: 'silent', minify, charset: 'utf8',
  })).outputFiles[0]!.text;
  [bundle, workerBundle] = await Promise.all([bundleOf('webview/src/main.ts', false), bundleOf('webview/src/layout-worker.ts', true)]);
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

async function newPage(): Promise<Opened> {
  return problemPage(browser, { width: 1100, height: 640 });
}

/** Writes `html` to test-results/<name>.html and opens it from file://, recording every problem. */
async function open(name: string, html: string): Promise<Opened> {
  const file = path.join(RESULTS, `${name}.html`);
  await writeFile(file, html);
  const opened = await newPage();
  await opened.page.goto(pathToFileURL(file).href);
  return opened;
}

/** A page like the one the extension host builds (test/helpers/webview-page.ts), its HTML in test-results/<name>.html. */
async function openVsCode(name: string, initialState?: unknown, workerStatus = 200): Promise<Opened> {
  const { page, problems } = await openVsCodePage(browser, { webview: bundle, worker: workerBundle, css }, {
    viewport: { width: 1100, height: 640 }, initialState, workerStatus, htmlFile: path.join(RESULTS, `${name}.html`),
  });
  return { page, problems };
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}

async function kindCounts(page: Page, selector = '.node'): Promise<Record<string, number>> {
  const kinds = await page.$$eval(selector, (els) => els.map((el) => Array.from(el.classList).find((c) => c.startsWith('kind-'))!.slice(5)));
  return countBy(kinds, (k) => k);
}

async function nodeCenters(page: Page): Promise<Record<string, { x: number; y: number }>> {
  return page.$$eval('.node', (els) => Object.fromEntries(els.map((el) => {
    const r = el.getBoundingClientRect();
    return [el.getAttribute('data-id')!, { x: r.x + r.width / 2, y: r.y + r.height / 2 }];
  })));
}

/** Waits for the elkjs layout (from the worker) to be applied and its animation to end. */
async function settled(page: Page, layout = 'elk'): Promise<void> {
  await page.waitForSelector(`svg.pt-svg[data-layout="${layout}"][data-layout-state="settled"]`, { timeout: 30_000 });
}

const posted = (page: Page): Promise<Record<string, unknown>[]> =>
  page.evaluate(() => (window as unknown as { __posted: Record<string, unknown>[] }).__posted);

const ids = (page: Page, selector: string): Promise<string[]> =>
  page.$$eval(selector, (els) => els.map((e) => e.getAttribute('data-id')!).sort());

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
    // Direction: every edge ends in an arrowhead.
    assert.match((await g.locator('.edge-line').getAttribute('marker-end'))!, /^url\(#pt\d+-arrow-/);
  }
  // Counts on edges: "↻" for a loop, "×3" for three.
  assert.equal(await page.locator('.edge[data-id="e1"] .edge-label').textContent(), 'spawn ×3');
  assert.equal(await page.locator('.edge[data-id="e3"] .edge-label').textContent(), 'put ↻');
  // The finding marks its node and edge, and its message is in their aria labels.
  const consumer = page.locator(`.node[data-id="${CONSUMER}"]`);
  const get = page.locator('.edge[data-id="e4"]');
  assert.match((await consumer.getAttribute('class'))!, /\bfinding-error\b/);
  assert.match((await get.getAttribute('class'))!, /\bfinding-error\b/);
  assert.equal(await page.locator('.node.finding-error, .edge.finding-error').count(), 2);
  assert.match((await consumer.getAttribute('aria-label'))!, /none is ever put/);
  assert.match((await get.getAttribute('aria-label'))!, /none is ever put/);
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

function assertNoOverlap(boxes: { id: string | null; x0: number; y0: number; x1: number; y1: number }[]): void {
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      assert.ok(!(a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1), `${a.id} and ${b.id} overlap`);
    }
  }
}

const shapeBoxes = (page: Page) => page.$$eval('.node', (els) => els.map((el) => {
  const r = el.querySelector('.node-body')!.getBoundingClientRect();
  return { id: el.getAttribute('data-id'), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
}));

describe('graph webview', () => {
  test('standalone page: draws the model, lays it out with elkjs in a blob: worker under the CSP, shows clicked locations', async () => {
    const model = fixture();
    const { page, problems } = await open('webview-standalone', standaloneHtml(model, bundle, css, 'app.ts — Process Topology', workerBundle));
    await page.waitForSelector('.node');
    // First paint comes from the layered layout, before the worker answers.
    assert.match((await page.getAttribute('svg.pt-svg', 'data-layout'))!, /^(layered|elk)$/);
    await settled(page);
    assert.ok(Number(await page.getAttribute('svg.pt-svg', 'data-layout-ms')) >= 0);
    await checkDrawing(page, model);
    assert.equal(await page.title(), 'app.ts — Process Topology');
    assert.match((await page.locator('.pt-status').textContent())!, /3 processes · 6 edges · 1 error/);
    await page.locator(`.node[data-id="${CONSUMER}"]`).click();
    assert.equal(await page.locator('.pt-status').textContent(), 'src/app.ts:35:5');
    await page.locator('.edge[data-id="e4"] .edge-label').click();
    assert.equal(await page.locator('.pt-status').textContent(), 'src/app.ts:21:18');
    // The legend names each kind drawn, and the finding's severity.
    assert.deepEqual((await page.locator('.pt-legend-kinds .pt-legend-item').allTextContents()).sort(), ['process', 'queue']);
    assert.match((await page.locator('.pt-legend').textContent())!, /error finding/);
    await page.screenshot({ path: path.join(RESULTS, 'webview-standalone.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a bigger model: a distinct shape per kind, every node and edge, no overlaps, deterministic', async () => {
    const model = complex();
    const html = standaloneHtml(model, bundle, css, 'complex.ts', workerBundle);
    const { page, problems } = await open('webview-complex', html);
    await settled(page);
    assert.deepEqual(await kindCounts(page), countBy(model.nodes, (n: ModelNode) => n.kind));
    assert.equal(await page.locator('.edge').count(), model.edges.length);
    assert.equal(await page.locator('.node.finding-warning').count(), 1);
    assert.equal(await page.locator('.edge.finding-error').count(), 2);
    // Each kind has its own drawing.
    const shapes = await page.$$eval('.node', (els) => Object.fromEntries(els.map((el) => [
      Array.from(el.classList).find((c) => c.startsWith('kind-'))!,
      Array.from(el.querySelectorAll('.node-body > :not(text)')).filter((s) => !s.classList.contains('shape-stack'))
        .map((s) => `${s.tagName}:${s.getAttribute('class')}:${s.getAttribute('d') ?? s.getAttribute('rx') ?? s.getAttribute('r')}`).join('|'),
    ])));
    const drawings = Object.values(shapes);
    assert.equal(new Set(drawings).size, drawings.length, JSON.stringify(shapes, null, 1));
    assertNoOverlap(await shapeBoxes(page));
    const transforms = await page.$$eval('.node, .edge .edge-line', (els) => els.map((el) => el.getAttribute('transform') ?? el.getAttribute('d')!));
    await page.screenshot({ path: path.join(RESULTS, 'webview-complex.png') });
    assert.deepEqual(problems, []);
    await page.close();
    // The same model lays out the same way.
    const again = await open('webview-complex-again', html);
    await settled(again.page);
    assert.deepEqual(await again.page.$$eval('.node, .edge .edge-line', (els) => els.map((el) => el.getAttribute('transform') ?? el.getAttribute('d')!)), transforms);
    await again.page.close();
  });

  test('filter by kind and search by name', async () => {
    const model = complex();
    const { page, problems } = await open('webview-filter', standaloneHtml(model, bundle, css, 'complex.ts', workerBundle));
    await settled(page);
    const visible = (sel: string) => page.locator(`${sel}:visible`).count();
    await page.locator('.pt-kinds > summary').click();
    const queueBox = page.locator('.pt-kind input[value="queue"]');
    await queueBox.uncheck();
    assert.equal(await visible('.node.kind-queue'), 0);
    assert.equal(await visible('.node'), model.nodes.length - 2);
    // Edges to a hidden node are hidden with it.
    assert.equal(await visible('.edge[data-id="c6"]'), 0);
    await queueBox.check();
    assert.equal(await visible('.node'), model.nodes.length);
    await page.keyboard.press('Escape');

    await page.locator('.pt-search').fill('work');
    assert.deepEqual(await ids(page, '.node.search-match'), ['pw', 'worker']);
    assert.equal(await page.locator('.node.search-miss').count(), model.nodes.length - 2);
    await page.locator('.pt-search').press('Enter');
    assert.equal(await page.locator('.node.search-current').count(), 1);
    await page.locator('.pt-search').fill('no such thing');
    assert.equal(await page.locator('.node.search-match').count(), 0);
    assert.match((await page.locator('.pt-search').getAttribute('class'))!, /no-match/);
    await page.locator('.pt-search').fill('');
    assert.equal(await page.locator('.node.search-miss').count(), 0);

    // Focus on a node's neighbourhood: upstream of `results` is main's worker chain, downstream is main.
    await page.locator('.node[data-id="results"]').click();
    await page.locator('.pt-focus-down').click();
    const notFaded = async () => (await ids(page, '.node:not(.faded)'));
    assert.ok((await notFaded()).includes('results') && (await notFaded()).includes('main'));
    await page.locator('.pt-focus-up').click();
    const up = await notFaded();
    assert.ok(up.includes('worker') && up.includes('results') && !up.includes('file'), up.join());
    await page.locator('.pt-focus-clear').click();
    assert.equal(await page.locator('.node.faded').count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('replicated processes expand into instances, pools fold into one node', async () => {
    const model = complex();
    const { page, problems } = await open('webview-expand', standaloneHtml(model, bundle, css, 'complex.ts', workerBundle));
    await settled(page);
    assert.equal(await page.locator('.node[data-id="worker"] .node-label').textContent(), 'worker ×n');
    await page.locator('.node[data-id="worker"] .toggle').click();
    await page.waitForSelector('.node[data-id="worker#1"]');
    assert.deepEqual(await ids(page, '.node.instance'), ['worker#1', 'worker#2', 'worker#3']);
    assert.equal(await page.locator('.node[data-id="worker"]').count(), 0);
    // Each instance has the edges of its process.
    assert.equal(await page.locator('.edge[data-id^="c7#"]').count(), 3);
    await settled(page);
    assertNoOverlap(await shapeBoxes(page));
    await page.screenshot({ path: path.join(RESULTS, 'webview-expanded.png') });
    // And back, with the keyboard (X on a focused instance).
    await page.locator('.node[data-id="worker#2"]').focus();
    await page.keyboard.press('x');
    await page.waitForSelector('.node[data-id="worker"]');
    assert.equal(await page.locator('.node.instance').count(), 0);

    // The pool folds its workers in, and their edges move onto it.
    await page.locator('.pt-fold-pools').click();
    await page.waitForFunction(() => !document.querySelector('.node[data-id="pw"]'));
    assert.match((await page.locator('.node[data-id="pool"] .node-label').textContent())!, /pool \(pool worker ×4\)/);
    assert.equal(await page.locator('.edge.kind-write[data-id*="@pool>"]').count(), 2);
    await page.locator('.node[data-id="pool"] .toggle').click();
    await page.waitForSelector('.node[data-id="pw"]');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('inside VS Code: ready, elkjs worker from a resource URL under the CSP, open on click and Enter, state, update in place', async () => {
    const model = fixture();
    const { page, problems } = await openVsCode('webview-vscode');
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    assert.deepEqual(await posted(page), [{ type: 'ready' }]);
    assert.equal(await page.locator('.node').count(), 0);

    // Malformed messages are ignored.
    await page.evaluate(() => {
      window.postMessage({ type: 'model', model: { version: 1, nodes: 'nope' }, title: 'x' }, '*');
      window.postMessage({ type: 'other' }, '*');
      window.postMessage({ type: 'select', loc: { file: 3 } }, '*');
      window.postMessage('model', '*');
    });
    await page.waitForTimeout(100);
    assert.equal(await page.locator('.node').count(), 0);

    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'app.ts' }, '*'), model);
    await settled(page);
    // Laid out by elkjs in a worker started from a blob: URL (the CSP's worker-src), with no CSP violation.
    assert.equal(await page.getAttribute('svg.pt-svg', 'data-layout-worker'), 'blob:');
    assert.equal(await page.getAttribute('svg.pt-svg', 'data-layout-failure'), null);
    assert.equal(await page.getAttribute('html', 'data-csp-violations'), '0');
    await checkDrawing(page, model);
    // The counter does count: an image from an origin the policy does not allow.
    await page.evaluate(() => { new Image().src = 'https://elsewhere.test/x.png'; });
    await page.waitForSelector('html[data-csp-violations="1"]');
    assert.equal(await page.getAttribute('html', 'data-csp-last-violation'), 'img-src https://elsewhere.test/x.png');
    assert.deepEqual((await posted(page)).find((m) => m.type === 'rendered'), { type: 'rendered', nodes: 4, edges: 6 });
    const state = await page.evaluate(() => (window as unknown as { __state: { model: unknown; title: string } }).__state);
    assert.deepEqual(state.model, model);
    assert.equal(state.title, 'app.ts');

    const consumerNode = model.nodes.find((n) => n.id === CONSUMER)!;
    await page.locator(`.node[data-id="${CONSUMER}"]`).click();
    assert.deepEqual((await posted(page)).at(-1), { type: 'open', loc: consumerNode.loc });
    assert.match((await page.locator(`.node[data-id="${CONSUMER}"]`).getAttribute('class'))!, /\bselected\b/);
    await page.locator('.edge[data-id="e3"] .edge-label').click();
    assert.deepEqual((await posted(page)).at(-1), { type: 'open', loc: model.edges[2]!.locs[0] });

    // Hover: a tooltip with the role, the operations and the finding.
    await page.locator(`.node[data-id="${CONSUMER}"] .node-label`).hover();
    const tip = page.locator('.pt-tooltip');
    await tip.waitFor({ state: 'visible' });
    const tipText = (await tip.textContent())!;
    assert.match(tipText, /process consumer ×2 \(child, target consumer\)/);
    assert.match(tipText, /← get from q \(in a loop, blocking\)/);
    assert.match(tipText, /none is ever put/);
    await page.mouse.move(2, 600);

    // Keyboard: Enter opens the focused node.
    await page.locator(`.node[data-id="${MAIN}"]`).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted(page)).at(-1), { type: 'open', loc: model.nodes[0]!.loc });
    await page.locator(`.node[data-id="${CONSUMER}"]`).focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted(page)).at(-1), { type: 'open', loc: consumerNode.loc });
    // Arrow keys follow edges: Left from a node to an incoming edge, Right from an edge to its target.
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'e2');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'e5');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted(page)).at(-1), { type: 'open', loc: model.edges[1]!.locs[0] });
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), CONSUMER);
    // Tab goes from the toolbar's last button through the nodes, in model order.
    await page.locator('.pt-fit').focus();
    const order: (string | null | undefined)[] = [];
    for (let i = 0; i < model.nodes.length; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.getAttribute('data-id')));
    }
    assert.deepEqual(order, model.nodes.map((n) => n.id));

    // The same model again (the user typed, nothing changed): the layout is reused, nothing moves.
    await page.locator(`.node[data-id="${CONSUMER}"]`).focus();
    const zoomBefore = await page.getAttribute('.viewport', 'transform');
    const before = await nodeCenters(page);
    const retyped = fixture();
    retyped.findings[0]!.message = 'the consumers wait for a sentinel that never comes';
    retyped.edges[2]!.locs = [loc(13, 4, 12)];
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'app.ts' }, '*'), retyped);
    await page.waitForFunction(() => /never comes/.test(document.querySelector('.node.finding-error')?.getAttribute('aria-label') ?? ''));
    assert.deepEqual(await nodeCenters(page), before);
    assert.equal(await page.getAttribute('.viewport', 'transform'), zoomBefore);
    await page.screenshot({ path: path.join(RESULTS, 'webview-vscode.png') });

    // An update with one more node keeps the others where they are on screen, the zoom, the selection and the focus.
    const next = grown();
    // Which nodes fade in (the class lasts 700 ms: a loaded machine reads the DOM later than that).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { entered: string[] }).entered = seen;
      new MutationObserver((records) => {
        for (const r of records) {
          const e = r.target as Element;
          if (e.classList.contains('node') && e.classList.contains('entering')) seen.push(e.getAttribute('data-id') ?? '');
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['class'] });
    });
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'app.ts' }, '*'), next);
    await page.waitForFunction((n) => document.querySelectorAll('.node').length === n, next.nodes.length);
    assert.deepEqual(await kindCounts(page), countBy(next.nodes, (n: ModelNode) => n.kind));
    assert.equal(await page.locator('.edge').count(), next.edges.length);
    const afterUpdate = await nodeCenters(page);
    for (const [id, p] of Object.entries(before)) {
      const q = afterUpdate[id]!;
      assert.ok(Math.abs(p.x - q.x) < 0.5 && Math.abs(p.y - q.y) < 0.5, `${id} moved from ${JSON.stringify(p)} to ${JSON.stringify(q)}`);
    }
    assert.equal(await page.getAttribute('.viewport', 'transform'), zoomBefore);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), CONSUMER);
    assert.match((await page.locator(`.node[data-id="${CONSUMER}"]`).getAttribute('class'))!, /\bselected\b/);
    // The new node fades in, briefly.
    assert.deepEqual([...new Set(await page.evaluate(() => (window as unknown as { entered: string[] }).entered))], ['lock:l@src/app.ts:33']);
    assertNoOverlap(await shapeBoxes(page));
    await page.screenshot({ path: path.join(RESULTS, 'webview-vscode-updated.png') });
    // Only the violation made on purpose above.
    assert.deepEqual(problems.filter((p) => !p.includes('elsewhere.test')), []);
    await page.close();
  });

  test('inside VS Code: the editor selection highlights its nodes', async () => {
    const model = fixture();
    const { page, problems } = await openVsCode('webview-vscode-select');
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'app.ts' }, '*'), model);
    await settled(page);
    const select = (msg: unknown) => page.evaluate((m) => window.postMessage(m, '*'), msg);
    // The cursor in the consumer's declaration.
    await select({ type: 'select', loc: { file: 'src/app.ts', range: { start: { line: 34, character: 10 }, end: { line: 34, character: 10 } } } });
    await page.waitForSelector('.node.editor-match');
    assert.deepEqual(await ids(page, '.node.editor-match'), [CONSUMER]);
    // The cursor on the get call: its edge and both its ends.
    await select({ type: 'select', loc: { file: 'src/app.ts', range: { start: { line: 20, character: 20 }, end: { line: 20, character: 20 } } } });
    await page.waitForFunction(() => document.querySelector('.edge.editor-match')?.getAttribute('data-id') === 'e4');
    assert.deepEqual(await ids(page, '.node.editor-match'), [CONSUMER, QUEUE].sort());
    // Another file, then explicit ids, then nothing.
    await select({ type: 'select', loc: { file: 'src/other.ts', range: { start: { line: 20, character: 20 }, end: { line: 20, character: 20 } } } });
    await page.waitForFunction(() => document.querySelectorAll('.editor-match').length === 0);
    await select({ type: 'select', nodeIds: [MAIN] });
    await page.waitForSelector(`.node.editor-match[data-id="${MAIN}"]`);
    await select({ type: 'select' });
    await page.waitForFunction(() => document.querySelectorAll('.editor-match').length === 0);
    // Highlighting moves neither the keyboard focus nor posts anything.
    assert.equal((await posted(page)).filter((m) => m.type === 'open' || m.type === 'reveal').length, 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a deadlock: its cycle is highlighted and its trace replays step by step, in sync with the editor', async () => {
    const model = deadlock();
    const { page, problems } = await openVsCode('webview-trace');
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'locks.ts' }, '*'), model);
    await settled(page);
    assert.deepEqual(await ids(page, '.edge.cycle'), ['a2', 'b1']);
    assert.deepEqual(await ids(page, '.node.finding-error'), [A, B, L1, L2].sort());
    assert.equal(await page.locator('.pt-trace').isVisible(), false);

    await page.locator('.pt-finding-button').first().click();
    await page.locator('.pt-trace').waitFor({ state: 'visible' });
    const stepIs = async (n: number) => page.waitForFunction((s) => document.querySelector('.pt-trace')?.getAttribute('data-step') === String(s), n);
    await stepIs(0);
    assert.deepEqual(await ids(page, '.node.trace-actor'), [A]);
    assert.deepEqual(await ids(page, '.edge.trace-op'), ['a1']);
    assert.deepEqual(await ids(page, '.node.trace-object'), [L1]);
    assert.match((await page.locator('.pt-trace-text').textContent())!, /Step 1 of 2: a: acquire l1/);
    assert.deepEqual((await posted(page)).at(-1), { type: 'reveal', loc: model.findings[0]!.trace![0]!.loc });
    assert.equal(await page.locator('.pt-trace-prev').isDisabled(), true);
    await page.screenshot({ path: path.join(RESULTS, 'webview-trace-step1.png') });

    await page.locator('.pt-trace-next').click();
    await stepIs(1);
    assert.deepEqual(await ids(page, '.node.trace-actor'), [B]);
    assert.deepEqual(await ids(page, '.edge.trace-op'), ['b2']);
    assert.deepEqual(await ids(page, '.edge.trace-done'), ['a1']);
    assert.deepEqual((await posted(page)).at(-1), { type: 'reveal', loc: model.findings[0]!.trace![1]!.loc });

    await page.locator('.pt-trace-next').click();
    await stepIs(2);
    assert.deepEqual(await ids(page, '.node.trace-actor'), []);
    assert.deepEqual(await ids(page, '.node.trace-waiting'), [A, B].sort());
    assert.deepEqual(await ids(page, '.edge.trace-blocked'), ['a2', 'b1']);
    assert.match((await page.locator('.pt-trace-text').textContent())!, /Final state: Deadlock/);
    assert.deepEqual((await posted(page)).at(-1), { type: 'reveal', loc: model.findings[0]!.loc });
    assert.equal(await page.locator('.pt-trace-next').isDisabled(), true);
    await page.screenshot({ path: path.join(RESULTS, 'webview-trace-final.png') });

    await page.locator('.pt-trace-prev').click();
    await stepIs(1);
    // Play runs to the final state by itself.
    await page.locator('.pt-trace-play').click();
    await stepIs(2);
    await page.waitForFunction(() => document.querySelector('.pt-trace-play')?.getAttribute('aria-pressed') === 'false');
    const reveals = (await posted(page)).filter((m) => m.type === 'reveal');
    assert.ok(reveals.every((m) => parseFromWebview(m) !== undefined), 'the host accepts every reveal');
    // Unselecting the finding ends the replay.
    await page.locator('.pt-finding-button').first().click();
    await page.locator('.pt-trace').waitFor({ state: 'hidden' });
    assert.equal(await page.locator('.trace-waiting, .trace-actor, .faded').count(), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('inside VS Code: exports SVG, PNG, DOT and Mermaid through the host, in shapes the host accepts', async () => {
    const model = fixture();
    const { page, problems } = await openVsCode('webview-export');
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'app.ts' }, '*'), model);
    await settled(page);
    // After a pan (the drawing's layer keeps a CSS transform), which the export leaves out.
    const box = (await page.locator('.pt-stage').boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 60, box.y + 40, { steps: 4 });
    await page.mouse.up();
    assert.match(await page.evaluate(() => document.querySelector<SVGSVGElement>('svg.pt-svg')!.style.transform), /translate/);
    for (const format of ['svg', 'png', 'dot', 'mermaid']) {
      await page.locator('.pt-export > summary').click();
      await page.locator(`.pt-export-${format}`).click();
      await page.waitForFunction((f) => (window as unknown as { __posted: { type: string; format?: string }[] }).__posted
        .some((m) => m.type === 'export' && m.format === f), format);
    }
    const exports = (await posted(page)).filter((m) => m.type === 'export');
    assert.deepEqual(exports.map((m) => m.format), ['svg', 'png', 'dot', 'mermaid']);
    for (const m of exports) assert.ok(parseFromWebview(m), `${String(m.format)} is accepted`);
    const svg = exports[0]!.data as string;
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /var\(--|tabindex|style=/);
    assert.doesNotMatch(svg, /^<svg[^>]*data-/, 'the page\'s own attributes stay out of the picture');
    assert.equal((svg.match(/<g class="node /g) ?? []).length, 4);
    await writeFile(path.join(RESULTS, 'webview-export.svg'), svg);
    const png = exports[1]!.data as string;
    assert.match(png, /^data:image\/png;base64,/);
    const bytes = Buffer.from(png.slice(png.indexOf(',') + 1), 'base64');
    assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
    await writeFile(path.join(RESULTS, 'webview-export.png'), bytes);
    assert.match(exports[2]!.data as string, /^digraph topology \{/);
    assert.match(exports[3]!.data as string, /^flowchart LR/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('inside VS Code: draws the saved state again after a reload, with its view', async () => {
    const model = fixture();
    const view = { expanded: [CONSUMER], collapsed: [], hiddenKinds: ['queue'], selected: MAIN };
    const { page, problems } = await openVsCode('webview-vscode-restore', { model, title: 'app.ts', view });
    await settled(page);
    assert.deepEqual(await ids(page, '.node.instance'), [`${CONSUMER}#1`, `${CONSUMER}#2`]);
    assert.equal(await page.locator('.node.kind-queue:visible').count(), 0);
    assert.match((await page.locator(`.node[data-id="${MAIN}"]`).getAttribute('class'))!, /\bselected\b/);
    assert.deepEqual(await posted(page), [{ type: 'ready' }]);
    // A state saved by an older version (no view) still draws.
    const old = await openVsCode('webview-vscode-restore-old', { model, title: 'app.ts' });
    await settled(old.page);
    assert.equal(await old.page.locator('.node').count(), 4);
    await old.page.close();
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('without the worker (it does not load), the layered layout stays and nothing breaks', async () => {
    const model = complex();
    const { page, problems } = await openVsCode('webview-no-worker', { model, title: 'complex.ts' }, 404);
    await settled(page, 'layered');
    assert.equal(await page.getAttribute('svg.pt-svg', 'data-layout-failure'), 'the layout worker did not load (404)');
    assert.equal(await page.getAttribute('svg.pt-svg', 'data-layout-worker'), null);
    assert.equal(await page.locator('.node').count(), model.nodes.length);
    assertNoOverlap(await shapeBoxes(page));
    // Only the browser's own note about the 404 response.
    assert.deepEqual(problems.filter((p) => !/Failed to load resource.*404/.test(p)), []);
    await page.close();
  });

  test('panning follows the mouse exactly and moves one layer, small graphs and large ones; wheel zoom keeps the point under the mouse', async () => {
    // The SVG moves as one composited layer, whatever the size (361 nodes: the drawing is much
    // bigger than the view). A wheel zoom, a scale change, is drawn again at its end.
    for (const [name, model] of [['small', fixture()], ['large', pipelines(120)]] as const) {
      const { page, problems } = await open(`webview-pan-${name}`, standaloneHtml(model, bundle, css, `${name}.ts`, workerBundle));
      await settled(page);
      const node = page.locator(`.node[data-id="${model.nodes[0]!.id}"]`);
      const center = async (): Promise<{ x: number; y: number }> => node.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      });
      const statusBefore = await page.locator('.pt-status').textContent();
      const box = (await page.locator('svg.pt-svg').boundingBox())!;
      const start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      const before = await center();
      await page.mouse.move(start.x, start.y);
      await page.mouse.down();
      for (let i = 1; i <= 12; i++) await page.mouse.move(start.x + i * 10, start.y + i * 4);
      // Mid-drag: the shield takes the pointer (nothing below is hit-tested); the SVG moves as a layer.
      const mid = await page.evaluate(({ x, y }) => ({
        top: document.elementFromPoint(x, y)?.className,
        transform: document.querySelector<SVGSVGElement>('svg.pt-svg')!.style.transform,
      }), { x: start.x + 120, y: start.y + 48 });
      assert.equal(mid.top, 'pt-pan-shield', name);
      assert.equal(mid.transform, 'translate(120px, 48px) scale(1)', name);
      await page.mouse.up();
      const after = await center();
      assert.ok(Math.abs(after.x - before.x - 120) < 1 && Math.abs(after.y - before.y - 48) < 1,
        `${name}: the node moved with the mouse by (120, 48): (${after.x - before.x}, ${after.y - before.y})`);
      // The layer stays where the pan left it: nothing is drawn again.
      assert.equal(await page.evaluate(() => document.querySelector<SVGSVGElement>('svg.pt-svg')!.style.transform), 'translate(120px, 48px) scale(1)');
      assert.equal(await page.locator('.pt-pan-shield').isHidden(), true);
      // A drag is not a click: nothing was opened.
      assert.equal(await page.locator('.pt-status').textContent(), statusBefore);

      // Wheel zoom about the mouse: the node's offset from the mouse scales by the zoom ratio.
      const scale = async (): Promise<number> => Number(/scale\(([\d.e-]+)\)/.exec((await page.getAttribute('.viewport', 'transform'))!)![1]);
      const k0 = await scale();
      const p0 = await center();
      await page.mouse.move(start.x, start.y);
      await page.mouse.wheel(0, -120);
      await page.waitForFunction((k) => {
        const t = document.querySelector('.viewport')!.getAttribute('transform')!;
        return !t.includes(`scale(${k})`) && document.querySelector<SVGSVGElement>('svg.pt-svg')!.style.transform === '';
      }, k0);
      const r = (await scale()) / k0;
      assert.ok(r > 1.05, `zoomed in: ${r}`);
      const p1 = await center();
      assert.ok(Math.abs(p1.x - (start.x + (p0.x - start.x) * r)) < 1 && Math.abs(p1.y - (start.y + (p0.y - start.y) * r)) < 1,
        `${name}: zoomed about the mouse: ${JSON.stringify({ p0, p1, r })}`);

      // A long drag, past the layer's margin (half the stage): it is drawn again on the way,
      // and the SVG still covers the whole stage (no blank band along the trailing edge).
      const stage = (await page.locator('.pt-stage').boundingBox())!;
      const far = Math.round(stage.width * 0.8);
      const q0 = await center();
      await page.mouse.move(start.x - far / 2, start.y);
      await page.mouse.down();
      for (let i = 1; i <= 20; i++) await page.mouse.move(start.x - far / 2 + (i * far) / 20, start.y);
      const covered = await page.evaluate(({ x, y }) => document.elementsFromPoint(x, y).some((e) => e.matches('svg.pt-svg')), { x: stage.x + 2, y: start.y });
      await page.mouse.up();
      const q1 = await center();
      assert.ok(Math.abs(q1.x - q0.x - far) < 1 && Math.abs(q1.y - q0.y) < 1, `${name}: a long drag moved the node by (${far}, 0): (${q1.x - q0.x}, ${q1.y - q0.y})`);
      assert.ok(covered, `${name}: the drawing covers the stage's left edge after a drag of ${far} px`);
      assert.deepEqual(problems, []);
      await page.close();
    }
  });

  test('an empty model shows a friendly message', async () => {
    const { page, problems } = await open('webview-empty', standaloneHtml(
      { version: 1, root: 'file:///x', nodes: [], edges: [], findings: [] }, bundle, css, 'empty.ts', workerBundle));
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
    const html = standaloneHtml(model, bundle, css, '</title><script>window.__pwned = 2</script>', workerBundle);
    assert.equal(html.match(/<\/script>/g)!.length, 3, 'only the three real script elements end');
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
    assert.match(a, new RegExp(`content="default-src 'none'; script-src 'nonce-${nonce(a)}'; style-src 'nonce-${nonce(a)}'; img-src data: blob:; worker-src blob:;`));
    assert.doesNotMatch(a, /unsafe-inline|unsafe-eval/);
    assert.match(a, new RegExp(`<style nonce="${nonce(a)}">`));
    assert.ok(!/\son[a-z]+=/i.test(a), 'no inline event handlers');
  });

  test('the host validates what the webview posts', () => {
    const l = loc(3);
    assert.deepEqual(parseFromWebview({ type: 'reveal', loc: l }), { type: 'reveal', loc: l });
    assert.equal(parseFromWebview({ type: 'reveal', loc: { file: '', range: l.range } }), undefined);
    assert.ok(parseFromWebview({ type: 'export', format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' }));
    assert.ok(parseFromWebview({ type: 'export', format: 'png', data: 'data:image/png;base64,iVBORw0KGgo=' }));
    assert.ok(parseFromWebview({ type: 'export', format: 'dot', data: 'digraph topology {}' }));
    assert.ok(parseFromWebview({ type: 'export', format: 'mermaid', data: 'flowchart LR\n' }));
    assert.deepEqual(parseFromWebview({ type: 'rendered', nodes: 6, edges: 8, programs: ['a.ts', 'b.ts'] }), { type: 'rendered', nodes: 6, edges: 8, programs: ['a.ts', 'b.ts'] });
    for (const bad of [
      { type: 'rendered', nodes: 6, edges: 8, programs: 'a.ts' },
      { type: 'rendered', nodes: 6, edges: 8, programs: [1] },
      { type: 'rendered', nodes: -1, edges: 8 },
      { type: 'export', format: 'exe', data: 'x' },
      { type: 'export', format: 'svg', data: '<html><script>' },
      { type: 'export', format: 'svg', data: 42 },
      { type: 'export', format: 'png', data: 'data:image/png;base64,@@@@' },
      { type: 'export', format: 'png', data: 'data:text/html;base64,AAAA' },
      { type: 'export', format: 'dot', data: 'rm -rf /' },
      { type: 'export', format: 'svg', data: `<svg>${'x'.repeat(48 * 1024 * 1024)}` },
    ]) assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad).slice(0, 80));
  });
});

/** VS Code's colours for the four kinds of theme, set on the page as VS Code sets them. */
const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b', foreground: '#3b3b3b', descriptionForeground: '#717171',
      'panel-border': '#e5e5e5', 'charts-blue': '#1a85ff', 'charts-orange': '#d18616', 'charts-purple': '#652d90',
      'charts-green': '#388a34', 'charts-yellow': '#bf8803', 'charts-red': '#e51400', errorForeground: '#f85149',
      'editorWarning-foreground': '#bf8803', 'editorInfo-foreground': '#1a85ff', focusBorder: '#005fb8',
      'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'input-background': '#ffffff',
      'input-border': '#cecece', 'sideBar-background': '#f8f8f8', 'editorHoverWidget-background': '#f8f8f8',
      'editorHoverWidget-border': '#c8c8c8', 'button-background': '#005fb8', 'button-foreground': '#ffffff',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc', foreground: '#cccccc', descriptionForeground: '#9d9d9d',
      'panel-border': '#2b2b2b', 'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-purple': '#b180d7',
      'charts-green': '#89d185', 'charts-yellow': '#cca700', 'charts-red': '#f14c4c', errorForeground: '#f85149',
      'editorWarning-foreground': '#cca700', 'editorInfo-foreground': '#3794ff', focusBorder: '#0078d4',
      'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'input-background': '#313131',
      'input-border': '#3c3c3c', 'sideBar-background': '#181818', 'editorHoverWidget-background': '#202020',
      'editorHoverWidget-border': '#454545', 'button-background': '#0078d4', 'button-foreground': '#ffffff',
    },
  },
  'hc-dark': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      'editor-background': '#000000', 'editor-foreground': '#ffffff', foreground: '#ffffff', descriptionForeground: '#ffffff',
      'panel-border': '#6fc3df', contrastBorder: '#6fc3df', contrastActiveBorder: '#f38518', 'charts-blue': '#3794ff',
      'charts-orange': '#d18616', 'charts-purple': '#b180d7', 'charts-green': '#89d185', 'charts-yellow': '#ffd370',
      'charts-red': '#f14c4c', errorForeground: '#f48771', 'editorWarning-foreground': '#ffd370', 'editorInfo-foreground': '#3794ff',
      focusBorder: '#f38518', 'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff',
      'button-border': '#6fc3df', 'input-background': '#000000', 'input-border': '#6fc3df', 'sideBar-background': '#000000',
      'editorHoverWidget-background': '#0c141f', 'editorHoverWidget-border': '#6fc3df', 'button-background': '#000000', 'button-foreground': '#ffffff',
    },
  },
  'hc-light': {
    bodyClass: 'vscode-high-contrast vscode-high-contrast-light',
    vars: {
      'editor-background': '#ffffff', 'editor-foreground': '#292929', foreground: '#292929', descriptionForeground: '#292929',
      'panel-border': '#0f4a85', contrastBorder: '#0f4a85', contrastActiveBorder: '#006bbd', 'charts-blue': '#0f4a85',
      'charts-orange': '#8f4a00', 'charts-purple': '#652d90', 'charts-green': '#374e06', 'charts-yellow': '#895503',
      'charts-red': '#b5200d', errorForeground: '#b5200d', 'editorWarning-foreground': '#895503', 'editorInfo-foreground': '#0f4a85',
      focusBorder: '#006bbd', 'button-secondaryBackground': '#ffffff', 'button-secondaryForeground': '#292929',
      'button-border': '#0f4a85', 'input-background': '#ffffff', 'input-border': '#0f4a85', 'sideBar-background': '#ffffff',
      'editorHoverWidget-background': '#ffffff', 'editorHoverWidget-border': '#0f4a85', 'button-background': '#0f4a85', 'button-foreground': '#ffffff',
    },
  },
};

describe('graph webview themes', () => {
  for (const [name, theme] of Object.entries(THEMES)) {
    test(`${name}: drawn with the theme's colours (screenshot test-results/webview-theme-${name}.png)`, async () => {
      const model = complex();
      model.findings.push(...deadlock().findings.map((f) => ({ ...f, nodes: ['worker', 'lock'], edges: ['c11'], trace: [] })));
      const { page, problems } = await openVsCode(`webview-theme-${name}`);
      await page.evaluate((t) => {
        for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
        document.documentElement.style.setProperty('--vscode-font-family', 'system-ui, "DejaVu Sans", sans-serif');
        document.body.className = t.bodyClass;
      }, theme);
      await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
      await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'complex.ts' }, '*'), model);
      await settled(page);
      // The colours come from the theme's variables.
      const [process, queue, error, bg] = await page.evaluate(() => [
        ...['logger', 'tasks', 'results'].map((id) => getComputedStyle(document.querySelector(`.node[data-id="${id}"] .shape`)!).stroke),
        getComputedStyle(document.querySelector('.pt-app')!).backgroundColor,
      ]);
      const colours = { process, queue, error, bg };
      const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
      assert.equal(colours.process, rgb(theme.vars['charts-blue']!));
      assert.equal(colours.queue, rgb(theme.vars['charts-orange']!));
      assert.equal(colours.error, rgb(theme.vars.errorForeground!));
      assert.equal(colours.bg, rgb(theme.vars['editor-background']!));
      await page.locator('.node[data-id="results"] .node-label').hover();
      await page.locator('.pt-tooltip').waitFor({ state: 'visible' });
      await page.screenshot({ path: path.join(RESULTS, `webview-theme-${name}.png`) });
      assert.deepEqual(problems, []);
      await page.close();
    });
  }
});

interface Rect { x0: number; y0: number; x1: number; y1: number }

const frameRects = (page: Page): Promise<Record<string, Rect>> => page.$$eval('.program', (els) => Object.fromEntries(els.map((el) => {
  const r = el.querySelector('.program-frame')!.getBoundingClientRect();
  return [el.getAttribute('data-program')!, { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom }];
})));

/**
 * Each program is in its frame, titled with its entry file; frames do not overlap; every node lies
 * inside its own program's frame. Returns the frames (screen pixels) by entry.
 */
async function checkPrograms(page: Page, model: TopologyModel): Promise<Record<string, Rect>> {
  const { clusters } = separatePrograms(model);
  assert.deepEqual(await page.$$eval('.program', (els) => els.map((e) => e.getAttribute('data-program'))), model.programs!.map((p) => p.entry));
  assert.deepEqual(await page.locator('.program-title').allTextContents(), model.programs!.map((p) => p.entry));
  const frames = await frameRects(page);
  const list = Object.entries(frames);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [a, b] = [list[i]![1], list[j]![1]];
      assert.ok(!(a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1), `${list[i]![0]} and ${list[j]![0]} overlap`);
    }
  }
  const boxes = new Map((await shapeBoxes(page)).map((b) => [b.id!, b]));
  assert.equal(boxes.size, clusters.reduce((n, c) => n + c.nodes.length, 0));
  for (const c of clusters) {
    const f = frames[c.entry]!;
    for (const id of c.nodes) {
      const b = boxes.get(id)!;
      assert.ok(b, `${id} is not drawn`);
      assert.ok(b.x0 >= f.x0 && b.y0 >= f.y0 && b.x1 <= f.x1 && b.y1 <= f.y1, `${id} is outside the frame of ${c.entry}`);
    }
  }
  return frames;
}

describe('graph webview: several programs on one page', () => {
  let ws: ReturnType<typeof sharedModuleWorkspace>;
  let shared: TopologyModel;
  before(() => {
    ws = sharedModuleWorkspace();
    shared = analyzeFiles(ws.files, { rootDir: ws.dir });
  });
  after(() => ws?.dispose());

  test('standalone page: a titled frame per program, a shared module once per program, findings and legend say whose', async () => {
    const { page, problems } = await open('webview-programs', standaloneHtml(shared, bundle, css, 'Process Topology', workerBundle));
    await settled(page);
    const frames = await checkPrograms(page, shared);
    assert.match((await page.locator('.pt-status').textContent())!, /^2 programs · 3 processes · /);
    // The shared module's consumer is drawn in each program; the finding marks forgetful.ts's only.
    assert.equal(await page.locator('.node .node-label', { hasText: /^consume$/ }).count(), 2);
    const marked = await page.$$eval('.node.finding-error, .edge.finding-error', (els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    }));
    assert.ok(marked.length >= 2);
    const f = frames['forgetful.ts']!;
    for (const m of marked) assert.ok(m.x > f.x0 && m.x < f.x1 && m.y > f.y0 && m.y < f.y1, 'a mark outside forgetful.ts');
    // The findings list and the legend say which program each finding belongs to.
    assert.deepEqual(await page.locator('.pt-finding-program').allTextContents(), ['in forgetful.ts']);
    assert.deepEqual(await page.locator('.pt-legend-program').allTextContents(), ['forgetful.ts · 1 error', 'good.ts · no findings']);
    await page.screenshot({ path: path.join(RESULTS, 'webview-programs.png') });

    // A program in the legend brings its frame into view, to the same place as any other program's.
    const svg = (await page.locator('svg.pt-svg').boundingBox())!;
    const centre = (r: Rect): { x: number; y: number } => ({ x: (r.x0 + r.x1) / 2, y: (r.y0 + r.y1) / 2 });
    const shown = async (entry: string): Promise<Rect> => {
      await page.locator(`.pt-legend-program[data-program="${entry}"]`).click();
      await page.waitForTimeout(600);
      const r = (await frameRects(page))[entry]!;
      assert.ok(r.x0 >= svg.x - 1 && r.x1 <= svg.x + svg.width + 1 && r.y0 >= svg.y - 1 && r.y1 <= svg.y + svg.height + 1, `${entry} not in view`);
      return r;
    };
    const goodBefore = centre((await frameRects(page))['good.ts']!);
    const good = centre(await shown('good.ts'));
    const forgetful = centre(await shown('forgetful.ts'));
    assert.ok(Math.hypot(good.x - goodBefore.x, good.y - goodBefore.y) > 20, 'good.ts did not move into view');
    assert.ok(Math.hypot(good.x - forgetful.x, good.y - forgetful.y) < 12, `not shown at one place: ${JSON.stringify([good, forgetful])}`);
    // Clicking the finding shows where it is.
    await page.locator('.pt-finding-button').click();
    assert.equal(await page.locator('.pt-status').textContent(), `lib.ts:${shared.findings[0]!.loc.range.start.line + 1}:${shared.findings[0]!.loc.range.start.character + 1}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('the examples as one page: every program framed apart (screenshot test-results/webview-programs-examples.png)', async () => {
    const files = (await import('node:fs')).readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')).map((f) => path.join(EXAMPLES, f));
    const model = analyzeFiles(files, { rootDir: path.dirname(EXAMPLES) });
    // One program per example: each is an entry of its own.
    assert.equal(model.programs?.length, files.length);
    const { page, problems } = await open('webview-programs-examples', standaloneHtml(model, bundle, css, 'examples', workerBundle));
    await page.setViewportSize({ width: 1400, height: 900 });
    await settled(page);
    await page.locator('.pt-fit').click();
    await page.waitForTimeout(500);
    await checkPrograms(page, model);
    assertNoOverlap(await shapeBoxes(page));
    assert.equal(await page.locator('.pt-finding-program').count(), model.findings.length);
    for (const f of model.findings) assert.ok(f.programs?.length === 1 && f.programs[0] === f.loc.file, `${f.rule} in ${f.loc.file}: ${f.programs}`);
    await page.screenshot({ path: path.join(RESULTS, 'webview-programs-examples.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('inside VS Code (the panel of a module two entries run): the programs apart, kept apart through an edit', async () => {
    const { page, problems } = await openVsCode('webview-programs-vscode');
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'lib.ts' }, '*'), shared);
    await settled(page);
    await checkPrograms(page, shared);
    const drawn = separatePrograms(shared).model;
    assert.equal(drawn.nodes.length, shared.nodes.length + 1, 'the shared consumer, twice');
    assert.deepEqual((await posted(page)).find((m) => m.type === 'rendered'),
      { type: 'rendered', nodes: drawn.nodes.length, edges: drawn.edges.length, programs: ['forgetful.ts', 'good.ts'] });
    // The host keeps the model it sent, not the drawing's copies.
    const state = await page.evaluate(() => (window as unknown as { __state: { model: unknown } }).__state);
    assert.deepEqual(state.model, shared);
    // An edit in good.ts adds a lock its main process takes: it appears in good.ts's frame.
    const good = path.join(ws.dir, 'good.ts');
    const text = (await readFile(good, 'utf8'))
      .replace("import { Queue, isMainProcess }", 'import { Lock, Queue, isMainProcess }')
      .replace("  await jobs.put('a');", "  const guard = new Lock();\n  await guard.acquire();\n  await jobs.put('a');\n  guard.release();");
    const edited = analyzeFiles(ws.files, { rootDir: ws.dir, overlay: new Map([[good, text]]) });
    assert.ok(edited.nodes.some((n) => n.kind === 'lock'));
    await page.evaluate((m) => window.postMessage({ type: 'model', model: m, title: 'lib.ts' }, '*'), edited);
    await page.waitForSelector('.node.kind-lock');
    await page.waitForTimeout(400);
    await checkPrograms(page, edited);
    await page.screenshot({ path: path.join(RESULTS, 'webview-programs-vscode.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
