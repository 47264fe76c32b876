// The graph page as the extension host serves it, for Chromium tests (playwright-core): the
// webview bundle and its layout worker built with esbuild, in a page with VS Code's CSP and nonce,
// resources from an origin of their own (as asWebviewUri serves them), and an `acquireVsCodeApi`
// stub that records what the page posts (window.__posted). The host's messages are played with
// `send` (window.postMessage, as VS Code delivers them).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ToWebview } from '../../common/protocol';
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

export async function buildBundles(): Promise<Bundles> {
  const bundleOf = async (entry: string, minify: boolean): Promise<string> => (await build({
    entryPoints: [path.join(ROOT, entry)], bundle: true, format: 'iife', platform: 'browser', target: 'es2022',
    write: false, logLevel: 'silent', minify, charset: 'utf8',
  })).outputFiles[0]!.text;
  const [webview, worker] = await Promise.all([bundleOf('webview/src/main.ts', true), bundleOf('webview/src/layout-worker.ts', true)]);
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

export async function openVsCodePage(browser: Browser, bundles: Bundles, viewport = { width: 1280, height: 800 }): Promise<VsCodePage> {
  const nonce = 'vscodeTestNonce0123456789';
  const stub = `
    (() => {
      const posted = [];
      window.__posted = posted;
      let state;
      window.acquireVsCodeApi = () => Object.freeze({
        postMessage: (m) => posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => state,
        setState: (s) => { state = s; return s; },
      });
    })();`;
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${RESOURCE_ORIGIN} data: blob:; style-src ${RESOURCE_ORIGIN} 'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src ${RESOURCE_ORIGIN}; connect-src ${RESOURCE_ORIGIN}; worker-src blob:;">
<title>Process Topology</title>
<link rel="stylesheet" href="${RESOURCE_ORIGIN}/dist/graph.css" nonce="${nonce}">
</head>
<body>
<div id="app" data-layout-worker="${RESOURCE_ORIGIN}/dist/layout-worker.js"></div>
<script nonce="${nonce}">${stub}</script>
<script nonce="${nonce}" src="${RESOURCE_ORIGIN}/dist/webview.js"></script>
</body>
</html>`;
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
  });
  const cors = { 'access-control-allow-origin': '*' };
  await page.route(`${WEBVIEW_ORIGIN}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
  await page.route(`${RESOURCE_ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/dist/webview.js') return route.fulfill({ status: 200, contentType: 'text/javascript', headers: cors, body: bundles.webview });
    if (url.pathname === '/dist/graph.css') return route.fulfill({ status: 200, contentType: 'text/css', headers: cors, body: bundles.css });
    if (url.pathname === '/dist/layout-worker.js') return route.fulfill({ status: 200, contentType: 'text/javascript', headers: cors, body: bundles.worker });
    return route.fulfill({ status: 404, headers: cors, body: '' });
  });
  await page.goto(`${WEBVIEW_ORIGIN}/index.html`);
  return {
    page, problems,
    send: (msg) => page.evaluate((m) => window.postMessage(m, '*'), msg as unknown as Record<string, unknown>),
    posted: () => page.evaluate(() => (window as unknown as { __posted: Record<string, unknown>[] }).__posted),
  };
}
