// Trace playback: a finding shown on the graph, and the replay of a deadlock's trace step by step
// (who acts, on what, what is done, what waits in the final state), by hand or playing on a timer.
import type { Finding } from '../../../common/model';
import { finalState, hasTrace, objectOf, parseOp, stepEdge } from '../../../drawing/findings';
import { fileGroupId } from '../../../drawing/view-model';
import type { GraphState, TraceView } from './state';

export interface TraceMarks { actor: Set<string>; op: Set<string>; object: Set<string>; done: Set<string>; waiting: Set<string>; blocked: Set<string>; involved: Set<string> }

function activeFindingOf(st: GraphState): Finding | undefined {
  return st.activeFinding === undefined ? undefined : st.model.findings[st.activeFinding];
}

/** The view nodes and edges the shown finding involves, and the roles they play at the current step. */
export function traceMarks(st: GraphState): TraceMarks | undefined {
  const { model, view, step } = st;
  const f = activeFindingOf(st);
  if (!f) return undefined;
  const out: TraceMarks = { actor: new Set(), op: new Set(), object: new Set(), done: new Set(), waiting: new Set(), blocked: new Set(), involved: new Set() };
  for (const id of f.nodes ?? []) for (const v of view.nodesOf.get(id) ?? []) out.involved.add(v);
  for (const id of f.edges ?? []) for (const v of view.edgesOf.get(id) ?? []) out.involved.add(v);
  if (step === undefined || !hasTrace(f)) return out;
  const trace = f.trace;
  const viewOfProcess = (process: string, op: string): string[] => {
    const ids = view.nodesOf.get(process) ?? [];
    const inst = parseOp(op).instance;
    if (ids.length > 1 && inst !== undefined) {
      const exact = ids.find((id) => view.byId.get(id)?.instance === inst);
      if (exact) return [exact];
    }
    return ids;
  };
  const edgeViews = (edgeId: string, actors: string[]): string[] => {
    const ids = view.edgesOf.get(edgeId) ?? [];
    const own = ids.filter((id) => { const e = view.edges.find((x) => x.id === id); return e && (actors.includes(e.from) || actors.includes(e.to)); });
    return own.length > 0 ? own : ids;
  };
  for (let i = 0; i < Math.min(step, trace.length); i++) {
    const s = trace[i]!;
    const e = stepEdge(model, s);
    if (e) for (const v of edgeViews(e.id, viewOfProcess(s.process, s.op))) out.done.add(v);
  }
  if (step < trace.length) {
    const s = trace[step]!;
    const actors = viewOfProcess(s.process, s.op);
    for (const a of actors) out.actor.add(a);
    const e = stepEdge(model, s);
    if (e) {
      for (const v of edgeViews(e.id, actors)) { out.op.add(v); out.done.delete(v); }
      for (const v of view.nodesOf.get(objectOf(e, s.process)) ?? []) out.object.add(v);
    }
  } else {
    const fin = finalState(model, f);
    for (const p of fin.processes) for (const v of view.nodesOf.get(p) ?? []) out.waiting.add(v);
    for (const o of fin.objects) for (const v of view.nodesOf.get(o) ?? []) out.object.add(v);
    for (const e of fin.edges) for (const v of view.edgesOf.get(e) ?? []) out.blocked.add(v);
  }
  return out;
}

/** What the toolbar shows of the replay; undefined when no trace is being replayed. */
export function traceView(st: GraphState): TraceView | undefined {
  const f = activeFindingOf(st);
  const { step } = st;
  if (!f || !hasTrace(f) || step === undefined) return undefined;
  const steps = f.trace.length;
  const text = step < steps ? `Step ${step + 1} of ${steps}: ${f.trace[step]!.op}` : `Final state: ${f.message}`;
  return { finding: st.activeFinding!, step, steps, text, playing: st.playTimer !== undefined };
}

export function stopPlay(st: GraphState): void {
  if (st.playTimer !== undefined) clearInterval(st.playTimer);
  st.playTimer = undefined;
}

export function goToStep(st: GraphState, to: number): void {
  const f = activeFindingOf(st);
  if (!f || !hasTrace(f)) return;
  st.step = Math.max(0, Math.min(f.trace.length, to));
  st.actions.paint();
  const tm = traceMarks(st);
  const focusIds = tm ? [...tm.actor, ...tm.object, ...tm.waiting] : [];
  st.actions.centerOn(focusIds);
  const loc = st.step < f.trace.length ? f.trace[st.step]!.loc : f.loc;
  st.opts.onReveal?.(loc);
  st.opts.onTrace?.(traceView(st));
}

/** Shows a finding (undefined: none), unfolding what hides its nodes, and starts its replay. */
export function showFinding(st: GraphState, index: number | undefined): void {
  const { model } = st;
  stopPlay(st);
  st.activeFinding = index !== undefined && model.findings[index] ? index : undefined;
  const f = activeFindingOf(st);
  st.step = f && hasTrace(f) ? 0 : undefined;
  if (f) {
    // Unfold what hides the finding's nodes, so that each of them can be seen.
    for (const id of f.nodes ?? []) {
      const node = model.nodes.find((n) => n.id === id);
      if (node && st.collapsed.has(fileGroupId(node.loc.file))) { st.collapsed.delete(fileGroupId(node.loc.file)); }
    }
    st.actions.render('user');
    const tm = traceMarks(st);
    if (tm) st.actions.centerOn([...tm.involved].filter((id) => st.view.byId.has(id)));
    if (st.step !== undefined) goToStep(st, 0);
  } else {
    st.actions.paint();
  }
  st.opts.onTrace?.(traceView(st));
}

export function traceStep(st: GraphState, to: 'next' | 'prev' | 'end' | number): void {
  const f = activeFindingOf(st);
  if (!f || !hasTrace(f)) return;
  if (typeof to !== 'number') stopPlay(st);
  const cur = st.step ?? 0;
  goToStep(st, to === 'next' ? cur + 1 : to === 'prev' ? cur - 1 : to === 'end' ? f.trace.length : to);
}

export function playTrace(st: GraphState, on: boolean): void {
  const f = activeFindingOf(st);
  stopPlay(st);
  if (on && f && hasTrace(f)) {
    if ((st.step ?? 0) >= f.trace.length) goToStep(st, 0);
    st.playTimer = setInterval(() => {
      if ((st.step ?? 0) >= f.trace.length) { stopPlay(st); st.opts.onTrace?.(traceView(st)); return; }
      goToStep(st, (st.step ?? 0) + 1);
      if ((st.step ?? 0) >= f.trace.length) { stopPlay(st); st.opts.onTrace?.(traceView(st)); }
    }, st.reducedMotion ? 1600 : 1100);
  }
  st.opts.onTrace?.(traceView(st));
}
