// Loads a bundle (the command line's, the language server's) with V8's code cache, so that a
// process that starts often does not compile 11 MB of JavaScript (most of it the TypeScript
// compiler) every time: compiling the command line's bundle was a fifth of a small `check` and
// most of `--version`. Node 22 has `module.enableCompileCache()`; Node 20, which we support, does
// not, so this does what it does: compile through `vm.Script` with the cached data of an earlier
// run, and write fresh data at exit when there was none or V8 rejected it (another Node, another
// build). The cache lives outside the installation, in $XDG_CACHE_HOME (or ~/.cache)
// /process-topology/code, one file per bundle path, named by what it was made from; anything
// that goes wrong with it (no home, a read-only disk) falls back to a plain require. PT_CODE_CACHE=0
// switches it off.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** What `Module` has at run time and its types leave out. */
interface ModuleInternals {
  filename: string;
  paths: string[];
  loaded: boolean;
  exports: unknown;
}
interface ModuleStatics {
  wrap(source: string): string;
  _nodeModulePaths(dir: string): string[];
  new (id: string, parent: null): ModuleInternals;
}

/** The folder of the cache, or undefined when it is switched off or there is no home. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ((env.PT_CODE_CACHE ?? '').trim() === '0') return undefined;
  const base = env.XDG_CACHE_HOME || (os.homedir() ? path.join(os.homedir(), '.cache') : '');
  return base ? path.join(base, 'process-topology', 'code') : undefined;
}

/** `<path hash>-<content hash>.bin`: one bundle path keeps one file; a rebuild or another Node makes a new one. */
function cacheFile(dir: string, bundle: string, stat: fs.Stats): { file: string; prefix: string } {
  const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  const prefix = `${path.basename(bundle, '.js')}-${hash(bundle)}-`;
  return { prefix, file: path.join(dir, `${prefix}${hash(`${stat.size}:${stat.mtimeMs}:${process.version}:${process.arch}`)}.bin`) };
}

/**
 * Runs `bundle` (a CommonJS file) as the main module, as `node bundle` would: `require.main ===
 * module` holds in it, and it sees its own `__filename` and `__dirname`.
 */
export function runMainBundle(bundle: string, dir = codeCacheDir()): void {
  let source: string;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(bundle);
    source = fs.readFileSync(bundle, 'utf8');
  } catch {
    require(bundle);
    return;
  }
  const where = dir ? cacheFile(dir, bundle, stat) : undefined;
  let cachedData: Buffer | undefined;
  if (where) {
    try {
      cachedData = fs.readFileSync(where.file);
    } catch {
      cachedData = undefined;
    }
  }
  const M = Module as unknown as ModuleStatics;
  const script = new vm.Script(M.wrap(source.startsWith('#!') ? `//${source}` : source), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  if (where && (!cachedData || script.cachedDataRejected)) {
    // At exit the functions the run compiled lazily are in the data too.
    process.once('exit', () => writeCache(where.file, where.prefix, () => script.createCachedData()));
  }
  const mod = new M(bundle, null);
  mod.filename = bundle;
  mod.paths = M._nodeModulePaths(path.dirname(bundle));
  const req = Module.createRequire(bundle);
  (req as { main: unknown }).main = mod;
  (process as unknown as { mainModule: unknown }).mainModule = mod;
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, req, mod, bundle, path.dirname(bundle));
  mod.loaded = true;
}

function writeCache(file: string, prefix: string, data: () => Buffer): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Older data of the same bundle path is of no further use.
    for (const old of fs.readdirSync(dir)) if (old.startsWith(prefix) && old.endsWith('.bin') && path.join(dir, old) !== file) fs.rmSync(path.join(dir, old), { force: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data(), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // No cache this time: the next run compiles again.
  }
}
