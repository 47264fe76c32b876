// The graph page as the extension host serves it, for Chromium tests (playwright-core): the
// webview bundle and its layout worker built with esbuild, in a page with VS Code's CSP and nonce,
// resources from an origin of their own (as asWebviewUri serves them), and an `acquireVsCodeApi`
// stub that records what the page posts (window.__posted). The host's messages are played with
// `send` (window.postMessage, as VS Code delivers them). The graph and overlay tests share it.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ToWebview } from '../../common/protocol';
import { jsonForScript } from '../../drawing/standalone';
import { ROOT } from './paths';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WEBVIEW_ORIGIN = 'https://pt-webview.test';
const RESOURCE_ORIGIN = 'https://pt-resource.test';

export interface Bundles {
  webview: string;
  worker: string;
  css: string;
}

/** The page's bundles (the webview's minified unless `minify` is false: readable stacks). */
export async function buildBundles(minify = true): Promise<Bundles> {
  const bundleOf = async (entry: string, minify: boolean): Promise<string> => (await build({
    entryPoints: [path.join(ROOT, entry)], bundle: true, format: 'iife', platform: 'browser', target: 'es2022',
    write: false, logLevel: 'silent', minify, charset: 'utf8',
  })).outputFiles[0]!.text;
  const [webview, worker] = await Promise.all([bundleOf('webview/src/main.ts', minify), bundleOf('webview/src/layout-worker.ts', true)]);
  return { webview, worker, css: await readFile(path.join(ROOT, 'webview/media/graph.css'), 'utf8') };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; install it with apt-get install -y chromium (npm test does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface VsCodePage {
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  send(msg: ToWebview): Promise<void>;
  /** What the page posted to the host. */
  posted(): Promise<Record<string, unknown>[]>;
}

export interface VsCodePageOptions {
  viewport?: { width: number; height: number };
  /** What `getState()` returns first (a state saved before a reload). */
  initialState?: unknown;
  /** The layout worker's HTTP status (not 200: the worker cannot be fetched). */
  workerStatus?: number;
  /** Where to write the page's HTML, to look at later. */
  htmlFile?: string;
}

/** A new page that records its problems (console errors, page errors, CSP violations). */
export async function problemPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    // Surfaces as a console error, which the listener above records.
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
  });
  return { page, problems };
}

/**
 * A page like the one the extension host builds (graph-panel.ts): VS Code's CSP with a nonce, the
 * stylesheet and script, `acquireVsCodeApi` (once, as VS Code allows; what the page posts is in
 * window.__posted, what it saves in window.__state), and the layout worker's URL on #app, served
 * from a resource origin of its own as VS Code serves `asWebviewUri` resources.
 */
export async function openVsCodePage(browser: Browser, bundles: Bundles, opts: VsCodePageOptions = {}): Promise<VsCodePage> {
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
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${RESOURCE_ORIGIN} data: blob:; style-src ${RESOURCE_ORIGIN} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src ${RESOURCE_ORIGIN}; connect-src ${RESOURCE_ORIGIN}; worker-src blob:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Process Topology</title>
<link rel="stylesheet" href="${RESOURCE_ORIGIN}/dist/graph.css" nonce="${nonce}">
</head>
<body>
${opts.initialState === undefined ? '' : `<script type="application/json" id="initial-state">${jsonForScript(opts.initialState)}</script>`}
<div id="app" data-layout-worker="${RESOURCE_ORIGIN}/dist/layout-worker.js"></div>
<script nonce="${nonce}">${stub}</script>
<script nonce="${nonce}" src="${RESOURCE_ORIGIN}/dist/webview.js"></script>
</body>
</html>`;
  if (opts.htmlFile) await writeFile(opts.htmlFile, html);
  const { page, problems } = await problemPage(browser, opts.viewport);
  const workerStatus = opts.workerStatus ?? 200;
  const cors = { 'access-control-allow-origin': '*' };
  await page.route(`${WEBVIEW_ORIGIN}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
  await page.route(`${RESOURCE_ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/dist/webview.js') return route.fulfill({ status: 200, contentType: 'text/javascript', headers: cors, body: bundles.webview });
    if (url.pathname === '/dist/graph.css') return route.fulfill({ status: 200, contentType: 'text/css', headers: cors, body: bundles.css });
    if (url.pathname === '/dist/layout-worker.js') {
      return route.fulfill({ status: workerStatus, contentType: 'text/javascript', headers: cors, body: workerStatus === 200 ? bundles.worker : 'not found' });
    }
    return route.fulfill({ status: 404, headers: cors, body: '' });
  });
  await page.goto(`${WEBVIEW_ORIGIN}/index.html`);
  return {
    page, problems,
    send: (msg) => page.evaluate((m) => window.postMessage(m, '*'), msg as unknown as Record<string, unknown>),
    posted: () => page.evaluate(() => (window as unknown as { __posted: Record<string, unknown>[] }).__posted),
  };
}
