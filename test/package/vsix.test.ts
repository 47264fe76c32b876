// The marketplace package: builds the production .vsix the way `npm run package` does, in a scratch
// copy of the clone (the clone's dist/ is other tests' build), then opens the real .vsix and checks
// what it holds, that vsce had nothing to warn about, and that the shipped server analyzes the
// shipped walkthrough example with no node_modules and no workspace folder.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import yauzl from 'yauzl';
import { ROOT } from '../helpers/paths';

const run = promisify(execFile);
const MAX_VSIX_BYTES = 5 * 1024 * 1024;

/** What may ship, as paths inside the .vsix: the bundles, media, rule docs, README, CHANGELOG, LICENSE. */
const ALLOWED = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/package\.json$/,
  /^extension\/(readme|changelog)\.md$/,
  /^extension\/LICENSE\.txt$/,
  /^extension\/dist\/(extension|server|analysis-worker|runner|webview|layout-worker)\.js$/,
  /^extension\/dist\/graph\.css$/,
  // The bundled TypeScript compiler's standard library, read beside the bundles.
  /^extension\/dist\/lib(\.[\w.]+)?\.d\.ts$/,
  /^extension\/docs\/rules\/[a-z-]+\.md$/,
  /^extension\/media\/icon\.png$/,
  /^extension\/media\/walkthrough\/[\w-]+\.(ts|md|png)$/,
  // It makes the walkthrough's example an ES module, so that it runs (Run and Watch) where it ships.
  /^extension\/media\/walkthrough\/package\.json$/,
];

let tmp = '';
let vsix = '';
let vsceOutput = '';
let entries = new Map<string, Buffer>();

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-vsix-')));
  const stage = path.join(tmp, 'clone');
  // Every file git knows or would add (sources, tests, docs...): the allow-list must keep them out.
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, maxBuffer: 64 << 20 });
  for (const rel of stdout.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, rel);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(stage, rel));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  // `npm run package` itself; an empty user config keeps this machine's npm settings out of the output.
  const userconfig = path.join(tmp, 'npmrc');
  fs.writeFileSync(userconfig, '');
  const r = await run('npm', ['run', 'package'], {
    cwd: stage, maxBuffer: 64 << 20, timeout: 120_000,
    // npm passes its settings to scripts as npm_config_* variables: drop the caller's (`npm test`'s).
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k))),
      npm_config_userconfig: userconfig, npm_config_update_notifier: 'false',
    },
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => assert.fail(`npm run package failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`));
  vsceOutput = `${r.stdout}\n${r.stderr}`;
  vsix = path.join(stage, 'dist', 'process-topology.vsix');
  entries = await readZip(vsix);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

function text(name: string): string {
  const b = entries.get(name);
  assert.ok(b, `${name} is in the .vsix`);
  return b.toString('utf8');
}

it('vsce packages without a warning', () => {
  const warnings = vsceOutput.split('\n').filter((l) => /warn/i.test(l));
  assert.deepEqual(warnings, [], vsceOutput);
  assert.match(vsceOutput, /DONE\s+Packaged: .*process-topology\.vsix/);
});

it('the .vsix holds only what runs, and is at most 5 MB', () => {
  const size = fs.statSync(vsix).size;
  console.log(`vsix: ${(size / 1024 / 1024).toFixed(2)} MB, ${entries.size} entries`);
  assert.ok(size <= MAX_VSIX_BYTES, `${size} bytes > ${MAX_VSIX_BYTES}`);
  const unexpected = [...entries.keys()].filter((n) => !ALLOWED.some((re) => re.test(n)));
  assert.deepEqual(unexpected, [], 'no sources, tests, source maps or node_modules');
  // Everything it needs is there: the bundles, every rule's page, the walkthrough's files.
  for (const bundle of ['extension', 'server', 'analysis-worker', 'runner', 'webview', 'layout-worker']) text(`extension/dist/${bundle}.js`);
  for (const lib of ['lib.d.ts', 'lib.es5.d.ts', 'lib.es2022.d.ts', 'lib.dom.d.ts']) text(`extension/dist/${lib}`);
  const rules = fs.readdirSync(path.join(ROOT, 'docs/rules')).filter((f) => f.endsWith('.md'));
  for (const rule of rules) text(`extension/docs/rules/${rule}`);
  for (const f of ['readme.md', 'changelog.md', 'LICENSE.txt']) assert.ok(text(`extension/${f}`).length > 100, `${f} has content`);
});

