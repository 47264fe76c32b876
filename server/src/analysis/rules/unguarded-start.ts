// unguarded-start (docs/rules/unguarded-start.md): a Process start, Pool or Manager creation run by the main module's
// top-level code outside an `isMainProcess()` guard (or `require.main === module`): under spawn
// the child re-imports the module, runs that code again and fails ("An attempt has been made to
// start a new process before the current process has finished its bootstrapping phase"). The
// extraction marks what main's code does outside the guard; other main-module idioms
// (`import.meta.url`, `process.argv`) keep the rule silent. Quick fix: wrap the top-level start
// code in `if (isMainProcess()) { … }`, importing it if needed.
import ts from '../typescript';
import type { FixData, Finding } from '../../../../common/model';
import type { ObjectSite, Op } from '../facts';
import { SHIM_PACKAGE } from '../shim';
import { defineRule, type RuleContext } from '../rule-context';
import { finding } from '../rule-helpers';

export default defineRule({
  id: 'unguarded-start',
  severity: 'error',
  family: 'lifecycle',
  summary: 'A process, pool or manager started at module top level outside the isMainProcess() guard.',
  run: unguardedStart,
});

interface Trigger {
  at: ts.Node;
  top: ts.Statement | undefined;
  what: string;
  site: ObjectSite;
  op?: Op;
}

const OTHER_GUARDS = /import\.meta|process\.argv|require\.main/;

function unguardedStart(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  if (!ex.isEntry) return [];
  const triggers: Trigger[] = [];
  for (const op of ex.ops) {
    if (op.proc === ex.main && op.kind === 'start' && op.obj.kind === 'process' && !op.guarded) {
      triggers.push({ at: op.call, top: op.top, what: `starts ${op.obj.label}`, site: op.obj, op });
    }
  }
  for (const s of ex.sites) {
    if ((s.kind === 'pool' || s.kind === 'manager') && s.madeBy === ex.main && s.madeGuarded === false) {
      triggers.push({ at: s.node, top: s.madeTop, what: `creates a ${s.kind === 'pool' ? 'Pool' : 'Manager'}`, site: s });
    }
  }
  const kept = triggers.filter((t) => !t.top || !OTHER_GUARDS.test(t.top.getText()));
  if (kept.length === 0) return [];
  const fixes = guardFix(ctx, kept);
  return kept.map((t) => finding(ctx, {
    rule: 'unguarded-start',
    severity: 'error',
    message: `The main module's top-level code ${t.what} outside an isMainProcess() guard: each child re-imports this module under spawn and runs it again, which fails (a process cannot start others while it is being bootstrapped)`,
    at: t.at,
    related: t.top && !isWithin(t.at, t.top) ? [{ message: 'reached from this top-level statement', at: t.top }] : [],
    sites: [ex.main, t.site],
    ...(t.op ? { ops: [t.op] } : {}),
    fixes,
  }));
}

function isWithin(n: ts.Node, outer: ts.Node): boolean {
  return n.getSourceFile() === outer.getSourceFile() && n.pos >= outer.pos && n.end <= outer.end;
}

function isDeclaration(s: ts.Statement): boolean {
  if (ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s) || ts.isExportDeclaration(s) || ts.isExportAssignment(s)
    || ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)
    || ts.isEnumDeclaration(s) || ts.isModuleDeclaration(s)) return true;
  return ts.isVariableStatement(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword || m.kind === ts.SyntaxKind.DeclareKeyword);
}

