// target-not-spawnable (docs/rules/target-not-spawnable.md): a Process target or a function submitted to a pool that is not
// a module-level function exported from its module (an arrow in a variable that is not exported,
// a closure, a method, a bound function): under spawn the child re-imports the module and looks
// the function up by its export name, so start() (or the submit) fails. A Process subclass must be
// exported for the same reason. Decided from the function the target resolves to; a target the
// analysis cannot resolve keeps the rule silent.
import ts from '../typescript';
import type { Finding } from '../../../../common/model';
import { skipOuter } from '../ast';
import type { FnValue, ObjectSite, Op } from '../facts';
import { defineRule, type RuleContext } from '../rule-context';
import { finding } from '../rule-helpers';

export default defineRule({
  id: 'target-not-spawnable',
  severity: 'error',
  family: 'lifecycle',
  summary: 'A target or pool function that is not an exported module-level function.',
  run: targetNotSpawnable,
});

const POOL_SUBMIT = new Set(['apply', 'applyAsync', 'map', 'mapAsync', 'starmap', 'starmapAsync', 'imap', 'imapUnordered']);

function targetNotSpawnable(ctx: RuleContext): Finding[] {
  const ex = ctx.extraction;
  const findings: Finding[] = [];
  const report = (at: ts.Node, why: string, role: string, site: ObjectSite, ops: Op[]): void => {
    findings.push(finding(ctx, {
      rule: 'target-not-spawnable',
      severity: 'error',
      message: `${why}: ${role} must be a module-level function exported from its module, because the child re-imports the module and looks it up by its export name`,
      at,
      sites: [site],
      ops,
    }));
  };
  for (const site of ex.sites) {
    if (site.kind !== 'process' || site.role !== 'child' || site.unknown || !ts.isNewExpression(site.node)) continue;
    const starts = ex.ops.filter((o) => o.obj === site && o.kind === 'start');
    if (starts.length === 0) continue;
    const run = site.targets?.[0];
    if (site.targetName?.endsWith('.run') && run && ts.isMethodDeclaration(run.decl)) {
      // A Process subclass: the class itself travels by its export name.
      const cls = run.decl.parent;
      if (ts.isClassDeclaration(cls) && !isExported(cls, cls.name, ctx.checker)) {
        report(site.node.expression, `the Process subclass ${cls.name?.text ?? '(anonymous)'} is not exported from its module`, 'a Process subclass', site, starts);
      }
      continue;
    }
    const targetNode = targetArgument(site.node);
    if (!targetNode) continue;
    const why = unspawnable(targetNode, site.targets, ctx.checker);
    if (why) report(targetNode, why, 'a Process target', site, starts);
  }
  for (const op of ex.ops) {
    if (op.kind !== 'submit' || !POOL_SUBMIT.has(op.method) || op.obj.unknown) continue;
    const fnNode = op.call.arguments[0];
    if (!fnNode) continue;
    const value = fnValueOf(fnNode, ctx.checker);
    const why = unspawnable(fnNode, value ? [value] : undefined, ctx.checker);
    if (why) report(fnNode, why, `a function submitted to a pool`, op.obj, [op]);
  }
  return findings;
}

/** The `target` property's value in `new Process({ target: … })`. */
function targetArgument(e: ts.NewExpression): ts.Expression | undefined {
  const options = e.arguments?.[0] ? skipOuter(e.arguments[0]) : undefined;
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  for (const p of options.properties) {
    if (!p.name || !ts.isIdentifier(p.name) || p.name.text !== 'target') continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

/** The function a pool argument names, when it is a plain name or an inline function. */
function fnValueOf(e: ts.Expression, checker: ts.TypeChecker): FnValue | undefined {
  const x = skipOuter(e);
  if (ts.isArrowFunction(x) || ts.isFunctionExpression(x)) return { t: 'fn', decl: x, closure: undefined };
  const at = ts.isPropertyAccessExpression(x) ? x.name : ts.isIdentifier(x) ? x : undefined;
  const sym = at && checker.getSymbolAtLocation(at);
  const target = sym && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  for (const d of target?.declarations ?? []) {
    if (d.getSourceFile().isDeclarationFile) return undefined;
    if ((ts.isFunctionDeclaration(d) || ts.isMethodDeclaration(d)) && d.body) return { t: 'fn', decl: d, closure: undefined };
    if (ts.isVariableDeclaration(d) && d.initializer) {
      const init = skipOuter(d.initializer);
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return { t: 'fn', decl: init, closure: undefined };
    }
  }
  return undefined;
}

/** Why the function an expression names cannot be found by a child; undefined when it can, or when unknown. */
function unspawnable(node: ts.Expression, fns: FnValue[] | undefined, checker: ts.TypeChecker): string | undefined {
  const e = skipOuter(node);
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'bind') {
    return `${e.getText()} is a bound function, which exists only in this process`;
  }
  if (!fns || fns.length === 0) return undefined;
  for (const fn of fns) {
    const why = whyNot(fn.decl, checker);
    if (why) return why;
  }
  return undefined;
}

function whyNot(decl: FnValue['decl'], checker: ts.TypeChecker): string | undefined {
  const sf = decl.getSourceFile();
  const js = /\.(c|m)?jsx?$/.test(sf.fileName);
  const name = ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl) ? decl.name?.getText() : undefined;
  if (ts.isMethodDeclaration(decl)) return `${name ?? 'the target'} is a method`;
  if (ts.isFunctionDeclaration(decl)) {
    if (!ts.isSourceFile(decl.parent)) return `${name ?? 'the function'} is declared inside another function (a closure)`;
    if (isExported(decl, decl.name, checker)) return undefined;
    return js ? undefined : `${name ?? 'the function'} is not exported from its module`;
  }
  if (ts.isArrowFunction(decl) || ts.isFunctionExpression(decl)) {
    const v = decl.parent;
    if (ts.isExportAssignment(v)) return undefined;
    if (ts.isVariableDeclaration(v) && ts.isIdentifier(v.name)) {
      const top = ts.isVariableDeclarationList(v.parent) && ts.isVariableStatement(v.parent.parent) && ts.isSourceFile(v.parent.parent.parent);
      if (!top) return `${v.name.text} is a function made inside another function (a closure)`;
      if (isExported(v, v.name, checker)) return undefined;
      return js ? undefined : `${v.name.text} is an arrow function in a variable that is not exported`;
    }
    return `the target is an inline ${ts.isArrowFunction(decl) ? 'arrow function' : 'function expression'}, which has no name a child could import`;
  }
  return undefined;
}

/** Whether the module of `decl` exports it (under any name). */
function isExported(decl: ts.Node, name: ts.Identifier | undefined, checker: ts.TypeChecker): boolean {
  if ((ts.getCombinedModifierFlags(decl as ts.Declaration) & ts.ModifierFlags.Export) !== 0) return true;
  const sf = decl.getSourceFile();
  const moduleSym = checker.getSymbolAtLocation(sf);
  const own = name ? checker.getSymbolAtLocation(name) : undefined;
  if (!moduleSym || !own) return false;
  return checker.getExportsOfModule(moduleSym).some((e) => {
    const t = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    return t === own || (t.declarations ?? []).includes(decl as ts.Declaration);
  });
}
