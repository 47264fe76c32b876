// Messages that cross a process or frame boundary: the custom LSP requests (client <-> server)
// and the webview messages (extension host <-> graph panel). Both sides import these types.
import { isLocation, type Location, type Range, type TopologyModel } from './model';

/** `processTopology/model`: the topology of the program a document belongs to. */
export const MODEL_REQUEST = 'processTopology/model';
export interface ModelParams {
  textDocument: { uri: string };
}
export type ModelResult = TopologyModel | null;

/** The commands the server's code lenses and code actions invoke (contributed by the extension). */
export const COMMANDS = {
  showGraph: 'processTopology.showGraph',
  showRuleDoc: 'processTopology.showRuleDoc',
  restartServer: 'processTopology.restartServer',
  showOutput: 'processTopology.showOutput',
  /** Steps through a finding's trace in the editor (a code action's command; arguments: TraceArgs). */
  showTrace: 'processTopology.showTrace',
  traceNext: 'processTopology.traceNext',
  tracePrevious: 'processTopology.tracePrevious',
  traceStop: 'processTopology.traceStop',
  /** Runs the active file's program with the runtime on, in a terminal, and watches it on the graph. */
  runAndWatch: 'processTopology.runAndWatch',
  /** Steered replay of a finding's trace (arguments: ReproduceArgs). */
  reproduce: 'processTopology.reproduce',
  /** Controlled scheduling: seeded runs until one deadlocks. */
  exploreInterleavings: 'processTopology.exploreInterleavings',
  /** The wait report of the program running now. */
  waitReport: 'processTopology.waitReport',
  /** The last run's deadlock or wait report, as a document. */
  showRunReport: 'processTopology.showRunReport',
  stopRun: 'processTopology.stopRun',
} as const;

/** The argument of `processTopology.reproduce`: the finding, by its document and anchor. */
export interface ReproduceArgs {
  uri: string;
  rule: string;
  line: number;
  character: number;
}

export function isReproduceArgs(v: unknown): v is ReproduceArgs {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return typeof a.uri === 'string' && typeof a.rule === 'string' && /^[a-z-]+$/.test(a.rule)
    && Number.isInteger(a.line) && Number.isInteger(a.character) && (a.line as number) >= 0 && (a.character as number) >= 0;
}

/** One step of a trace, as the server hands it to the `showTrace` command: where, and what happens. */
export interface TraceStepArg {
  label: string;
  uri: string;
  range: Range;
}

/** The argument of `processTopology.showTrace`: a finding's trace, then the state it ends in. */
export interface TraceArgs {
  rule: string;
  title: string;
  steps: TraceStepArg[];
}

/** Command arguments can come from anywhere (a keybinding, another extension): check the shape. */
export function isTraceArgs(v: unknown): v is TraceArgs {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return typeof t.rule === 'string' && typeof t.title === 'string' && Array.isArray(t.steps) && t.steps.length > 0
    && t.steps.every((s: unknown) => {
      if (typeof s !== 'object' || s === null) return false;
      const step = s as Record<string, unknown>;
      return typeof step.label === 'string' && typeof step.uri === 'string' && isLocation({ file: step.uri, range: step.range });
    });
}

/** `processTopology/status` (server -> client): how the last analysis went, for the status item. */
export const STATUS_NOTIFICATION = 'processTopology/status';
export interface StatusParams {
  /** `skipped`: the file was not analyzed (too large, nested too deep, not a regular file): `message` says why. */
  state: 'ok' | 'slow' | 'error' | 'skipped';
  /** Milliseconds the last analysis took. */
  ms: number;
  /** The time budget it is measured against. */
  budgetMs: number;
  file: string;
  /** The analyzed document's URI; absent for the analysis of the whole workspace. The status item shows the active editor's. */
  uri?: string;
  findings: number;
  message?: string;
  /** What the analysis left out or could not decide: files it skipped, a tsconfig.json it could not use, a budget that ran out, a program not checked for deadlocks. */
  notes?: string[];
}

/** Settings the client hands the server at start (initializationOptions). */
export interface InitOptions {
  /** Where the bundled rule docs are (a file: URI ending in /), so links open offline. */
  docsBase?: string;
  /** An analysis still running after this long is stopped and reported as failed (default 30 s). */
  analysisTimeoutMs?: number;
  /** Heap limit of the analysis thread, in MB (default 1024): past it that thread is replaced. */
  analysisMemoryMb?: number;
  /** Edits closer together than this are analyzed once, after the last (default 10 ms). */
  debounceMs?: number;
}