/** docs/rules/unguarded-start.md: "wrap the top-level start code in `if (isMainProcess()) { … }`". */
function guardFix(ctx: RuleContext, triggers: Trigger[]): FixData[] {
  const sf = ctx.extraction.entry;
  const list = sf.statements;
  const tops = triggers.map((t) => t.top);
  if (tops.some((t) => !t || t.parent !== sf)) return [];
  const idx = tops.map((t) => list.indexOf(t!));
  let lo = Math.min(...idx);
  let hi = Math.max(...idx);
  const firstTrigger = lo;
  for (let k = lo; k <= hi; k++) if (isDeclaration(list[k]!)) return [];
  while (lo > 0 && !isDeclaration(list[lo - 1]!)) lo--;
  while (hi < list.length - 1 && !isDeclaration(list[hi + 1]!)) hi++;
  // Variables that code outside the wrapped statements uses must stay outside.
  for (;;) {
    const from = list[lo]!.pos;
    const to = list[hi]!.end;
    const declared = new Set<ts.Symbol>();
    for (let k = lo; k <= hi; k++) {
      const s = list[k]!;
      if (!ts.isVariableStatement(s)) continue;
      for (const d of s.declarationList.declarations) collectNames(d.name, ctx.checker, declared);
    }
    let usedOutside = -1;
    const visit = (n: ts.Node): void => {
      if (n.pos >= from && n.end <= to) return;
      if (ts.isIdentifier(n)) {
        const sym = ctx.checker.getSymbolAtLocation(n);
        if (sym && declared.has(sym)) {
          const decl = sym.declarations?.[0];
          const at = decl ? list.findIndex((s) => s.pos <= decl.pos && decl.end <= s.end) : -1;
          usedOutside = Math.max(usedOutside, at);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    if (usedOutside < 0) break;
    // A use at or past the first trigger cannot stay outside; a declaration before the range
    // (a redeclared name) would not shrink it: no fix rather than a loop.
    if (usedOutside >= firstTrigger || usedOutside < lo) return [];
    lo = usedOutside + 1;
  }
  const first = list[lo]!;
  const lineStart = sf.text.lastIndexOf('\n', first.getStart(sf) - 1) + 1;
  const body = sf.text.slice(lineStart, list[hi]!.getEnd());
  const indented = body.split('\n').map((l) => (l.trim() === '' ? l : `  ${l}`)).join('\n');
  const file = ctx.locator.relative(sf.fileName);
  const pos = (offset: number): ts.LineAndCharacter => sf.getLineAndCharacterOfPosition(offset);
  const guard = guardCall(sf);
  if (!guard) return [];
  const edits: FixData['edits'] = [{ file, range: { start: pos(lineStart), end: pos(list[hi]!.getEnd()) }, newText: `if (${guard.call}) {\n${indented}\n}` }];
  if (guard.importEdit) edits.push({ file, range: { start: pos(guard.importEdit.at), end: pos(guard.importEdit.at) }, newText: guard.importEdit.text });
  return [{ title: 'Wrap the top-level start code in if (isMainProcess()) { … }', edits }];
}

function collectNames(name: ts.BindingName, checker: ts.TypeChecker, out: Set<ts.Symbol>): void {
  if (ts.isIdentifier(name)) {
    const sym = checker.getSymbolAtLocation(name);
    if (sym) out.add(sym);
    return;
  }
  for (const el of name.elements) if (!ts.isOmittedExpression(el)) collectNames(el.name, checker, out);
}

/** How to call isMainProcess in this file, and the import to add when it is not imported yet. */
function guardCall(sf: ts.SourceFile): { call: string; importEdit?: { at: number; text: string } } | undefined {
  const imports = sf.statements.filter(ts.isImportDeclaration);
  for (const d of imports) {
    const named = d.importClause?.namedBindings;
    if (named && ts.isNamedImports(named)) {
      const el = named.elements.find((e) => (e.propertyName ?? e.name).text === 'isMainProcess');
      if (el) return { call: `${el.name.text}()` };
    }
  }
  const fromShim = imports.filter((d) => ts.isStringLiteral(d.moduleSpecifier) && d.moduleSpecifier.text === SHIM_PACKAGE && !d.importClause?.isTypeOnly);
  for (const d of fromShim) {
    const named = d.importClause?.namedBindings;
    if (named && ts.isNamespaceImport(named)) return { call: `${named.name.text}.isMainProcess()` };
  }
  for (const d of fromShim) {
    const named = d.importClause?.namedBindings;
    if (named && ts.isNamedImports(named) && named.elements.length > 0) {
      return { call: 'isMainProcess()', importEdit: { at: named.elements[named.elements.length - 1]!.getEnd(), text: ', isMainProcess' } };
    }
  }
  const last = imports[imports.length - 1];
  if (!last) return undefined;
  return { call: 'isMainProcess()', importEdit: { at: last.getEnd(), text: `\nimport { isMainProcess } from '${SHIM_PACKAGE}';` } };
}
