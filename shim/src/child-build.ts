// Children of a program run through tsx start without tsx: they import a compiled copy of the
// program instead. tsx costs a child ~200 ms of CPU (its ES loader runs on a hooks thread that must
// start and load tsx and esbuild in every process), more than the rest of a child's start together;
// the parent, which already has tsx (and so esbuild), bundles the program once with esbuild into
// plain ES modules, kept in a cache that later runs reuse while the sources are unchanged, and every
// child imports those.
//
// The copy: one esbuild build with code splitting, whose entry points are the main module and the
// modules that export the targets (so each module is one instance in the child, as under tsx), the
// packages (node_modules, this shim) left as imports, and source maps on (stack traces, call sites
// and reports name the .ts files). It is written beside the packages the program imports
// (<nearest node_modules>/.cache/process-topology-mp/), so those imports resolve as from the program.
//
// Only where the copy behaves as the sources do: an ES module main, and no source file that reads
// its own location (import.meta, __dirname, __filename) or loads code at run time (require, import()
// of a computed path); otherwise, or when anything fails, the child registers tsx as before.
// PT_MP_CHILD_TSX=1 always does.
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MainModule, TargetRef } from './locate';

/** What a child imports instead of the sources: file URLs of the compiled entry points by source file. */
export interface CompiledProgram {
  main: string;
  modules: Record<string, string>;
}

interface Manifest {
  /** Source file -> [mtimeMs, size]: the build is valid while none changed. */
  inputs: Record<string, [number, number]>;
  program: CompiledProgram;
}

/** The shim's package directory: its files stay imports (one instance per process). */
const SHIM_ROOT = path.dirname(__dirname);

