// What the graph page accepts from outside: messages from the extension host, its own saved state,
// and the model embedded in the standalone page. Pure; no DOM.
import { isLocation, isTopologyModel, type TopologyModel } from '../../common/model';
import type { ToWebview } from '../../common/protocol';
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

/** Accepts only {type:'model', model, title} with a structurally valid model, or {type:'select'}. */
export function parseToWebview(data: unknown): ToWebview | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
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