it('the bundles need no node_modules: they require only Node built-ins and vscode', async () => {
  const { builtinModules } = await import('node:module');
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  for (const bundle of ['extension', 'server', 'analysis-worker', 'runner']) {
    const code = text(`extension/dist/${bundle}.js`);
    const required = new Set([...code.matchAll(/\brequire\("([^"]*)"\)/g)].map((m) => m[1]!));
    // TypeScript (bundled in the analysis) probes for these inside try/catch; nothing else may be missing.
    const optional = new Set(['', 'source-map-support']);
    const outside = [...required].filter((m) => !builtins.has(m) && !optional.has(m) && !(bundle === 'extension' && m === 'vscode'));
    assert.deepEqual(outside, [], `${bundle}.js requires packages the .vsix does not carry`);
  }
});

it('the manifest is complete for the marketplace and everything it points at ships', () => {
  const pkg = JSON.parse(text('extension/package.json')) as {
    name: string; displayName: string; description: string; publisher: string; icon: string; license: string; main: string;
    galleryBanner: { color: string; theme: string }; categories: string[]; keywords: string[]; repository: { url: string };
    engines: { vscode: string }; capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; description: string; restrictedConfigurations: string[] }; virtualWorkspaces: { supported: boolean; description: string } };
    contributes: { walkthroughs: Array<{ steps: Array<{ media: { image?: string; markdown?: string }; completionEvents?: string[] }> }> };
  };
  for (const field of ['name', 'displayName', 'description', 'publisher', 'license', 'icon', 'main'] as const) assert.ok(pkg[field], field);
  assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/i);
  assert.deepEqual([...pkg.categories].sort(), ['Linters', 'Programming Languages', 'Visualization']);
  assert.ok(pkg.keywords.length >= 3 && pkg.keywords.length <= 30, 'keywords (the marketplace takes at most 30)');
  assert.match(pkg.repository.url, /^https:\/\/github\.com\//);
  assert.match(pkg.engines.vscode, /^\^1\.\d+\.\d+$/);
  // Restricted Mode: the analysis works, running the program (Run and Watch) does not; the runner's settings are not read from an untrusted workspace.
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.match(pkg.capabilities.untrustedWorkspaces.description, /Run and Watch/);
  assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('processTopology.run.node'));
  assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
  text(`extension/${pkg.main.replace(/^\.\//, '')}`);
  // The icon: a PNG of at least 128x128 (width and height sit in the IHDR chunk).
  const icon = entries.get(`extension/${pkg.icon}`);
  assert.ok(icon, 'the icon ships');
  assert.equal(icon.subarray(1, 4).toString('ascii'), 'PNG');
  assert.ok(icon.readUInt32BE(16) >= 128 && icon.readUInt32BE(20) >= 128, `icon ${icon.readUInt32BE(16)}x${icon.readUInt32BE(20)}`);
  const [walkthrough] = pkg.contributes.walkthroughs;
  assert.ok(walkthrough);
  for (const step of walkthrough.steps) {
    for (const media of [step.media.image, step.media.markdown]) if (media) text(`extension/${media}`);
    assert.ok(step.completionEvents?.length, 'each step says when it is done');
  }
  assert.ok([...entries.keys()].some((n) => /^extension\/media\/walkthrough\/[\w-]+\.ts$/.test(n)), 'the walkthrough example ships');
});

it('the packaged README links its images and pages by absolute URL', () => {
  const readme = text('extension/readme.md');
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((m) => m[1]!);
  assert.ok(images.length >= 2, 'the screenshots');
  for (const src of images) assert.match(src, /^https:\/\/github\.com\/process-topology\/process-topology\/raw\/HEAD\/media\/screenshots\/[\w-]+\.png$/);
  const links = [...readme.matchAll(/[^!]\[[^\]]*\]\(([^)\s]+)/g)].map((m) => m[1]!);
  const relative = links.filter((l) => !/^(https?:|mailto:|#)/.test(l));
  assert.deepEqual(relative, [], 'no relative links left (they break on the marketplace)');
  // The screenshots themselves are in the repository (the marketplace loads them from there), not in the .vsix.
  for (const src of images) assert.ok(fs.existsSync(path.join(ROOT, src.replace(/^.*\/raw\/HEAD\//, ''))), src);
});

it('the shipped server analyzes the shipped walkthrough example, with no node_modules and no folder open', { timeout: 60_000 }, async () => {
  const ext = path.join(tmp, 'installed');
  for (const [name, data] of entries) {
    if (!name.startsWith('extension/')) continue;
    const target = path.join(ext, name.slice('extension/'.length));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
  }
  const example = [...entries.keys()].find((n) => /^extension\/media\/walkthrough\/[\w-]+\.ts$/.test(n))!.slice('extension/'.length);
  const file = path.join(ext, example);
  const child = spawn(process.execPath, [path.join(ext, 'dist/server.js'), '--stdio'], { cwd: tmp, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  child.stdin.on('error', () => undefined); // the server may be gone before the last write: its exit is checked below
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();
  try {
    // No workspace folder and no root: VS Code with nothing open.
    await connection.sendRequest('initialize', {
      processId: process.pid, rootUri: null, workspaceFolders: null,
      capabilities: { workspace: { configuration: true }, textDocument: { diagnostic: { dynamicRegistration: false } } },
    });
    connection.sendNotification('initialized', {});
    const uri = pathToFileURL(file).href;
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(file, 'utf8') } });
    const report = await connection.sendRequest<{ items: Array<{ code?: string; source?: string; range: { start: { line: number } } }> }>(
      'textDocument/diagnostic', { textDocument: { uri } });
    const codes = report.items.filter((d) => d.source === 'process-topology').map((d) => d.code);
    assert.deepEqual(codes, ['missing-sentinel'], stderr.join(''));
    const line = fs.readFileSync(file, 'utf8').split('\n')[report.items[0]!.range.start.line]!;
    assert.match(line, /\.get\(\)/);
    // The example imports the shim, which is not installed anywhere above it.
    assert.ok(!fs.existsSync(path.join(ext, 'node_modules')) && !fs.existsSync(path.join(tmp, 'node_modules')));
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
    assert.equal(code, 0, 'the server exits cleanly on shutdown and exit');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    connection.dispose();
  }
});
