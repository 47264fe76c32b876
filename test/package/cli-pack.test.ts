// The command line as npm users get it: `npm pack` the `process-topology` package (cli/), install
// the tarball offline into a fresh project outside the repository (with the shim's tarball, as a
// user's project has it), and run its commands there with plain `npx`: check (text and SARIF, with
// the project's tsconfig.json), graph (html, svg, dot), lsp (a client that takes pushed
// diagnostics) and run (a deadlocking program and its fixed twin, with the project's tsx installed
// from npm's cache; the recorded run replayed by graph --trace). Nothing of the repository is on the module path or in the installed files.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { ROOT } from '../helpers/paths';

const exec = promisify(execFile);
const CLI = path.join(ROOT, 'cli');
/** npm's environment without the caller's settings (`npm test` passes its own as npm_config_*), offline. */
const NPM_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k))),
  npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_offline: 'true',
};

interface Packed { filename: string; version: string; files: Array<{ path: string }> }

let tmp = '';
let app = '';
let packed: Packed;
let manifest: Record<string, unknown>;

const BROKEN = `import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function consumer(q: Queue<number | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}

if (isMainProcess()) {
  const q = new Queue<number | null>();
  const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));
  for (const c of consumers) c.start();
  for (let i = 0; i < 10; i++) await q.put(i);
  await q.put(null);
  for (const c of consumers) await c.join();
}
`;

async function pack(dir: string): Promise<Packed> {
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: dir, env: NPM_ENV, maxBuffer: 64 << 20, timeout: 300_000 });
  return (JSON.parse(stdout.slice(stdout.indexOf('['))) as Packed[])[0]!;
}

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-cli-pack-')));
  // `npm pack` runs the prepack build (the minified bundles), then lists what the tarball holds.
  packed = await pack(CLI);
  const shim = await pack(path.join(ROOT, 'shim'));
  app = path.join(tmp, 'app');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'pt-cli-user', version: '1.0.0', private: true, type: 'module' }, null, 2));
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'es2022', module: 'node16', strict: true, noEmit: true }, include: ['src'] }, null, 2));
  fs.writeFileSync(path.join(app, 'src', 'jobs.ts'), BROKEN);
  await exec('npm', ['install', '--no-package-lock', path.join(tmp, packed.filename), path.join(tmp, shim.filename)], { cwd: app, env: NPM_ENV, timeout: 300_000 });
  manifest = JSON.parse(fs.readFileSync(path.join(app, 'node_modules/process-topology/package.json'), 'utf8')) as Record<string, unknown>;
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** `npx process-topology …` in the fresh project; resolves with the exit code whatever it is. */
async function npx(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec('npx', ['process-topology', ...args], { cwd: app, env: NPM_ENV, maxBuffer: 64 << 20, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

it('the tarball holds the bundles, the TypeScript library, README and LICENSE; no dependencies; a bin named process-topology', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const wanted of ['package.json', 'README.md', 'LICENSE', 'dist/cli.js', 'dist/cli-main.js', 'dist/analysis-worker.js', 'dist/webview.js', 'dist/replay.js', 'dist/layout-worker.js', 'dist/graph.css', 'dist/lib.es2022.d.ts']) {
    assert.ok(files.includes(wanted), `${wanted} is packed`);
  }
  const unwanted = files.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/(cli|cli-main|analysis-worker|webview|replay|layout-worker)\.js|dist\/graph\.css|dist\/lib(\.[\w.]+)?\.d\.ts)$/.test(f));
  assert.deepEqual(unwanted, [], 'no sources, maps or tests');
  assert.equal(manifest.name, 'process-topology');
  assert.deepEqual(manifest.bin, { 'process-topology': 'dist/cli.js' });
  assert.equal(manifest.dependencies, undefined, 'everything is bundled');
  assert.equal(manifest.license, 'MIT');
  assert.equal((manifest.repository as { directory?: string }).directory, 'cli');
  const size = fs.statSync(path.join(tmp, packed.filename)).size;
  assert.ok(size < 8 * 1024 * 1024, `the tarball is ${(size / 1048576).toFixed(1)} MB`);
});

