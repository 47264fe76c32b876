// The analysis state the language server keeps between edits (it lives in the analysis worker,
// see worker.ts): the open documents, the parsed source files of every project, the last program
// of each project, and the project each file belongs to. Nothing here speaks LSP.
//
// What makes an edit cheap:
// - Source files are cached by content (an open document's revision, a disk file's mtime and
//   size) and handed to TypeScript again, so a new program re-parses only the edited file, and
//   that incrementally (see `reparse`); `oldProgram` reuses the rest of the structure (module
//   resolution included).
// - Only the entries that can reach the edited file are analyzed: the file itself and the
//   modules that import it, directly or not (a program is an entry plus what it reaches, and a
//   module reaches another one only through imports). A script (no import or export) shares the
//   global scope with everything, so for one every file takes part.
// What keeps one bad file from breaking the rest: a file TypeScript cannot parse, or one nested
// so deep that binding or analyzing it overflows the stack, is left out of the programs (as an
// empty module) until its text changes; the analysis of that file itself says why it was not
// analyzed. Files are read only through analysis/files.ts (regular files, up to a size cap):
// what is not read, and a tsconfig.json that cannot be used, is named in the outcome's notes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import ts from '../analysis/typescript';
import { emptyModel, type TopologyModel } from '../../../common/model';
import { AnalysisCancelled, analyzePrograms, mergeModels, programsContaining, type AnalyzeOptions, type ProgramModel } from '../analysis/analyze';
import { readConfigFile, type ConfigFileResult } from '../analysis/config-file';
import { checkedSourceFile, MAX_NESTING_AFTER_OVERFLOW, nestingDepth, tooDeepReason } from '../analysis/nesting';
import {
  ConfigError, DEFAULT_OPTIONS, findTsconfig, isSourceFile, JSDOC_PARSING, listSourceFiles, readForAnalysis, readTsconfig, skipNote, type SkippedFiles,
} from '../analysis/program';

/** A project without tsconfig.json: at most this many of its folder's source files take part. */
export const MAX_WORKSPACE_FILES = 3000;
/** Project listings (tsconfig file lists, folder walks) are read again after this long. */
const LISTING_TTL_MS = 10_000;
/** Programs kept for `oldProgram` reuse (each holds a type checker): the most recently used. */
const MAX_LIVE_PROGRAMS = 4;

export interface SessionSettings {
  shimModules: readonly string[];
  stateBudget?: number | undefined;
}

export interface AnalysisOutcome {
  model: TopologyModel;
  /** Source files in the program and entries analyzed (the edited file and its importers). */
  files: number;
  entries: number;
  /** Milliseconds spent updating the program (parse, bind, module resolution) and choosing entries. */
  programMs: number;
  /** Why the file was not analyzed, when it was not. */
  skipped?: string;
}

/** The whole workspace's analysis (the `workspace` diagnostics scope): one model per folder. */
export interface WorkspaceOutcome {
  models: { root: string; model: TopologyModel }[];
  files: number;
  programs: number;
}

interface CachedSourceFile {
  stamp: string;
  sf: ts.SourceFile;
}

interface Listing<T> {
  at: number;
  value: T;
}

export class AnalysisSession {
  private readonly docs = new Map<string, { rev: number; text: string }>();
  private rev = 0;
  private settings: SessionSettings = { shimModules: [] };
  private readonly sourceFiles = new Map<string, CachedSourceFile>();
  /** Per project key, its last program; a Map kept in least-recently-used order. */
  private readonly programs = new Map<string, { program: ts.Program; optionsKey: string }>();
  private readonly configs = new Map<string, Listing<{ options: ts.CompilerOptions; fileNames: string[] } | ConfigError>>();
  private readonly folders = new Map<string, Listing<string[]>>();
  /** Per workspace folder: its process-topology.json (read again with the listings). */
  private readonly projectConfigs = new Map<string, Listing<ConfigFileResult>>();
  /** Per workspace folder: the folders below it that could not be listed (last walk). */
  private readonly folderSkips = new Map<string, SkippedFiles>();
  private readonly importsOf = new WeakMap<ts.SourceFile, ts.StringLiteralLike[]>();
  /** Files whose incremental parse was once slower than a fresh one would have been. */
  private readonly parseAfresh = new Set<string>();
  /** Files left out of the programs (as an empty module), for the version with this stamp. */
  private readonly excluded = new Map<string, { stamp: string; reason: string }>();
  /** Per project key: the files its program asked for and could not read, with why (when it was last built). */
  private readonly unread = new Map<string, SkippedFiles>();
  /** Where the program being built records the files it cannot read. */
  private building: SkippedFiles | undefined;
  /** The running analysis's cancellation check. */
  private isCancelled: (() => boolean) | undefined;
  private readonly graphs = new WeakMap<ts.Program, ImportGraph>();
  /**
   * The last outcome per file, with what it was computed from: the entries, the compiler options,
   * and the source file objects of everything they import (a file's object changes with its
   * text). When none of that changed (another file was edited, one this file's programs do not
   * read), the outcome is reused instead of analyzing again.
   */
  private readonly outcomes = new Map<string, { key: string; deps: ts.SourceFile[]; outcome: AnalysisOutcome }>();
  /** Analyses answered from `outcomes`, for tests. */
  reused = 0;

