// The one data model of Process Topology (see docs/topology-model.md): the analyzer builds it,
// the language server serves it, the CLI prints it, the webview draws it and the tests compare it.
// Types only, plus a few pure helpers every part needs; no imports, so it bundles anywhere.

export const MODEL_VERSION = 1;

/** LSP convention: both count from 0. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** `file` is relative to the model's `root`, with forward slashes. */
export interface Location {
  file: string;
  range: Range;
}

export type NodeKind =
  | 'process'
  | 'pool'
  | 'manager'
  | 'queue'
  | 'pipe'
  | 'lock'
  | 'semaphore'
  | 'event'
  | 'condition'
  | 'barrier'
  | 'value'
  | 'array'
  | 'dict'
  | 'list'
  | 'namespace'
  | 'file';

export const NODE_KINDS: readonly NodeKind[] = [
  'process', 'pool', 'manager', 'queue', 'pipe', 'lock', 'semaphore', 'event', 'condition',
  'barrier', 'value', 'array', 'dict', 'list', 'namespace', 'file',
];

export type ProcessRole = 'main' | 'child' | 'pool-worker';
export type QueueVariant = 'Queue' | 'JoinableQueue' | 'SimpleQueue' | 'ManagerQueue';
export type LockVariant = 'Lock' | 'RLock';
export type SemaphoreVariant = 'Semaphore' | 'BoundedSemaphore';

/** How many times something happens or exists: an exact count, or "several" when unknown. */
export type Multiplicity = number | 'several';

export interface ModelNode {
  /** Stable across edits that do not touch the declaration: kind, name, file and declaration line. */
  id: string;
  kind: NodeKind;
  label: string;
  loc: Location;
  role?: ProcessRole;
  /** For replicated processes (created in a loop or `map`). Absent means 1. */
  multiplicity?: Multiplicity;
  daemon?: boolean;
  /** A process's target function name. */
  target?: string;
  variant?: QueueVariant | LockVariant | SemaphoreVariant;
  maxsize?: number;
  duplex?: boolean;
  /**
   * For a queue whose consumers loop until a sentinel value: that value as written in code
   * (`null`, `"STOP"`) and how many of it the program can put, all processes together
   * ("several" when not known). Computed by the analysis (passes/sentinels.ts), so that the
   * editor's hover, the graph's tooltip and the CLI's JSON say the same.
   */
  sentinel?: { value: string; count: Multiplicity };
}

export type EdgeKind =
  | 'spawn'
  | 'join'
  | 'terminate'
  | 'put'
  | 'get'
  | 'taskDone'
  | 'send'
  | 'recv'
  | 'acquire'
  | 'release'
  | 'wait'
  | 'set'
  | 'notify'
  | 'read'
  | 'write'
  | 'submit'
  | 'result';

export const EDGE_KINDS: readonly EdgeKind[] = [
  'spawn', 'join', 'terminate', 'put', 'get', 'taskDone', 'send', 'recv', 'acquire', 'release',
  'wait', 'set', 'notify', 'read', 'write', 'submit', 'result',
];

/** How often an edge's operation runs per process: a count, "loop" inside an unbounded loop. */
export type EdgeCount = number | 'loop' | 'several';

export interface ModelEdge {
  id: string;
  kind: EdgeKind;
  /** Data flows along the arrow: a producer points at its queue, a queue at its consumer. */
  from: string;
  to: string;
  count?: EdgeCount;
  blocking?: boolean;
  /** For pipe edges: which end of the pipe. */
  end?: 'end0' | 'end1';
  locs: Location[];
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface RelatedInfo {
  message: string;
  loc: Location;
}

export interface TraceStep {
  process: string;
  op: string;
  loc: Location;
}

/** A text replacement: insert when the range is empty, delete when `newText` is empty. */
export interface TextEdit {
  file: string;
  range: Range;
  newText: string;
}

/** What a quick fix does: the editor turns it into a code action, the CLI could apply it. */
export interface FixData {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  loc: Location;
  related: RelatedInfo[];
  trace?: TraceStep[];
  nodes: string[];
  edges: string[];
  /** Mechanical fixes for the rules that have one (each rule's docs/rules/<id>.md, "How to fix"). */
  fixes?: FixData[];
}

export interface TopologyModel {
  version: typeof MODEL_VERSION;
  /** A `file://` URI: the workspace or CLI root. */
  root: string;
  nodes: ModelNode[];
  edges: ModelEdge[];
  findings: Finding[];
  /** What the analysis could not settle (a budget that ran out): said, never taken for safety. */
  notes?: string[];
}

export function emptyModel(root: string): TopologyModel {
  return { version: MODEL_VERSION, root, nodes: [], edges: [], findings: [] };
}

/** A short human label with the multiplicity, e.g. "consumer ×2". */
export function displayLabel(node: ModelNode): string {
  const m = node.multiplicity;
  if (m === undefined || m === 1) return node.label;
  return `${node.label} ×${m === 'several' ? 'n' : m}`;
}

/** A queue's sentinels in a few words: "2 null sentinels", "no \"STOP\" sentinel put". */
export function sentinelPhrase(s: NonNullable<ModelNode['sentinel']>): string {
  const { count, value } = s;
  return count === 0 ? `no ${value} sentinel put` : count === 'several' ? `${value} sentinels: an unknown number` : `${count} ${value} sentinel${count === 1 ? '' : 's'}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPosition(v: unknown): v is Position {
  return isObject(v) && Number.isInteger(v.line) && Number.isInteger(v.character)
    && (v.line as number) >= 0 && (v.character as number) >= 0;
}

function isRange(v: unknown): v is Range {
  return isObject(v) && isPosition(v.start) && isPosition(v.end);
}

/** Validates a location that came from an untrusted side (the webview, a JSON file). */
export function isLocation(v: unknown): v is Location {
  return isObject(v) && typeof v.file === 'string' && v.file.length > 0 && v.file.length < 4096
    && isRange(v.range);
}

/** Structural check of a model read from outside (CLI input, webview restore). */
export function isTopologyModel(v: unknown): v is TopologyModel {
  if (!isObject(v) || v.version !== MODEL_VERSION || typeof v.root !== 'string') return false;
  if (!Array.isArray(v.nodes) || !Array.isArray(v.edges) || !Array.isArray(v.findings)) return false;
  const kinds = new Set<string>(NODE_KINDS);
  const edgeKinds = new Set<string>(EDGE_KINDS);
  return v.nodes.every((n) => isObject(n) && typeof n.id === 'string' && kinds.has(String(n.kind))
      && typeof n.label === 'string' && isLocation(n.loc))
    && v.edges.every((e) => isObject(e) && typeof e.id === 'string' && edgeKinds.has(String(e.kind))
      && typeof e.from === 'string' && typeof e.to === 'string' && Array.isArray(e.locs)
      && e.locs.every(isLocation))
    && v.findings.every((f) => isObject(f) && typeof f.rule === 'string' && typeof f.message === 'string'
      && isLocation(f.loc));
}