it('is installed, not borrowed: the bin runs the installed copy, which names nothing of the repository', async () => {
  const bin = fs.realpathSync(path.join(app, 'node_modules/.bin/process-topology'));
  assert.equal(bin, path.join(app, 'node_modules/process-topology/dist/cli.js'));
  for (const f of fs.readdirSync(path.join(app, 'node_modules/process-topology/dist')).filter((x) => x.endsWith('.js'))) {
    assert.ok(!fs.readFileSync(path.join(app, 'node_modules/process-topology/dist', f), 'utf8').includes(ROOT), `${f} does not name ${ROOT}`);
  }
  const r = await npx(['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), packed.version);
  assert.equal(packed.version, manifest.version);
});

it('npx process-topology check: the project\'s tsconfig.json, the finding at its line, exit 1; SARIF too', async () => {
  const r = await npx(['check']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const line = BROKEN.split('\n').findIndex((l) => l.includes('q.get()'));
  const col = BROKEN.split('\n')[line]!.indexOf('q.get()');
  assert.match(r.stdout, new RegExp(`^src/jobs\\.ts:${line + 1}:${col + 1}  error  2 consumers wait for a null sentinel on q, but only 1 can be put.*\\[missing-sentinel\\]$`, 'm'));
  assert.match(r.stdout, /^1 problem \(1 error, 0 warnings\)$/m);
  const sarif = await npx(['check', '--format', 'sarif']);
  assert.equal(sarif.code, 1);
  const log = JSON.parse(sarif.stdout) as { version: string; runs: { tool: { driver: { name: string; version: string } }; results: { ruleId: string }[] }[] };
  assert.equal(log.version, '2.1.0');
  assert.equal(log.runs[0]!.tool.driver.version, packed.version);
  assert.deepEqual(log.runs[0]!.results.map((x) => x.ruleId), ['missing-sentinel']);
  // The fix makes it pass.
  fs.writeFileSync(path.join(app, 'src', 'fixed.ts'), BROKEN.replace('await q.put(null);', 'for (const _ of consumers) await q.put(null);'));
  const fixed = await npx(['check', 'src/fixed.ts']);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.equal(fixed.stdout, 'No problems found.\n');
  fs.rmSync(path.join(app, 'src', 'fixed.ts'));
});

it('npx process-topology graph: a self-contained html page, an svg picture, dot', async () => {
  const html = await npx(['graph', '--format', 'html', '--out', 'out/graph.html']);
  assert.equal(html.code, 0, html.stderr);
  assert.equal(html.stderr, 'wrote out/graph.html\n');
  const page = fs.readFileSync(path.join(app, 'out/graph.html'), 'utf8');
  assert.match(page, /^<!DOCTYPE html>/i);
  assert.ok(page.includes('consumer'), 'the model is in the page');
  assert.ok(!/<script[^>]+src=/.test(page), 'no external scripts: the bundle is inlined');
  const svg = await npx(['graph', '--format', 'svg']);
  assert.equal(svg.code, 0, svg.stderr);
  assert.match(svg.stdout, /^<svg[\s>]/);
  assert.match(svg.stdout, /consumer ×2/);
  const dot = await npx(['graph', '--format', 'dot']);
  assert.match(dot.stdout, /^digraph /);
});

it('npx process-topology lsp --stdio: pushes the finding to a client that does not pull diagnostics', async () => {
  const child = spawn('npx', ['process-topology', 'lsp', '--stdio'], { cwd: app, env: NPM_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  try {
    const file = path.join(app, 'src', 'jobs.ts');
    const uri = pathToFileURL(file).href;
    const got = new Promise<{ uri: string; diagnostics: { code: string; range: { start: { line: number } } }[] }>((resolve) => {
      connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: { code: string; range: { start: { line: number } } }[] }) => {
        if (p.uri === uri && p.diagnostics.length > 0) resolve(p);
      });
    });
    connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
    connection.listen();
    const init = await connection.sendRequest<{ serverInfo?: { name: string } }>('initialize', {
      processId: process.pid, rootUri: pathToFileURL(app).href, workspaceFolders: [{ uri: pathToFileURL(app).href, name: 'app' }],
      capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true } } },
    });
    assert.equal(init.serverInfo?.name, 'process-topology');
    connection.sendNotification('initialized', {});
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(file, 'utf8') } });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no diagnostics within 60 s: ${stderr}`)), 60_000));
    const p = await Promise.race([got, timeout]);
    assert.deepEqual(p.diagnostics.map((d) => [d.code, d.range.start.line]), [['missing-sentinel', BROKEN.split('\n').findIndex((l) => l.includes('q.get()'))]]);
    await connection.sendRequest('shutdown');
    connection.sendNotification('exit');
    const code = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      child.once('exit', resolve);
    });
    assert.equal(code, 0, stderr);
  } finally {
    connection.dispose();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

/**
 * tsx as `npm install --save-dev tsx` leaves it in a project: its entry in package.json and the
 * lockfile entries of it and its dependencies, at the versions this repository locks (those npm
 * has cached). The lockfile is what lets the install run offline: npm resolves a name it has no
 * lockfile entry for from the registry's full metadata, which the cache does not hold; a locked
 * version it takes from the cached tarball.
 */
function addTsx(dir: string): string {
  const repoLock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }> };
  const packages: Record<string, unknown> = {};
  const add = (name: string): void => {
    const key = `node_modules/${name}`;
    const entry = repoLock.packages[key];
    if (!entry) throw new Error(`the repository's lockfile has no ${key}`);
    if (key in packages) return;
    packages[key] = entry;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) add(dep);
  };
  add('tsx');
  const version = repoLock.packages['node_modules/tsx']!.version;
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; version: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  pkg.devDependencies = { ...pkg.devDependencies, tsx: `^${version}` };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  const root = { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies };
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: { '': root, ...packages } }, null, 2));
  return version;
}

