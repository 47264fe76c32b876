// The self-contained page of `process-topology graph --format html`: the same drawing as the
// webview, with the bundle, the stylesheet and the model inlined. Runs in Node (the CLI) as well as
// in a browser, so no DOM here.
import type { TopologyModel } from '../common/model';

/** The id of the <script type="application/json"> element holding the standalone page's model. */
export const MODEL_ELEMENT_ID = 'topology-model';
/** The id of the <script type="text/plain"> element holding the standalone page's layout worker. */
export const WORKER_ELEMENT_ID = 'topology-layout-worker';

/**
 * A complete HTML page drawing `model`. `bundleJs` is dist/webview.js (the IIFE bundle of main.ts),
 * `css` is webview/media/graph.css, `workerJs` (optional) is dist/layout-worker.js, the elkjs layout:
 * it is embedded as inert text and started as a blob: worker. The inline script and style carry a
 * fresh random nonce that the page's Content-Security-Policy allows, and nothing else runs; images
 * are only data: and blob: URLs (the PNG export draws the SVG through one).
 */
export function standaloneHtml(model: TopologyModel, bundleJs: string, css: string, title: string, workerJs?: string): string {
  const nonce = randomNonce();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data: blob:',
    'worker-src blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
${css.replace(/<\/(style)/gi, '<\\/$1')}
</style>
</head>
<body>
<script type="application/json" id="${MODEL_ELEMENT_ID}">${jsonForScript(model)}</script>
${workerJs ? `<script type="text/plain" id="${WORKER_ELEMENT_ID}">${workerJs.replace(/<\/(script)/gi, '<\\/$1')}</script>\n` : ''}<script nonce="${nonce}">
${bundleJs.replace(/<\/(script)/gi, '<\\/$1')}
</script>
</body>
</html>
`;
}

/**
 * JSON that is safe inside a <script> element: `<`, `>` and `&` only occur inside JSON strings,
 * where their \u escapes mean the same, so `</script>` or `<!--` in a label cannot end the element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text as HTML (element content or a quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Web Crypto, which Node (19+) and browsers both put on globalThis; this folder's libraries name neither. */
interface WebCrypto { getRandomValues(bytes: Uint8Array): Uint8Array }

/** A fresh nonce for a page's Content-Security-Policy (128 random bits, hex). */
export function randomNonce(): string {
  const bytes = new Uint8Array(16);
  (globalThis as unknown as { crypto: WebCrypto }).crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
