// `check --baseline FILE`: adopting the analysis in a codebase that already has findings. The
// baseline lists the findings a team accepts for now (`--write-baseline` writes it); a later check
// reports only the findings that are not in it, so CI fails on new problems only.
//
// A finding is recognised across edits without line numbers, as lint baselines do: by its rule,
// its file, the code of its anchor (`q.get()`), the whole line it is on, and a hash of the lines
// around it. Matching goes from the strictest key to the loosest — all three, then code and line,
// code and neighbourhood, line and neighbourhood, code alone — and counts: a baseline entry stands
// for one finding, so a second copy of an old problem is new. Lines inserted above a finding, a
// reformatted neighbourhood or an edited anchor line keep it matched; a finding moved to another
// file, or whose code and surroundings both changed, is new.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Finding, Range } from '../../../common/model';
import { MAX_FILE_SIZE, readTextFile } from '../analysis/files';
import { CommandError } from './command-error';

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  rule: string;
  /** Relative to the baseline file's folder, with forward slashes. */
  file: string;
  /** The anchor's text, whitespace collapsed. */
  code: string;
  /** The anchor's whole line, whitespace collapsed. */
  line: string;
  /** A hash of the non-blank lines around the anchor's line (up to NEIGHBOURS each side). */
  context: string;
  /** For the people reviewing the file; not matched. */
  message: string;
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  tool: 'process-topology';
  findings: BaselineEntry[];
}

/** Non-blank lines taken on each side of the anchor's line for its neighbourhood. */
const NEIGHBOURS = 2;
const MAX_TEXT = 240;

/** Reads a file of the model (path relative to the model root); undefined when it cannot. */
export type ReadSource = (file: string) => string | undefined;

function collapse(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) : t;
}

function textOf(lines: readonly string[], r: Range): string {
  if (r.start.line === r.end.line) return (lines[r.start.line] ?? '').slice(r.start.character, r.end.character);
  const parts = [(lines[r.start.line] ?? '').slice(r.start.character)];
  for (let l = r.start.line + 1; l < r.end.line && l < lines.length; l++) parts.push(lines[l]!);
  parts.push((lines[r.end.line] ?? '').slice(0, r.end.character));
  return parts.join('\n');
}

function neighbourhood(lines: readonly string[], at: number): string {
  const before: string[] = [];
  for (let l = at - 1; l >= 0 && before.length < NEIGHBOURS; l--) if (lines[l]!.trim()) before.unshift(collapse(lines[l]!));
  const after: string[] = [];
  for (let l = at + 1; l < lines.length && after.length < NEIGHBOURS; l++) if (lines[l]!.trim()) after.push(collapse(lines[l]!));
  return createHash('sha256').update([...before, '@', ...after].join('\n')).digest('hex').slice(0, 16);
}

/**
 * A finding's baseline entry. `file` is the finding's file as the baseline names it (relative to
 * the baseline's folder); `source` its text, when readable (else only rule and file match).
 */
export function entryOf(f: Finding, file: string, source: string | undefined): BaselineEntry {
  const lines = source?.split(/\r?\n/) ?? [];
  const at = f.loc.range.start.line;
  return {
    rule: f.rule, file,
    code: collapse(textOf(lines, f.loc.range)),
    line: collapse(lines[at] ?? ''),
    context: source === undefined ? '' : neighbourhood(lines, at),
    message: f.message,
  };
}

type Field = 'code' | 'line' | 'context';
/** From the strictest key to the loosest (see the file comment). */
const TIERS: readonly (readonly Field[])[] = [['code', 'line', 'context'], ['code', 'line'], ['code', 'context'], ['line', 'context'], ['code']];

export interface Matched {
  /** Findings the baseline does not account for: the ones to report. */
  fresh: Finding[];
  /** Findings the baseline accounts for. */
  known: Finding[];
  /** Baseline entries no finding matched (fixed, or moved out of reach). */
  gone: BaselineEntry[];
}

