// What the hover says beyond the model's nodes and edges, computed in the analysis worker where the
// programs are: how many sentinels can be put on each queue whose consumers stop at one. It uses
// the missing-sentinel rule's own reading of loops and values, so the hover and the rule agree.
import type ts from 'typescript';
import type { Multiplicity } from '../../../common/model';
import type { ProgramResult } from '../analysis/analyze';
import { processMultiplicity, type ConstValue, type ObjectSite } from '../analysis/facts';
import { sentinelLoop } from '../analysis/rules/missing-sentinel';
import { valueMatches } from '../analysis/rules/util';
import type { Locator } from '../analysis/topology';

export interface SentinelFact {
  /** The value the consumers stop at, as written in code (`null`, `"STOP"`). */
  value: string;
  /** How many of them can be put, all processes together ("several" when not known). */
  count: Multiplicity;
}

/** Per model node id (queues only): the sentinel its consumers wait for, and how many are put. */
export type HoverFacts = Record<string, SentinelFact>;

function written(v: ConstValue): string {
  return v === null ? 'null' : v === undefined ? 'undefined' : JSON.stringify(v);
}

export function hoverFacts(results: readonly ProgramResult[], checker: ts.TypeChecker, locator: Locator): HoverFacts {
  const out: HoverFacts = {};
  for (const r of results) {
    const ids = new Map<ObjectSite, string>();
    for (const site of r.extraction.sites) {
      if (site.kind !== 'queue' || site.unknown) continue;
      const loc = locator.of(site.node);
      const node = r.model.nodes.find((n) => n.kind === 'queue' && n.loc.file === loc.file
        && n.loc.range.start.line === loc.range.start.line && n.loc.range.start.character === loc.range.start.character);
      if (node && !(node.id in out)) ids.set(site, node.id);
    }
    for (const [queue, id] of ids) {
      let value: { v: ConstValue } | undefined;
      for (const op of r.extraction.ops) {
        if (op.kind !== 'get' || op.obj !== queue || !op.blocking) continue;
        const loop = sentinelLoop(op.call, checker);
        if (loop) {
          value = { v: loop.value };
          break;
        }
      }
      if (!value) continue;
      let count: Multiplicity = 0;
      for (const put of r.extraction.ops) {
        if (put.kind !== 'put' || put.obj !== queue) continue;
        const verdict = valueMatches(put, value.v, checker);
        if (verdict === 'no') continue;
        const procs = processMultiplicity(put.proc);
        if (verdict === 'maybe' || typeof put.count !== 'number' || procs === 'several' || count === 'several') {
          count = 'several';
          continue;
        }
        count += put.count * procs;
      }
      out[id] = { value: written(value.v), count };
    }
  }
  return out;
}
