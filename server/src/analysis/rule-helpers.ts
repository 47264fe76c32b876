// Small helpers every rule uses: building findings from AST nodes, counting how often an
// operation really runs, and asking whether unknown code could change a verdict.
import ts from './typescript';
import type { FixData, Finding, Multiplicity, Severity } from '../../../common/model';
import { processMultiplicity, type ConstValue, type ObjectSite, type Op, type OpKind, type ProcessRef } from './facts';
import type { RuleContext } from './rule-context';

export interface FindingSpec {
  rule: string;
  severity: Severity;
  message: string;
  at: ts.Node;
  related?: { message: string; at: ts.Node }[];
  /** Model objects involved: sites, processes and operations. */
  sites?: (ObjectSite | ProcessRef)[];
  ops?: Op[];
  fixes?: FixData[];
}

export function finding(ctx: RuleContext, spec: FindingSpec): Finding {
  const f: Finding = {
    rule: spec.rule,
    severity: spec.severity,
    message: spec.message,
    loc: ctx.locator.of(spec.at),
    related: (spec.related ?? []).map((r) => ({ message: r.message, loc: ctx.locator.of(r.at) })),
    nodes: [...new Set((spec.sites ?? []).map((s) => ctx.topology.idOf(s)).filter(Boolean))],
    edges: [...new Set((spec.ops ?? []).map((o) => ctx.topology.edgeOf(o)).filter((e): e is string => !!e))],
  };
  if (spec.fixes && spec.fixes.length > 0) f.fixes = spec.fixes;
  return f;
}

/** The operations of one kind (or several) on an object. */
export function opsOn(ctx: RuleContext, site: ObjectSite, ...kinds: OpKind[]): Op[] {
  return ctx.extraction.ops.filter((o) => o.obj === site && (kinds.length === 0 || kinds.includes(o.kind)));
}

/** How many times an operation runs in the whole program: its count times its process's instances. */
export function totalRuns(op: Op): Multiplicity {
  const m = processMultiplicity(op.proc);
  if (typeof op.count !== 'number' || m === 'several') return 'several';
  return op.count * m;
}

/** Code the analysis cannot see through (an `eval`) could do anything: rules that need to know
 * "nobody does X" must stay silent then. */
export function hasOpaqueCode(ctx: RuleContext): boolean {
  return ctx.extraction.opaque.size > 0;
}

/** Operations on objects the analysis lost track of, of a kind that could be the one missing. */
export function unknownOps(ctx: RuleContext, kind: ObjectSite['kind'], ...ops: OpKind[]): Op[] {
  return ctx.extraction.ops.filter((o) => o.obj.unknown && o.obj.kind === kind && (ops.length === 0 || ops.includes(o.kind)));
}

/** A short name for a process in messages: "main", "consumer ×2". */
export function processName(p: ProcessRef): string {
  if (p.kind === 'main') return 'main';
  const m = p.multiplicity;
  return m === 1 ? p.label : `${p.label} ×${m === 'several' ? 'n' : m}`;
}

/** The statement that contains a node, directly in a block or source file: where to insert after. */
export function enclosingStatement(node: ts.Node): ts.Statement | undefined {
  let n: ts.Node | undefined = node;
  while (n && !(ts.isBlock(n.parent) || ts.isSourceFile(n.parent) || ts.isCaseClause(n.parent))) n = n.parent;
  return n && ts.isStatement(n) ? n : undefined;
}

/** The indentation of the line a node starts on. */
export function indentOf(node: ts.Node): string {
  const sf = node.getSourceFile();
  const start = node.getStart(sf);
  const lineStart = sf.text.lastIndexOf('\n', start - 1) + 1;
  return /^[ \t]*/.exec(sf.text.slice(lineStart, start))![0];
}

/** An edit that inserts `text` as new lines right after a statement. */
export function insertAfter(ctx: RuleContext, stmt: ts.Statement, lines: string[]): FixData['edits'][number] {
  const sf = stmt.getSourceFile();
  const end = sf.getLineAndCharacterOfPosition(stmt.getEnd());
  const indent = indentOf(stmt);
  return {
    file: ctx.locator.relative(sf.fileName),
    range: { start: end, end },
    newText: lines.map((l) => `\n${indent}${l}`).join(''),
  };
}

/** Is the value an operation puts or sends equal to a constant? 'maybe' when the analysis cannot tell
 * (its type allows it). */
export function valueMatches(op: Op, value: ConstValue, checker: ts.TypeChecker): 'yes' | 'no' | 'maybe' {
  const arg = op.arg;
  if (arg?.t === 'const') return arg.v === value || (value === null && arg.v === undefined) ? 'yes' : 'no';
  if (!op.argNode) return 'maybe';
  const type = checker.getTypeAtLocation(op.argNode);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return 'maybe';
  const parts = type.isUnion() ? type.types : [type];
  const could = parts.some((t) => {
    if (value === null || value === undefined) return (t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0;
    if (t.isLiteral()) return t.value === value;
    if (typeof value === 'string') return (t.flags & ts.TypeFlags.StringLike) !== 0;
    if (typeof value === 'number') return (t.flags & ts.TypeFlags.NumberLike) !== 0;
    return (t.flags & ts.TypeFlags.BooleanLike) !== 0;
  });
  return could ? 'maybe' : 'no';
}

/**
 * A wait of this process that never ends hangs nobody: a daemon child nobody joins is ended when
 * its parent exits (its endless `get()` loop is how daemon workers are written).
 */
export function harmlessWait(ctx: RuleContext, proc: ProcessRef): boolean {
  if (proc.kind === 'main' || proc.role !== 'child' || !proc.daemon) return false;
  return !ctx.extraction.ops.some((o) => o.obj === proc && o.kind === 'join');
}

/**
 * What `typeof` gives for the value an operation puts or sends, by its type: undefined when the
 * type allows several answers (or is not known).
 */
export function typeofByType(op: Op, checker: ts.TypeChecker): string | undefined {
  if (!op.argNode) return undefined;
  const type = checker.getTypeAtLocation(op.argNode);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
  const answers = new Set<string>();
  for (const t of type.isUnion() ? type.types : [type]) {
    if (t.flags & ts.TypeFlags.NumberLike) answers.add('number');
    else if (t.flags & ts.TypeFlags.StringLike) answers.add('string');
    else if (t.flags & ts.TypeFlags.BooleanLike) answers.add('boolean');
    else if (t.flags & ts.TypeFlags.BigIntLike) answers.add('bigint');
    else if (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) answers.add('undefined');
    else if (t.flags & ts.TypeFlags.Null) answers.add('object');
    else if (t.getCallSignatures().length > 0) answers.add('function');
    else if (t.flags & ts.TypeFlags.Object) answers.add('object');
    else return undefined;
  }
  return answers.size === 1 ? [...answers][0] : undefined;
}

/** The name of one end of a pipe: `const [a, b] = Pipe()` names them a and b. */
export function endName(site: ObjectSite, end: 0 | 1 | undefined): string {
  const names = site.label.split('/');
  if (end === undefined) return site.label;
  return names.length === 2 && names[end] && names[end] !== '_' ? names[end]! : `${site.label}[${end}]`;
}
