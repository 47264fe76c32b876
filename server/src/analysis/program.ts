// Builds TypeScript programs for the analysis: compiler options from the nearest tsconfig.json
// (or defaults that accept plain JavaScript), and an overlay of unsaved editor contents.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

export const DEFAULT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  allowJs: true,
  checkJs: false,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: [],
};

export class ConfigError extends Error {}

/** Compiler options of a tsconfig.json; throws ConfigError with a one-line reason. */
export function readTsconfig(file: string): { options: ts.CompilerOptions; fileNames: string[] } {
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) throw new ConfigError(`cannot read ${file}: ${flatten(read.error)}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(file), undefined, file);
  const fatal = parsed.errors.find((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003);
  if (fatal) throw new ConfigError(`${file}: ${flatten(fatal)}`);
  return { options: { ...parsed.options, noEmit: true, allowJs: true }, fileNames: parsed.fileNames };
}

function flatten(d: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(d.messageText, ' ');
}

/** The tsconfig.json nearest above a file, stopping at `stopAt` when given. */
export function findTsconfig(fromFile: string, stopAt?: string): string | undefined {
  let dir = path.dirname(fromFile);
  for (;;) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir || (stopAt && dir === stopAt)) return undefined;
    dir = parent;
  }
}

export interface ProgramInput {
  rootNames: string[];
  options?: ts.CompilerOptions;
  /** Unsaved contents by absolute file name: they win over the disk. */
  overlay?: ReadonlyMap<string, string>;
  oldProgram?: ts.Program;
}

export function createProgram(input: ProgramInput): ts.Program {
  const options = input.options ?? DEFAULT_OPTIONS;
  const host = ts.createCompilerHost(options, true);
  const overlay = input.overlay;
  if (overlay && overlay.size > 0) {
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
      const text = overlay.get(path.resolve(fileName));
      if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
      return getSourceFile(fileName, languageVersion, onError, shouldCreate);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (f) => overlay.has(path.resolve(f)) || fileExists(f);
    const readFile = host.readFile.bind(host);
    host.readFile = (f) => overlay.get(path.resolve(f)) ?? readFile(f);
  }
  return ts.createProgram({ rootNames: input.rootNames, options, host, ...(input.oldProgram ? { oldProgram: input.oldProgram } : {}) });
}

/** Folders that hold dependencies or build output, not the program's source. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'out', 'build', 'coverage', 'bower_components']);
/** Larger files are generated (bundles, minified code): not source to analyze. */
export const MAX_SOURCE_BYTES = 1_000_000;

/** Source files below a folder (no dependencies, build output or dot folders), sorted. */
export function listSourceFiles(dir: string, limit = Infinity): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // Unreadable folder: skip it.
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= limit) return;
      if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (isSourceFile(entry.name) && fileSize(full) <= MAX_SOURCE_BYTES) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return Infinity;
  }
}

export function isSourceFile(name: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts');
}
