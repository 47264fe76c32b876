// The shim as npm users get it: `npm pack` it, install the tarball into a fresh project (offline:
// it has no runtime dependencies), and run programs against the installed copy with plain node,
// one CommonJS and one ES module. Real processes, nothing from this repository on the module path.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/paths';

const run = promisify(execFile);
const SHIM = path.join(ROOT, 'shim');
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

let tmp = '';
let app = '';
let packed: { filename: string; files: Array<{ path: string }> };

before(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-shim-pack-')));
  // `npm pack` runs the prepack build, then lists what the tarball holds.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: SHIM, env: NPM_ENV, maxBuffer: 16 << 20 });
  const list = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<typeof packed>;
  packed = list[0]!;
  app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'pt-shim-user', version: '1.0.0', private: true }, null, 2));
  await run('npm', ['install', '--offline', '--no-package-lock', path.join(tmp, packed.filename)], { cwd: app, env: NPM_ENV });
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs a program of the fresh project with plain node; a hang fails instead of blocking the suite. */
async function node(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, [file], { cwd: app, timeout: 60_000, killSignal: 'SIGKILL' });
  return stdout;
}

it('the tarball holds the compiled package, its types, the prebuilt addon and its source, README and LICENSE, and nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const wanted of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/child.js', 'dist/pool.js', 'prebuilds/linux-x64/node.napi.glibc.node', 'native/pt_shm.c', 'scripts/build-native.mjs']) {
    assert.ok(files.includes(wanted), `${wanted} is packed`);
  }
  const unwanted = files.filter((f) => !/^(package\.json|README\.md|LICENSE|dist\/[\w-]+\.(js|d\.ts)|prebuilds\/[\w-]+\/node\.napi\.glibc\.node|native\/pt_shm\.c|scripts\/build-native\.mjs)$/.test(f));
  assert.deepEqual(unwanted, [], 'no sources, maps, build info or tests');
  const manifest = JSON.parse(fs.readFileSync(path.join(app, 'node_modules/@process-topology/multiprocessing/package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
  assert.deepEqual((manifest.repository as { directory?: string }).directory, 'shim');
});

it('a CommonJS producer/consumer program with one sentinel per consumer runs on the installed package', async () => {
  fs.writeFileSync(path.join(app, 'squares.cjs'), `'use strict';
const { Process, Queue, isMainProcess } = require('@process-topology/multiprocessing');

async function producer(q, first) {
  for (let i = first; i < first + 10; i++) await q.put(i);
}

async function consumer(q, results) {
  for (;;) {
    const item = await q.get();
    if (item === null) break; // the sentinel
    await results.put({ square: item * item, pid: process.pid });
  }
}
module.exports = { producer, consumer };

if (isMainProcess()) {
  (async () => {
    const q = new Queue();
    const results = new Queue();
    const producers = [1, 11].map((first) => new Process({ target: producer, args: [q, first] }));
    const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q, results] }));
    for (const p of [...producers, ...consumers]) p.start();
    for (const p of producers) await p.join();
    for (const _ of consumers) await q.put(null);
    const got = [];
    for (let i = 0; i < 20; i++) got.push(await results.get(true, 30));
    for (const c of consumers) await c.join();
    console.log('squares: ' + got.map((r) => r.square).sort((a, b) => a - b).join(','));
    console.log('from the main process: ' + got.filter((r) => r.pid === process.pid).length);
    console.log('exit codes: ' + [...producers, ...consumers].map((p) => p.exitcode).join(','));
    console.log('shim at: ' + require.resolve('@process-topology/multiprocessing'));
  })();
}
`);
  const out = await node('squares.cjs');
  const squares = Array.from({ length: 20 }, (_, i) => (i + 1) ** 2).join(',');
  assert.match(out, new RegExp(`^squares: ${squares}$`, 'm'));
  assert.match(out, /^from the main process: 0$/m);
  assert.match(out, /^exit codes: 0,0,0,0$/m);
  assert.match(out, new RegExp(`^shim at: ${app.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/node_modules/@process-topology/multiprocessing/dist/index\\.js$`, 'm'));
});

it('an ES module Pool.map program runs on the installed package', async () => {
  fs.writeFileSync(path.join(app, 'pool.mjs'), `import { Pool, isMainProcess } from '@process-topology/multiprocessing';

export function square(x) {
  return x * x;
}

export function pid() {
  return process.pid;
}

if (isMainProcess()) {
  const pool = new Pool(2);
  try {
    console.log('map: ' + JSON.stringify(await pool.map(square, [1, 2, 3, 4, 5, 6, 7, 8])));
    const pids = new Set(await pool.map(pid, [1, 2, 3, 4], 1));
    console.log('workers are other processes: ' + (pids.size >= 1 && !pids.has(process.pid)));
  } finally {
    pool.close();
    await pool.join();
  }
  console.log('closed');
}
`);
  const out = await node('pool.mjs');
  assert.match(out, /^map: \[1,4,9,16,25,36,49,64\]$/m);
  assert.match(out, /^workers are other processes: true$/m);
  assert.match(out, /^closed$/m);
});

it('locks and values of the installed package live in shared memory through the prebuilt addon (nothing compiled on install)', async () => {
  fs.writeFileSync(path.join(app, 'locks.mjs'), `import fs from 'node:fs';
import { Lock, Process, Value, isMainProcess } from '@process-topology/multiprocessing';

const mapped = () => fs.readFileSync('/proc/self/maps', 'utf8').includes('memfd:pt-mp-shm');

export async function add(v, lock, n, out) {
  for (let i = 0; i < n; i++) await lock.withLock(async () => v.set((await v.get()) + 1));
  if (!mapped()) process.exitCode = 7;
}

if (isMainProcess()) {
  const lock = new Lock();
  const v = Value('i', 0, { lock: false });
  const ps = [0, 1].map(() => new Process({ target: add, args: [v, lock, 2000] }));
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
  console.log('total: ' + (await v.get()));
  console.log('exit codes: ' + ps.map((p) => p.exitcode).join(','));
  console.log('shared memory in main: ' + mapped());
}
`);
  const out = await node('locks.mjs');
  assert.match(out, /^total: 4000$/m);
  assert.match(out, /^exit codes: 0,0$/m, 'the children mapped the segment too (exit code 7 if not)');
  assert.match(out, /^shared memory in main: true$/m);
  assert.ok(!fs.existsSync(path.join(app, 'node_modules/@process-topology/multiprocessing/build')), 'nothing was built on install');
});

it('TypeScript finds the installed package\'s types through its exports', async () => {
  fs.writeFileSync(path.join(app, 'typed.ts'), `import { Queue, Pool } from '@process-topology/multiprocessing';
const q: Queue<number> = new Queue<number>();
export const pending: Promise<number> = q.get();
export const size: Promise<number> = q.qsize();
export type P = Pool;
// @ts-expect-error: put takes the queue's item type
void q.put('not a number');
`);
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  for (const resolution of [['--module', 'node16'], ['--module', 'preserve', '--moduleResolution', 'bundler']]) {
    await run(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules/@types'), ...resolution, 'typed.ts'], { cwd: app })
      .catch((err: { stdout?: string }) => assert.fail(`tsc ${resolution.join(' ')} failed:\n${err.stdout ?? String(err)}`));
  }
});
