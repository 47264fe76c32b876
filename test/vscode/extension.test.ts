// Runs the integration suite (test/vscode/suite) inside a real VS Code: code-server's extension
// host, driven by Debian's Chromium, with a scratch copy of the examples as the workspace. Then checks from
// the outside that the graph panel's webview really drew the nodes, and saves a screenshot.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { runExtensionTests, webviewFrame } from './harness/run-in-code-server';
import { ROOT } from '../helpers/paths';
import { makeWorkspace } from '../helpers/workspace';
import { SHARED_MODULE_PROGRAMS } from '../helpers/many-programs';

const ARTIFACTS = path.join(ROOT, 'test-results');

it('the extension works in a real VS Code (code-server)', { timeout: 600_000 }, async (t) => {
  // Built by `node scripts/build.mjs --tests` (npm test does it).
  const suite = path.join(ROOT, 'out', 'test', 'vscode-suite', 'index.js');
  assert.ok(fs.existsSync(suite), `${suite} is built`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  let drawn: { nodes: number; edges: number; labels: string[] } | undefined;
  let layout: { engine: string | null; worker: string | null; failure: string | null; ms: number; csp: string; violations: string | null; last: string | null } | undefined;
  // A scratch copy of the examples, plus the two-module program of the multi-file fixture (a
  // producer in main.ts, its consumer in worker.ts): the suite edits files and saves them back.
  // And a deadlock with a trace to step through, and two programs that share a module.
  const fixture = path.join(ROOT, 'test/fixtures/extraction/multi-file');
  const deadlock = path.join(ROOT, 'test/fixtures/rules/deadlock/bad-notify-before-wait.ts');
  const ws = makeWorkspace({
    examplesAt: '.',
    fixtures: false,
    // tsx, as a project that runs its TypeScript has it: Run and Watch runs the examples.
    tsx: true,
    extra: {
      ...Object.fromEntries(fs.readdirSync(fixture).map((f) => [`multi-file/${f}`, fs.readFileSync(path.join(fixture, f), 'utf8')])),
      'deadlock/bad-notify-before-wait.ts': fs.readFileSync(deadlock, 'utf8'),
      // A program that waits (a child sleeps while main joins it): no deadlock to prove, a wait report to ask for.
      'run/sleeper.ts': [
        "import { Process, isMainProcess } from '@process-topology/multiprocessing';",
        '',
        'export async function sleeper() {',
        '  await new Promise((resolve) => setTimeout(resolve, 120_000));',
        '}',
        '',
        'if (isMainProcess()) {',
        '  const p = new Process({ target: sleeper });',
        '  p.start();',
        '  await p.join();',
        '}',
        '',
      ].join('\n'),
      ...Object.fromEntries(Object.entries(SHARED_MODULE_PROGRAMS).map(([f, text]) => [`programs/${f}`, text])),
    },
  });
  t.after(() => ws.dispose());
  const result = await runExtensionTests({
    extensionPath: ROOT,
    testsPath: suite,
    workspaceFolder: ws.dir,
    artifactsDir: ARTIFACTS,
    timeoutMs: 300_000,
    onLog: (line) => process.stdout.write(`  [vscode] ${line}\n`),
    afterTests: async (page) => {
      const frame = await webviewFrame(page, 60_000);
      await frame.waitForSelector('svg .node', { timeout: 60_000 });
      drawn = await frame.evaluate(() => ({
        nodes: document.querySelectorAll('svg .node').length,
        edges: document.querySelectorAll('svg .edge').length,
        labels: [...document.querySelectorAll('svg .node')].map((n) => n.textContent ?? ''),
      }));
      // The layout settles: elkjs from the worker, or the layered layout when the worker failed.
      await frame.waitForSelector('svg.pt-svg[data-layout-state="settled"]:is([data-layout="elk"], [data-layout-failure])', { timeout: 60_000 });
      layout = await frame.evaluate(() => {
        const svg = document.querySelector('svg.pt-svg')!;
        return {
          engine: svg.getAttribute('data-layout'),
          worker: svg.getAttribute('data-layout-worker'),
          failure: svg.getAttribute('data-layout-failure'),
          ms: Number(svg.getAttribute('data-layout-ms')),
          csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
          violations: document.documentElement.getAttribute('data-csp-violations'),
          last: document.documentElement.getAttribute('data-csp-last-violation'),
        };
      });
      await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-graph.png') });
    },
  });
  assert.equal(result.exitCode, 0, `the suite inside VS Code failed:\n${result.logs.join('\n')}`);
  assert.ok(result.logs.some((l) => l.includes('diagnostic: 2 consumers wait for a null sentinel')), 'the diagnostic was seen');
  assert.ok(result.logs.some((l) => /^server restarted: pid \d+ -> \d+/.test(l)), 'the server was killed and came back');
  assert.ok(result.logs.some((l) => /^trace stepped: main: start waiter -> .* -> waits forever here -> /.test(l)), 'the deadlock trace was stepped through');
  for (const what of ['run and watch: Deadlocked', 'reproduce: plain run completed; Reproduced', 'fixed twin: Completed', 'wait report: waits in join()', 'explore: deadlock with seed']) {
    assert.ok(result.logs.some((l) => l.startsWith(what)), `Run and Watch: ${what}`);
  }
  assert.ok(result.logs.includes('graph panel of lib.ts: 6 nodes in 2 programs: programs/forgetful.ts, programs/good.ts'), 'the panel drew the programs of a shared module apart');
  assert.ok(drawn, 'the webview was inspected');
  // The broken example's topology: main, producer ×3, consumer ×2, queue q.
  assert.equal(drawn.nodes, 4);
  assert.ok(drawn.edges >= 5, `edges drawn: ${drawn.edges}`);
  assert.ok(drawn.labels.some((l) => l.includes('consumer')), drawn.labels.join(', '));
  // The positions come from elkjs in a Web Worker inside the VS Code webview, started from a blob:
  // URL as the panel's CSP allows (worker-src blob:, default-src 'none'), with no CSP violation.
  assert.ok(layout, 'the layout was inspected');
  t.diagnostic(`webview layout: ${layout.engine} from a ${layout.worker} worker in ${layout.ms} ms (failure: ${layout.failure}); CSP violations: ${layout.violations}`);
  assert.equal(layout.failure, null, `the layout worker failed: ${layout.failure}`);
  assert.equal(layout.engine, 'elk');
  assert.equal(layout.worker, 'blob:');
  assert.ok(layout.ms > 0, `elkjs time in the worker: ${layout.ms}`);
  assert.match(layout.csp, /^default-src 'none';/);
  assert.match(layout.csp, /worker-src blob:;/);
  assert.match(layout.csp, /script-src 'nonce-[A-Za-z0-9]+';/);
  assert.equal(layout.violations, '0', `CSP violations in the webview (last: ${layout.last})`);
});

it('the extension works in an untrusted workspace (Restricted Mode)', { timeout: 600_000 }, async (t) => {
  const suite = path.join(ROOT, 'out', 'test', 'vscode-suite', 'index.js');
  assert.ok(fs.existsSync(suite), `${suite} is built`);
  const ws = makeWorkspace({ examplesAt: '.', fixtures: false });
  t.after(() => ws.dispose());
  const result = await runExtensionTests({
    extensionPath: ROOT,
    testsPath: suite,
    workspaceFolder: ws.dir,
    artifactsDir: path.join(ARTIFACTS, 'untrusted'),
    timeoutMs: 300_000,
    // With workspace trust on, the test workbench refuses the trust prompt: the folder opens untrusted.
    userSettings: { 'security.workspace.trust.enabled': true },
    onLog: (line) => process.stdout.write(`  [vscode untrusted] ${line}\n`),
  });
  assert.equal(result.exitCode, 0, `the suite inside VS Code failed:\n${result.logs.join('\n')}`);
  assert.ok(result.logs.includes('restricted mode: the workspace is not trusted, the extension is active'), 'the Restricted Mode suite ran');
  assert.ok(result.logs.includes('restricted mode: diagnostics, quick fix, hover and model work'));
  assert.ok(result.logs.includes('restricted mode: running is disabled, with the reason'));
});