  constructor(private readonly workspaceFolders: readonly string[], private readonly log: (msg: string) => void = () => undefined) {}

  setSettings(settings: SessionSettings): void {
    this.settings = settings;
    this.outcomes.clear();
  }

  /** An open document's contents: they win over the disk. */
  setDocument(file: string, text: string): void {
    this.docs.set(path.resolve(file), { rev: ++this.rev, text });
  }

  removeDocument(file: string): void {
    this.docs.delete(path.resolve(file));
    // Only open documents are analyzed one by one: a closed one's outcome would only hold memory.
    this.outcomes.delete(path.resolve(file));
  }

  /** Files were created, deleted or changed on disk: read tsconfig files and folders again. */
  invalidateListings(): void {
    this.configs.clear();
    this.folders.clear();
    this.projectConfigs.clear();
  }

  /** After an analysis threw: TypeScript may have left a half-bound source file behind. */
  reset(): void {
    this.sourceFiles.clear();
    this.parseAfresh.clear();
    this.excluded.clear();
    this.unread.clear();
    this.programs.clear();
    this.outcomes.clear();
    this.invalidateListings();
  }

  get cachedSourceFiles(): number {
    return this.sourceFiles.size;
  }

  rootFor(file: string): string {
    const folder = this.workspaceFolders
      .filter((f) => file === f || file.startsWith(f + path.sep))
      .sort((a, b) => b.length - a.length)[0];
    return folder ?? path.dirname(file);
  }

  /**
   * The model of the programs `file` takes part in. Throws what the analysis throws, and
   * AnalysisCancelled once `isCancelled` says so (checked between programs and rules).
   */
  analyze(file: string, isCancelled?: () => boolean): AnalysisOutcome {
    file = path.resolve(file);
    this.isCancelled = isCancelled;
    try {
      return this.analyzeOnce(file);
    } catch (err) {
      if (err instanceof AnalysisCancelled) throw err;
      // Most likely a stack overflow: TypeScript's binder or checker, or the analysis, on a file
      // nested thousands of levels deep, maybe one that only sits in the same project. Leave
      // such files out from now on and try once more; if that fails too, the caller resets.
      if (this.excludeDeepFiles() === 0) throw err;
      this.programs.clear();
      return this.analyzeOnce(file);
    }
  }

  private analyzeOnce(file: string): AnalysisOutcome {
    const root = this.rootFor(file);
    const rootUri = pathToFileURL(root).href;
    if (!isSourceFile(file)) return { model: emptyModel(rootUri), files: 0, entries: 0, programMs: 0 };
    const started = performance.now();
    const project = this.projectOf(file, root);
    const files = [...new Set([...project.files.map((f) => path.resolve(f)), file])];
    const options = this.optionsFor(file, root);
    const program = this.program(project.key, files, options);
    const skipped = this.excluded.get(file)?.reason ?? this.unread.get(project.key)?.get(file);
    if (skipped) {
      return {
        model: { ...emptyModel(rootUri), notes: this.notes(program, project.key, root, file) },
        files: program.getSourceFiles().length, entries: 0, programMs: Math.round(performance.now() - started), skipped,
      };
    }
    const entries = this.entriesReaching(program, files, file);
    const deps = this.dependencies(program, entries);
    const key = JSON.stringify([entries, this.programs.get(project.key)?.optionsKey, this.effectiveSettings(root)]);
    const last = this.outcomes.get(file);
    // What was left out is said afresh each time (a FIFO removed, a config file fixed change no import).
    const withNotes = (o: AnalysisOutcome): AnalysisOutcome => {
      const notes = this.notes(program, project.key, root, file);
      return notes.length === 0 ? o : { ...o, model: { ...o.model, notes: [...notes, ...(o.model.notes ?? [])] } };
    };
    if (deps && last && last.key === key && last.deps.length === deps.length && last.deps.every((sf, i) => deps[i] === sf)) {
      this.reused++;
      return withNotes({ ...last.outcome, programMs: Math.round(performance.now() - started) });
    }
    const programMs = Math.round(performance.now() - started);
    const results = analyzePrograms(program, this.analyzeOptions(root, entries, project.key));
    const mine = programsContaining(results, file);
    const model = mergeModels(rootUri, mine);
    const outcome = { model, files: program.getSourceFiles().length, entries: entries.length, programMs };
    if (deps) this.outcomes.set(file, { key, deps, outcome });
    else this.outcomes.delete(file);
    return withNotes(outcome);
  }

