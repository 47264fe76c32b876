// Runs an extension's test suite inside a real VS Code: the web workbench and Node extension host of
// code-server 4.100.3 (VS Code 1.100), driven by Debian's Chromium through playwright-core. Works with
// no download besides the npm registry and Debian's packages (shared/notes/vscode-e2e-offline.md);
// scripts/setup-code-server.mjs installs what it needs into ~/.cache on first use.
//
//   const { exitCode, logs } = await runExtensionTests({
//     extensionPath: repoRoot,                      // folder with the extension's package.json
//     testsPath: path.join(repoRoot, 'out/test/suite/index.js'), // module exporting run(): Promise<void>
//     workspaceFolder: fixtureDir,
//     artifactsDir: path.join(repoRoot, 'test-results/vscode'),
//     timeoutMs: 120_000,
//     afterTests: async (page) => { const frame = await webviewFrame(page, 10_000); ... },
//   });
//
// exitCode: the code the workbench reported (0 = run() resolved), 124 when the tests did not finish in
// timeoutMs, 1 when afterTests failed. Setup problems (install, server start, browser launch) reject.
// logs: console output of the tests (arriving through codeAutomationLog) plus "[harness] …" lines.
// artifactsDir gets code-server.log, browser-console.log, vscode-logs/ and, on failure, failure.png.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

export interface RunExtensionTestsOptions {
  /** Absolute path of the extension folder (the one with package.json). */
  extensionPath: string;
  /** Absolute path of the tests module: it must export `run(): Promise<void>`. */
  testsPath: string;
  /** Folder opened in the workbench. */
  workspaceFolder: string;
  /** Where logs and, on failure, failure.png go (created if missing). */
  artifactsDir: string;
  /** Time allowed from opening the workbench until the tests report their exit code. */
  timeoutMs: number;
  /** Receives each log line as it arrives. */
  onLog?: (line: string) => void;
  /** Called after the tests passed, while the workbench is still open (bounded by timeoutMs too). */
  afterTests?: (page: Page) => Promise<void>;
  /**
   * User settings over the defaults (workspace trust off). `{"security.workspace.trust.enabled": true}`
   * opens the workspace untrusted, in Restricted Mode: in test mode the trust prompt is refused.
   */
  userSettings?: Record<string, unknown>;
}

export interface RunExtensionTestsResult {
  exitCode: number;
  logs: string[];
}

export const TIMEOUT_EXIT_CODE = 124;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SERVER_START_TIMEOUT_MS = 60_000;

interface SetupModule {
  ensureCodeServer(options?: { log?: (line: string) => void }): Promise<{ entry: string; chromium: string }>;
}

