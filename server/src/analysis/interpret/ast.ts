// Small questions about syntax the interpreter and the rules ask: strip what does not change a
// value, read a literal, name a declaration.
import ts from '../typescript';
// What a literal is and which wrappers do not change a value are the analysis's shared readings
// (../ast.ts, which the rules use too).
import { constOf, skipOuter } from '../ast';

export { constOf, skipOuter };

export function propertyName(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return undefined;
}

const names = new WeakMap<ts.Node, string | null>();

/** The name a value is stored under: `const q = new Queue()` -> "q". */
export function nameOf(e: ts.Node): string | undefined {
  let n = names.get(e);
  if (n === undefined) names.set(e, (n = computeName(e) ?? null));
  return n ?? undefined;
}

function computeName(e: ts.Node): string | undefined {
  let p = e.parent;
  while (ts.isAwaitExpression(p) || ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) p = p.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return propertyName(p.name);
  if (ts.isBinaryExpression(p) && ts.isIdentifier(p.left)) return p.left.text;
  if (ts.isBinaryExpression(p) && ts.isPropertyAccessExpression(p.left)) return p.left.name.text;
  if (ts.isParameter(p) && ts.isIdentifier(p.name)) return p.name.text;
  // `return new Queue()` in a factory: name it after the factory.
  if (ts.isReturnStatement(p) || ts.isArrowFunction(p)) {
    let f: ts.Node | undefined = p;
    while (f && !ts.isFunctionLike(f)) f = f.parent;
    const name = f && (ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f)) ? propertyName(f.name)
      : f && ts.isArrowFunction(f) && ts.isVariableDeclaration(f.parent) ? propertyName(f.parent.name) : undefined;
    return name ? `${name}()` : undefined;
  }
  return undefined;
}

/** The name a function is declared under. */
export function functionName(decl: ts.SignatureDeclaration): string | undefined {
  if (decl.name && (ts.isIdentifier(decl.name) || ts.isStringLiteral(decl.name))) return decl.name.text;
  const p = decl.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p)) return propertyName(p.name);
  return undefined;
}

/** `const [a, b] = Pipe()` -> "a/b". */
export function pipeName(e: ts.Node): string | undefined {
  let p = e.parent;
  while (ts.isAwaitExpression(p) || ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) p = p.parent;
  if (ts.isVariableDeclaration(p) && ts.isArrayBindingPattern(p.name)) {
    const names = p.name.elements.map((el) => (ts.isBindingElement(el) && ts.isIdentifier(el.name) ? el.name.text : '_'));
    return names.join('/');
  }
  return nameOf(e);
}

/** Whether a statement list declares block-scoped names (then a loop body needs a scope per iteration). */
export function isFunctionLikeWithBody(n: ts.Node): n is ts.FunctionLikeDeclaration {
  return ts.isFunctionLike(n) && 'body' in n && !!(n as ts.FunctionLikeDeclaration).body;
}

/** A call whose promise nobody awaits or keeps: the whole statement (`x.acquire();`, `void x.acquire();`). */
export function droppedPromise(call: ts.CallExpression): boolean {
  let n: ts.Node = call;
  while (ts.isParenthesizedExpression(n.parent) || ts.isVoidExpression(n.parent)) n = n.parent;
  return ts.isExpressionStatement(n.parent);
}
