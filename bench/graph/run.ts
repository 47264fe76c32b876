// Benchmark of the graph webview (not a test: nothing asserts a speed). For generated models of
// 100, 1,000 and 5,000 nodes (bench/graph/generate.ts), in Debian's Chromium through
// playwright-core, on the standalone page with the elkjs layout worker:
//   - first paint: navigation start to the first frame with the drawing (layered layout, mark `pt-first-paint`);
//   - settled: navigation start to the elkjs layout applied (mark `pt-layout-elk`) and drawn;
//   - page responsiveness during the layout: the longest main-thread task and the longest gap
//     between animation frames while the worker computes;
//   - frame rate while panning: requestAnimationFrame intervals during a 2 s scripted mouse-drag pan,
//     repeated, each time right after the same drag on the ANCHOR: a blank page with only the rAF
//     loop, in the same browser. The anchor is what this machine and headless Chromium allow (frame
//     pacing, software compositing, load from other processes); a graph's pan is reported as a ratio
//     to it (median of the paired ratios), and the 10-node graph shows the page's own overhead;
//   - elkjs alone: the layout time inside the worker (same run), and elkjs on Node for the same graph.
// 5,000 nodes start folded by file (AUTO_FOLD_FILES); the run also measures the whole graph unfolded.
//   npx tsx bench/graph/run.ts [--sizes 10,100,1000,5000] [--reps 5] [--json out.json]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import ELK from 'elkjs/lib/elk.bundled.js';
import { chromium, type Page } from 'playwright-core';
import { toElkGraph } from '../../drawing/elk-layout';
import { standaloneHtml } from '../../drawing/standalone';
import { generateModel } from './generate';

const ROOT = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const sizes = (option('--sizes') ?? '10,100,1000,5000').split(',').map(Number);
const reps = Number(option('--reps') ?? 5);
const jsonOut = option('--json');
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(reps) || reps < 1) {
  throw new Error(`bad arguments: --sizes takes positive integers separated by commas, --reps a positive integer (${args.join(' ')})`);
}

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
  /** Median over the repetitions, of the graph's pan and of the anchor's pan just before it. */
  pan: PanStats;
  anchor: PanStats;
  /** Median of the paired ratios graph fps / anchor fps. */
  fpsRatio: number;
  runs: { graph: Pan; anchor: Pan }[];
  note?: string;
}

interface Pan { frames: number; moves: number; meanMs: number; p95Ms: number; fps: number; releaseMs: number }
interface PanStats { fps: number; p95Ms: number; releaseMs: number }

async function bundles(): Promise<{ js: string; worker: string; css: string }> {
  const one = async (entry: string, minify: boolean) => (await build({
    entryPoints: [path.join(ROOT, entry)], bundle: true, format: 'iife', platform: 'browser', target: 'es2022',
    write: false, logLevel: 'silent', minify, charset: 'utf8',
  })).outputFiles[0]!.text;
  return { js: await one('webview/src/main.ts', true), worker: await one('webview/src/layout-worker.ts', true), css: fs.readFileSync(path.join(ROOT, 'webview/media/graph.css'), 'utf8') };
}

/**
 * Installs long-task and frame recorders before the page runs. The rAF loop can be paused
 * (`__pt.run(false)`), so that the anchor page costs nothing while another page is measured.
 */
const RECORDER = `
  window.__pt = { tasks: [], frames: [], on: true };
  try { new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__pt.tasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true }); } catch {}
  const tick = (t) => { if (!window.__pt.on) return; window.__pt.frames.push(t); requestAnimationFrame(tick); };
  window.__pt.run = (on) => { const was = window.__pt.on; window.__pt.on = on; if (on && !was) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
`;

interface Recorder { frames: number[]; run(on: boolean): void }

/** The anchor: a page with nothing but the recorder (a full-window element to drag on). */
const ANCHOR_HTML = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0"><div id="drag" style="width:100vw;height:100vh"></div></body></html>';

/**
 * A 2 s drag in circles (200 × 120 px) over `selector`, as fast as the page takes the moves; then
 * the longest frame in the 800 ms after the button is released (`releaseMs`: what ending the pan costs).
 */
