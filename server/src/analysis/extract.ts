// Extraction: runs the abstract interpreter (interpret/) over a program — main's top-level code,
// then every process it starts, with the values it starts them with — and returns the facts the
// rules and the checker read (facts.ts). Pure: program in, facts out.
import ts from './typescript';
import type { Extraction, MainProcess, ObjectSite } from './facts';
import { finish } from './interpret/finish';
import { Interpreter } from './interpret/interpreter';
import { UNKNOWN } from './interpret/values';
import type { ShimResolver } from './shim';
import { symbolAt } from './symbols';

export * from './facts';

export class Extractor {
  constructor(private readonly checker: ts.TypeChecker, private readonly shim: ShimResolver) {}

  /** Runs an entry file's top-level code as the main process, following every process it starts. */
  extract(entry: ts.SourceFile): Extraction {
    const I = new Interpreter(this.checker, this.shim);
    const main: MainProcess = { kind: 'main', file: entry };
    const mainFlow = I.runEntry(I.newProc(main), entry);
    I.runQueue();
    // A child re-imports the entry under spawn: what its top-level code surely reaches then is
    // not guarded (unguarded-start). Nothing of that run is kept but what it reached.
    I.dryRun(main, entry);
    return finish({ interp: I, entry, main, isEntry: true, mainFlow });
  }

  /**
   * A module no entry reaches, on its own: each exported function runs as a possible target with
   * unknown inputs, so its operations land on "unknown" objects of their declared shim types.
   */
  extractModule(module: ts.SourceFile): Extraction {
    const I = new Interpreter(this.checker, this.shim);
    const main: MainProcess = { kind: 'main', file: module };
    I.reached.add(module);
    const exported = symbolAt(this.checker, module);
    const lookup = I.newProc(main, true);
    for (const sym of exported ? this.checker.getExportsOfModule(exported) : []) {
      const fn = I.valueOfExport(lookup, module, sym);
      if (!fn || fn.t !== 'fn' || fn.decl.getSourceFile() !== module) continue;
      const site: ObjectSite = {
        kind: 'process', role: 'child', node: fn.decl, label: sym.getName(), targetName: sym.getName(),
        multiplicity: 'several', args: [], daemon: false, targets: [{ t: 'fn', decl: fn.decl, closure: undefined }],
      };
      I.sites.push(site);
      const proc = I.newProc(site);
      I.flows.set(site, I.runFunction(proc, [fn], fn.decl.parameters.map(() => UNKNOWN), undefined));
    }
    I.runQueue();
    const ex = finish({ interp: I, entry: module, main, isEntry: false, mainFlow: undefined });
    // Keep only functions that touch the shim.
    ex.sites = ex.sites.filter((s) => s.kind !== 'process' || s.role !== 'child' || s.node.getSourceFile() !== module
      || !ts.isFunctionLike(s.node) || ex.ops.some((o) => o.proc === s));
    for (const [p] of ex.flows) if (p.kind !== 'main' && !ex.sites.includes(p)) ex.flows.delete(p);
    return ex;
  }
}
