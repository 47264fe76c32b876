// Benchmark of the graph webview (not a test: nothing asserts a speed). For generated models of
// 100, 1,000 and 5,000 nodes (bench/graph/generate.ts), in Debian's Chromium through
// playwright-core, on the standalone page with the elkjs layout worker:
//   - first paint: navigation start to the first frame with the drawing (layered layout, mark `pt-first-paint`);
//   - settled: navigation start to the elkjs layout applied (mark `pt-layout-elk`) and drawn;
//   - page responsiveness during the layout: the longest main-thread task and the longest gap
//     between animation frames while the worker computes;
//   - frame time while panning: requestAnimationFrame intervals during a 2 s mouse-drag pan;
//   - elkjs alone: the layout time inside the worker (same run), and elkjs on Node for the same graph.
// 5,000 nodes start folded by file (AUTO_FOLD_FILES); the run also unfolds one file, and measures
// the whole graph unfolded.
//   npx tsx bench/graph/run.ts [--sizes 100,1000,5000] [--json out.json]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import ELK from 'elkjs/lib/elk.bundled.js';
import { chromium, type Page } from 'playwright-core';
import { toElkGraph } from '../../webview/src/elk-layout';
import { standaloneHtml } from '../../webview/src/standalone';
import { generateModel } from './generate';

const ROOT = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const sizes = (args[args.indexOf('--sizes') + 1] && args.includes('--sizes') ? args[args.indexOf('--sizes') + 1]! : '100,1000,5000').split(',').map(Number);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;

interface Result {
  nodes: number;
  edges: number;
  drawnNodes: number;
  firstPaintMs: number;
  settledMs: number | undefined;
  elkWorkerMs: number | undefined;
  elkNodeMs: number | undefined;
  longestTaskDuringLayoutMs: number;
  longestFrameGapDuringLayoutMs: number;
  pan: { frames: number; meanMs: number; p95Ms: number; fps: number };
  note?: string;
}

async function bundles(): Promise<{ js: string; worker: string; css: string }> {
  const one = async (entry: string, minify: boolean) => (await build({
    entryPoints: [path.join(ROOT, entry)], bundle: true, format: 'iife', platform: 'browser', target: 'es2022',
    write: false, logLevel: 'silent', minify, charset: 'utf8',
  })).outputFiles[0]!.text;
  return { js: await one('webview/src/main.ts', true), worker: await one('webview/src/layout-worker.ts', true), css: fs.readFileSync(path.join(ROOT, 'webview/media/graph.css'), 'utf8') };
}

/** Installs long-task and frame-gap recorders before the page runs. */
const RECORDER = `
  window.__pt = { tasks: [], frames: [] };
  try { new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__pt.tasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true }); } catch {}
  const tick = (t) => { window.__pt.frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
`;

