// The pure entry of the analysis: a TypeScript program in, the topology model out. The CLI, the
// language server and the tests all call `analyzePrograms` / `analyzeProgram`.
import { pathToFileURL } from 'node:url';
import ts from './typescript';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MODEL_VERSION, type Finding, type Location, type ModelEdge, type ModelProgram, type TopologyModel } from '../../../common/model';
import { Extractor, type Extraction } from './extract';
import { RULES } from './rule-registry';
import { Passes } from './passes';
import { annotateSentinels } from './passes/sentinels';
import type { AnalysisStats, RuleContext } from './rule-context';
import { SHIM_PACKAGE, ShimResolver } from './shim';
import { isStackOverflow, MAX_NESTING_AFTER_OVERFLOW, nestingDepth, tooDeepReason } from './nesting';
import { createProgram, skipNote, type SkippedFiles } from './program';
import { applySuppressions, parseSuppressions, suppressionFindings, type Suppression } from './suppressions';
import { buildTopology, Locator } from './topology';

export interface AnalyzeOptions {
  /** Folder that model paths are relative to. */
  rootDir: string;
  /** Files to analyze as possible entries; default: every root file of the program. */
  files?: readonly string[];
  /** Module names that count as the shim besides `@process-topology/multiprocessing`. */
  shimModules?: readonly string[];
  /** States the deadlock checker may explore per program (per phase of a phased one: explore.ts). */
  stateBudget?: number;
  /** Milliseconds the deadlock checker may take per program (default DEFAULT_TIME_BUDGET_MS). */
  timeBudgetMs?: number;
  /**
   * Budgets a program in phases may explore in all (default 3, see explore.ts). The language
   * server gives 1: while the user types, a long phased program says "no claim" instead of
   * taking seconds; the command line checks it to its end.
   */
  phaseBudgets?: number;
  /** Filled with what the rules cost, when given. */
  stats?: AnalysisStats;
  /**
   * True once the result is no longer wanted (the language server's analysis of a text that a
   * newer edit replaced): asked between programs and between rules, it stops the analysis with
   * `AnalysisCancelled`.
   */
  shouldStop?: () => boolean;
  /** Filled with the files left out (a package.json that is not a regular file), with why. */
  skipped?: SkippedFiles;
  /**
   * Only the programs that reach one of these files (absolute paths) are analyzed
   * (`check --changed-since`): the others are extracted, to know what they reach, but no rule runs.
   */
  onlyReaching?: ReadonlySet<string>;
  /** Told after each file considered as an entry: how many of how many (the CLI's progress line). */
  onProgress?: (done: number, total: number) => void;
}

/** Thrown when `AnalyzeOptions.shouldStop` says to stop. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('the analysis was cancelled');
  }
}

/** A program's model with what names it: its entry file (relative to the model's root). */
export interface ProgramModel {
  model: TopologyModel;
  entry: string;
  /** A module no entry reaches, analyzed on its own. */
  module: boolean;
}

/** One program: an entry module with what it imports, or a module no entry reaches, on its own. */
export interface ProgramResult extends ProgramModel {
  extraction: Extraction;
}

/**
 * Every program among `files`: each entry (a module whose top-level code uses the shim, guarded or
 * not) with the modules it reaches, then each module that uses the shim but no entry reaches.
 */
