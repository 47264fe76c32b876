// Turns extraction facts into the model's nodes and edges, with stable ids and source locations.
import * as path from 'node:path';
import ts from './typescript';
import type { EdgeCount, EdgeKind, Location, ModelEdge, ModelNode } from '../../../common/model';
import type { Extraction, ObjectSite, Op, OpKind, ProcessRef } from './facts';

export class Locator {
  /** Relative paths by file name: every location of a file asks for the same one. */
  private readonly relatives = new Map<string, string>();

  constructor(readonly rootDir: string) {}

  relative(fileName: string): string {
    let rel = this.relatives.get(fileName);
    if (rel === undefined) this.relatives.set(fileName, (rel = path.relative(this.rootDir, fileName).split(path.sep).join('/')));
    return rel;
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

/** How each operation is drawn: its edge kind, and whether data flows from the object to the process. */
const EDGE_OF_OP: Partial<Record<OpKind, { kind: EdgeKind; inward?: true }>> = {
  put: { kind: 'put' }, get: { kind: 'get', inward: true }, taskDone: { kind: 'taskDone' },
  joinQueue: { kind: 'wait', inward: true },
  send: { kind: 'send' }, recv: { kind: 'recv', inward: true },
  acquire: { kind: 'acquire' }, release: { kind: 'release' },
  wait: { kind: 'wait', inward: true }, set: { kind: 'set' }, clear: { kind: 'set' }, notify: { kind: 'notify' }, abort: { kind: 'set' },
  read: { kind: 'read', inward: true }, write: { kind: 'write' },
  submit: { kind: 'submit' }, result: { kind: 'result', inward: true },
  joinPool: { kind: 'join' }, terminatePool: { kind: 'terminate' },
  start: { kind: 'spawn' }, join: { kind: 'join' }, terminate: { kind: 'terminate' },
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
  if (ex.isEntry) {
    const mainId = unique(`proc:main@${entryFile}`);
    ids.set(ex.main, mainId);
    const firstMainOp = ex.ops.find((o) => o.proc === ex.main);
    nodes.push({
      id: mainId, kind: 'process', role: 'main', label: 'main',
      loc: firstMainOp ? loc.of(firstMainOp.call) : { file: entryFile, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
    });
  }
  const sorted = [...ex.sites].sort((a, b) => a.node.getSourceFile().fileName.localeCompare(b.node.getSourceFile().fileName)
    || a.node.getStart() - b.node.getStart());
  for (const site of sorted) {
    const l = loc.of(site.node);
    const prefix = site.kind === 'process' ? (site.role === 'pool-worker' ? 'worker' : 'proc') : site.kind;
    const id = unique(`${prefix}:${site.label}@${l.file}`);
    ids.set(site, id);
    const node: ModelNode = { id, kind: site.kind, label: site.label, loc: l };
    if (site.multiplicity !== 1) node.multiplicity = site.multiplicity;
    if (site.kind === 'process') {
      node.role = site.role ?? 'child';
      node.daemon = site.daemon ?? false;
      if (site.targetName) node.target = site.targetName;
    }
    if (site.variant) node.variant = site.variant as NonNullable<ModelNode['variant']>;
    if (site.kind === 'queue') node.maxsize = site.maxsize ?? 0;
    if (site.kind === 'pipe') node.duplex = site.duplex ?? true;
    nodes.push(node);
  }

  const edges: ModelEdge[] = [];
  const byKey = new Map<string, ModelEdge>();
  const edgeOfOp = new Map<Op, string>();
  const addEdge = (kind: EdgeKind, from: string, to: string, l: Location, count: EdgeCount, blocking: boolean, end?: 0 | 1): ModelEdge => {
    const key = `${kind}:${from}->${to}${end !== undefined ? `:end${end}` : ''}`;
    let edge = byKey.get(key);
    if (!edge) {
      edge = { id: key, kind, from, to, locs: [] };
      if (end !== undefined) edge.end = end === 0 ? 'end0' : 'end1';
      byKey.set(key, edge);
      edges.push(edge);
    }
    edge.count = addCount(edge.count, count);
    if (blocking) edge.blocking = true;
    if (!edge.locs.some((x) => x.file === l.file && x.range.start.line === l.range.start.line
      && x.range.start.character === l.range.start.character)) edge.locs.push(l);
    return edge;
  };
  // A pool starts its workers.
  for (const site of sorted) {
    if (site.role === 'pool-worker' && site.owner) {
      const from = ids.get(site.owner);
      const to = ids.get(site);
      if (from && to) addEdge('spawn', from, to, loc.of(site.owner.node), 1, false);
    }
  }
  for (const op of ex.ops) {
    const procId = ids.get(op.proc);
    const objId = ids.get(op.obj);
    const drawn = EDGE_OF_OP[op.kind];
    if (!procId || !objId || !drawn) continue;
    const [from, to] = drawn.inward ? [objId, procId] : [procId, objId];
    const edge = addEdge(drawn.kind, from, to, loc.of(op.call), op.count, op.blocking, op.end);
    edgeOfOp.set(op, edge.id);
  }
  return {
    nodes, edges,
    idOf: (ref) => ids.get(ref) ?? '',
    edgeOf: (op) => edgeOfOp.get(op),
  };
}