  /**
   * Every program of every workspace folder: each project (a tsconfig.json, or the folder as an
   * inferred project) with all of its files as entries. Throws what the analysis throws.
   */
  analyzeWorkspace(isCancelled?: () => boolean, onProgress?: (done: number, total: number) => void): WorkspaceOutcome {
    this.isCancelled = isCancelled;
    try {
      return this.analyzeWorkspaceOnce(onProgress);
    } catch (err) {
      if (err instanceof AnalysisCancelled) throw err;
      // As in `analyze`: leave out the files nested too deep to follow, and try once more.
      if (this.excludeDeepFiles() === 0) throw err;
      this.programs.clear();
      return this.analyzeWorkspaceOnce(onProgress);
    }
  }

  private analyzeWorkspaceOnce(onProgress?: (done: number, total: number) => void): WorkspaceOutcome {
    const models: WorkspaceOutcome['models'] = [];
    let files = 0;
    let programs = 0;
    // Progress over the whole workspace: every folder's projects are listed first, for the total.
    const folders: { root: string; projects: Map<string, { files: string[]; options: ts.CompilerOptions; members: string[] }> }[] = [];
    for (const root of this.workspaceFolders) {
      // Open documents count even when the folder walk does not list them (new, unsaved files).
      const listed = new Set(this.folderFiles(root).map((f) => path.resolve(f)));
      for (const doc of this.docs.keys()) if (this.rootFor(doc) === root && isSourceFile(doc)) listed.add(doc);
      const projects = new Map<string, { files: string[]; options: ts.CompilerOptions; members: string[] }>();
      for (const file of listed) {
        const project = this.projectOf(file, root);
        let p = projects.get(project.key);
        if (!p) projects.set(project.key, (p = { files: project.files.map((f) => path.resolve(f)), options: this.optionsFor(file, root), members: [] }));
        p.members.push(file);
      }
      folders.push({ root, projects });
    }
    const total = folders.reduce((n, f) => n + [...f.projects.values()].reduce((m, p) => m + p.members.length, 0), 0);
    for (const { root, projects } of folders) {
      const results: ProgramModel[] = [];
      const notes = new Set<string>();
      for (const [key, p] of projects) {
        const program = this.program(key, [...new Set([...p.files, ...p.members])], p.options);
        // Files left out (unparsable, nested too deep) are not entries.
        const entries = p.members.filter((f) => !this.excluded.has(f));
        const done = files;
        for (const r of analyzePrograms(program, {
          ...this.analyzeOptions(root, entries, key),
          ...(onProgress ? { onProgress: (n: number) => onProgress(done + n, total) } : {}),
        })) results.push({ model: r.model, entry: r.entry, module: r.module });
        for (const note of this.notes(program, key, root)) notes.add(note);
        files += entries.length;
        programs++;
      }
      const model = mergeModels(pathToFileURL(root).href, results);
      if (notes.size > 0) model.notes = [...[...notes].sort(), ...(model.notes ?? [])];
      models.push({ root, model });
    }
    return { models, files, programs };
  }

  /**
   * The shim modules and state budget for a workspace folder: the editor's settings over the
   * folder's process-topology.json (the shim modules of both count).
   */
  private effectiveSettings(root: string): { shimModules: string[]; stateBudget?: number } {
    const file = this.projectConfig(root).config;
    const shimModules = [...new Set([...file.shimModules ?? [], ...this.settings.shimModules])];
    const stateBudget = this.settings.stateBudget ?? file.stateBudget;
    return { shimModules, ...(stateBudget ? { stateBudget } : {}) };
  }