/** A short hash of a string (FNV-1a, 2 x 32 bits): names a build's folder (the manifest validates it). */
function hashOf(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

const builds = new Map<string, CompiledProgram | null>();
let disabled = process.env.PT_MP_CHILD_TSX === '1';

function isPackageFile(file: string): boolean {
  return file.includes(`${path.sep}node_modules${path.sep}`) || file.startsWith(SHIM_ROOT + path.sep);
}

/**
 * The compiled program a child of this tsx-run program imports (every module of the program is an
 * entry point, so any target, pool function or barrier action can be found in it); null when the
 * child must register tsx instead. `esbuildFrom`: a file of the tsx package (its esbuild is used).
 */
export function compiledProgram(main: MainModule | null, esbuildFrom: string | null): CompiledProgram | null {
  if (disabled || !main || !main.esm || !esbuildFrom) return null;
  if (builds.has(main.file)) return builds.get(main.file)!;
  let program: CompiledProgram | null = null;
  try {
    program = cachedOrBuilt(main.file, esbuildFrom);
  } catch {
    program = null;
  }
  builds.set(main.file, program);
  return program;
}

/**
 * The compiled copy of the program whose main module is `mainFile` (an ES module), built now or
 * taken from the cache while its sources are unchanged; null where a copy would not behave as the
 * sources do. Not remembered in this process: for a launcher that runs the copy itself instead of
 * the sources (the test suite runs its programs so, without tsx in their main process either).
 */
export function programCopy(mainFile: string, esbuildFrom: string): CompiledProgram | null {
  try {
    return cachedOrBuilt(mainFile, esbuildFrom);
  } catch {
    return null;
  }
}

/** Whether the child can find `ref` in `program` (or needs no compiling for it: a package's file). */
export function covers(program: CompiledProgram, ref: TargetRef | null): boolean {
  if (!ref) return true;
  const file = ref.kind === 'esm' ? (ref.url.startsWith('file:') ? fileURLToPath(ref.url) : null) : ref.file;
  if (file === null) return false;
  if (isPackageFile(file)) return true;
  return ref.kind === 'esm' && program.modules[file] !== undefined;
}

/** Where builds go: beside the packages the main module imports; null without a node_modules above it. */
function cacheRoot(mainFile: string): string | null {
  for (let dir = path.dirname(mainFile); ; ) {
    const nm = path.join(dir, 'node_modules');
    if (fs.existsSync(nm)) return path.join(nm, '.cache', 'process-topology-mp');
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Bumped when what is compiled, or refused, changes: builds of an older shim are not reused. */
const BUILD_FORMAT = '3';

/**
 * The cache holds, per main module (`<key>`), copies named by their sources' state
 * (`<key>-<inputs>/`) and a pointer to the newest (`<key>.json`). A copy, once in place, is never
 * moved or changed while it may be in use: programs started at the same time each find or place
 * the copy of the sources they saw, and a child loads from the folder its parent named. (Replacing
 * one folder in place let a run move aside the copy another run's children were loading.)
 */
function cachedOrBuilt(mainFile: string, esbuildFrom: string): CompiledProgram | null {
  const root = cacheRoot(mainFile);
  if (!root) return null;
  const req = Module.createRequire(esbuildFrom);
  const esbuildPkg = req.resolve('esbuild/package.json');
  const version = (JSON.parse(fs.readFileSync(esbuildPkg, 'utf8')) as { version: string }).version;
  const key = hashOf([BUILD_FORMAT, process.version, version, mainFile].join('\0'));
  const pointer = path.join(root, `${key}.json`);
  try {
    const { dir } = JSON.parse(fs.readFileSync(pointer, 'utf8')) as { dir: string };
    const manifest = readManifest(path.join(root, path.basename(dir)));
    if (manifest && unchanged(manifest.inputs)) return manifest.program;
  } catch {
    // no build yet, or an unreadable pointer: build
  }
  return build(req, root, key, mainFile);
}

function readManifest(dir: string): Manifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

function unchanged(inputs: Record<string, [number, number]>): boolean {
  for (const [file, [mtime, size]] of Object.entries(inputs)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return false;
    }
    if (st.mtimeMs !== mtime || st.size !== size) return false;
  }
  return true;
}

/**
 * Reads its own location or loads code by a computed name, or re-exports all of a package
 * (`export * from 'pkg'`: esbuild's ES module output leaves that package's names out of the
 * module's namespace object, so `import * as mp` then `mp.isMainProcess` is undefined in the
 * copy): the copy would not behave the same.
 */
const UNSAFE = /\bimport\.meta\b|\b__dirname\b|\b__filename\b|\brequire\s*\(|\bmodule\.exports\b|\bimport\s*\(\s*[^'"`\s)]|\bexport\s*\*\s*from\s*['"][^./]/;

interface EsbuildApi {
  buildSync(options: Record<string, unknown>): { metafile?: { inputs: Record<string, unknown>; outputs: Record<string, { entryPoint?: string }> } };
}

function build(req: NodeJS.Require, root: string, key: string, mainFile: string): CompiledProgram | null {
  const esbuild = req('esbuild') as EsbuildApi;
  const cwd = path.dirname(mainFile);
  const common = {
    absWorkingDir: cwd,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    packages: 'external',
    keepNames: true,
    metafile: true,
    logLevel: 'silent',
  };
  // First the program's modules (what the main module imports, not the packages), then a build
  // with each of them as an entry point.
  let files: string[];
  try {
    const scan = esbuild.buildSync({ ...common, entryPoints: [mainFile], write: false, outdir: root });
    files = Object.keys(scan.metafile!.inputs).map((rel) => path.resolve(cwd, rel));
  } catch {
    return null;
  }
  const inputs: Record<string, [number, number]> = {};
  for (const file of files) {
    // A file of the shim bundled into the copy would be a second instance of it in the child;
    // CommonJS sources and code that reads its own location need tsx.
    if (isPackageFile(file) || /\.c[jt]s$/.test(file) || UNSAFE.test(stripComments(fs.readFileSync(file, 'utf8')))) return null;
    const st = fs.statSync(file);
    inputs[file] = [st.mtimeMs, st.size];
  }
  const dir = path.join(root, `${key}-${hashOf(JSON.stringify(inputs))}`);
  // The copy of these sources may be there already (another run placed it): use it.
  const placed = readManifest(dir);
  if (placed && unchanged(placed.inputs)) {
    point(root, key, dir);
    return placed.program;
  }
  const tmp = `${dir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  let result;
  try {
    result = esbuild.buildSync({
      ...common,
      entryPoints: files,
      outdir: tmp,
      outbase: commonDir(files),
      splitting: true,
      sourcemap: 'linked',
      outExtension: { '.js': '.mjs' },
      write: true,
    });
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
    return null;
  }
  const modules: Record<string, string> = {};
  for (const [out, o] of Object.entries(result.metafile!.outputs)) {
    if (!o.entryPoint) continue;
    modules[path.resolve(cwd, o.entryPoint)] = pathToFileURL(path.join(dir, path.relative(tmp, path.resolve(cwd, out)))).href;
  }
  const main = modules[mainFile];
  if (!main || files.some((f) => !modules[f])) {
    fs.rmSync(tmp, { recursive: true, force: true });
    return null;
  }
  const program: CompiledProgram = { main, modules };
  const manifest: Manifest = { inputs, program };
  fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest));
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Another run placed the same copy first: keep theirs (its children may be loading it).
    fs.rmSync(tmp, { recursive: true, force: true });
    const theirs = readManifest(dir);
    if (!theirs || !unchanged(theirs.inputs)) return null;
  }
  point(root, key, dir);
  removeOldCopies(root, key, dir);
  return program;
}

/** Points `<key>.json` at `dir` (written whole, then renamed into place: readers see one or the other). */
function point(root: string, key: string, dir: string): void {
  const file = path.join(root, `${key}.json`);
  const tmp = `${file}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    fs.writeFileSync(tmp, JSON.stringify({ dir: path.basename(dir) }));
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** Copies of older sources of the same program, placed over a day ago: removed when a new copy is placed. */
const OLD_COPY_MS = 24 * 60 * 60 * 1000;

function removeOldCopies(root: string, key: string, keep: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const full = path.join(root, name);
    if (!name.startsWith(`${key}-`) || full === keep) continue;
    try {
      if (now - fs.statSync(full).mtimeMs > OLD_COPY_MS) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // removed by another run meanwhile
    }
  }
}

function commonDir(files: string[]): string {
  let dir = path.dirname(files[0]!);
  while (!files.every((f) => f.startsWith(dir + path.sep))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/** The source without comments, roughly (a pattern in a comment must not send the child to tsx). */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}


/** Stop compiling (tests of the tsx path). */
export function useTsxInChildren(): void {
  disabled = true;
}
