// Calls the pure analysis in process on one generated program, as the CLI does (the same
// `analyzeProgram`), with a compiler host that keeps the standard library's and the shim's
// declaration files parsed across programs: hundreds of programs then cost their own files only.
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';
import { analyzeProgram } from '../../server/src/analysis/analyze';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/program';
import type { RuleFamily } from '../../server/src/analysis/rule-context';
import { RULES } from '../../server/src/analysis/rule-registry';

export interface OracleFinding {
  rule: string;
  family: RuleFamily | 'unknown';
  severity: string;
  /** `file:line` (1-based) relative to the program's folder. */
  at: string;
  message: string;
}

export interface AnalysisResult {
  findings: OracleFinding[];
  notes: string[];
  ms: number;
  /** The analysis threw: the program gets no verdict from it. */
  error?: string;
}

const FAMILY = new Map([...RULES.values()].map((r) => [r.id, r.family]));

export function familyOf(rule: string): RuleFamily | 'unknown' {
  return FAMILY.get(rule) ?? 'unknown';
}

/** Parsed files outside the generated programs (lib.*.d.ts, the shim's .d.ts), by path. */
const shared = new Map<string, ts.SourceFile>();

export function analyzeEntry(entry: string): AnalysisResult {
  const rootDir = path.dirname(entry);
  const options = DEFAULT_OPTIONS;
  const host = ts.createCompilerHost(options, true);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const own = path.resolve(fileName).startsWith(rootDir + path.sep);
    if (own) return read(fileName, languageVersion, onError, shouldCreate);
    let sf = shared.get(fileName);
    if (!sf) {
      sf = read(fileName, languageVersion, onError, shouldCreate);
      if (sf) shared.set(fileName, sf);
    }
    return sf;
  };
  const started = performance.now();
  try {
    const program = ts.createProgram({ rootNames: [entry], options, host });
    const model = analyzeProgram(program, { rootDir, files: [entry] });
    return {
      findings: model.findings.map((f) => ({
        rule: f.rule,
        family: familyOf(f.rule),
        severity: f.severity,
        at: `${f.loc.file}:${f.loc.range.start.line + 1}`,
        message: f.message,
      })),
      notes: model.notes ?? [],
      ms: performance.now() - started,
    };
  } catch (err) {
    return { findings: [], notes: [], ms: performance.now() - started, error: err instanceof Error ? err.stack ?? err.message : String(err) };
  }
}
