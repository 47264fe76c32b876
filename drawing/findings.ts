// Findings in the graph: which nodes and edges a deadlock's trace step moves, what the final state
// waits on, and which nodes a location in the editor points at. Pure (no DOM).
import type { EdgeKind, Finding, Location, ModelEdge, Range, TopologyModel, TraceStep } from '../common/model';
import { EDGE_KINDS } from '../common/model';

/** `consumer#2: get q` -> who, instance 2, method `get`, object `q`. */
export interface ParsedOp {
  who?: string;
  instance?: number;
  method?: string;
  object?: string;
}

export function parseOp(op: string): ParsedOp {
  const out: ParsedOp = {};
  let rest = op.trim();
  const colon = rest.indexOf(': ');
  if (colon > 0) {
    const who = rest.slice(0, colon);
    rest = rest.slice(colon + 2).trim();
    const m = /^(.*?)#(\d+)$/.exec(who);
    if (m) { out.who = m[1]!; out.instance = Number(m[2]); } else out.who = who;
  }
  const space = rest.indexOf(' ');
  out.method = (space < 0 ? rest : rest.slice(0, space)).replace(/\(\)$/, '');
  if (space > 0) out.object = rest.slice(space + 1).trim();
  return out;
}

const METHOD_KINDS: Readonly<Record<string, EdgeKind>> = {
  notifyAll: 'notify', notify_all: 'notify', start: 'spawn', getNowait: 'get', putNowait: 'put',
  get_nowait: 'get', put_nowait: 'put', task_done: 'taskDone', apply: 'submit', map: 'submit',
  applyAsync: 'submit', mapAsync: 'submit', imap: 'submit', starmap: 'submit', close: 'release',
};

export function methodKind(method: string | undefined): EdgeKind | undefined {
  if (!method) return undefined;
  if ((EDGE_KINDS as readonly string[]).includes(method)) return method as EdgeKind;
  return METHOD_KINDS[method];
}

function before(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

/** Whether two ranges share a position (ends included, so a cursor at either end counts). */
export function rangesTouch(a: Range, b: Range): boolean {
  return before(a.start, b.end) && before(b.start, a.end);
}

export function locationsTouch(a: Location, b: Location): boolean {
  return a.file === b.file && rangesTouch(a.range, b.range);
}

/**
 * The model edge a trace step performs: one touching the step's process whose location is the
 * step's; else one of the operation's kind toward an object of that name; else of that kind.
 */
export function stepEdge(model: Pick<TopologyModel, 'nodes' | 'edges'>, step: TraceStep): ModelEdge | undefined {
  const touching = model.edges.filter((e) => e.from === step.process || e.to === step.process);
  const op = parseOp(step.op);
  const kind = methodKind(op.method);
  const labelOf = new Map(model.nodes.map((n) => [n.id, n.label]));
  const other = (e: ModelEdge): string | undefined => labelOf.get(e.from === step.process ? e.to : e.from);
  const at = touching.filter((e) => e.locs.some((l) => locationsTouch(l, step.loc)));
  if (at.length > 0) return at.find((e) => e.kind === kind) ?? at[0];
  const named = touching.filter((e) => e.kind === kind && op.object !== undefined
    && (other(e) === op.object || op.object.startsWith(`${other(e)} `)));
  if (named.length > 0) return named[0];
  return touching.find((e) => e.kind === kind);
}

/** The other end of an edge from a process: the queue, lock or pipe the operation is on. */
export function objectOf(edge: Pick<ModelEdge, 'from' | 'to'>, process: string): string {
  return edge.from === process ? edge.to : edge.from;
}

/** A finding that can be replayed: it has a trace. */
export function hasTrace(f: Finding): f is Finding & { trace: TraceStep[] } {
  return Array.isArray(f.trace) && f.trace.length > 0;
}

/** Deadlock-type findings: their nodes and edges form the cycle of waits to highlight. */
export function isCycleFinding(f: Finding): boolean {
  return f.rule === 'deadlock' || f.rule === 'lock-order-inversion' || hasTrace(f);
}

/** The final state of a trace: the processes that wait, and the edges and objects they wait on. */
export function finalState(model: Pick<TopologyModel, 'nodes'>, f: Finding): { processes: string[]; objects: string[]; edges: string[] } {
  const kinds = new Map(model.nodes.map((n) => [n.id, n.kind]));
  const ids = Array.isArray(f.nodes) ? f.nodes : [];
  const processes = ids.filter((id) => kinds.get(id) === 'process');
  if (processes.length === 0 && hasTrace(f)) for (const s of f.trace) if (!processes.includes(s.process)) processes.push(s.process);
  return { processes, objects: ids.filter((id) => kinds.has(id) && kinds.get(id) !== 'process'), edges: Array.isArray(f.edges) ? [...f.edges] : [] };
}

/** The model nodes and edges a location in the editor points at: declared there, or operating there. */
export function atLocation(model: Pick<TopologyModel, 'nodes' | 'edges'>, loc: Location): { nodes: string[]; edges: string[] } {
  const nodes = new Set<string>();
  const edges: string[] = [];
  for (const n of model.nodes) if (locationsTouch(n.loc, loc)) nodes.add(n.id);
  for (const e of model.edges) {
    if (!e.locs.some((l) => locationsTouch(l, loc))) continue;
    edges.push(e.id);
    nodes.add(e.from);
    nodes.add(e.to);
  }
  return { nodes: [...nodes], edges };
}
