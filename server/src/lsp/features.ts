// LSP features as pure functions of a model: diagnostics, code actions, hovers and code lenses.
// The server wires them to requests; tests can call them directly.
import {
  CodeActionKind, DiagnosticSeverity, type CodeAction, type CodeLens, type Diagnostic, type Hover, type Position,
  type Range, type TextEdit as LspTextEdit, type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { displayLabel, sentinelPhrase, type Finding, type Location, type ModelNode, type Severity, type TopologyModel } from '../../../common/model';
import { COMMANDS, type TraceArgs } from '../../../common/protocol';

export const SOURCE = 'process-topology';
export const ONLINE_DOCS = 'https://github.com/process-topology/process-topology/blob/main/docs/rules/';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Rules whose quick fix is mechanical enough to apply all at once (source.fixAll). */
const FIX_ALL = new Set(['missing-sentinel', 'pool-join-before-close', 'process-not-joined', 'unguarded-start', 'task-done-missing', 'lock-not-released']);

function uriOf(model: TopologyModel, file: string): string {
  const root = model.root.endsWith('/') ? model.root : `${model.root}/`;
  return new URL(file, root).href;
}

function inDocument(model: TopologyModel, loc: Location, uri: string): boolean {
  return uriOf(model, loc.file) === new URL(uri).href;
}

function contains(range: Range, p: Position): boolean {
  const after = p.line > range.start.line || (p.line === range.start.line && p.character >= range.start.character);
  const before = p.line < range.end.line || (p.line === range.end.line && p.character <= range.end.character);
  return after && before;
}

function overlaps(a: Range, b: Range): boolean {
  return contains(a, b.start) || contains(a, b.end) || contains(b, a.start);
}

/** Past this length a finding's message is shown as a summary line and the explanation below it. */
export const FIRST_LINE_MAX = 100;
/** A summary that ends at a colon may run a little longer than a line broken elsewhere. */
const SUMMARY_MAX = 120;

/**
 * A diagnostic's text: the Problems view and the squiggle's hover lead with the first line, so a
 * long message ("what: why") becomes its summary, then the explanation on the next line.
 */
export function diagnosticMessage(message: string): string {
  if (message.length <= FIRST_LINE_MAX || message.includes('\n')) return message;
  let depth = 0;
  let quoted = false;
  let lastComma = -1;
  let lastSpace = -1;
  for (let i = 0; i < message.length - 1; i++) {
    const c = message[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && message[i + 1] === ' ') {
      // "Deadlock: …" is a label, not a summary: the summary ends at a later colon.
      if (c === ':' && i >= 12 && i <= SUMMARY_MAX) return twoLines(message.slice(0, i), message.slice(i + 2));
      if (c === ',' && i < FIRST_LINE_MAX) lastComma = i;
    }
    if (c === ' ' && i <= FIRST_LINE_MAX) lastSpace = i;
  }
  // No summary: break a list of what happens after its last item that fits, else between words.
  if (lastComma > 0) return twoLines(message.slice(0, lastComma + 1), message.slice(lastComma + 2));
  return `${message.slice(0, lastSpace)}\n${message.slice(lastSpace + 1)}`;
}

function twoLines(first: string, rest: string): string {
  return `${first}\n${rest.charAt(0).toUpperCase()}${rest.slice(1)}`;
}

/** The findings of a model anchored in one document, as LSP diagnostics. */
export function diagnosticsFor(model: TopologyModel, uri: string, docsBase = ONLINE_DOCS): Diagnostic[] {
  return model.findings.filter((f) => inDocument(model, f.loc, uri)).map((f): Diagnostic => ({
    range: f.loc.range,
    severity: SEVERITY[f.severity],
    source: SOURCE,
    code: f.rule,
    codeDescription: { href: `${docsBase}${f.rule}.md` },
    message: diagnosticMessage(f.message),
    relatedInformation: f.related.map((r) => ({ location: { uri: uriOf(model, r.loc.file), range: r.loc.range }, message: r.message })),
    data: { rule: f.rule },
  }));
}

function workspaceEdit(model: TopologyModel, edits: readonly { file: string; range: Range; newText: string }[]): WorkspaceEdit {
  const changes: Record<string, LspTextEdit[]> = {};
  for (const e of edits) (changes[uriOf(model, e.file)] ??= []).push({ range: e.range, newText: e.newText });
  return { changes };
}

/**
 * Code actions for the findings under a range: each finding's quick fixes, "suppress with a
 * reason" and "show rule documentation"; and, when asked, the fix-all of the mechanical ones.
 */
export function codeActionsFor(model: TopologyModel, uri: string, range: Range, lines: readonly string[], only?: readonly string[]): CodeAction[] {
  const actions: CodeAction[] = [];
  const wants = (kind: string): boolean => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
  const here = model.findings.filter((f) => inDocument(model, f.loc, uri) && overlaps(f.loc.range, range));
  if (wants(CodeActionKind.QuickFix)) {
    for (const f of here) {
      for (const fix of f.fixes ?? []) {
        actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, isPreferred: true, diagnostics: [toDiagnostic(model, f, uri)], edit: workspaceEdit(model, fix.edits) });
      }
      if (f.rule !== 'suppression-without-reason' && f.rule !== 'unused-suppression') {
        const line = f.loc.range.start.line;
        const indent = /^[ \t]*/.exec(lines[line] ?? '')![0];
        actions.push({
          title: `Suppress ${f.rule} on this line (give a reason)`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [toDiagnostic(model, f, uri)],
          edit: { changes: { [uri]: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}// process-topology-disable-next-line ${f.rule} -- \n` }] } },
        });
      } else if (f.rule === 'unused-suppression') {
        const line = f.loc.range.start.line;
        actions.push({
          title: 'Remove the unused suppression', kind: CodeActionKind.QuickFix, isPreferred: true,
          diagnostics: [toDiagnostic(model, f, uri)],
          edit: { changes: { [uri]: [{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' }] } },
        });
      }
      if (f.trace && f.trace.length > 0) {
        const args = traceArgs(model, f);
        actions.push({
          title: `Step through the ${f.rule === 'deadlock' ? 'deadlock' : f.rule} trace (${args.steps.length} steps)`, kind: CodeActionKind.QuickFix,
          diagnostics: [toDiagnostic(model, f, uri)],
          command: { title: 'Step through the trace', command: COMMANDS.showTrace, arguments: [args] },
        });
      }
      actions.push({
        title: `Show documentation for ${f.rule}`, kind: CodeActionKind.QuickFix,
        command: { title: 'Show documentation', command: COMMANDS.showRuleDoc, arguments: [f.rule] },
      });
    }
  }
  const fixAllKind = `${CodeActionKind.SourceFixAll}.processTopology`;
  if (only && (only.includes(CodeActionKind.SourceFixAll) || only.includes(fixAllKind))) {
    const edits = model.findings
      .filter((f) => inDocument(model, f.loc, uri) && FIX_ALL.has(f.rule) && f.fixes?.[0])
      .flatMap((f) => f.fixes![0]!.edits);
    if (edits.length > 0) actions.push({ title: 'Fix all mechanical Process Topology problems', kind: fixAllKind, edit: workspaceEdit(model, edits) });
  }
  return actions;
}

/**
 * A finding's trace for the editor: each step of the interleaving that leads to the state, then
 * the operations that wait forever in it (the finding's anchor and its related sites).
 */
export function traceArgs(model: TopologyModel, f: Finding): TraceArgs {
  const step = (label: string, loc: Location): TraceArgs['steps'][number] => ({ label, uri: uriOf(model, loc.file), range: loc.range });
  return {
    rule: f.rule,
    title: diagnosticMessage(f.message).split('\n')[0]!,
    steps: [
      ...(f.trace ?? []).map((s) => step(s.op, s.loc)),
      step('waits forever here', f.loc),
      ...f.related.map((r) => step(r.message, r.loc)),
    ],
  };
}

function toDiagnostic(model: TopologyModel, f: Finding, uri: string): Diagnostic {
  return diagnosticsFor({ ...model, findings: [f] }, uri)[0]!;
}

/** What a node does in the program, in one line: "Queue q — put by producer ×3, taken by consumer ×2". */
export function describeNode(model: TopologyModel, node: ModelNode): string {
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const name = (id: string): string => {
    const n = byId.get(id);
    return n ? displayLabel(n) : id;
  };
  const verbs: Record<string, string> = {
    put: 'put by', get: 'taken by', send: 'sent to by', recv: 'received by', acquire: 'acquired by', release: 'released by',
    wait: 'waited on by', set: 'set by', notify: 'notified by', read: 'read by', write: 'written by', taskDone: 'marked done by',
    submit: 'given work by', result: 'results read by', spawn: 'started by', join: 'joined by', terminate: 'terminated by',
  };
  const parts: string[] = [];
  const seen = new Map<string, Set<string>>();
  for (const e of model.edges) {
    const other = e.from === node.id ? e.to : e.to === node.id ? e.from : undefined;
    if (!other) continue;
    const outward = e.from === node.id;
    let phrase = verbs[e.kind] ?? e.kind;
    if (node.kind === 'process') phrase = outward ? `${e.kind}s` : `${e.kind} from`;
    const set = seen.get(phrase) ?? new Set<string>();
    set.add(name(other));
    seen.set(phrase, set);
  }
  for (const [phrase, who] of seen) parts.push(`${phrase} ${[...who].join(', ')}`);
  if (node.sentinel) parts.push(sentinelPhrase(node.sentinel));
  const kind = node.kind === 'process' ? (node.role === 'main' ? 'Main process' : node.role === 'pool-worker' ? 'Pool worker' : 'Process')
    : node.variant ?? node.kind[0]!.toUpperCase() + node.kind.slice(1);
  const findings = model.findings.filter((f) => f.nodes.includes(node.id)).map((f) => `⚠ ${f.rule}`);
  return `${kind} ${displayLabel(node)}${parts.length ? ' — ' + parts.join('; ') : ''}${findings.length ? ` (${findings.join(', ')})` : ''}`;
}

/** Hover on a shim object's creation or on an operation: its role in the topology. */
export function hoverFor(model: TopologyModel, uri: string, position: Position): Hover | null {
  const node = model.nodes.find((n) => inDocument(model, n.loc, uri) && contains(n.loc.range, position))
    ?? (() => {
      const edge = model.edges.find((e) => e.locs.some((l) => inDocument(model, l, uri) && contains(l.range, position)));
      if (!edge) return undefined;
      const ends = [edge.from, edge.to].map((id) => model.nodes.find((n) => n.id === id));
      return ends.find((n) => n && n.kind !== 'process') ?? ends[0];
    })();
  if (!node) return null;
  return { contents: { kind: 'markdown', value: `**Process Topology** · ${describeNode(model, node)}` } };
}

/** "Show in graph" above each process and queue creation. */
export function codeLensesFor(model: TopologyModel, uri: string): CodeLens[] {
  return model.nodes
    .filter((n) => (n.kind === 'process' && n.role !== 'main') || n.kind === 'queue' || n.kind === 'pipe')
    .filter((n) => inDocument(model, n.loc, uri))
    .map((n) => ({
      range: n.loc.range,
      command: { title: `Show ${displayLabel(n)} in graph`, command: COMMANDS.showGraph, arguments: [uri, n.id] },
    }));
}