export async function runExtensionTests(opts: RunExtensionTestsOptions): Promise<RunExtensionTestsResult> {
  const logs: string[] = [];
  const emit = (line: string): void => {
    logs.push(line);
    opts.onLog?.(line);
  };
  const harness = (msg: string): void => emit(`[harness] ${msg}`);

  const artifactsDir = path.resolve(opts.artifactsDir);
  fs.mkdirSync(artifactsDir, { recursive: true });
  const screenshotPath = path.join(artifactsDir, 'failure.png');
  for (const stale of [screenshotPath, path.join(artifactsDir, 'vscode-logs')]) fs.rmSync(stale, { recursive: true, force: true });

  const { ensureCodeServer } = await loadSetupModule();
  const setupLines: string[] = [];
  const { entry, chromium: chromiumPath } = await ensureCodeServer({ log: (l) => setupLines.push(l) });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-e2e-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.enabled': false, ...opts.userSettings }, null, 2) + '\n',
  );

  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const consoleLog = fs.createWriteStream(path.join(artifactsDir, 'browser-console.log'));
  const removeSignalHandlers = installSignalHandlers(() => server?.killNow());
  try {
    server = await startServer({
      entry,
      tmp,
      userDataDir,
      extensionsDir,
      workspaceFolder: path.resolve(opts.workspaceFolder),
      logFile: path.join(artifactsDir, 'code-server.log'),
    });

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.stack ?? e.message}\n`));

    let reportExit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (reportExit = resolve));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => {
      const text = (Array.isArray(args) ? args : [args]).map(formatArg).join(' ');
      for (const line of text.split(/\r?\n/)) emit(line);
    });
    await page.exposeFunction('codeAutomationExit', (code: number, files?: Array<{ relativePath: string; contents: string }>) => {
      saveVSCodeLogs(path.join(artifactsDir, 'vscode-logs'), files);
      reportExit(typeof code === 'number' ? code : 1);
    });

    const base = `http://127.0.0.1:${server.port}`;
    const remote = `vscode-remote://127.0.0.1:${server.port}`;
    const payload = [
      ['extensionDevelopmentPath', remote + path.resolve(opts.extensionPath)],
      ['extensionTestsPath', remote + path.resolve(opts.testsPath)],
      ['skipWelcome', 'true'],
    ];
    const url =
      `${base}/?folder=${encodeURIComponent(path.resolve(opts.workspaceFolder))}` +
      `&payload=${encodeURIComponent(JSON.stringify(payload))}`;

    const started = Date.now();
    const outcome = await raceTimeout(
      Promise.race([
        page.goto(url, { waitUntil: 'domcontentloaded', timeout: opts.timeoutMs }).then(() => exited),
        exited,
        server.exited.then((code) => {
          throw new Error(`code-server exited (${code}) before the tests finished; see ${path.join(artifactsDir, 'code-server.log')}`);
        }),
      ]),
      opts.timeoutMs,
    );

    let exitCode: number;
    if (outcome.timedOut) {
      harness(`tests did not finish within ${opts.timeoutMs} ms`);
      exitCode = TIMEOUT_EXIT_CODE;
    } else {
      exitCode = outcome.value;
      harness(`tests exited with code ${exitCode} after ${Date.now() - started} ms`);
      if (exitCode === 0 && opts.afterTests) {
        try {
          const after = await raceTimeout(opts.afterTests(page), opts.timeoutMs);
          if (after.timedOut) throw new Error(`afterTests did not finish within ${opts.timeoutMs} ms`);
        } catch (e) {
          harness(`afterTests failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          exitCode = 1;
        }
      } else if (opts.afterTests) {
        harness('afterTests skipped: the tests failed');
      }
    }
    if (exitCode !== 0) await screenshot(page, screenshotPath, harness);
    return { exitCode, logs };
  } catch (e) {
    if (page) await screenshot(page, screenshotPath, harness);
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += setupLines.length ? `\n${setupLines.join('\n')}` : '';
    err.message += logs.length ? `\nlogs so far:\n${logs.join('\n')}` : '';
    throw err;
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    removeSignalHandlers();
    await new Promise<void>((resolve) => consoleLog.end(resolve));
    fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  }
}

/**
 * The inner frame (the extension's HTML) of the first visible webview: VS Code puts each webview in
 * `iframe.webview.ready`, which holds the content in `#active-frame`.
 */
export async function webviewFrame(page: Page, timeoutMs: number): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const outer = page.locator('iframe.webview.ready').filter({ visible: true }).first();
  await outer.waitFor({ state: 'visible', timeout: left() });
  for (;;) {
    const outerFrame = await (await outer.elementHandle({ timeout: left() }))?.contentFrame();
    if (outerFrame) {
      const inner = outerFrame.locator('#active-frame');
      try {
        await inner.waitFor({ state: 'attached', timeout: Math.min(left(), 1000) });
        const innerFrame = await (await inner.elementHandle({ timeout: left() }))?.contentFrame();
        if (innerFrame) {
          await innerFrame.waitForLoadState('domcontentloaded', { timeout: left() });
          return innerFrame;
        }
      } catch (e) {
        // the webview swaps its pending frame for the active one: look again until the deadline
        if (Date.now() >= deadline) throw e;
      }
    }
    if (Date.now() >= deadline) throw new Error(`no visible webview content frame within ${timeoutMs} ms`);
    await page.waitForTimeout(100);
  }
}

// ---------------------------------------------------------------------------------------------

async function loadSetupModule(): Promise<SetupModule> {
  // __filename, not __dirname: when an ES module imports this file, tsx wraps it in a data: URL module
  // in which __dirname is "data:text" but __filename is still this file's path.
  const here = typeof __filename === 'string' && path.isAbsolute(__filename) ? path.dirname(__filename) : process.cwd();
  const file = findUp(here, path.join('scripts', 'setup-code-server.mjs'));
  // A computed specifier keeps tsc from resolving the .mjs file (it has no type declarations).
  const specifier: string = pathToFileURL(file).href;
  return (await import(specifier)) as SetupModule;
}

function findUp(start: string, rel: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`cannot find ${rel} above ${start}`);
  }
}

interface Server {
  port: number;
  exited: Promise<number | string>;
  stop(): Promise<void>;
  killNow(): void;
}

async function startServer(o: {
  entry: string;
  tmp: string;
  userDataDir: string;
  extensionsDir: string;
  workspaceFolder: string;
  logFile: string;
}): Promise<Server> {
  const log = fs.createWriteStream(o.logFile);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // VSCODE_IPC_HOOK_CLI etc. (running inside a VS Code terminal) make code-server hand the folder
    // to that VS Code instead of serving; NODE_TEST_CONTEXT comes from `node --test`.
    if (!/^VSCODE_|^NODE_TEST_CONTEXT$/.test(k)) env[k] = v;
  }
  // code-server writes its default config.yaml and logs there: keep them out of $HOME
  env.XDG_CONFIG_HOME = path.join(o.tmp, 'config');
  env.XDG_DATA_HOME = path.join(o.tmp, 'data');
  // no extension gallery (code-server's default is open-vsx.org, unreachable here): no lookups, no noise
  env.EXTENSIONS_GALLERY ??= '{}';

  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    log.write(`--- attempt ${attempt}, port ${port}\n`);
    const child = spawn(
      process.execPath,
      [
        o.entry,
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--user-data-dir', o.userDataDir,
        '--extensions-dir', o.extensionsDir,
        o.workspaceFolder,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const collect = (d: Buffer): void => {
      log.write(d);
      if (output.length < 20_000) output += d.toString();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ?? code ?? -1));
      child.once('error', (e) => resolve(e.message));
    });
    const server = makeServer(child, port, exited, log);
    const ready = await waitUntilServing(port, exited, SERVER_START_TIMEOUT_MS);
    if (ready === true) return server;
    await server.stop();
    lastError = `${ready}; output: ${output.trim().split('\n').slice(-5).join(' | ')}`;
    if (!/EADDRINUSE/.test(output)) break; // only a lost port race is worth another try
  }
  log.end();
  throw new Error(`code-server did not start: ${lastError} (log: ${o.logFile})`);
}

