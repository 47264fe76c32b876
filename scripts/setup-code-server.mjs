#!/usr/bin/env node
// Idempotent setup of a real VS Code (web) for the extension's end-to-end tests, with no download
// other than the npm registry and Debian's packages (see shared/notes/vscode-e2e-offline.md).
//
//   node scripts/setup-code-server.mjs                 # install what is missing, one line per step
//   node scripts/setup-code-server.mjs --print-paths   # same, then prints {"entry":…,"chromium":…} on stdout
//   import { ensureCodeServer } from './setup-code-server.mjs'  // -> { entry, chromium }
//
// What it does:
//   1. Debian packages chromium, libkrb5-dev, ripgrep (apt-get update + install, only when one is missing).
//   2. code-server 4.100.3 (VS Code 1.100, the last one that runs on Node 20) into a cache outside the
//      repo: ${XDG_CACHE_HOME:-~/.cache}/process-topology/code-server-4.100.3/. A marker file written
//      as the very last step says the install is complete; without it the folder is wiped and
//      installed from scratch. A lock folder next to it keeps parallel test processes from
//      installing at the same time.
// npm's output goes to code-server-4.100.3.install.log next to the cache folder.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM_PATH = '/usr/bin/chromium';
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep'];
// Native modules of VS Code's server that `npm rebuild` must build (note, step 3).
const VSCODE_NATIVE = ['kerberos', '@parcel/watcher', '@vscode/spdlog', 'native-watchdog', 'node-pty', '@vscode/deviceid'];
// Of those, the ones node-gyp builds in place (build/Release/*.node); @parcel/watcher instead loads a
// prebuilt binary from its optional dependency @parcel/watcher-linux-x64-glibc. All of them must load.
const VSCODE_GYP_BUILT = ['kerberos', '@vscode/spdlog', 'native-watchdog', 'node-pty', '@vscode/deviceid'];
const MARKER = '.install-complete.json';
const LOCK_WAIT_MS = 30 * 60 * 1000;

export function cachePaths() {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const root = path.join(cacheHome, 'process-topology');
  const dir = path.join(root, `code-server-${CODE_SERVER_VERSION}`);
  return {
    root,
    dir,
    marker: path.join(dir, MARKER),
    lock: `${dir}.lock`,
    log: `${dir}.install.log`,
    entry: path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    vscodeDir: path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode'),
  };
}

class SetupError extends Error {}

/**
 * Makes sure the Debian packages and code-server are installed; returns the paths the tests need.
 * @param {{ log?: (line: string) => void }} [options] log: receives one line per step
 *   (default: stderr with a "[setup-code-server]" prefix).
 * @returns {Promise<{ entry: string, chromium: string }>}
 */
export async function ensureCodeServer(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`[setup-code-server] ${line}\n`));
  const p = cachePaths();
  await ensureAptPackages(log, p);
  if (isComplete(p)) {
    log(`code-server ${CODE_SERVER_VERSION}: cached in ${p.dir}`);
  } else {
    await withLock(p, log, async () => {
      if (isComplete(p)) {
        log(`code-server ${CODE_SERVER_VERSION}: installed by another process in ${p.dir}`);
        return;
      }
      await installCodeServer(log, p);
    });
  }
  return { entry: p.entry, chromium: CHROMIUM_PATH };
}

// ---------------------------------------------------------------------------------------------
// 1. Debian packages

function isDpkgInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  if (r.error) throw new SetupError(`cannot run dpkg-query (${r.error.message}): this setup needs Debian/Ubuntu`);
  return r.status === 0 && /\binstall ok installed\b/.test(r.stdout);
}

