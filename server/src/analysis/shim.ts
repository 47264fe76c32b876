// Recognizes the multiprocessing shim's symbols through the type checker, whatever the import
// style: the symbol is followed through aliases (renames, namespaces, re-exports, require) to its
// declaration, which must sit in a package whose name is one of the shim's module names.
import * as path from 'node:path';
import ts from './typescript';
import { MAX_FILE_SIZE, readTextFile } from './files';
import { symbolAt } from './symbols';

export const SHIM_PACKAGE = '@process-topology/multiprocessing';

/** The shim exports the analysis understands: classes and factory functions. */
export const SHIM_EXPORTS = [
  'Process', 'Queue', 'JoinableQueue', 'SimpleQueue', 'Pipe', 'Lock', 'RLock', 'Semaphore',
  'BoundedSemaphore', 'Event', 'Condition', 'Barrier', 'Value', 'SharedArray', 'Manager', 'Pool',
  'isMainProcess', 'currentProcess', 'parentProcess', 'activeChildren', 'cpuCount',
] as const;
export type ShimExport = (typeof SHIM_EXPORTS)[number];

const KNOWN: ReadonlySet<string> = new Set<string>(SHIM_EXPORTS);

/** Methods of the shim's classes that the analysis models (the others never block or share). */
const SHIM_METHODS: ReadonlySet<string> = new Set([
  'put', 'putNowait', 'get', 'getNowait', 'taskDone', 'join', 'close', 'send', 'sendBytes', 'recv',
  'recvBytes', 'acquire', 'release', 'withLock', 'wait', 'waitFor', 'set', 'clear', 'isSet', 'notify',
  'notifyAll', 'abort', 'reset', 'start', 'terminate', 'kill', 'apply', 'applyAsync', 'map', 'mapAsync',
  'starmap', 'starmapAsync', 'imap', 'imapUnordered', 'shutdown', 'getLock',
]);

export class ShimResolver {
  private readonly names: Set<string>;
  private readonly packageOfDir = new Map<string, string | undefined>();

  /** `skipped` is told of a package.json that is there but not read (not a regular file, too large). */
  constructor(private readonly checker: ts.TypeChecker, extraModules: readonly string[] = [], private readonly skipped?: Map<string, string>) {
    this.names = new Set([SHIM_PACKAGE, ...extraModules]);
  }

  /** The shim export an expression such as `Queue`, `mp.Queue` or `isMainProcess` refers to. */
  exportOf(expr: ts.Expression): ShimExport | undefined {
    // `mp.Queue`: resolving a property asks for the receiver's type, which is costly; a name
    // that no shim export has cannot be one, so skip those.
    if (ts.isPropertyAccessExpression(expr) && !KNOWN.has(expr.name.text)) return undefined;
    const at = ts.isPropertyAccessExpression(expr) ? expr.name : expr;
    const symbol = symbolAt(this.checker, at);
    if (!symbol) return undefined;
    return this.exportOfSymbol(symbol);
  }

  exportOfSymbol(symbol: ts.Symbol): ShimExport | undefined {
    let target = symbol;
    if (symbol.flags & ts.SymbolFlags.Alias) {
      target = this.checker.getAliasedSymbol(symbol);
      // Unresolved module (shim not installed): fall back to the import's module specifier.
      if (target === symbol || !target.declarations?.length) return this.fromImportSpecifier(symbol);
    }
    const name = target.getName();
    if (!KNOWN.has(name)) return undefined;
    const decl = target.declarations?.[0];
    // A member named like an export (`manager.Lock()`) is not the export.
    if (!decl || ts.isClassElement(decl) || ts.isTypeElement(decl)) return undefined;
    return this.isShimFile(decl.getSourceFile().fileName) ? (name as ShimExport) : undefined;
  }

  private fromImportSpecifier(symbol: ts.Symbol): ShimExport | undefined {
    const decl = symbol.declarations?.[0];
    if (!decl || !ts.isImportSpecifier(decl)) return undefined;
    const spec = decl.parent.parent.parent.moduleSpecifier;
    if (!ts.isStringLiteral(spec) || !this.names.has(spec.text)) return undefined;
    const name = (decl.propertyName ?? decl.name).text;
    return KNOWN.has(name) ? (name as ShimExport) : undefined;
  }

  /** The class a method belongs to, when it is a shim class: `q.get` -> 'Queue'. */
  classOfMethod(access: ts.PropertyAccessExpression): string | undefined {
    if (!SHIM_METHODS.has(access.name.text)) return undefined;
    const symbol = symbolAt(this.checker, access.name);
    const decl = symbol?.declarations?.[0];
    if (!decl) return undefined;
    const owner = decl.parent;
    if (!(ts.isClassDeclaration(owner) || ts.isInterfaceDeclaration(owner)) || !owner.name) return undefined;
    return this.isShimFile(decl.getSourceFile().fileName) ? owner.name.text : undefined;
  }

  /** Whether a module specifier names the shim (`@process-topology/multiprocessing` or a configured name). */
  isShimModuleName(spec: string): boolean {
    return this.names.has(spec);
  }

  isShimFile(fileName: string): boolean {
    const name = this.packageName(path.dirname(fileName));
    return name !== undefined && this.names.has(name);
  }

  /** Name in the nearest package.json above a folder (cached per folder). */
  private packageName(dir: string): string | undefined {
    if (this.packageOfDir.has(dir)) return this.packageOfDir.get(dir);
    let result: string | undefined;
    const manifest = path.join(dir, 'package.json');
    const read = readTextFile(manifest, MAX_FILE_SIZE);
    if ('text' in read) {
      try {
        const parsed: unknown = JSON.parse(read.text);
        const n = typeof parsed === 'object' && parsed !== null ? (parsed as { name?: unknown }).name : undefined;
        result = typeof n === 'string' ? n : undefined;
      } catch {
        result = undefined;
      }
    } else if ('skipped' in read) {
      this.skipped?.set(manifest, read.skipped);
    } else {
      const parent = path.dirname(dir);
      result = parent === dir ? undefined : this.packageName(parent);
    }
    this.packageOfDir.set(dir, result);
    return result;
  }
}