it('npx process-topology run: a TypeScript program with the project\'s tsx; a deadlock says who waits on what and exits 3, its fixed twin exits 0', async () => {
  const fixedSource = BROKEN.replace('await q.put(null);', 'for (const _ of consumers) await q.put(null);')
    .replace('for (const c of consumers) await c.join();', 'for (const c of consumers) await c.join();\n  console.log(`consumers exited: ${consumers.map((c) => c.exitcode).join(\',\')}`);');
  assert.notEqual(fixedSource, BROKEN);
  fs.writeFileSync(path.join(app, 'src', 'fixed.ts'), fixedSource);
  try {
    // Before tsx is there: the command cannot run a TypeScript program, says how to fix it, exits 2.
    const bare = await npx(['run', 'src/jobs.ts', '--timeout', '60']);
    assert.equal(bare.code, 2, bare.stdout + bare.stderr);
    assert.match(bare.stderr, /^process-topology: cannot run src\/jobs\.ts: .*npm install --save-dev tsx/m);
    assert.equal(bare.stderr.trim().split('\n').length, 1, `one line: ${bare.stderr}`);

    const tsxVersion = addTsx(app);
    await exec('npm', ['install', '--offline'], { cwd: app, env: NPM_ENV, timeout: 300_000 });
    const tsxDir = path.join(app, 'node_modules', 'tsx');
    assert.equal((JSON.parse(fs.readFileSync(path.join(tsxDir, 'package.json'), 'utf8')) as { version: string }).version, tsxVersion);
    assert.ok(!fs.lstatSync(tsxDir).isSymbolicLink(), 'tsx is installed, not linked');
    assert.ok(fs.existsSync(path.join(app, 'node_modules/process-topology/dist/cli.js')) && fs.existsSync(path.join(app, 'node_modules/@process-topology/multiprocessing/dist/index.js')), 'the tarballs stay installed');

    // The deadlock: one consumer takes the only sentinel, the other waits in get() for ever, main in join().
    // --timeout bounds the run; a run it stops ends with 1, not 3. --trace records it.
    const hung = await npx(['run', 'src/jobs.ts', '--trace', 'out/run.jsonl', '--timeout', '60']);
    assert.equal(hung.code, 3, hung.stdout + hung.stderr);
    assert.match(hung.stderr, new RegExp(`^process-topology run: src/jobs\\.ts with tsx \\(${tsxDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`, 'm'), 'the project\'s tsx runs it');
    // The report (the shim's, as the README shows it): main waits in join() on the consumer that
    // waits in get() on q, each at its line; the other consumer took the sentinel and exited.
    const lineOf = (code: string) => BROKEN.split('\n').findIndex((l) => l.includes(code)) + 1;
    const main = new RegExp(`^MainProcess \\(pid \\d+\\): blocked\\n\\s+waits in join\\(\\) on (Process-\\d+) .*called at src/jobs\\.ts:${lineOf('c.join()')}:\\d+`, 'm').exec(hung.stderr);
    assert.ok(main, `main waits in join(): ${hung.stderr}`);
    assert.match(hung.stderr, new RegExp(`^${main[1]} \\(pid \\d+, target consumer[^)]*\\): blocked\\n\\s+waits in get\\(\\) on Queue 'q' .*called at src/jobs\\.ts:${lineOf('q.get()')}:\\d+`, 'm'), `${main[1]} waits in get() on q`);
    assert.match(hung.stderr, /^Process-\d+ \(pid \d+, target consumer[^)]*\): exited with code 0$/m, 'the consumer that took the sentinel exited');
    assert.match(hung.stderr, /^process-topology run: deadlocked \(exit 3\)$/m);

    // The recorded run replayed on the program's graph: a page with the trace and the replay script inlined.
    const trace = fs.readFileSync(path.join(app, 'out/run.jsonl'), 'utf8');
    assert.ok(trace.split('\n').filter(Boolean).length > 2, 'the trace has a header and steps');
    const replay = await npx(['graph', '--trace', 'out/run.jsonl', '--format', 'html', '--out', 'out/run.html']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal(replay.stderr, 'wrote out/run.html\n');
    const page = fs.readFileSync(path.join(app, 'out/run.html'), 'utf8');
    assert.match(page, /^<!DOCTYPE html>/i);
    assert.ok(page.includes('id="pt-replay-data"'), 'the trace is in the page');
    assert.ok(!/<script[^>]+src=/.test(page), 'no external scripts: the replay bundle is inlined');
    const replayJs = fs.readFileSync(path.join(app, 'node_modules/process-topology/dist/replay.js'), 'utf8');
    assert.ok(page.includes(replayJs.replace(/<\/(script)/gi, '<\\/$1')), 'the installed replay bundle is inlined');

    // The same run as JSON: the report's blocked processes and what each waits on.
    const json = await npx(['run', 'src/jobs.ts', '--format', 'json', '--timeout', '60']);
    assert.equal(json.code, 3, json.stderr);
    type Report = { kind: string; processes: { name: string; target: string | null; state: string; waits: { op: string; object: string | null; on: string }[] }[]; objects: { id: string; label: string }[] };
    const outcome = JSON.parse(json.stdout) as { outcome: string; report: Report | null };
    assert.equal(outcome.outcome, 'deadlock');
    const report = outcome.report!;
    assert.equal(report.kind, 'deadlock');
    const blocked = report.processes.filter((p) => p.state === 'blocked');
    assert.deepEqual(blocked.map((p) => `${p.target ?? p.name}: ${p.waits.map((w) => w.op).join(',')}`).sort(), ['MainProcess: join', 'consumer: get']);
    const consumer = blocked.find((p) => p.target === 'consumer')!;
    assert.equal(report.objects.find((o) => o.id === consumer.waits[0]!.object)?.label, 'q', 'the consumer waits on q');
    assert.ok(blocked.find((p) => p.name === 'MainProcess')!.waits[0]!.on.startsWith(`${consumer.name} `), 'main waits on that consumer');

    // The fixed twin: one sentinel per consumer; it completes, with the program's own output through.
    const fixed = await npx(['run', 'src/fixed.ts', '--timeout', '60']);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout, /^consumers exited: 0,0$/m);
    assert.match(fixed.stderr, /^process-topology run: completed \(exit 0\) in [\d.]+ s$/m);
    assert.ok(!/Deadlock/.test(fixed.stderr), fixed.stderr);
  } finally {
    fs.rmSync(path.join(app, 'src', 'fixed.ts'), { force: true });
  }
});

it('the README\'s CI example pins the version this package has', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const ci = readme.slice(readme.indexOf('## The command line, for CI'), readme.indexOf('## Other editors'));
  const pins = [...ci.matchAll(/npx --yes process-topology@(\S+) check/g)].map((m) => m[1]);
  assert.ok(pins.length >= 2, 'the workflow and the pull-request step');
  assert.deepEqual(new Set(pins), new Set([packed.version]));
  assert.ok(ci.includes('--baseline') && ci.includes('--changed-since'), 'baseline and changed-since are in the CI section');
});
