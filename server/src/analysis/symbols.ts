// Type checker queries the analysis repeats, answered once per node.
import type ts from 'typescript';

const symbolCaches = new WeakMap<ts.TypeChecker, WeakMap<ts.Node, ts.Symbol | null>>();

/**
 * `checker.getSymbolAtLocation`, asked once per node and checker: the interpreter runs a function's
 * body once per call to it, and resolving a name is most of what a visit costs.
 */
export function symbolAt(checker: ts.TypeChecker, node: ts.Node): ts.Symbol | undefined {
  let cache = symbolCaches.get(checker);
  if (!cache) symbolCaches.set(checker, (cache = new WeakMap()));
  let sym = cache.get(node);
  if (sym === undefined) cache.set(node, (sym = checker.getSymbolAtLocation(node) ?? null));
  return sym ?? undefined;
}