  private projectConfig(root: string): ConfigFileResult {
    const hit = this.projectConfigs.get(root);
    if (hit && Date.now() - hit.at < LISTING_TTL_MS) return hit.value;
    const value = readConfigFile(root);
    for (const e of value.errors) this.log(`${path.join(root, e)}`);
    this.projectConfigs.set(root, { at: Date.now(), value });
    return value;
  }

  private analyzeOptions(root: string, entries: readonly string[], key: string): AnalyzeOptions {
    return {
      rootDir: root, files: entries, ...this.effectiveSettings(root),
      // Typing stays fast: a program in phases gets one budget in all here (the CLI gives it three).
      phaseBudgets: 1,
      ...(this.isCancelled ? { shouldStop: this.isCancelled } : {}),
      // A package.json the shim's recognition could not read counts with the files its program could not.
      skipped: this.unread.get(key) ?? new Map(),
    };
  }

  /**
   * What an analysis left out, as notes: the files its program could not read or took as empty
   * (nested too deep), folders of an inferred project that could not be listed, and a
   * tsconfig.json that could not be used (its default options were). `file`: the analyzed file,
   * whose tsconfig.json files count; else every one in the folder.
   */
  private notes(program: ts.Program, key: string, root: string, file?: string): string[] {
    const out = new Set<string>();
    for (const e of this.projectConfig(root).errors) out.add(`${e} (ignored)`);
    for (const [f, reason] of this.unread.get(key) ?? []) out.add(skipNote(f, reason, root));
    if (key === root) for (const [f, reason] of this.folderSkips.get(root) ?? []) out.add(skipNote(f, reason, root));
    for (const [f, { reason }] of this.excluded) if (program.getSourceFile(f)) out.add(skipNote(f, reason, root));
    const configs = file ? [...this.tsconfigsAbove(file, root)] : [...this.configs.keys()].filter((c) => c.startsWith(root + path.sep));
    for (const c of configs) {
      const value = this.configs.get(c)?.value;
      if (value instanceof ConfigError) out.add(`${value.relativeTo(root)} (the default compiler options are used)`);
    }
    return [...out].sort();
  }

  private *tsconfigsAbove(file: string, root: string): Iterable<string> {
    for (let config = findTsconfig(file, root); config; config = findTsconfig(path.dirname(config), root)) {
      yield config;
      if (path.dirname(config) === root) return;
    }
  }

  /**
   * Leaves a file's current version out of every program: it is replaced by an empty module
   * until its text changes (TypeScript could not parse it, or it nests too deep).
   */
  private exclude(file: string, reason: string): void {
    const stamp = this.stampOf(file);
    if (stamp !== undefined) this.excluded.set(file, { stamp, reason });
    for (const key of [...this.sourceFiles.keys()]) if (key.endsWith(`|${file}`)) this.sourceFiles.delete(key);
  }

  /** Excludes the source files of the live programs that nest too deep; how many there were. */
  private excludeDeepFiles(): number {
    let n = 0;
    const seen = new Set<string>();
    for (const { program } of this.programs.values()) {
      for (const sf of program.getSourceFiles()) {
        const file = path.resolve(sf.fileName);
        if (seen.has(file) || this.excluded.has(file)) continue;
        seen.add(file);
        // Something overflowed the stack: below the usual limit, the deepest files are suspect.
        const depth = nestingDepth(sf);
        if (depth > MAX_NESTING_AFTER_OVERFLOW) {
          this.exclude(file, `${tooDeepReason(depth, MAX_NESTING_AFTER_OVERFLOW)} (the stack overflowed)`);
          n++;
        }
      }
    }
    return n;
  }

  // ---- projects --------------------------------------------------------------------------------

  private config(file: string): { options: ts.CompilerOptions; fileNames: string[] } | ConfigError {
    const hit = this.configs.get(file);
    if (hit && Date.now() - hit.at < LISTING_TTL_MS) return hit.value;
    let value: { options: ts.CompilerOptions; fileNames: string[] } | ConfigError;
    try {
      value = readTsconfig(file);
    } catch (err) {
      value = err instanceof ConfigError ? err : new ConfigError(file, err instanceof Error ? err.message : String(err));
      this.log(value.message);
    }
    this.configs.set(file, { at: Date.now(), value });
    return value;
  }

