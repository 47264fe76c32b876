// Builds TypeScript programs for the analysis: compiler options from the nearest tsconfig.json
// (or defaults that accept plain JavaScript), and an overlay of unsaved editor contents. Every
// file is read through files.ts (regular files only, up to a size cap) and every source file is
// parsed through nesting.ts (files nested too deep are left out); what is left out is recorded,
// with why, for the notes of the result.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from './typescript';
import { describeFsError, MAX_FILE_SIZE, MAX_SOURCE_SIZE, readTextFile } from './files';
import { checkedSourceFile } from './nesting';

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
  // The language without the browser: ES2022's default lib adds the DOM's, which is over half of
  // what a small program's analysis parses and binds, and these programs run on Node. The analysis
  // names Node's globals (console, timers, process) itself; a type it can no longer tell is unknown,
  // and the rules stay silent on unknown types. (A program that imports Node's modules still gets
  // @types/node when it is installed, as before.)
  lib: ['lib.es2022.d.ts'],
};

/** A tsconfig.json that cannot be used: which file, where in it when known, and why. */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly reason: string, readonly at?: { line: number; character: number }) {
    super(`${file}${at ? `:${at.line + 1}:${at.character + 1}` : ''}: ${reason}`);
  }

  /** The same, with the file's path relative to `dir` when it is inside it. */
  relativeTo(dir: string): string {
    return `${displayPath(this.file, dir)}${this.at ? `:${this.at.line + 1}:${this.at.character + 1}` : ''}: ${this.reason}`;
  }
}