async function measurePan(page: Page, selector: string): Promise<Pan> {
  await page.bringToFront();
  const box = (await page.locator(selector).boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.evaluate(() => { const r = (window as unknown as { __pt: Recorder }).__pt; r.run(true); r.frames = []; });
  await page.mouse.down();
  const start = Date.now();
  let i = 0;
  while (Date.now() - start < 2000) {
    const a = (i++ / 30) * Math.PI;
    await page.mouse.move(cx + Math.sin(a) * 200, cy + Math.cos(a) * 120);
  }
  const release = await page.evaluate(() => performance.now());
  await page.mouse.up();
  await page.waitForTimeout(800);
  const all = await page.evaluate(() => { const r = (window as unknown as { __pt: Recorder }).__pt; r.run(false); return r.frames; });
  const frames = all.filter((t) => t <= release);
  const after = all.filter((t) => t >= frames[frames.length - 1]!);
  const gaps = frames.slice(1).map((t, k) => t - frames[k]!).sort((x, y) => x - y);
  const mean = gaps.reduce((s, g) => s + g, 0) / Math.max(1, gaps.length);
  const releaseMs = Math.max(0, ...after.slice(1).map((t, k) => t - after[k]!));
  return { frames: gaps.length, moves: i, meanMs: round(mean), p95Ms: round(gaps[Math.floor(gaps.length * 0.95)] ?? 0), fps: round(1000 / mean), releaseMs: round(releaseMs) };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

async function main(): Promise<void> {
  const { js, worker, css } = await bundles();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-graph-bench-'));
  const anchorFile = path.join(dir, 'anchor.html');
  fs.writeFileSync(anchorFile, ANCHOR_HTML);
  const anchor = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await anchor.addInitScript(RECORDER);
  await anchor.goto(pathToFileURL(anchorFile).href);
  await anchor.evaluate(() => (window as unknown as { __pt: Recorder }).__pt.run(false));
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
    // Wait a moment for the settle, then pan: the anchor, then the graph, `reps` times.
    await page.evaluate(() => (window as unknown as { __pt: Recorder }).__pt.run(false));
    await page.waitForTimeout(300);
    const runs: Result['runs'] = [];
    for (let r = 0; r < reps; r++) runs.push({ anchor: await measurePan(anchor, '#drag'), graph: await measurePan(page, 'svg.pt-svg') });
    const stats = (which: 'graph' | 'anchor'): PanStats => ({
      fps: round(median(runs.map((x) => x[which].fps))), p95Ms: round(median(runs.map((x) => x[which].p95Ms))),
      releaseMs: round(median(runs.map((x) => x[which].releaseMs))),
    });
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
      longestTaskDuringLayoutMs: Math.round(m.longest), longestFrameGapDuringLayoutMs: Math.round(m.gap),
      pan: stats('graph'), anchor: stats('anchor'), fpsRatio: round(median(runs.map((x) => x.graph.fps / x.anchor.fps)), 3), runs,
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
  console.log(`\npan: median of ${reps} drags of 2 s; anchor = the same drag on a blank page just before each, in the same browser`);
  console.log('nodes  drawn  first paint  settled (elk)  elk in worker  elk on node  longest task  longest frame gap  pan fps (p95 ms)  anchor fps (p95 ms)  pan/anchor  release (anchor)');
  for (const r of results) {
    console.log(`${String(r.nodes).padStart(5)}  ${String(r.drawnNodes).padStart(5)}  ${String(r.firstPaintMs).padStart(8)} ms  ${String(r.settledMs ?? '-').padStart(10)} ms  ${String(r.elkWorkerMs ?? '-').padStart(10)} ms  ${String(r.elkNodeMs ?? '-').padStart(8)} ms  ${String(r.longestTaskDuringLayoutMs).padStart(9)} ms  ${String(r.longestFrameGapDuringLayoutMs).padStart(14)} ms  ${`${r.pan.fps} (${r.pan.p95Ms})`.padStart(16)}  ${`${r.anchor.fps} (${r.anchor.p95Ms})`.padStart(19)}  ${r.fpsRatio.toFixed(3).padStart(10)}  ${`${r.pan.releaseMs} (${r.anchor.releaseMs}) ms`.padStart(16)}${r.note ? `  ${r.note}` : ''}`);
  }
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