  private folderFiles(root: string): string[] {
    const hit = this.folders.get(root);
    if (hit && Date.now() - hit.at < LISTING_TTL_MS) return hit.value;
    const skipped: SkippedFiles = new Map();
    const value = listSourceFiles(root, MAX_WORKSPACE_FILES, skipped);
    this.folderSkips.set(root, skipped);
    this.folders.set(root, { at: Date.now(), value });
    return value;
  }

  private optionsFor(file: string, root: string): ts.CompilerOptions {
    const config = findTsconfig(file, root);
    if (!config) return DEFAULT_OPTIONS;
    const c = this.config(config);
    return c instanceof ConfigError ? DEFAULT_OPTIONS : c.options;
  }

  /**
   * The project a file belongs to: the nearest tsconfig.json that includes it (stopping at the
   * workspace folder), else the whole workspace folder, as an inferred project.
   */
  private projectOf(file: string, root: string): { key: string; files: string[] } {
    for (let config = findTsconfig(file, root); config; config = findTsconfig(path.dirname(config), root)) {
      const c = this.config(config);
      if (!(c instanceof ConfigError)) {
        const listed = c.fileNames.filter(isSourceFile);
        if (listed.some((f) => path.resolve(f) === file)) return { key: config, files: listed };
      }
      if (path.dirname(config) === root) break;
    }
    return { key: root, files: this.folderFiles(root) };
  }

  // ---- programs --------------------------------------------------------------------------------

  private program(key: string, rootNames: string[], options: ts.CompilerOptions): ts.Program {
    const optionsKey = JSON.stringify(options);
    const old = this.programs.get(key);
    const host = this.host(options);
    const unread: SkippedFiles = new Map();
    this.building = unread;
    let program: ts.Program;
    try {
      program = ts.createProgram({
        rootNames, options, host, ...(old && old.optionsKey === optionsKey ? { oldProgram: old.program } : {}),
      });
    } finally {
      this.building = undefined;
    }
    this.unread.set(key, unread);
    this.programs.delete(key);
    this.programs.set(key, { program, optionsKey });
    while (this.programs.size > MAX_LIVE_PROGRAMS) {
      const evicted = this.programs.keys().next().value!;
      this.programs.delete(evicted);
      this.unread.delete(evicted);
    }
    this.evict();
    return program;
  }

  /** Drops cached source files that no live program uses (closed documents, deleted files). */
  private evict(): void {
    const live = new Set<string>();
    for (const { program } of this.programs.values()) for (const sf of program.getSourceFiles()) live.add(path.resolve(sf.fileName));
    for (const [key] of this.sourceFiles) if (!live.has(key.slice(key.indexOf('|') + 1))) this.sourceFiles.delete(key);
  }

  private host(options: ts.CompilerOptions): ts.CompilerHost {
    const host = ts.createCompilerHost(options, true);
    host.jsDocParsingMode = JSDOC_PARSING;
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (f) => this.docs.has(path.resolve(f)) || fileExists(f);
    host.readFile = (f) => this.docs.get(path.resolve(f))?.text ?? readForAnalysis(f, this.building);
    host.getSourceFile = (fileName, languageVersionOrOptions) => {
      const file = path.resolve(fileName);
      const stamp = this.stampOf(file);
      // Not a regular file (or gone): read through files.ts all the same, for the note that says why.
      if (stamp === undefined) return void readForAnalysis(file, this.building);
      const opts = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
      // What else changes how a file parses: its module format, and when it counts as a module.
      const key = `${opts.languageVersion}:${opts.impliedNodeFormat ?? ''}:${opts.jsDocParsingMode ?? ''}:${options.moduleDetection ?? ''}:${options.jsx ?? ''}|${file}`;
      const hit = this.sourceFiles.get(key);
      if (hit && hit.stamp === stamp) return hit.sf;
      const out = this.excluded.get(file);
      if (out && out.stamp !== stamp) this.excluded.delete(file);
      const text = out?.stamp === stamp ? '' : this.docs.get(file)?.text ?? readForAnalysis(fileName, this.building);
      if (text === undefined) return undefined;
      const parse = (): ts.SourceFile => ts.createSourceFile(fileName, text, languageVersionOrOptions, true);
      // A stack overflow in the parser (thousands of nested parentheses), or a file nested deeper
      // than the analysis follows: left out, as an empty module, until its text changes.
      const parsed = checkedSourceFile(fileName, () => {
        if (!hit || this.parseAfresh.has(file)) return parse();
        const started = performance.now();
        const sf = reparse(hit.sf, text, parse);
        // Slower than a fresh parse of that size would be (about 0.5 ms per KB): TypeScript's
        // incremental parser hit a case it handles badly; do not risk it again for this file.
        if (performance.now() - started > 100 + text.length / 2000) this.parseAfresh.add(file);
        return sf;
      }, languageVersionOrOptions);
      if (parsed.skipped) this.excluded.set(file, { stamp, reason: parsed.skipped });
      this.sourceFiles.set(key, { stamp, sf: parsed.sf });
      return parsed.sf;
    };
    return host;
  }