/** Compiler options and files of a tsconfig.json (and what it extends); throws ConfigError with a one-line reason. */
export function readTsconfig(file: string): { options: ts.CompilerOptions; fileNames: string[] } {
  // Absolute: TypeScript resolves what it extends from the config file's folder joined to its name.
  file = path.resolve(file);
  const text = readConfigText(file);
  // Files it extends are read the same way; one that is skipped is named in the error.
  const skipped: SkippedFiles = new Map();
  const sf = ts.parseJsonText(file, text);
  const syntax = (sf as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics?.[0];
  if (syntax) throw configError(file, syntax, text);
  const host: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    readDirectory: (root, extensions, excludes, includes, depth) => ts.sys.readDirectory(root, extensions, excludes, includes, depth),
    fileExists: (f) => ts.sys.fileExists(f),
    readFile: (f) => readForAnalysis(f, skipped),
  };
  const parsed = ts.parseJsonSourceFileConfigFileContent(sf, host, path.dirname(file), undefined, file);
  const fatal = parsed.errors.find((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003);
  if (fatal) {
    const [unread] = skipped;
    if (unread) throw new ConfigError(unread[0], `${unread[1]} (extended by ${path.basename(file)})`);
    throw configError(fatal.file?.fileName ?? file, fatal, fatal.file?.text ?? text);
  }
  return { options: { ...parsed.options, noEmit: true, allowJs: true }, fileNames: parsed.fileNames };
}

function readConfigText(file: string): string {
  const read = readTextFile(file, MAX_FILE_SIZE);
  if ('missing' in read) throw new ConfigError(file, 'no such file');
  if ('skipped' in read) throw new ConfigError(file, read.skipped);
  return read.text;
}

function configError(file: string, d: ts.Diagnostic, text: string): ConfigError {
  const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  if (d.start === undefined) return new ConfigError(file, message);
  const before = text.slice(0, d.start).split(/\r\n|\r|\n/);
  return new ConfigError(file, message, { line: before.length - 1, character: before.at(-1)!.length });
}

/** A path for a message: relative to `dir` when inside it, with forward slashes; else absolute. */
export function displayPath(file: string, dir: string): string {
  const rel = path.relative(dir, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
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

/** Files left out of the analysis, by absolute path, with why (a few words, for a note). */
export type SkippedFiles = Map<string, string>;

/**
 * Reads a file for the analysis: a source file up to MAX_SOURCE_SIZE, anything else up to
 * MAX_FILE_SIZE. Undefined when it is missing or skipped; a skipped file is recorded with why.
 */
export function readForAnalysis(file: string, skipped?: SkippedFiles): string | undefined {
  const read = readTextFile(file, isSourceFile(file) ? MAX_SOURCE_SIZE : MAX_FILE_SIZE);
  if ('text' in read) return read.text;
  if ('skipped' in read) skipped?.set(path.resolve(file), read.skipped);
  return undefined;
}

/** The note that says a file was left out: "src/gen.ts is not analyzed: it is a FIFO …". */
export function skipNote(file: string, reason: string, rootDir: string): string {
  return `${displayPath(file, rootDir)} is not ${isSourceFile(file) ? 'analyzed' : 'read'}: ${reason}`;
}

export interface ProgramInput {
  rootNames: string[];
  options?: ts.CompilerOptions;
  /** Unsaved contents by absolute file name: they win over the disk. */
  overlay?: ReadonlyMap<string, string>;
  oldProgram?: ts.Program;
  /** Filled with the files left out: not regular files, too large, unreadable, nested too deep. */
  skipped?: SkippedFiles;
  /** Files to take as empty modules (absolute paths). */
  leaveOut?: ReadonlySet<string>;
}

/**
 * Declaration files parsed once per process: TypeScript's lib files, the shim's and other
 * packages' types. Every analysis needs them, and parsing them is most of a small program's
 * analysis (the command line analyzes one program, but the language server, the test suite and
 * the benchmarks analyze many in one process). A file is reused while its text is the same and it
 * is parsed for the same target and module format; TypeScript shares bound declaration files
 * between programs this way too (its language service's document registry): merging globals
 * copies their symbols, it does not change them. Bounded by the text it holds.
 */
const declarations = new Map<string, { text: string; sf: ts.SourceFile }>();
let declarationChars = 0;
const MAX_DECLARATION_CHARS = 64_000_000;

function declarationKey(fileName: string, languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions): string {
  const o = typeof languageVersion === 'object' ? languageVersion : { languageVersion };
  return `${fileName}|${o.languageVersion}|${o.impliedNodeFormat ?? ''}|${o.jsDocParsingMode ?? ''}`;
}

/**
 * JSDoc is parsed only where it can change types (JavaScript files), as `tsc` does: the analysis
 * reads no documentation, and scanning the comments of TypeScript's lib files was a tenth of a
 * small program's analysis.
 */
export const JSDOC_PARSING = ts.JSDocParsingMode.ParseForTypeErrors;

export function createProgram(input: ProgramInput): ts.Program {
  const options = input.options ?? DEFAULT_OPTIONS;
  const host = ts.createCompilerHost(options, true);
  host.jsDocParsingMode = JSDOC_PARSING;
  const { overlay, skipped, leaveOut } = input;
  host.readFile = (f) => overlay?.get(path.resolve(f)) ?? readForAnalysis(f, skipped);
  if (overlay && overlay.size > 0) {
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (f) => overlay.has(path.resolve(f)) || fileExists(f);
  }
  host.getSourceFile = (fileName, languageVersion) => {
    const file = path.resolve(fileName);
    const text = leaveOut?.has(file) ? '' : host.readFile(fileName);
    if (text === undefined) return undefined;
    const shared = /\.d\.[mc]?ts$/.test(fileName) && !overlay?.has(file) && text !== '';
    const key = shared ? declarationKey(fileName, languageVersion) : '';
    const known = shared ? declarations.get(key) : undefined;
    if (known && known.text === text) return known.sf;
    const parsed = checkedSourceFile(fileName, () => ts.createSourceFile(fileName, text, languageVersion, true), languageVersion);
    if (parsed.skipped) skipped?.set(file, parsed.skipped);
    else if (shared) remember(key, text, parsed.sf);
    return parsed.sf;
  };
  return ts.createProgram({ rootNames: input.rootNames, options, host, ...(input.oldProgram ? { oldProgram: input.oldProgram } : {}) });
}

function remember(key: string, text: string, sf: ts.SourceFile): void {
  const old = declarations.get(key);
  if (old) declarationChars -= old.text.length;
  if (declarationChars + text.length > MAX_DECLARATION_CHARS) {
    declarations.clear();
    declarationChars = 0;
  }
  declarations.set(key, { text, sf });
  declarationChars += text.length;
}

/** Folders that hold dependencies or build output, not the program's source. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'out', 'build', 'coverage', 'bower_components']);

/**
 * Source files below a folder (no dependencies, build output or dot folders), sorted. Symlinked
 * folders are not followed (no loops); symlinked files are listed, and read only if they lead to
 * a regular file. A folder that cannot be read is recorded in `skipped`.
 */
export function listSourceFiles(dir: string, limit = Infinity, skipped?: SkippedFiles): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') skipped?.set(d, `the folder cannot be read (${describeFsError(err, d)})`);
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= limit) return;
      if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (isSourceFile(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

export function isSourceFile(name: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts');
}