/** Splits `findings` (with their entries, same order) into new and known ones. */
export function matchBaseline(findings: readonly Finding[], entries: readonly BaselineEntry[], baseline: readonly BaselineEntry[]): Matched {
  const findingUsed = new Array<boolean>(findings.length).fill(false);
  const entryUsed = new Array<boolean>(baseline.length).fill(false);
  for (const fields of TIERS) {
    const key = (e: BaselineEntry): string | undefined => {
      // An empty field (an unreadable file) matches nothing on its own.
      if (fields.some((k) => e[k] === '')) return undefined;
      return JSON.stringify([e.rule, e.file, ...fields.map((k) => e[k])]);
    };
    const pool = new Map<string, number[]>();
    baseline.forEach((e, i) => {
      const k = entryUsed[i] ? undefined : key(e);
      if (k === undefined) return;
      let list = pool.get(k);
      if (!list) pool.set(k, (list = []));
      list.push(i);
    });
    entries.forEach((e, i) => {
      if (findingUsed[i]) return;
      const k = key(e);
      const hit = k === undefined ? undefined : pool.get(k)?.shift();
      if (hit === undefined) return;
      findingUsed[i] = true;
      entryUsed[hit] = true;
    });
  }
  return {
    fresh: findings.filter((_, i) => !findingUsed[i]),
    known: findings.filter((_, i) => findingUsed[i]),
    gone: baseline.filter((_, i) => !entryUsed[i]),
  };
}

/** Where the baseline names a model file: relative to the baseline's folder. */
export function baselinePath(baselineFile: string, rootDir: string, modelFile: string): string {
  const rel = path.relative(path.dirname(baselineFile), path.resolve(rootDir, modelFile));
  return rel.split(path.sep).join('/');
}

/** The entries of `findings` (model paths relative to `rootDir`), for `baselineFile`. */
export function entriesFor(findings: readonly Finding[], baselineFile: string, rootDir: string, read: ReadSource): BaselineEntry[] {
  const sources = new Map<string, string | undefined>();
  return findings.map((f) => {
    if (!sources.has(f.loc.file)) sources.set(f.loc.file, read(f.loc.file));
    return entryOf(f, baselinePath(baselineFile, rootDir, f.loc.file), sources.get(f.loc.file));
  });
}

export function formatBaseline(entries: readonly BaselineEntry[]): string {
  const sorted = [...entries].sort((a, b) => a.file.localeCompare(b.file) || a.rule.localeCompare(b.rule)
    || a.line.localeCompare(b.line) || a.code.localeCompare(b.code) || a.context.localeCompare(b.context));
  const baseline: Baseline = { version: BASELINE_VERSION, tool: 'process-topology', findings: sorted };
  return JSON.stringify(baseline, null, 2) + '\n';
}

/** Reads and checks a baseline file; a missing or malformed one is a CommandError (exit 2). */
export function readBaseline(file: string, shown: string): BaselineEntry[] {
  // Read as the analysis reads files: a regular file, bounded (a baseline may come with a clone).
  const read = readTextFile(file, MAX_FILE_SIZE);
  if ('missing' in read) throw new CommandError(`no baseline file ${shown} (write one with --write-baseline)`);
  if ('skipped' in read) throw new CommandError(`cannot read the baseline ${shown}: ${read.skipped}`);
  const text = read.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CommandError(`the baseline ${shown} is not JSON: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
  const b = value as Partial<Baseline> | null;
  if (typeof b !== 'object' || b === null || b.tool !== 'process-topology' || !Array.isArray(b.findings)) {
    throw new CommandError(`${shown} is not a process-topology baseline (expected {"tool": "process-topology", "findings": [...]})`);
  }
  if (b.version !== BASELINE_VERSION) throw new CommandError(`the baseline ${shown} has version ${String(b.version)}; this process-topology reads version ${BASELINE_VERSION}`);
  const str = (v: unknown): v is string => typeof v === 'string';
  b.findings.forEach((e: Partial<BaselineEntry>, i) => {
    if (typeof e !== 'object' || e === null || !str(e.rule) || !str(e.file) || !str(e.code) || !str(e.line) || !str(e.context)) {
      throw new CommandError(`the baseline ${shown}: finding ${i + 1} lacks rule, file, code, line or context`);
    }
  });
  return b.findings.map((e) => ({ rule: e.rule, file: e.file, code: e.code, line: e.line, context: e.context, message: str(e.message) ? e.message : '' }));
}