  /** What identifies a file's contents: an open document's revision, or mtime and size on disk. */
  private stampOf(file: string): string | undefined {
    const doc = this.docs.get(file);
    if (doc) return `doc:${doc.rev}`;
    try {
      const st = fs.statSync(file);
      return st.isFile() ? `disk:${st.mtimeMs}:${st.size}` : undefined;
    } catch {
      return undefined;
    }
  }

  // ---- which entries can reach a file ----------------------------------------------------------

  /** Who imports whom in a program (module specifiers and `/// <reference path>`), per program. */
  private importGraph(program: ts.Program): ImportGraph {
    const cached = this.graphs.get(program);
    if (cached) return cached;
    const checker = program.getTypeChecker();
    const graph: ImportGraph = { importers: new Map(), imports: new Map() };
    const add = (map: Map<ts.SourceFile, ts.SourceFile[]>, key: ts.SourceFile, value: ts.SourceFile): void => {
      let list = map.get(key);
      if (!list) map.set(key, (list = []));
      list.push(value);
    };
    const edge = (from: ts.SourceFile, to: ts.SourceFile | undefined): void => {
      if (!to || to === from) return;
      add(graph.importers, to, from);
      add(graph.imports, from, to);
    };
    for (const sf of program.getSourceFiles()) {
      if (sf.isDeclarationFile) continue;
      for (const spec of this.moduleSpecifiers(sf)) edge(sf, resolvedFile(checker, spec));
      for (const ref of sf.referencedFiles) edge(sf, program.getSourceFile(path.resolve(path.dirname(sf.fileName), ref.fileName)));
    }
    this.graphs.set(program, graph);
    return graph;
  }

  /**
   * The files that can be an entry of a program containing `file`: `file` and every module that
   * imports it, directly or through others. Every file when a script is among them: a script's
   * declarations are global, so anything can reach it without an import.
   */
  entriesReaching(program: ts.Program, files: readonly string[], file: string): string[] {
    const target = program.getSourceFile(file);
    if (!target || files.length <= 1) return [...files];
    const { importers } = this.importGraph(program);
    const reaching = new Set<ts.SourceFile>([target]);
    const queue = [target];
    while (queue.length > 0) {
      const sf = queue.pop()!;
      if (!isModule(sf)) return [...files];
      for (const from of importers.get(sf) ?? []) {
        if (!reaching.has(from)) {
          reaching.add(from);
          queue.push(from);
        }
      }
    }
    const names = new Set([...reaching].map((sf) => path.resolve(sf.fileName)));
    return files.filter((f) => names.has(path.resolve(f)));
  }

