// Suppression comments (docs/rules/suppression-without-reason.md, unused-suppression.md): a finding is dropped when a comment names its rule, with a
// reason after `--`:
//   // process-topology-disable-next-line <rule-id>[, <rule-id>] -- <reason>
//   /* process-topology-disable <rule-id> -- <reason> */ … /* process-topology-enable <rule-id> */
// A suppression without a reason, or one that suppresses nothing, is reported as a hint.
import ts from './typescript';
import type { Finding } from '../../../common/model';
import suppressionWithoutReason from './rules/suppression-without-reason';
import unusedSuppression from './rules/unused-suppression';
import type { Locator } from './topology';

export interface Suppression {
  rules: string[];
  reason: string | undefined;
  file: string;
  /** 0-based lines it covers, inclusive. */
  from: number;
  to: number;
  /** Where the comment is. */
  line: number;
  character: number;
  length: number;
  used: boolean;
}

const NEXT_LINE = /\/\/\s*process-topology-disable-next-line\s+([\w-]+(?:\s*,\s*[\w-]+)*)\s*(?:--\s*(.*?))?\s*$/;
const BLOCK = /\/\*\s*process-topology-(disable|enable)\s+([\w-]+(?:\s*,\s*[\w-]+)*)\s*(?:--\s*(.*?))?\s*\*\//g;

/** The suppression comments of a source file (only real comments: text in strings is ignored). */
export function parseSuppressions(sf: ts.SourceFile, locator: Locator): Suppression[] {
  const text = sf.text;
  if (!text.includes('process-topology-')) return [];
  const file = locator.relative(sf.fileName);
  const out: Suppression[] = [];
  const open = new Map<string, Suppression>();
  const lastLine = sf.getLineAndCharacterOfPosition(text.length).line;
  const visit = (pos: number, end: number): void => {
    const comment = text.slice(pos, end);
    const at = sf.getLineAndCharacterOfPosition(pos);
    const next = NEXT_LINE.exec(comment);
    if (next) {
      out.push({ rules: split(next[1]!), reason: clean(next[2]), file, from: at.line + 1, to: at.line + 1, line: at.line, character: at.character, length: comment.length, used: false });
      return;
    }
    for (const m of comment.matchAll(BLOCK)) {
      const rules = split(m[2]!);
      if (m[1] === 'disable') {
        const s: Suppression = { rules, reason: clean(m[3]), file, from: at.line, to: lastLine, line: at.line, character: at.character, length: comment.length, used: false };
        out.push(s);
        for (const r of rules) open.set(r, s);
      } else {
        for (const r of rules) {
          const s = open.get(r);
          if (s) { s.to = at.line; open.delete(r); }
        }
      }
    }
  };
  // Comments are trivia around tokens: collect them from every node of the parsed tree (a plain
  // scanner would mistake text inside template literals for code).
  const seen = new Set<number>();
  const ranges: ts.CommentRange[] = [];
  const collect = (list: ts.CommentRange[] | undefined): void => {
    for (const r of list ?? []) if (!seen.has(r.pos)) { seen.add(r.pos); ranges.push(r); }
  };
  const walk = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(text, node.pos));
    collect(ts.getTrailingCommentRanges(text, node.end));
    ts.forEachChild(node, walk);
  };
  walk(sf);
  collect(ts.getLeadingCommentRanges(text, sf.endOfFileToken.pos));
  for (const r of ranges.sort((a, b) => a.pos - b.pos)) visit(r.pos, r.end);
  return out;
}

function split(list: string): string[] {
  return list.split(',').map((r) => r.trim()).filter(Boolean);
}

function clean(reason: string | undefined): string | undefined {
  const r = reason?.trim();
  return r ? r : undefined;
}

/** Drops suppressed findings, marking the suppressions they hit as used. */
export function applySuppressions(findings: Finding[], suppressions: readonly Suppression[]): Finding[] {
  if (suppressions.length === 0) return findings;
  return findings.filter((f) => {
    const hit = suppressions.find((s) => s.file === f.loc.file && s.rules.includes(f.rule)
      && f.loc.range.start.line >= s.from && f.loc.range.start.line <= s.to);
    if (hit) hit.used = true;
    return !hit;
  });
}

/** The hints about the suppressions themselves: no reason given, or nothing suppressed. */
export function suppressionFindings(suppressions: readonly Suppression[]): Finding[] {
  const out: Finding[] = [];
  for (const s of suppressions) {
    const loc = { file: s.file, range: { start: { line: s.line, character: s.character }, end: { line: s.line, character: s.character + s.length } } };
    if (!s.reason) {
      out.push({ rule: suppressionWithoutReason.id, severity: suppressionWithoutReason.severity, message: `Say why ${s.rules.join(', ')} is suppressed here: add "-- <reason>" to the comment`, loc, related: [], nodes: [], edges: [] });
    }
    if (!s.used) {
      out.push({ rule: unusedSuppression.id, severity: unusedSuppression.severity, message: `This suppression of ${s.rules.join(', ')} suppresses nothing; remove it`, loc, related: [], nodes: [], edges: [] });
    }
  }
  return out;
}
