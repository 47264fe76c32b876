// Turns extraction facts into the model's nodes and edges, with stable ids and source locations.
import * as path from 'node:path';
import ts from 'typescript';
import type { EdgeCount, EdgeKind, Location, ModelEdge, ModelNode } from '../../../common/model';
import type { Extraction, ObjectSite, Op, ProcessRef } from './extract';

export class Locator {
  constructor(readonly rootDir: string) {}

  relative(fileName: string): string {
    return path.relative(this.rootDir, fileName).split(path.sep).join('/');
  }

  of(node: ts.Node): Location {
    const sf = node.getSourceFile();
    const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const end = sf.getLineAndCharacterOfPosition(node.getEnd());
    return { file: this.relative(sf.fileName), range: { start, end } };
  }
}

export interface Topology {
  nodes: ModelNode[];
  edges: ModelEdge[];
  /** Model node id of each site and main process. */
  idOf(ref: ProcessRef | ObjectSite): string;
  /** Model edge id each operation was drawn as. */
  edgeOf(op: Op): string | undefined;
}

const EDGE_OF_OP: Record<Op['kind'], EdgeKind> = {
  put: 'put', get: 'get', start: 'spawn', join: 'join', terminate: 'terminate',
};

function addCount(a: EdgeCount | undefined, b: EdgeCount): EdgeCount {
  if (a === undefined) return b;
  if (a === 'loop' || b === 'loop') return 'loop';
  if (a === 'several' || b === 'several') return 'several';
  return a + b;
}

/**
 * Ids are `kind:label@file`, with `#n` for the n-th site of the same name in a file: they do not
 * depend on line numbers, so they survive edits that do not touch the declaration.
 */
export function buildTopology(ex: Extraction, loc: Locator): Topology {
  const ids = new Map<ProcessRef | ObjectSite, string>();
  const used = new Set<string>();
  const unique = (base: string): string => {
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}#${n}`;
    used.add(id);
    return id;
  };
  const nodes: ModelNode[] = [];
  const entryFile = loc.relative(ex.entry.fileName);
  const mainId = unique(`proc:main@${entryFile}`);
  ids.set(ex.main, mainId);
  const firstMainOp = ex.ops.find((o) => o.proc === ex.main);
  nodes.push({
    id: mainId, kind: 'process', role: 'main', label: 'main',
    loc: firstMainOp ? loc.of(firstMainOp.call) : { file: entryFile, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
  });
  const sorted = [...ex.sites].sort((a, b) => a.node.getSourceFile().fileName.localeCompare(b.node.getSourceFile().fileName)
    || a.node.getStart() - b.node.getStart());
  for (const site of sorted) {
    const l = loc.of(site.node);
    const id = unique(`${site.kind === 'process' ? 'proc' : site.kind}:${site.label}@${l.file}`);
    ids.set(site, id);
    const node: ModelNode = { id, kind: site.kind, label: site.label, loc: l };
    if (site.multiplicity !== 1) node.multiplicity = site.multiplicity;
    if (site.kind === 'process') {
      node.role = 'child';
      node.daemon = site.daemon ?? false;
      if (site.targetName) node.target = site.targetName;
    } else {
      if (site.variant) node.variant = site.variant;
      node.maxsize = site.maxsize ?? 0;
    }
    nodes.push(node);
  }

  const edges: ModelEdge[] = [];
  const byKey = new Map<string, ModelEdge>();
  const edgeOfOp = new Map<Op, string>();
  for (const op of ex.ops) {
    const procId = ids.get(op.proc);
    const objId = ids.get(op.obj);
    if (!procId || !objId) continue;
    const kind = EDGE_OF_OP[op.kind];
    // Data flows along the arrow: into a queue on put, out of it on get.
    const [from, to] = op.kind === 'get' ? [objId, procId] : [procId, objId];
    const key = `${kind}:${from}->${to}`;
    let edge = byKey.get(key);
    if (!edge) {
      edge = { id: key, kind, from, to, locs: [] };
      byKey.set(key, edge);
      edges.push(edge);
    }
    edge.count = addCount(edge.count, op.count);
    if (op.blocking) edge.blocking = true;
    const l = loc.of(op.call);
    if (!edge.locs.some((x) => x.file === l.file && x.range.start.line === l.range.start.line
      && x.range.start.character === l.range.start.character)) edge.locs.push(l);
    edgeOfOp.set(op, edge.id);
  }
  return {
    nodes, edges,
    idOf: (ref) => ids.get(ref) ?? '',
    edgeOf: (op) => edgeOfOp.get(op),
  };
}