function makeServer(child: ChildProcess, port: number, exited: Promise<number | string>, log: fs.WriteStream): Server {
  let stopped = false;
  const pid = child.pid;
  const onExit = (): void => killNowSync();
  process.once('exit', onExit);
  function killNowSync(): void {
    if (pid === undefined) return;
    for (const p of [pid, ...descendants(pid)]) signal(p, 'SIGKILL');
  }
  return {
    port,
    exited,
    killNow: killNowSync,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      if (pid !== undefined) {
        // collect the tree first: once code-server is gone its children are re-parented to init
        const tree = [pid, ...descendants(pid)];
        for (const p of tree) signal(p, 'SIGTERM');
        const deadline = Date.now() + 5000;
        while (tree.some(isAlive) && Date.now() < deadline) await delay(50);
        for (const p of [...tree, ...tree.flatMap(descendants)]) if (isAlive(p)) signal(p, 'SIGKILL');
        await Promise.race([exited, delay(2000)]);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

async function waitUntilServing(port: number, exited: Promise<number | string>, timeoutMs: number): Promise<true | string> {
  let gone: number | string | undefined;
  void exited.then((c) => (gone = c));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone !== undefined) return `exited (${gone})`;
    if ((await httpStatus(`http://127.0.0.1:${port}/healthz`, 2000)) === 200) return true;
    await delay(100);
  }
  return `not serving on port ${port} after ${timeoutMs} ms`;
}

/** Status code of a GET, or 0 when it fails; no keep-alive (fetch's pooled sockets keep Node alive for seconds). */
function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** All descendants of pid (Linux /proc). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // process ended meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** While a run is going on, SIGINT/SIGTERM/SIGHUP first kill code-server, then do what they would have done. */
function installSignalHandlers(kill: () => void): () => void {
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handler = (sig: NodeJS.Signals): void => {
    kill();
    remove();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const remove = (): void => {
    for (const s of sigs) process.removeListener(s, handler);
  };
  for (const s of sigs) process.once(s, handler);
  return remove;
}

async function raceTimeout<T>(p: Promise<T>, ms: number): Promise<{ timedOut: true } | { timedOut: false; value: T }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ timedOut: false as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function formatArg(a: unknown): string {
  if (typeof a === 'string') return a;
  try {
    return JSON.stringify(a);
  } catch {
    return String(a);
  }
}

function saveVSCodeLogs(dir: string, files?: Array<{ relativePath: string; contents: string }>): void {
  if (!Array.isArray(files)) return;
  for (const f of files) {
    try {
      const rel = path.normalize(String(f.relativePath)).replace(/^(\.\.(\/|\\|$))+/, '');
      const target = path.join(dir, rel);
      if (!target.startsWith(dir + path.sep)) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, String(f.contents));
    } catch {
      // logs are a convenience
    }
  }
}

async function screenshot(page: Page, file: string, harness: (msg: string) => void): Promise<void> {
  try {
    await page.screenshot({ path: file, timeout: 10_000 });
    harness(`screenshot saved to ${file}`);
  } catch (e) {
    harness(`could not save a screenshot: ${e instanceof Error ? e.message : String(e)}`);
  }
}