/** `processTopology/serverInfo`: the server process and its counters (tests, bug reports). */
export const SERVER_INFO_REQUEST = 'processTopology/serverInfo';
export interface ServerInfo {
  pid: number;
  /** Analyses started since the server started. */
  analyses: number;
  /** Analyses given up because a newer edit replaced the text they were analyzing. */
  cancelledAnalyses: number;
  /** Time the analysis thread spent on analyses, in ms, summed (the rest of an edit's latency is elsewhere). */
  analysisMs: number;
  /** Analysis threads started: 1, plus one per replacement after a timeout or crash. */
  workersStarted: number;
  /** Analysis threads not ended: the live one, and those told to stop that have not yet (blocked in a system call). */
  analysisThreads: number;
  /** The edit generation: it grows with every open, change and close. */
  generation: number;
  /** Memory, in MB: the process's resident set, the main thread's heap, the analysis thread's heap. */
  rssMb: number;
  mainHeapMb: number;
  workerHeapMb: number;
}

/** A run the panel watches: what it is, shown above the overlay. */
export interface RunInfo {
  /** Grows with every run of the window: lines and ends of another run are ignored. */
  id: number;
  mode: 'run' | 'reproduce' | 'explore';
  /** "desk-and-pen.ts", "Reproduce deadlock in desk-and-pen.ts", "seed random-7 of desk-and-pen.ts". */
  title: string;
}

/** How a run ended, as the panel says it. */
export interface RunEnd {
  kind: 'completed' | 'failed' | 'deadlock' | 'reproduced' | 'diverged' | 'stopped';
  /** One or two sentences: "deadlocked: 3 processes wait forever", "diverged at step 2 of 7: …". */
  text: string;
  code: number | null;
}

/** A static finding a run confirmed (by its rule and anchor line, relative to the model's root). */
export interface ConfirmedFinding {
  rule: string;
  file: string;
  /** 0-based. */
  line: number;
  /** What confirmed it: "the run of 13:24:38 (seed random-7)". */
  by: string;
}

/** Lines per runLines message at most (the host splits bigger batches). */
export const MAX_RUN_LINES = 20_000;
/** A trace line longer than this is cut out of the stream (a report of a huge program). */
export const MAX_RUN_LINE_CHARS = 4 * 1024 * 1024;

/** Extension host -> webview. */
export type ToWebview =
  | { type: 'model'; model: TopologyModel; title: string; focus?: string }
  /**
   * The editor's selection moved: the graph highlights the nodes whose declaration or whose edges'
   * operations contain `loc` (or exactly `nodeIds`), without moving keyboard focus. Neither: clear.
   */
  | { type: 'select'; loc?: Location; nodeIds?: string[] }
  /** A run starts (or, after a reload, the run the panel shows): the overlay starts over. */
  | { type: 'run'; run: RunInfo }
  /** Lines of that run's trace (docs/runtime-trace.md), in order, none left out. */
  | { type: 'runLines'; id: number; lines: string[] }
  | { type: 'runEnd'; id: number; end: RunEnd }
  /** The findings runs confirmed (all of them: replaces the last list). */
  | { type: 'confirmed'; findings: ConfirmedFinding[] }
  /** Whether the panel may offer to run code (Reproduce): not in Restricted Mode. */
  | { type: 'runner'; enabled: boolean; reason?: string };

