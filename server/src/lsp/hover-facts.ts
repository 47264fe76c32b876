// What the hover says beyond the model's nodes and edges, computed in the analysis worker where the
// programs are: how many sentinels can be put on each queue whose consumers stop at one. It uses
// the missing-sentinel rule's own reading of loops and values, so the hover and the rule agree.
import type ts from 'typescript';
import type { ModelNode, Multiplicity } from '../../../common/model';
import type { ProgramResult } from '../analysis/analyze';
import { processMultiplicity, type ConstValue, type ObjectSite, type Op } from '../analysis/facts';
import { sentinelLoop } from '../analysis/rules/missing-sentinel';
import { valueMatches } from '../analysis/rule-helpers';
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
    const queues = new Map<string, ModelNode>();
    for (const n of r.model.nodes) if (n.kind === 'queue') queues.set(`${n.loc.file}:${n.loc.range.start.line}:${n.loc.range.start.character}`, n);
    if (queues.size === 0) continue;
    // One pass over the operations: each queue's puts and blocking gets.
    const opsOf = new Map<ObjectSite, { puts: Op[]; gets: Op[] }>();
    for (const op of r.extraction.ops) {
      if (op.obj.kind !== 'queue' || op.obj.unknown || !(op.kind === 'put' || (op.kind === 'get' && op.blocking))) continue;
      let entry = opsOf.get(op.obj);
      if (!entry) opsOf.set(op.obj, (entry = { puts: [], gets: [] }));
      (op.kind === 'put' ? entry.puts : entry.gets).push(op);
    }
    for (const [queue, { puts, gets }] of opsOf) {
      const loc = locator.of(queue.node);
      const node = queues.get(`${loc.file}:${loc.range.start.line}:${loc.range.start.character}`);
      if (!node || node.id in out) continue;
      let value: { v: ConstValue } | undefined;
      for (const get of gets) {
        const loop = sentinelLoop(get.call, checker);
        if (loop) {
          value = { v: loop.value };
          break;
        }
      }
      if (!value) continue;
      let count: Multiplicity = 0;
      for (const put of puts) {
        const verdict = valueMatches(put, value.v, checker);
        if (verdict === 'no') continue;
        const procs = processMultiplicity(put.proc);
        if (verdict === 'maybe' || typeof put.count !== 'number' || procs === 'several' || count === 'several') {
          count = 'several';
          continue;
        }
        count += put.count * procs;
      }
      out[node.id] = { value: written(value.v), count };
    }
  }
  return out;
}
