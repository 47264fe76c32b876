// Bundle entry of the replay page (esbuild: browser IIFE -> dist/replay.js; the page: drawing/replay-page.ts).
// Reads the model and the trace embedded in the page, replays the trace step by step on the static
// drawing: process nodes take the state of their runtime instances (blocked wins, then running,
// then exited), the edge the current step's operation travels lights up, blocked processes' edges
// turn red when the run deadlocked; the side panel lists every process and object with its state,
// and the deadlock report. Keyboard: ← → step, Space play/pause, Home/End.
import type { TopologyModel } from '../../../common/model';
import { edgeKindOf, edgeOf, matchTrace, objectName, parseTrace, ReplayTimeline, type ReplayState, type TraceMatch, type ParsedTrace } from '../../../common/trace';
import { REPLAY_DATA_ID } from '../../../drawing/replay-page';
const SVG_NS = 'http://www.w3.org/2000/svg';

interface Data {
  model: TopologyModel;
  trace: string;
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function start(): void {
  const data = JSON.parse(byId(REPLAY_DATA_ID).textContent ?? '{}') as Data;
  const model = data.model;
  let trace: ParsedTrace;
  try {
    trace = parseTrace(data.trace);
  } catch (err) {
    byId('rt-step').textContent = `Not a trace: ${err instanceof Error ? err.message : String(err)}`;
    return;
  }
  const timeline = new ReplayTimeline(trace);
  const match = matchTrace(trace, model);
  const scrub = byId<HTMLInputElement>('rt-scrub');
  scrub.max = String(timeline.steps.length - 1);
  let index = -1;
  let playing = false;
  let timer: number | undefined;

  const nodeEl = (id: string) => document.querySelector<SVGGElement>(`g.node[data-id="${CSS.escape(id)}"]`);
  const edgeEl = (id: string) => document.querySelector<SVGGElement>(`g.edge[data-id="${CSS.escape(id)}"]`);
  showExtras(trace, match);

  const render = () => {
    const state = timeline.stateAt(index);
    const step = index >= 0 ? timeline.steps[index]! : null;
    scrub.value = String(index);
    byId('rt-pos').textContent = `step ${index + 1} of ${timeline.steps.length}${step ? ` · ${(step.t / 1000).toFixed(3)} s` : ''}`;
    byId('rt-step').textContent = step ? step.text + (step.site ? ` (${step.site.file}:${step.site.line})` : '') : 'Before the run: press Play or → to replay it.';
    paintNodes(model, trace, state, match, nodeEl);
    for (const el of document.querySelectorAll('g.edge.rt-flash, g.edge.rt-wait')) el.classList.remove('rt-flash', 'rt-wait');
    if (step?.pid !== null && step?.pid !== undefined && step.edge) {
      const e = stepEdge(model, match, step.pid, step.obj, step.target, step.edge);
      if (e) edgeEl(e)?.classList.add('rt-flash');
    }
    if (state.deadlock) {
      for (const [pid, p] of Object.entries(state.processes)) {
        if (p.state !== 'blocked') continue;
        const kind = p.obj ? edgeKindOf(trace.objects.get(p.obj)?.kind ?? '', p.op ?? '') : 'join';
        const e = stepEdge(model, match, Number(pid), p.obj, p.target, kind);
        if (e) edgeEl(e)?.classList.add('rt-wait');
      }
    }
    const dl = byId('rt-deadlock');
    dl.hidden = !state.deadlock;
    dl.textContent = state.deadlock ? deadlockText(state) : '';
    listProcesses(trace, state);
    listObjects(trace, state);
  };

  const go = (i: number) => {
    index = Math.max(-1, Math.min(timeline.steps.length - 1, i));
    render();
  };
  const speed = () => Number(byId<HTMLSelectElement>('rt-speed').value) || 1;
  const tick = () => {
    if (!playing) return;
    if (index >= timeline.steps.length - 1) return setPlaying(false);
    const now = index >= 0 ? timeline.steps[index]!.t : 0;
    go(index + 1);
    const next = timeline.steps[index + 1];
    // Real time between steps, sped up, within 20 ms .. 1.5 s per step.
    const delay = next ? Math.min(1500, Math.max(20, (next.t - now) / speed())) : 0;
    timer = window.setTimeout(tick, delay);
  };
  const setPlaying = (on: boolean) => {
    playing = on;
    byId('rt-play').textContent = on ? 'Pause' : 'Play';
    window.clearTimeout(timer);
    if (on) tick();
  };
  byId('rt-first').addEventListener('click', () => go(-1));
  byId('rt-prev').addEventListener('click', () => go(index - 1));
  byId('rt-next').addEventListener('click', () => go(index + 1));
  byId('rt-last').addEventListener('click', () => go(timeline.steps.length - 1));
  byId('rt-play').addEventListener('click', () => setPlaying(!playing));
  scrub.addEventListener('input', () => go(Number(scrub.value)));
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowRight') go(index + 1);
    else if (e.key === 'ArrowLeft') go(index - 1);
    else if (e.key === 'Home') go(-1);
    else if (e.key === 'End') go(timeline.steps.length - 1);
    else if (e.key === ' ') setPlaying(!playing);
    else return;
    e.preventDefault();
  });
  render();
}

/** The model edge of an operation of process `pid` on `obj` (or a join of `target`). */
function stepEdge(model: TopologyModel, match: TraceMatch, pid: number, obj: string | null, target: number | null, kind: ReturnType<typeof edgeKindOf>): string | null {
  const procNode = match.processes.get(pid)?.node ?? null;
  const other = obj ? (match.objects.get(obj) ?? null) : target !== null ? (match.processes.get(target)?.node ?? null) : null;
  return edgeOf(model, procNode, other, kind)?.id ?? null;
}

