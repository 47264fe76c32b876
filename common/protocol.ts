// Messages that cross a process or frame boundary: the custom LSP requests (client <-> server)
// and the webview messages (extension host <-> graph panel). Both sides import these types.
import { isLocation, type Location, type TopologyModel } from './model';

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
} as const;

/** `processTopology/status` (server -> client): how the last analysis went, for the status item. */
export const STATUS_NOTIFICATION = 'processTopology/status';
export interface StatusParams {
  state: 'ok' | 'slow' | 'error';
  /** Milliseconds the last analysis took. */
  ms: number;
  /** The time budget it is measured against. */
  budgetMs: number;
  file: string;
  findings: number;
  message?: string;
}

/** Settings the client hands the server at start (initializationOptions). */
export interface InitOptions {
  /** Where the bundled rule docs are (a file: URI ending in /), so links open offline. */
  docsBase?: string;
}

/** Extension host -> webview. */
export type ToWebview =
  | { type: 'model'; model: TopologyModel; title: string; focus?: string };

/** Webview -> extension host. Validated with `parseFromWebview` before use. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'open'; loc: Location }
  | { type: 'rendered'; nodes: number; edges: number };

/** The webview is untrusted: accept only the exact shapes above. */
export function parseFromWebview(msg: unknown): FromWebview | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  if (m.type === 'ready' && Object.keys(m).length === 1) return { type: 'ready' };
  if (m.type === 'open' && isLocation(m.loc)) return { type: 'open', loc: m.loc };
  if (m.type === 'rendered' && isCount(m.nodes) && isCount(m.edges)) return { type: 'rendered', nodes: m.nodes, edges: m.edges };
  return undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e7;
}