  /**
   * Everything the analysis of `entries` can read: the modules they import, directly or not,
   * and every declaration file (types). Undefined when a script is among them (its declarations
   * are global: any file can change what it means).
   */
  private dependencies(program: ts.Program, entries: readonly string[]): ts.SourceFile[] | undefined {
    const { imports } = this.importGraph(program);
    const seen = new Set<ts.SourceFile>();
    const queue: ts.SourceFile[] = [];
    for (const e of entries) {
      const sf = program.getSourceFile(e);
      if (sf && !seen.has(sf)) {
        seen.add(sf);
        queue.push(sf);
      }
    }
    while (queue.length > 0) {
      const sf = queue.pop()!;
      if (!sf.isDeclarationFile && !isModule(sf)) return undefined;
      for (const to of imports.get(sf) ?? []) {
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    for (const sf of program.getSourceFiles()) if (sf.isDeclarationFile) seen.add(sf);
    return [...seen];
  }

  /** Every module name a file mentions: imports, exports from, import(), require(), import types. */
  private moduleSpecifiers(sf: ts.SourceFile): ts.StringLiteralLike[] {
    const cached = this.importsOf.get(sf);
    if (cached) return cached;
    const out: ts.StringLiteralLike[] = [];
    // Imports, exports and module declarations are statements of the file; calls to import() and
    // require(), and import types, can be anywhere, but only where the text has them.
    const everywhere = /\b(?:import|require)\s*\(/.test(sf.text);
    // An explicit stack, no recursion: machine-written or mangled files nest thousands deep.
    const stack: ts.Node[] = everywhere ? [sf] : [...sf.statements];
    const push = (child: ts.Node): undefined => {
      stack.push(child);
      return undefined;
    };
    while (stack.length > 0) {
      const node = stack.pop()!;
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteralLike(node.moduleSpecifier)) {
        out.push(node.moduleSpecifier);
      } else if (ts.isExternalModuleReference(node) && ts.isStringLiteralLike(node.expression)) {
        out.push(node.expression);
      } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0]!)
        && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
        out.push(node.arguments[0]!);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteralLike(node.argument.literal)) {
        out.push(node.argument.literal);
      } else if (ts.isModuleDeclaration(node) && ts.isStringLiteralLike(node.name)) {
        out.push(node.name); // `declare module './x'`: an augmentation of another file
      }
      if (everywhere) ts.forEachChild(node, push);
    }
    this.importsOf.set(sf, out);
    return out;
  }
}

/**
 * The new version of a source file, parsed incrementally from the old one as TypeScript's own
 * language service does: the edited span (the text between the common prefix and the common
 * suffix) is parsed again, the unchanged nodes around it are reused. Typing into a 2,000-line
 * file then costs a few milliseconds instead of a full parse. The old version must not be
 * analyzed afterwards (its nodes move to the new tree); only the program it belonged to, kept
 * as `oldProgram`, still refers to it, for structure reuse.
 */
export function reparse(old: ts.SourceFile, text: string, fresh: () => ts.SourceFile): ts.SourceFile {
  const before = old.text;
  if (before === text) return old;
  // TypeScript's incremental parser can take far longer than a fresh parse. The fuzz found two
  // cases: an edit after which the rest of a file is tokenized anew inside template literals is
  // quadratic in their spans (200 KB of `a${b}`: 4.2 s against 0.1 s; 1 MB: 7 s against 0.5 s);
  // and after heavy error recovery it is worse (an edit of a broken 1 MB template: 464 s).
  // So reuse only trees that parsed cleanly, as a file being typed into mostly is (the first
  // keystroke that breaks it parses afresh once), and without many template spans.
  if (hasParseErrors(old) || occurrences(before, '${', MAX_TEMPLATE_SPANS) >= MAX_TEMPLATE_SPANS) return fresh();
  const common = Math.min(before.length, text.length);
  let start = 0;
  while (start < common && before.charCodeAt(start) === text.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = text.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === text.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  const change = ts.createTextChangeRange(ts.createTextSpan(start, endBefore - start), endAfter - start);
  try {
    return ts.updateSourceFile(old, text, change, false);
  } catch {
    return fresh();
  }
}

/** Template spans past which a file is never parsed incrementally (see `reparse`). */
const MAX_TEMPLATE_SPANS = 500;

/** How often `needle` occurs in `text`, counting up to `limit`. */
function occurrences(text: string, needle: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0 && n < limit; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

function hasParseErrors(sf: ts.SourceFile): boolean {
  const diagnostics = (sf as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
  return diagnostics === undefined || diagnostics.length > 0;
}

/** A JavaScript file that uses require or module.exports: TypeScript treats it as a module. */
function isCommonJsModule(sf: ts.SourceFile): boolean {
  return (sf as unknown as { commonJsModuleIndicator?: unknown }).commonJsModuleIndicator !== undefined;
}

function isModule(sf: ts.SourceFile): boolean {
  return ts.isExternalModule(sf) || isCommonJsModule(sf);
}

interface ImportGraph {
  importers: Map<ts.SourceFile, ts.SourceFile[]>;
  imports: Map<ts.SourceFile, ts.SourceFile[]>;
}

function resolvedFile(checker: ts.TypeChecker, spec: ts.StringLiteralLike): ts.SourceFile | undefined {
  let symbol: ts.Symbol | undefined;
  try {
    symbol = checker.getSymbolAtLocation(spec);
  } catch {
    return undefined;
  }
  const decl = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (!decl) return undefined;
  return ts.isSourceFile(decl) ? decl : decl.getSourceFile();
}