export function analyzePrograms(program: ts.Program, opts: AnalyzeOptions): ProgramResult[] {
  const checker = program.getTypeChecker();
  const shim = new ShimResolver(checker, opts.shimModules, opts.skipped);
  const locator = new Locator(opts.rootDir);
  const root = pathToFileURL(opts.rootDir).href;
  const sources = (opts.files ?? program.getRootFileNames())
    .map((f) => program.getSourceFile(f))
    .filter((sf): sf is ts.SourceFile => !!sf && !sf.isDeclarationFile && !shim.isShimFile(sf.fileName));
  const results: ProgramResult[] = [];
  const stats = opts.stats;
  const addExtract = (ms: number): void => { if (stats) stats.extractMs = (stats.extractMs ?? 0) + ms; };
  const timed = <T>(f: () => T, add: (ms: number) => void): T => {
    if (!stats) return f();
    const t = performance.now();
    try { return f(); } finally { add(performance.now() - t); }
  };
  const run = (extraction: Extraction): void => {
    const topology = timed(() => buildTopology(extraction, locator), (ms) => { if (stats) stats.topologyMs = (stats.topologyMs ?? 0) + ms; });
    const notes: string[] = [];
    // What the model says of its nodes beyond the drawing (the sentinels of a queue), for the hover,
    // the graph and the CLI's JSON alike.
    annotateSentinels(extraction, topology, checker);
    const ctx: RuleContext = {
      checker, extraction, topology, locator, notes, passes: new Passes(extraction, checker),
      ...(opts.stateBudget ? { stateBudget: opts.stateBudget } : {}), ...(opts.timeBudgetMs ? { timeBudgetMs: opts.timeBudgetMs } : {}), ...(opts.phaseBudgets ? { phaseBudgets: opts.phaseBudgets } : {}),
      ...(opts.stats ? { stats: opts.stats } : {}),
      ...(opts.shouldStop ? { shouldStop: opts.shouldStop } : {}),
    };
    const ruleMs = stats ? (stats.ruleMs ??= {}) : undefined;
    const all: Finding[] = [];
    for (const [id, rule] of RULES) {
      const find = rule.run;
      if (!find) continue; // the suppression hints: see suppress() below
      if (opts.shouldStop?.()) throw new AnalysisCancelled();
      for (const f of timed(() => find(ctx), (ms) => { if (ruleMs) ruleMs[id] = (ruleMs[id] ?? 0) + ms; })) all.push(f);
    }
    // A rule (the checker) may have been stopped half-way: then nothing of it counts.
    if (opts.shouldStop?.()) throw new AnalysisCancelled();
    const findings = mostSpecific(all);
    const model: TopologyModel = { version: MODEL_VERSION, root, nodes: topology.nodes, edges: topology.edges, findings: findings.sort(compareFindings) };
    if (notes.length > 0) model.notes = notes;
    results.push({ extraction, model, entry: locator.relative(extraction.entry.fileName), module: !extraction.isEntry });
  };
  // Programs left out by `onlyReaching`: what they reach is theirs too (for the suppressions).
  const skipped: Extraction[] = [];
  const wanted = (e: Extraction): boolean => !opts.onlyReaching || [...e.reached].some((sf) => opts.onlyReaching!.has(path.resolve(sf.fileName)));
  const consider = (e: Extraction): void => {
    if (wanted(e)) run(e);
    else skipped.push(e);
  };
  for (const [i, sf] of sources.entries()) {
    if (opts.shouldStop?.()) throw new AnalysisCancelled();
    const extraction = timed(() => new Extractor(checker, shim).extract(sf), addExtract);
    if (extraction.sites.length > 0 || extraction.ops.length > 0) consider(extraction);
    opts.onProgress?.(i + 1, sources.length);
  }
  const reached = new Set([...results.map((r) => r.extraction), ...skipped].flatMap((e) => [...e.reached]));
  const names = [SHIM_PACKAGE, ...(opts.shimModules ?? [])];
  for (const sf of sources) {
    if (reached.has(sf) || !names.some((n) => sf.text.includes(n))) continue;
    if (opts.shouldStop?.()) throw new AnalysisCancelled();
    const extraction = timed(() => new Extractor(checker, shim).extractModule(sf), addExtract);
    if (extraction.ops.length > 0) consider(extraction);
  }
  suppress(results, locator, new Set(skipped.flatMap((e) => [...e.reached])));
  return results;
}

/**
 * Applies the suppression comments of every file a program runs, then reports the suppressions
 * that have no reason or suppressed nothing in any program, in each program that reaches them
 * (not those in files a program left out by `onlyReaching` runs: it might use them).
 */
function suppress(results: ProgramResult[], locator: Locator, notAnalyzed: ReadonlySet<ts.SourceFile>): void {
  const byFile = new Map<ts.SourceFile, Suppression[]>();
  const of = (sf: ts.SourceFile): Suppression[] => {
    let list = byFile.get(sf);
    if (!list) byFile.set(sf, (list = parseSuppressions(sf, locator)));
    return list;
  };
  for (const r of results) {
    const all = [...r.extraction.reached].flatMap(of);
    r.model.findings = applySuppressions(r.model.findings, all);
  }
  // A program left out might use the suppressions of the files it runs: not called unused.
  for (const sf of notAnalyzed) for (const s of of(sf)) s.used = true;
  for (const r of results) {
    const hints = suppressionFindings([...r.extraction.reached].flatMap(of));
    if (hints.length > 0) r.model.findings = [...r.model.findings, ...hints].sort(compareFindings);
  }
}

/**
 * Where several rules explain the same blocked operation, the most specific reports it and
 * `deadlock` stays silent (docs/rules/deadlock.md).
 */
function mostSpecific(findings: Finding[]): Finding[] {
  const key = (l: Location): string => `${l.file}:${l.range.start.line}:${l.range.start.character}`;
  const explained = new Set(findings.filter((f) => f.rule !== 'deadlock').flatMap((f) => [key(f.loc), ...f.related.map((r) => key(r.loc))]));
  return findings.filter((f) => f.rule !== 'deadlock' || ![f.loc, ...f.related.map((r) => r.loc)].some((l) => explained.has(key(l))));
}

/** All programs of `files` in one model (the CLI's view). */
export function analyzeProgram(program: ts.Program, opts: AnalyzeOptions): TopologyModel {
  return mergeModels(pathToFileURL(opts.rootDir).href, analyzePrograms(program, opts));
}

/** The programs a file takes part in: the entries that reach it, else the module on its own. */
export function programsContaining(results: readonly ProgramResult[], fileName: string): ProgramResult[] {
  const target = path.resolve(fileName);
  return results.filter((r) => [...r.extraction.reached].some((sf) => path.resolve(sf.fileName) === target));
}

