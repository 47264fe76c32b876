// What the graph page accepts from outside: messages from the extension host, its own saved state,
// and the model embedded in the standalone page. Pure; no DOM.
import { isLocation, isTopologyModel, type TopologyModel } from '../../common/model';
import { MAX_RUN_LINE_CHARS, MAX_RUN_LINES, type ConfirmedFinding, type RunEnd, type RunInfo, type ToWebview } from '../../common/protocol';
import { isSavedView, type SavedView } from './graph';

// The standalone page (drawing/standalone.ts, written by the CLI) and the page that reads it share these ids.
export { MODEL_ELEMENT_ID, WORKER_ELEMENT_ID } from '../../drawing/standalone';

/** What the page keeps with `vscode.setState` to draw again after a reload. */
export interface SavedState {
  model: TopologyModel;
  title: string;
  /** Expansions, folds, filters, selection and zoom (absent in states saved by older versions). */
  view?: SavedView;
}

const RUN_MODES: readonly RunInfo['mode'][] = ['run', 'reproduce', 'explore'];
const END_KINDS: readonly RunEnd['kind'][] = ['completed', 'failed', 'deadlock', 'reproduced', 'diverged', 'stopped'];

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

function isConfirmed(v: unknown): v is ConfirmedFinding {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.rule === 'string' && /^[a-z-]{1,100}$/.test(c.rule) && isText(c.file, 4096) && isId(c.line) && isText(c.by, 500);
}

/** The run messages: each field checked, the trace's lines only as bounded strings (parsed later, defensively). */
function parseRunMessage(m: Record<string, unknown>): ToWebview | undefined {
  switch (m.type) {
    case 'run': {
      const r = m.run as Record<string, unknown> | null;
      if (typeof r !== 'object' || r === null || !isId(r.id) || !RUN_MODES.includes(r.mode as RunInfo['mode']) || !isText(r.title, 500)) return undefined;
      return { type: 'run', run: { id: r.id, mode: r.mode as RunInfo['mode'], title: r.title } };
    }
    case 'runLines':
      if (!isId(m.id) || !Array.isArray(m.lines) || m.lines.length > MAX_RUN_LINES || !m.lines.every((l) => isText(l, MAX_RUN_LINE_CHARS))) return undefined;
      return { type: 'runLines', id: m.id, lines: m.lines as string[] };
    case 'runEnd': {
      const e = m.end as Record<string, unknown> | null;
      if (!isId(m.id) || typeof e !== 'object' || e === null || !END_KINDS.includes(e.kind as RunEnd['kind']) || !isText(e.text, 10_000)
        || !(e.code === null || (typeof e.code === 'number' && Number.isInteger(e.code)))) return undefined;
      return { type: 'runEnd', id: m.id, end: { kind: e.kind as RunEnd['kind'], text: e.text, code: e.code } };
    }
    case 'confirmed':
      if (!Array.isArray(m.findings) || m.findings.length > 10_000 || !m.findings.every(isConfirmed)) return undefined;
      return { type: 'confirmed', findings: m.findings };
    case 'runner':
      if (typeof m.enabled !== 'boolean' || (m.reason !== undefined && !isText(m.reason, 500))) return undefined;
      return { type: 'runner', enabled: m.enabled, ...(typeof m.reason === 'string' ? { reason: m.reason } : {}) };
    default:
      return undefined;
  }
}

/** Accepts only the exact shapes of ToWebview: a structurally valid model, a selection, a run's messages. */
export function parseToWebview(data: unknown): ToWebview | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m.type === 'run' || m.type === 'runLines' || m.type === 'runEnd' || m.type === 'confirmed' || m.type === 'runner') return parseRunMessage(m);
  if (m.type === 'select') {
    const msg: ToWebview = { type: 'select' };
    if (m.loc !== undefined) {
      if (!isLocation(m.loc)) return undefined;
      msg.loc = m.loc;
    }
    if (m.nodeIds !== undefined) {
      if (!Array.isArray(m.nodeIds) || m.nodeIds.length > 10_000 || !m.nodeIds.every((id) => typeof id === 'string')) return undefined;
      msg.nodeIds = m.nodeIds as string[];
    }
    return msg;
  }
  if (m.type !== 'model' || !isTopologyModel(m.model)) return undefined;
  const msg: ToWebview = { type: 'model', model: m.model, title: typeof m.title === 'string' ? m.title : '' };
  if (typeof m.focus === 'string' && m.model.nodes.some((n) => n.id === m.focus)) msg.focus = m.focus;
  return msg;
}

export function isSavedState(v: unknown): v is SavedState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isTopologyModel(s.model) && typeof s.title === 'string' && (s.view === undefined || isSavedView(s.view));
}
