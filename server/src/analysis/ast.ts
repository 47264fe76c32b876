// Small readings of TypeScript syntax that the extraction and the rules both need: what an
// expression is once the wrappers that do not change its value are stripped, and the constant a
// literal stands for. Rules take them from here, never from extract.ts, whose insides are the
// extraction's own (and may be redesigned).
import ts from './typescript';
import type { ConstValue } from './facts';

/** Strips `await`, parentheses and type assertions, which do not change the value. */
export function skipOuter(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e) || ts.isAsExpression(e)
      || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) {
      e = e.expression;
    } else {
      return e;
    }
  }
}

export function constOf(e: ts.Expression): { v: ConstValue } | undefined {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { v: e.text };
  if (ts.isNumericLiteral(e)) return { v: Number(e.text) };
  if (e.kind === ts.SyntaxKind.NullKeyword) return { v: null };
  if (e.kind === ts.SyntaxKind.TrueKeyword) return { v: true };
  if (e.kind === ts.SyntaxKind.FalseKeyword) return { v: false };
  if (ts.isIdentifier(e) && e.text === 'undefined') return { v: undefined };
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) {
    return { v: -Number(e.operand.text) };
  }
  return undefined;
}
