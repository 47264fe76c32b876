// The pure entry of the analysis: a TypeScript program in, the topology model out. The CLI, the
// language server and the tests all call `analyzeProgram`.
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { MODEL_VERSION, type Finding, type TopologyModel } from '../../../common/model';
import { Extractor } from './extract';
import { RULES } from './rules';
import { ShimResolver } from './shim';
import { createProgram } from './program';
import { buildTopology, Locator } from './topology';

export interface AnalyzeOptions {
  /** Folder that model paths are relative to. */
  rootDir: string;
  /** Files to analyze as possible entries; default: every root file of the program. */
  files?: readonly string[];
  /** Module names that count as the shim besides `@process-topology/multiprocessing`. */
  shimModules?: readonly string[];
}

export function analyzeProgram(program: ts.Program, opts: AnalyzeOptions): TopologyModel {
  const checker = program.getTypeChecker();
  const shim = new ShimResolver(checker, opts.shimModules);
  const locator = new Locator(opts.rootDir);
  const wanted = opts.files ?? program.getRootFileNames();
  const model: TopologyModel = {
    version: MODEL_VERSION, root: pathToFileURL(opts.rootDir).href, nodes: [], edges: [], findings: [],
  };
  for (const fileName of wanted) {
    const sf = program.getSourceFile(fileName);
    if (!sf || sf.isDeclarationFile || shim.isShimFile(sf.fileName)) continue;
    const extraction = new Extractor(checker, shim).extract(sf);
    // An entry is a module whose top-level code uses the shim; other modules are reached from one.
    if (extraction.sites.length === 0 && extraction.ops.length === 0) continue;
    const topology = buildTopology(extraction, locator);
    model.nodes.push(...topology.nodes);
    model.edges.push(...topology.edges);
    for (const rule of RULES.values()) {
      model.findings.push(...rule({ checker, extraction, topology, locator }));
    }
  }
  model.findings.sort(compareFindings);
  return model;
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