/** Each process node: the state of its runtime instances; objects: their depth or holder. */
function paintNodes(model: TopologyModel, trace: ParsedTrace, state: ReplayState, match: TraceMatch, nodeEl: (id: string) => SVGGElement | null): void {
  const pname = (pid: unknown) => trace.processes.get(Number(pid))?.name ?? String(pid);
  const per = new Map<string, { running: number; blocked: number; exited: number }>();
  for (const [pid, p] of Object.entries(state.processes)) {
    const node = match.processes.get(Number(pid))?.node;
    if (!node) continue;
    const c = per.get(node) ?? { running: 0, blocked: 0, exited: 0 };
    c[p.state]++;
    per.set(node, c);
  }
  const objState = new Map<string, Record<string, unknown>>();
  for (const [id, s] of Object.entries(state.objects)) {
    const node = match.objects.get(id);
    if (node) objState.set(node, { ...objState.get(node), ...s });
  }
  for (const n of model.nodes) {
    const el = nodeEl(n.id);
    if (!el) continue;
    el.classList.remove('rt-running', 'rt-blocked', 'rt-exited', 'rt-idle');
    for (const old of el.querySelectorAll('.rt-badge, .rt-info')) old.remove();
    const c = per.get(n.id);
    if (c) {
      el.classList.add(c.blocked > 0 ? 'rt-blocked' : c.running > 0 ? 'rt-running' : 'rt-exited');
      const parts = [c.blocked ? `${c.blocked} blocked` : '', c.running ? `${c.running} running` : '', c.exited ? `${c.exited} exited` : ''].filter(Boolean);
      if ((n.multiplicity ?? 1) !== 1 || c.blocked > 0) badge(el, 'rt-badge', parts.join(', '));
    } else if (n.kind === 'process') {
      el.classList.add('rt-idle');
    }
    const s = objState.get(n.id);
    if (s) {
      const info = typeof s.depth === 'number' ? `${s.depth} item${s.depth === 1 ? '' : 's'}`
        : Array.isArray(s.owners) ? (s.owners.length ? `held by ${s.owners.map(pname).join(', ')}` : 'free')
          : typeof s.set === 'boolean' ? (s.set ? 'set' : 'not set')
            : typeof s.arrived === 'number' ? `${s.arrived} arrived` : '';
      if (info) badge(el, 'rt-info', info);
    }
  }
}

function badge(el: SVGGElement, cls: string, text: string): void {
  const box = el.getBBox();
  const t = document.createElementNS(SVG_NS, 'text');
  t.setAttribute('class', cls);
  t.setAttribute('x', String(box.x));
  t.setAttribute('y', String(box.y + box.height + 12));
  t.textContent = text;
  el.appendChild(t);
}

function listProcesses(trace: ParsedTrace, state: ReplayState): void {
  const ul = byId('rt-procs');
  ul.replaceChildren();
  for (const p of trace.processes.values()) {
    const s = state.processes[p.pid];
    if (!s) continue;
    const li = document.createElement('li');
    const what = s.state === 'blocked' ? `blocked in ${s.op}()${s.obj ? ` on ${objectName(trace.objects.get(s.obj))}` : ''}${s.site ? ` at ${s.site.file}:${s.site.line}` : ''}`
      : s.state === 'exited' ? `exited with code ${s.code ?? '?'}` : 'running';
    li.className = `rt-state-${s.state}`;
    li.textContent = `${p.name}${p.target ? ` (${p.target})` : ''}, pid ${p.pid}: ${what}`;
    ul.appendChild(li);
  }
}

function listObjects(trace: ParsedTrace, state: ReplayState): void {
  const ul = byId('rt-objs');
  ul.replaceChildren();
  for (const [id, s] of Object.entries(state.objects)) {
    const o = trace.objects.get(id);
    const li = document.createElement('li');
    const facts = Object.entries(s).map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`).join(', ');
    li.textContent = `${objectName(o)}${facts ? `: ${facts}` : ''}`;
    ul.appendChild(li);
  }
}

function deadlockText(state: ReplayState): string {
  const r = state.deadlock!;
  const lines = ['Deadlock: every process is blocked in a shim call that no other process can answer.'];
  for (const p of r.processes) {
    for (const w of p.waits) {
      const o = r.objects.find((x) => x.id === w.object);
      lines.push(`${p.name} waits in ${w.op}() on ${w.on}${o ? ` '${o.label}'` : ''}${w.loc ? ` at ${w.loc.file}:${w.loc.range.start.line + 1}` : ''}`);
    }
  }
  return lines.join('\n');
}

/** What the run had that the static model does not (drawn nowhere, listed here). */
function showExtras(trace: ParsedTrace, match: TraceMatch): void {
  const procs = [...match.processes].filter(([, m]) => m.node === null).map(([pid]) => trace.processes.get(pid)!);
  const objs = [...match.objects].filter(([, n]) => n === null).map(([id]) => trace.objects.get(id)!);
  if (procs.length + objs.length === 0) return;
  const div = byId('rt-extra');
  const h = document.createElement('h3');
  h.textContent = 'Not in the static graph';
  const ul = document.createElement('ul');
  ul.className = 'rt-list';
  for (const p of procs) {
    const li = document.createElement('li');
    li.textContent = `process ${p.name}${p.target ? ` (${p.target})` : ''}${p.site ? `, made at ${p.site.file}:${p.site.line}` : ''}`;
    ul.appendChild(li);
  }
  for (const o of objs) {
    const li = document.createElement('li');
    li.textContent = `${objectName(o)}${o.site ? `, made at ${o.site.file}:${o.site.line}` : ''}`;
    ul.appendChild(li);
  }
  div.replaceChildren(h, ul);
}

start();