/** What the graph can be exported as: pictures drawn by the webview, texts from common/graph-formats. */
export const EXPORT_FORMATS = ['svg', 'png', 'dot', 'mermaid'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** The largest export the host accepts, in characters of `data` (a PNG is a base64 data: URL). */
export const MAX_EXPORT_CHARS = 48 * 1024 * 1024;
export const EXPORT_EXTENSIONS: Readonly<Record<ExportFormat, string>> = { svg: 'svg', png: 'png', dot: 'dot', mermaid: 'mmd' };

/** Webview -> extension host. Validated with `parseFromWebview` before use. */
export type FromWebview =
  | { type: 'ready' }
  /** Open the code (a click, Enter): the editor takes the focus. */
  | { type: 'open'; loc: Location }
  /** Show the code (a trace step): selected and revealed in the editor, the focus stays in the graph. */
  | { type: 'reveal'; loc: Location }
  /** What was drawn; `programs`: the titles of the programs drawn apart, when there are several. */
  | { type: 'rendered'; nodes: number; edges: number; programs?: string[] }
  /** Save the graph: the host asks where with a save dialog. `png` data is a `data:image/png;base64,` URL. */
  | { type: 'export'; format: ExportFormat; data: string }
  /** The Reproduce button of a finding (its index in the model the page was sent). */
  | { type: 'reproduce'; finding: number }
  /** The run bar's "Show report". */
  | { type: 'showRunReport' }
  /** What the run overlay draws now (the host's API and the tests read it). */
  | { type: 'live'; live: LiveSummary };

/** What the overlay draws: per model node its run classes and badge, per edge its count. */
export interface LiveSummary {
  run: number;
  processes: number;
  running: number;
  blocked: number;
  exited: number;
  failed: number;
  ops: number;
  deadlocked: boolean;
  ended: boolean;
  /** Model node id -> "rt-blocked rt-deadlock|blocked in get()". */
  nodes: Record<string, string>;
  /** Model edge id -> operations counted (edges with none are left out). */
  edges: Record<string, number>;
  /** Extra (unmatched) nodes and edges drawn. */
  extras: number;
  /** The replay's position after the run: step and steps (absent while live). */
  step?: number;
  steps?: number;
}

const PNG_PREFIX = 'data:image/png;base64,';

/** The webview is untrusted: accept only the exact shapes above. */
export function parseFromWebview(msg: unknown): FromWebview | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  if (m.type === 'ready' && Object.keys(m).length === 1) return { type: 'ready' };
  if (m.type === 'open' && isLocation(m.loc)) return { type: 'open', loc: m.loc };
  if (m.type === 'reveal' && isLocation(m.loc)) return { type: 'reveal', loc: m.loc };
  if (m.type === 'rendered' && isCount(m.nodes) && isCount(m.edges)) {
    if (m.programs === undefined) return { type: 'rendered', nodes: m.nodes, edges: m.edges };
    const p = m.programs;
    if (Array.isArray(p) && p.length < 100_000 && p.every((t) => typeof t === 'string' && t.length < 4096)) return { type: 'rendered', nodes: m.nodes, edges: m.edges, programs: [...p] as string[] };
  }
  if (m.type === 'export' && isExport(m.format, m.data)) return { type: 'export', format: m.format as ExportFormat, data: m.data };
  if (m.type === 'reproduce' && isCount(m.finding) && Object.keys(m).length === 2) return { type: 'reproduce', finding: m.finding };
  if (m.type === 'showRunReport' && Object.keys(m).length === 1) return { type: 'showRunReport' };
  if (m.type === 'live' && isLiveSummary(m.live)) return { type: 'live', live: m.live };
  return undefined;
}

function isLiveSummary(v: unknown): v is LiveSummary {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const counts = ['run', 'processes', 'running', 'blocked', 'exited', 'failed', 'ops', 'extras'].every((k) => isCount(s[k]));
  const table = (t: unknown, ok: (x: unknown) => boolean): boolean => typeof t === 'object' && t !== null && !Array.isArray(t)
    && Object.keys(t).length <= 100_000 && Object.values(t).every(ok);
  return counts && typeof s.deadlocked === 'boolean' && typeof s.ended === 'boolean'
    && (s.step === undefined || (typeof s.step === 'number' && Number.isInteger(s.step) && s.step >= -1 && s.step < 1e7))
    && (s.steps === undefined || isCount(s.steps))
    && table(s.nodes, (x) => typeof x === 'string' && x.length < 1000) && table(s.edges, isCount);
}

function isExport(format: unknown, data: unknown): data is string {
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) return false;
  if (typeof data !== 'string' || data.length === 0 || data.length > MAX_EXPORT_CHARS) return false;
  switch (format as ExportFormat) {
    case 'svg': return /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(data.slice(0, 512));
    case 'png': return data.startsWith(PNG_PREFIX) && isBase64(data, PNG_PREFIX.length);
    case 'dot': return /^\s*(strict\s+)?(di)?graph\b/.test(data.slice(0, 256));
    case 'mermaid': return /^\s*(flowchart|graph)\b/.test(data.slice(0, 256));
  }
}

function isBase64(s: string, from: number): boolean {
  if ((s.length - from) % 4 !== 0 || s.length === from) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47
      || (c === 61 && i >= s.length - 2);
    if (!ok) return false;
  }
  return true;
}

/** The bytes to write for a validated export: base64-decoded for PNG, UTF-8 text otherwise. */
export function exportBytes(msg: { format: ExportFormat; data: string }): Uint8Array {
  if (msg.format === 'png') {
    const bin = atob(msg.data.slice(PNG_PREFIX.length));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return new TextEncoder().encode(msg.data);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e9;
}
