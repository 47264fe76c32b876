// How deep a file's syntax nests, and the limit past which a file is not analyzed. TypeScript's
// parser, binder and checker and the analysis's own walks (extraction, the rules) recurse into
// the syntax tree; a generated parser table, a minified bundle or a mangled file can nest a
// thousand levels deep and overflow the stack. Such a file is left out (as an empty module) with
// a note naming it, rather than ending the whole analysis: the command line and the language
// server decide alike, here, when the file is parsed.
import ts from './typescript';

/**
 * A file whose syntax nests deeper than this is not analyzed. No program written by hand comes
 * close; every walk of the analysis stays within the 1 MB stack of the command line's main thread
 * below it (measured: chains of `+`, `?:`, `.then()`, `else if`, nested blocks, functions, `await`,
 * `!`), and TypeScript's name resolution slows down with the depth of each name.
 */
export const MAX_NESTING = 1000;
/** After a stack overflow all the same, files nesting deeper than this are left out and the analysis runs again. */
export const MAX_NESTING_AFTER_OVERFLOW = 500;

const depths = new WeakMap<ts.SourceFile, number>();

/** How deep a file's syntax tree is, walked without recursion (cached per source file). */
export function nestingDepth(sf: ts.SourceFile): number {
  const cached = depths.get(sf);
  if (cached !== undefined) return cached;
  let max = 0;
  let level = 0;
  const nodes: ts.Node[] = [sf];
  const levels: number[] = [0];
  const push = (child: ts.Node): undefined => {
    nodes.push(child);
    levels.push(level + 1);
    return undefined;
  };
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    level = levels.pop()!;
    if (level > max) max = level;
    ts.forEachChild(node, push);
  }
  depths.set(sf, max);
  return max;
}

export function tooDeepReason(depth: number, limit: number = MAX_NESTING): string {
  return `its syntax nests ${depth} levels deep, more than the ${limit} the analysis follows`;
}

export type Parsed = { sf: ts.SourceFile; skipped?: undefined } | { sf: ts.SourceFile; skipped: string };

/**
 * A source file as the analysis takes it: parsed by `parse`, or, when TypeScript's parser
 * overflows its stack or the file nests deeper than MAX_NESTING, an empty file of the same name
 * and why. Declaration files are taken as they are (the fallback after an overflow covers them).
 */
export function checkedSourceFile(fileName: string, parse: () => ts.SourceFile, languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions): Parsed {
  const empty = (): ts.SourceFile => ts.createSourceFile(fileName, '', languageVersion, true);
  let sf: ts.SourceFile;
  try {
    sf = parse();
  } catch (err) {
    return { sf: empty(), skipped: isStackOverflow(err) ? 'TypeScript cannot parse it: its syntax nests too deep for the parser' : `TypeScript cannot parse it (${err instanceof Error ? err.message : String(err)})` };
  }
  if (sf.isDeclarationFile) return { sf };
  const depth = nestingDepth(sf);
  return depth > MAX_NESTING ? { sf: empty(), skipped: tooDeepReason(depth) } : { sf };
}

/** Whether an error is a stack overflow (of TypeScript or of the analysis). */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/.test(err.message);
}
