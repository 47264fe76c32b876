// Finding a function again in another process (Python pickles functions by module and name).
//
// In the parent, at start() and synchronously, `locateTarget` finds the module that exports the
// function and returns a TargetRef; the child re-imports that module and takes the export.
// - CommonJS (tsc output; tsx for .ts/.cts files that are not ES modules): the module cache holds
//   every loaded module's exports, searched for the function. (Module._cache, not require.cache:
//   a CommonJS module that Node's ES loader loads, as tsx's loader does, gets a `require` without
//   `.cache`, but it is registered in Module._cache all the same.)
// - ES modules (.mts, "type": "module", top-level await): see esm-locate.ts.
// The child side (`loadTarget`, `importMain`) loads both kinds.
import Module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ProcessError } from './errors';
import { locateEsm } from './esm-locate';
import { sourceFileOf } from './site';
import type { CompiledProgram } from './child-build';

export type TargetRef =
  | { kind: 'cjs'; file: string; exportName: string | null } // null: module.exports itself
  | { kind: 'esm'; url: string; exportName: string };

/** A target function, or a Process subclass. */
type Fn = ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown);

/** The name under which `exports` holds `fn`: a key, null for module.exports itself, or undefined. */
function exportNameOf(exports: unknown, fn: Fn): string | null | undefined {
  if (exports === fn) return null;
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return undefined;
  for (const key of Object.getOwnPropertyNames(exports)) {
    const desc = Object.getOwnPropertyDescriptor(exports, key);
    let value: unknown;
    if (desc && 'value' in desc) value = desc.value;
    else if (desc?.get) {
      try {
        value = desc.get.call(exports); // esbuild/tsx export getters; tsc re-export getters
      } catch {
        continue;
      }
    }
    if (value === fn) return key;
  }
  return undefined;
}

/**
 * Where the child can find `fn`: exported by the main module or another of the program's CommonJS
 * modules, else by an ES module, else by a CommonJS module in node_modules (searched last: their
 * export getters may load code). Throws a ProcessError naming the function and the rule otherwise.
 */
export function locateTarget(fn: Fn, role: string, mainFile: string | null): TargetRef {
  const cache = (Module as unknown as { _cache: Record<string, NodeJS.Module | undefined> })._cache;
  const modules = Object.values(cache).filter((m): m is NodeJS.Module => m !== undefined);
  const inNodeModules = (m: NodeJS.Module) => m.filename.includes(`${path.sep}node_modules${path.sep}`);
  const own = modules.filter((m) => !inNodeModules(m));
  own.sort((a, b) => Number(b.filename === mainFile) - Number(a.filename === mainFile));
  const cjs = (list: NodeJS.Module[]): TargetRef | undefined => {
    for (const m of list) {
      const exportName = exportNameOf(m.exports, fn);
      if (exportName !== undefined) return { kind: 'cjs', file: m.filename, exportName };
    }
    return undefined;
  };
  const found = cjs(own);
  if (found) return found;
  const esm = locateEsm(fn);
  if (esm?.exportName) return { kind: 'esm', url: esm.url, exportName: esm.exportName };
  const fromPackage = cjs(modules.filter(inNodeModules));
  if (fromPackage) return fromPackage;
  const name = fn.name || '<anonymous>';
  // A compiled program (tsc, or the copy child-build.ts makes) is named by its source, as its stack traces are.
  const where = esm ? `it is defined at the top level of ${sourceFileOf(fileURLToPath(esm.url), esm.line, esm.column)} but not exported` : 'it is not exported from any loaded module';
  throw new ProcessError(
    `cannot start a process: the ${role} '${name}' cannot be sent to the child: ${where}. ` +
      `A ${role} must be a module-level function exported from its module, because the child ` +
      `re-imports that module and looks it up by its export name ` +
      `(write 'export function ${fn.name || 'name'}(...)' at the top level of its module).`,
  );
}

// A child of a program run through tsx may import a compiled copy of the program instead of its
// sources (child-build.ts): the modules named by TargetRefs are then taken from the copy.
let compiled: CompiledProgram | null = null;
let loadSources: (() => Promise<void>) | null = null;

/** In a child: import the program from `program`; `fallback` registers tsx for a module not in it. */
export function useCompiled(program: CompiledProgram, fallback: () => Promise<void>): void {
  compiled = program;
  loadSources = fallback;
}

/** The URL to import for an ES module's URL (its compiled copy's, when there is one). */
async function importable(url: string): Promise<string> {
  if (!compiled || !url.startsWith('file:')) return url;
  const copy = compiled.modules[fileURLToPath(url)];
  if (copy) return copy;
  if (/\.[cm]?tsx?$/.test(url) && loadSources) {
    // Not in the copy (a module the main module does not import): its sources, through tsx.
    const register = loadSources;
    loadSources = null;
    await register();
  }
  return url;
}

/** In the child: import the module a TargetRef names and take the export. */
export async function loadTarget(ref: TargetRef): Promise<unknown> {
  let value: unknown;
  if (ref.kind === 'cjs') {
    const mod = require(ref.file) as Record<string, unknown>;
    value = ref.exportName === null ? mod : mod[ref.exportName];
  } else {
    value = ((await import(await importable(ref.url))) as Record<string, unknown>)[ref.exportName];
  }
  if (typeof value !== 'function') {
    const where = ref.kind === 'cjs' ? ref.file : ref.url;
    throw new ProcessError(`the child found no function exported as '${ref.exportName ?? 'module.exports'}' by ${where}`);
  }
  return value;
}

/** The root program's main module: its file, and whether it is an ES module. */
export interface MainModule {
  file: string;
  esm: boolean;
}

/** In the child: import the root program's main module, as Python re-imports __main__. */
export async function importMain(main: MainModule): Promise<void> {
  if (main.esm) await import(await importable(pathToFileURL(main.file).href));
  else require(main.file);
}