async function measurePan(page: Page): Promise<Result['pan']> {
  const box = (await page.locator('svg.pt-svg').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.evaluate(() => { (window as unknown as { __pt: { frames: number[] } }).__pt.frames = []; });
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  const start = Date.now();
  let i = 0;
  while (Date.now() - start < 2000) {
    const a = (i++ / 30) * Math.PI;
    await page.mouse.move(cx + Math.sin(a) * 200, cy + Math.cos(a) * 120);
  }
  await page.mouse.up();
  const frames = await page.evaluate(() => (window as unknown as { __pt: { frames: number[] } }).__pt.frames);
  const gaps = frames.slice(1).map((t, k) => t - frames[k]!).sort((x, y) => x - y);
  const mean = gaps.reduce((s, g) => s + g, 0) / Math.max(1, gaps.length);
  return { frames: gaps.length, meanMs: round(mean), p95Ms: round(gaps[Math.floor(gaps.length * 0.95)] ?? 0), fps: round(1000 / mean) };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

async function main(): Promise<void> {
  const { js, worker, css } = await bundles();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-graph-bench-'));
  const results: Result[] = [];
  const run = async (n: number, unfold: boolean): Promise<Result> => {
    const model = generateModel(n);
    const file = path.join(dir, `graph-${n}.html`);
    fs.writeFileSync(file, standaloneHtml(model, js, css, `bench ${n}`, worker));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(RECORDER);
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => performance.getEntriesByName('pt-first-paint').length > 0, undefined, { timeout: 120_000 });
    let note: string | undefined;
    if (unfold) {
      // Unfold every file: the whole graph, laid out again.
      await page.waitForSelector('svg.pt-svg[data-layout-state="settled"]', { timeout: 300_000 });
      await page.evaluate(() => performance.clearMarks('pt-layout-elk'));
      const t = await page.evaluate(() => performance.now());
      await page.locator('.pt-fold-files').click();
      await page.waitForFunction(() => performance.getEntriesByName('pt-layout-elk').length > 0, undefined, { timeout: 600_000 });
      await page.waitForSelector('svg.pt-svg[data-layout-state="settled"]', { timeout: 60_000 });
      const end = await page.evaluate(() => performance.getEntriesByName('pt-layout-elk')[0]!.startTime);
      note = `unfolded from the folded view: elkjs relayout ${Math.round(end - t)} ms after the click`;
    } else {
      await page.waitForFunction(() => performance.getEntriesByName('pt-layout-elk').length > 0, undefined, { timeout: 600_000 });
      await page.waitForSelector('svg.pt-svg[data-layout-state="settled"]', { timeout: 60_000 });
    }
    const m = await page.evaluate(() => {
      const first = performance.getEntriesByName('pt-first-paint')[0]!.startTime;
      const elk = performance.getEntriesByName('pt-layout-elk')[0]?.startTime;
      const pt = (window as unknown as { __pt: { tasks: [number, number][]; frames: number[] } }).__pt;
      const tasks = pt.tasks.filter(([s]) => s >= first + 1 && s <= (elk ?? first)).map(([, d]) => d);
      const frames = pt.frames.filter((t) => t >= first && t <= (elk ?? first));
      const gaps = frames.slice(1).map((t, k) => t - frames[k]!);
      return {
        first, elk, longest: Math.max(0, ...tasks), gap: Math.max(0, ...gaps),
        drawn: document.querySelectorAll('.node').length,
        elkMs: Number(document.querySelector('svg.pt-svg')!.getAttribute('data-layout-ms')),
      };
    });
    // Wait a moment for the settle, then pan.
    await page.waitForTimeout(300);
    const pan = await measurePan(page);
    // elkjs alone on Node, for the same graph as the page laid out (what was drawn: folded or not).
    const request = await page.evaluate(() => ({
      nodes: [...document.querySelectorAll<SVGGElement>('.node')].map((g) => {
        const r = (g.querySelector('.node-body') as SVGGElement).getBBox();
        return { id: g.dataset.id!, width: Math.ceil(r.width), height: Math.ceil(r.height) };
      }),
      edges: [...document.querySelectorAll<SVGGElement>('.edge')].map((g) => g.dataset.id!),
    }));
    const edgeEnds = new Map<string, { from: string; to: string }>();
    for (const e of model.edges) edgeEnds.set(e.id, e);
    const t0 = performance.now();
    let elkNodeMs: number | undefined;
    if (!unfold || request.nodes.length <= 5000) {
      // Edge ends of drawn edges: the model's (view edges of folded nodes are approximated by the model's).
      const ids = new Set(request.nodes.map((x) => x.id));
      const edges = model.edges.filter((e) => ids.has(e.from) && ids.has(e.to)).map((e) => ({ id: e.id, from: e.from, to: e.to, labelWidth: 40 }));
      await new ELK().layout(toElkGraph({ nodes: request.nodes, edges }));
      elkNodeMs = Math.round(performance.now() - t0);
    }
    await page.close();
    if (errors.length > 0) throw new Error(errors.join('\n'));
    return {
      nodes: model.nodes.length, edges: model.edges.length, drawnNodes: m.drawn,
      firstPaintMs: Math.round(m.first), settledMs: m.elk === undefined ? undefined : Math.round(m.elk),
      elkWorkerMs: m.elkMs, elkNodeMs,
      longestTaskDuringLayoutMs: Math.round(m.longest), longestFrameGapDuringLayoutMs: Math.round(m.gap), pan,
      ...(note ? { note } : {}),
    };
  };
  for (const n of sizes) {
    const r = await run(n, false);
    results.push(r);
    console.log(JSON.stringify(r));
    if (n >= 2500) {
      const u = await run(n, true);
      results.push(u);
      console.log(JSON.stringify(u));
    }
  }
  await browser.close();
  console.log('\nnodes  drawn  first paint  settled (elk)  elk in worker  elk on node  longest task  longest frame gap  pan fps (p95 ms)');
  for (const r of results) {
    console.log(`${String(r.nodes).padStart(5)}  ${String(r.drawnNodes).padStart(5)}  ${String(r.firstPaintMs).padStart(8)} ms  ${String(r.settledMs ?? '-').padStart(10)} ms  ${String(r.elkWorkerMs ?? '-').padStart(10)} ms  ${String(r.elkNodeMs ?? '-').padStart(8)} ms  ${String(r.longestTaskDuringLayoutMs).padStart(9)} ms  ${String(r.longestFrameGapDuringLayoutMs).padStart(14)} ms  ${r.pan.fps} (${r.pan.p95Ms})${r.note ? `  ${r.note}` : ''}`);
  }
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