async function ensureAptPackages(log, p) {
  const missing = APT_PACKAGES.filter((pkg) => !isDpkgInstalled(pkg));
  // The native modules are built with node-gyp: it needs a C++ toolchain and Python.
  if (!isComplete(p)) {
    if (!onPath('g++') || !onPath('make')) missing.push('build-essential');
    if (!onPath('python3')) missing.push('python3');
  }
  if (missing.length === 0) {
    log(`apt: ${APT_PACKAGES.join(', ')} already installed`);
    return;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && !onPath('sudo')) {
    throw new SetupError(`Debian packages missing (${missing.join(', ')}) and not root and no sudo to install them`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const asRoot = (args) => (isRoot ? args : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', ...args]);
  fs.mkdirSync(p.root, { recursive: true });
  log(`apt: apt-get update (missing: ${missing.join(', ')})`);
  await run(asRoot(['apt-get', '-q', '-o', 'DPkg::Lock::Timeout=300', 'update']), { env, logFile: p.log, what: 'apt-get update' });
  log(`apt: apt-get install ${missing.join(' ')}`);
  await run(
    asRoot(['apt-get', '-q', '-y', '-o', 'DPkg::Lock::Timeout=300', '--no-install-recommends', 'install', ...missing]),
    { env, logFile: p.log, what: `apt-get install ${missing.join(' ')}` },
  );
  const still = APT_PACKAGES.filter((pkg) => !isDpkgInstalled(pkg));
  if (still.length) throw new SetupError(`apt-get install finished but ${still.join(', ')} still not installed`);
  if (!fs.existsSync(CHROMIUM_PATH)) throw new SetupError(`chromium installed but ${CHROMIUM_PATH} is missing`);
}

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((d) => d && isExecutable(path.join(d, cmd)));
}

function whichOrThrow(cmd) {
  for (const d of (process.env.PATH || '').split(path.delimiter)) {
    const f = d && path.join(d, cmd);
    if (f && isExecutable(f)) return fs.realpathSync(f);
  }
  throw new SetupError(`${cmd} not found on PATH`);
}

function isExecutable(f) {
  try {
    fs.accessSync(f, fs.constants.X_OK);
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// 2. code-server

function isComplete(p) {
  try {
    const m = JSON.parse(fs.readFileSync(p.marker, 'utf8'));
    return (
      m.version === CODE_SERVER_VERSION &&
      // native modules are built for one Node ABI: a new Node major needs a new install
      m.nodeAbi === process.versions.modules &&
      fs.existsSync(p.entry) &&
      fs.existsSync(path.join(p.vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'))
    );
  } catch {
    return false;
  }
}

async function installCodeServer(log, p) {
  const started = Date.now();
  const step = (msg) => log(`code-server: ${msg}`);
  if (fs.existsSync(p.dir)) step(`removing incomplete install in ${p.dir}`);
  fs.rmSync(p.dir, { recursive: true, force: true });
  fs.mkdirSync(p.dir, { recursive: true });
  fs.appendFileSync(p.log, `\n# code-server ${CODE_SERVER_VERSION} install, ${new Date().toISOString()}\n`);
  fs.writeFileSync(
    path.join(p.dir, 'package.json'),
    JSON.stringify({ name: 'process-topology-code-server-cache', private: true, description: 'tools cache, made by scripts/setup-code-server.mjs' }, null, 2) + '\n',
  );
  const env = npmEnv();
  const npm = (args, cwd, what) => run(['npm', ...args], { cwd, env, logFile: p.log, what });
  const rg = whichOrThrow('rg');

  step(`npm install --ignore-scripts code-server@${CODE_SERVER_VERSION} (in ${p.dir})`);
  await npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], p.dir, 'npm install code-server');
  if (!fs.existsSync(p.entry)) throw new SetupError(`npm install finished but ${p.entry} is missing`);

  step('npm install --omit=dev --ignore-scripts (in lib/vscode)');
  await npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], p.vscodeDir, 'npm install in lib/vscode');

  step(`linking ${rg} as @vscode/ripgrep/bin/rg`);
  const rgBin = path.join(p.vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgBin, { recursive: true });
  fs.rmSync(path.join(rgBin, 'rg'), { force: true });
  fs.symlinkSync(rg, path.join(rgBin, 'rg'));

  step(`npm rebuild ${VSCODE_NATIVE.join(' ')} (in lib/vscode; builds native modules)`);
  await npm(['rebuild', '--ignore-scripts=false', ...VSCODE_NATIVE], p.vscodeDir, 'npm rebuild in lib/vscode');
  for (const mod of VSCODE_GYP_BUILT) {
    if (findNodeFiles(path.join(p.vscodeDir, 'node_modules', mod, 'build', 'Release')).length === 0) {
      throw new SetupError(`npm rebuild ran but ${mod} has no .node file (were its install scripts skipped?); see ${p.log}`);
    }
  }

  step('linking lib/vscode/node_modules.asar -> node_modules');
  fs.rmSync(path.join(p.vscodeDir, 'node_modules.asar'), { force: true });
  fs.symlinkSync('node_modules', path.join(p.vscodeDir, 'node_modules.asar'));

  step('npm install --omit=dev (in lib/vscode/extensions)');
  await npm(['install', '--omit=dev', '--ignore-scripts=false', '--no-audit', '--no-fund'], path.join(p.vscodeDir, 'extensions'), 'npm install in lib/vscode/extensions');

  step('npm rebuild argon2 (in the cache folder)');
  await npm(['rebuild', '--ignore-scripts=false', 'argon2'], p.dir, 'npm rebuild argon2');

  step('checking that the native modules load');
  await checkLoads(p, p.vscodeDir, VSCODE_NATIVE);
  await checkLoads(p, p.dir, ['argon2']);
  // code-server writes a default config.yaml and logs under XDG_CONFIG_HOME / XDG_DATA_HOME: keep them out of $HOME
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'code-server-version-'));
  let version;
  try {
    version = await run([process.execPath, p.entry, '--version'], {
      cwd: p.dir,
      env: { ...env, XDG_CONFIG_HOME: path.join(scratch, 'config'), XDG_DATA_HOME: path.join(scratch, 'data') },
      logFile: p.log,
      what: 'code-server --version',
      capture: true,
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  if (!version.includes(CODE_SERVER_VERSION)) throw new SetupError(`code-server --version printed ${JSON.stringify(version.trim())}`);

  fs.writeFileSync(
    p.marker,
    JSON.stringify({ version: CODE_SERVER_VERSION, nodeAbi: process.versions.modules, node: process.version, completedAt: new Date().toISOString() }, null, 2) + '\n',
  );
  step(`installed in ${Math.round((Date.now() - started) / 1000)} s (${version.trim().split('\n').at(-1)})`);
}

// npm's environment: keep the user's registry/cache settings, but drop what an enclosing `npm test`
// or `npm install --ignore-scripts …` would pass down and that would change what these installs do.
function npmEnv() {
  const env = {};
  const drop = /^npm_(package_|lifecycle_)|^npm_config_(ignore_scripts|global|prefix|local_prefix|location|dry_run|workspaces?|include_workspace_root|omit|include|production|only|also|save.*|package_lock.*|strict_allow_scripts|allow_scripts|yes)$/i;
  for (const [k, v] of Object.entries(process.env)) if (!drop.test(k)) env[k] = v;
  env.npm_config_yes = 'true';
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  // node-gyp would download Node's headers; Debian's nodejs ships them in /usr/include/node.
  const hasNodedir = Object.keys(env).some((k) => k.toLowerCase() === 'npm_config_nodedir');
  if (!hasNodedir && fs.existsSync('/usr/include/node/common.gypi') && !npmrcSetsNodedir()) env.npm_config_nodedir = '/usr';
  return env;
}

function npmrcSetsNodedir() {
  for (const f of [path.join(os.homedir(), '.npmrc'), '/usr/etc/npmrc', '/etc/npmrc']) {
    try {
      if (/^\s*nodedir\s*=/m.test(fs.readFileSync(f, 'utf8'))) return true;
    } catch {}
  }
  return false;
}

function findNodeFiles(dir) {
  const out = [];
  const walk = (d, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const f = path.join(d, e.name);
      if (e.isDirectory() && depth < 6 && e.name !== 'node_modules') walk(f, depth + 1);
      else if (e.isFile() && e.name.endsWith('.node')) out.push(f);
    }
  };
  walk(dir, 0);
  return out;
}

async function checkLoads(p, cwd, modules) {
  const code = `for (const m of ${JSON.stringify(modules)}) { try { require(m); } catch (e) { console.error(m + ': ' + e.message.split('\\n')[0]); process.exitCode = 1; } }`;
  await run([process.execPath, '-e', code], { cwd, env: process.env, logFile: p.log, what: `loading ${modules.join(', ')}` });
}

// ---------------------------------------------------------------------------------------------
// lock: test files run in parallel (node --test), each may call ensureCodeServer

async function withLock(p, log, fn) {
  fs.mkdirSync(path.dirname(p.lock), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(p.lock);
      fs.writeFileSync(path.join(p.lock, 'owner'), `${process.pid}\n`);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(p.lock, 'owner'), 'utf8').trim());
    } catch {}
    let stale = false;
    if (Number.isInteger(owner) && owner > 0) {
      try {
        process.kill(owner, 0);
      } catch (e) {
        stale = e.code === 'ESRCH';
      }
    } else {
      // lock folder without an owner file: stale if it is older than a few seconds
      try {
        stale = Date.now() - fs.statSync(p.lock).mtimeMs > 10_000;
      } catch {}
    }
    if (stale) {
      log(`code-server: removing stale lock ${p.lock}`);
      fs.rmSync(p.lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new SetupError(`timed out waiting for lock ${p.lock} (held by pid ${owner})`);
    if (!announced) {
      log(`code-server: waiting for another setup (pid ${owner}) to finish`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(p.lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

function run(argv, { cwd, env, logFile, what, capture = false }) {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'a');
    fs.writeSync(fd, `\n$ (cd ${cwd ?? process.cwd()} && ${argv.join(' ')})\n`);
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', capture ? 'pipe' : fd, fd] });
    let out = '';
    if (capture) child.stdout.on('data', (d) => {
      out += d;
      fs.writeSync(fd, d);
    });
    child.on('error', (e) => {
      fs.closeSync(fd);
      reject(new SetupError(`${what}: cannot start ${argv[0]} (${e.message})`));
    });
    child.on('close', (code, signal) => {
      fs.closeSync(fd);
      if (code === 0) return resolve(out);
      reject(new SetupError(`${what} failed (${signal ?? `exit ${code}`}): ${lastLine(logFile)} [full log: ${logFile}]`));
    });
  });
}

// The most telling line of the last command's output in the log: its first real error line, else its last line.
function lastLine(file) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.slice(text.lastIndexOf('\n$ (') + 1).split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
    // skip npm's boilerplate ("npm error code 1", "… path …", indented details, the log-file hint)
    const boring = /^(\s*$|\s{2,}|(code|syscall|errno|path|command|signal)\b|[{}]|A complete log|If you are behind a proxy|gyp info)/;
    const err = lines.find((l) => {
      const body = l.replace(/^npm (error|ERR!) ?/, '');
      return !boring.test(body) && /\b(error|ERR!|fatal|not found|denied|failed)\b|^E: /i.test(body);
    });
    return (err ?? lines.at(-1) ?? '').slice(0, 300);
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const printPaths = process.argv.includes('--print-paths');
  const t0 = Date.now();
  ensureCodeServer()
    .then((paths) => {
      process.stderr.write(`[setup-code-server] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: entry=${paths.entry} chromium=${paths.chromium}\n`);
      if (printPaths) process.stdout.write(JSON.stringify(paths) + '\n');
    })
    .catch((e) => {
      const reason = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`[setup-code-server] FAILED: ${reason}\n`);
      process.exit(1);
    });
}
