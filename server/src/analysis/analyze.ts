// The pure entry of the analysis: a TypeScript program in, the topology model out. The CLI, the
// language server and the tests all call `analyzePrograms` / `analyzeProgram`.
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MODEL_VERSION, type Finding, type Location, type ModelEdge, type TopologyModel } from '../../../common/model';
import { Extractor, type Extraction } from './extract';
import { RULES } from './rule-registry';
import { Passes } from './passes';
import { annotateSentinels } from './passes/sentinels';
import type { AnalysisStats, RuleContext } from './rule-context';
import { SHIM_PACKAGE, ShimResolver } from './shim';
import { createProgram } from './program';
import { applySuppressions, parseSuppressions, suppressionFindings, type Suppression } from './suppressions';
import { buildTopology, Locator } from './topology';

export interface AnalyzeOptions {
  /** Folder that model paths are relative to. */
  rootDir: string;
  /** Files to analyze as possible entries; default: every root file of the program. */
  files?: readonly string[];
  /** Module names that count as the shim besides `@process-topology/multiprocessing`. */
  shimModules?: readonly string[];
  /** States the deadlock checker may explore per program. */
  stateBudget?: number;
  /** Filled with what the rules cost, when given. */
  stats?: AnalysisStats;
  /**
   * True once the result is no longer wanted (the language server's analysis of a text that a
   * newer edit replaced): asked between programs and between rules, it stops the analysis with
   * `AnalysisCancelled`.
   */
  shouldStop?: () => boolean;
}

/** Thrown when `AnalyzeOptions.shouldStop` says to stop. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('the analysis was cancelled');
  }
}

/** One program: an entry module with what it imports, or a module no entry reaches, on its own. */
export interface ProgramResult {
  extraction: Extraction;
  model: TopologyModel;
}

/**
 * Every program among `files`: each entry (a module whose top-level code uses the shim, guarded or
 * not) with the modules it reaches, then each module that uses the shim but no entry reaches.
 */
export function analyzePrograms(program: ts.Program, opts: AnalyzeOptions): ProgramResult[] {
  const checker = program.getTypeChecker();
  const shim = new ShimResolver(checker, opts.shimModules);
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
      ...(opts.stateBudget ? { stateBudget: opts.stateBudget } : {}), ...(opts.stats ? { stats: opts.stats } : {}),
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
    results.push({ extraction, model });
  };
  for (const sf of sources) {
    if (opts.shouldStop?.()) throw new AnalysisCancelled();
    const extraction = timed(() => new Extractor(checker, shim).extract(sf), addExtract);
    if (extraction.sites.length > 0 || extraction.ops.length > 0) run(extraction);
  }
  const reached = new Set(results.flatMap((r) => [...r.extraction.reached]));
  const names = [SHIM_PACKAGE, ...(opts.shimModules ?? [])];
  for (const sf of sources) {
    if (reached.has(sf) || !names.some((n) => sf.text.includes(n))) continue;
    if (opts.shouldStop?.()) throw new AnalysisCancelled();
    const extraction = timed(() => new Extractor(checker, shim).extractModule(sf), addExtract);
    if (extraction.ops.length > 0) run(extraction);
  }
  suppress(results, locator);
  return results;
}

/**
 * Applies the suppression comments of every file a program runs, then reports the suppressions
 * that have no reason or suppressed nothing in any program, in each program that reaches them.
 */
function suppress(results: ProgramResult[], locator: Locator): void {
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
  return mergeModels(pathToFileURL(opts.rootDir).href, analyzePrograms(program, opts).map((r) => r.model));
}

/** The programs a file takes part in: the entries that reach it, else the module on its own. */
export function programsContaining(results: readonly ProgramResult[], fileName: string): ProgramResult[] {
  const target = path.resolve(fileName);
  return results.filter((r) => [...r.extraction.reached].some((sf) => path.resolve(sf.fileName) === target));
}

/**
 * Several programs' models as one: a module shared by two programs appears once (same ids), and
 * a finding both programs report about it is kept once.
 */
export function mergeModels(root: string, models: readonly TopologyModel[]): TopologyModel {
  const merged: TopologyModel = { version: MODEL_VERSION, root, nodes: [], edges: [], findings: [] };
  const nodes = new Set<string>();
  const edges = new Map<string, ModelEdge>();
  const findings = new Set<string>();
  for (const m of models) {
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
      if (!findings.has(key)) { findings.add(key); merged.findings.push(f); }
    }
    for (const note of m.notes ?? []) if (!merged.notes?.includes(note)) (merged.notes ??= []).push(note);
  }
  merged.findings.sort(compareFindings);
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

/** Builds the program of some files and analyzes each of them as a possible entry. */
export function analyzeFiles(files: readonly string[], opts: AnalyzeFilesOptions): TopologyModel {
  const program = createProgram({
    rootNames: [...files],
    ...(opts.compilerOptions ? { options: opts.compilerOptions } : {}),
    ...(opts.overlay ? { overlay: opts.overlay } : {}),
  });
  return analyzeProgram(program, { ...opts, files });
}