/**
 * Several programs' models as one: a module shared by two programs appears once (same ids), and
 * a finding both programs report about it is kept once. With two programs or more, the model says
 * which nodes and edges are each program's (`programs`) and which programs report each finding,
 * so that a drawing can keep the programs apart and title them.
 */
export function mergeModels(root: string, programs: readonly ProgramModel[]): TopologyModel {
  const merged: TopologyModel = { version: MODEL_VERSION, root, nodes: [], edges: [], findings: [] };
  const nodes = new Set<string>();
  const edges = new Map<string, ModelEdge>();
  const findings = new Map<string, Finding>();
  // Two results for one entry (cannot happen today) would still be one program.
  const byEntry = new Map<string, ModelProgram>();
  const several = new Set(programs.map((p) => p.entry)).size > 1;
  for (const { model: m, entry, module } of programs) {
    let program = byEntry.get(entry);
    if (!program) byEntry.set(entry, (program = { entry, ...(module ? { module: true } : {}), nodes: [], edges: [] }));
    for (const n of m.nodes) if (!program.nodes.includes(n.id)) program.nodes.push(n.id);
    for (const e of m.edges) if (!program.edges.includes(e.id)) program.edges.push(e.id);
    for (const n of m.nodes) {
      if (!nodes.has(n.id)) { nodes.add(n.id); merged.nodes.push(n); continue; }
      // A program that sees no sentinel loop on a shared queue (none of its processes consumes it)
      // does not hide the one another program sees.
      const i = n.sentinel ? merged.nodes.findIndex((x) => x.id === n.id && !x.sentinel) : -1;
      if (i >= 0) merged.nodes[i] = { ...merged.nodes[i]!, sentinel: n.sentinel! };
    }
    for (const e of m.edges) {
      const seen = edges.get(e.id);
      if (!seen) { const copy = { ...e, locs: [...e.locs] }; edges.set(e.id, copy); merged.edges.push(copy); continue; }
      for (const l of e.locs) if (!seen.locs.some((x) => sameLocation(x, l))) seen.locs.push(l);
    }
    for (const f of m.findings) {
      const key = `${f.rule}|${f.loc.file}|${f.loc.range.start.line}|${f.loc.range.start.character}|${f.message}`;
      const seen = findings.get(key);
      if (!seen) {
        const copy = several ? { ...f, programs: [entry] } : f;
        findings.set(key, copy);
        merged.findings.push(copy);
      } else if (several && !seen.programs!.includes(entry)) {
        seen.programs!.push(entry);
      }
    }
    for (const note of m.notes ?? []) if (!merged.notes?.includes(note)) (merged.notes ??= []).push(note);
  }
  merged.findings.sort(compareFindings);
  if (several) merged.programs = [...byEntry.values()];
  return merged;
}

function sameLocation(a: Location, b: Location): boolean {
  return a.file === b.file && a.range.start.line === b.range.start.line && a.range.start.character === b.range.start.character;
}

function compareFindings(a: Finding, b: Finding): number {
  return a.loc.file.localeCompare(b.loc.file) || a.loc.range.start.line - b.loc.range.start.line
    || a.loc.range.start.character - b.loc.range.start.character || a.rule.localeCompare(b.rule);
}

export interface AnalyzeFilesOptions extends AnalyzeOptions {
  compilerOptions?: ts.CompilerOptions;
  overlay?: ReadonlyMap<string, string>;
}

/**
 * Builds the program of some files and analyzes each of them as a possible entry. Files left out
 * (not regular files, too large, unreadable, nested too deep) are named in the model's notes.
 */
export function analyzeFiles(files: readonly string[], opts: AnalyzeFilesOptions): TopologyModel {
  const skipped: SkippedFiles = opts.skipped ?? new Map();
  const build = (leaveOut?: ReadonlySet<string>): ts.Program => createProgram({
    rootNames: [...files], skipped,
    ...(opts.compilerOptions ? { options: opts.compilerOptions } : {}),
    ...(opts.overlay ? { overlay: opts.overlay } : {}),
    ...(leaveOut ? { leaveOut } : {}),
  });
  let program = build();
  let model: TopologyModel;
  try {
    model = analyzeProgram(program, { ...opts, files, skipped });
  } catch (err) {
    // A stack overflow all the same (TypeScript's binder or checker, or the analysis following
    // calls into several deep files): leave out the deepest files, as the language server does,
    // and try once more on a fresh program.
    if (!isStackOverflow(err)) throw err;
    const deep = new Set<string>();
    for (const sf of program.getSourceFiles()) {
      const depth = nestingDepth(sf);
      if (depth <= MAX_NESTING_AFTER_OVERFLOW) continue;
      const file = path.resolve(sf.fileName);
      deep.add(file);
      skipped.set(file, `${tooDeepReason(depth, MAX_NESTING_AFTER_OVERFLOW)} (the stack overflowed)`);
    }
    if (deep.size === 0) throw err;
    program = build(deep);
    model = analyzeProgram(program, { ...opts, files, skipped });
  }
  const notes = [...skipped].map(([file, reason]) => skipNote(file, reason, opts.rootDir)).sort();
  if (notes.length > 0) model.notes = [...notes, ...(model.notes ?? [])];
  return model;
}
