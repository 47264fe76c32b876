// The run section of the graph page: a run watched live (its trace's lines folded into a LiveRun as
// they arrive, drawn on the graph once per animation frame whatever the rate), its end (completed,
// deadlocked with the report, reproduced or diverged), and after it a scrubber that replays the
// recorded run step by step (step, play, speed), each step's code revealed in the editor. What the
// run had that the model lacks is added to the drawing as extra nodes and edges.
import type { Location, TopologyModel } from '../../common/model';
import type { LiveSummary, RunEnd, RunInfo } from '../../common/protocol';
import { LiveReplay, LiveRun, type LiveState } from '../../common/live-run';
import { absolute, modelMatcher, type ModelMatcher } from '../../common/trace';
import { liveDecorations, siteLocation, siteText, withExtras, type LiveDecorations } from '../../drawing/live';
import { button, el } from './dom';
import type { GraphView } from './graph';

export interface LiveHost {
  /** Shows a step's code in the editor (the graph keeps the focus). */
  reveal(loc: Location): void;
  /** The report as a document (VS Code). */
  showReport?(): void;
  /** What the overlay draws, for the host (throttled). */
  summary?(s: LiveSummary): void;
}

export interface LiveGraph {
  view(): GraphView | undefined;
  /** The program's model as the analysis gave it (without the run's extras). */
  model(): TopologyModel | undefined;
  /** Draws this model (the static one with the run's extras). */
  draw(model: TopologyModel): void;
}

/** Past this many lines a run is still watched and counted, but not kept for the replay. */
export const MAX_KEPT_LINES = 2_000_000;
const SUMMARY_MS = 200;
const SPEEDS = [1, 4, 16, 100];

export class LivePanel {
  readonly root: HTMLElement;
  private readonly head: HTMLElement;
  private readonly state: HTMLElement;
  private readonly text: HTMLElement;
  private readonly report: HTMLElement;
  private readonly reportButton: HTMLButtonElement;
  private readonly controls: HTMLElement;
  private readonly scrub: HTMLInputElement;
  private readonly stepText: HTMLElement;
  private readonly playButton: HTMLButtonElement;
  private readonly speed: HTMLSelectElement;

  private info: RunInfo | undefined;
  private run = new LiveRun();
  /** What the graph shows: the live run, or a replay's step. */
  private shown = this.run;
  private lines: string[] = [];
  private dropped = false;
  private end: RunEnd | undefined;
  private replay: LiveReplay | undefined;
  private step = -1;
  private playing: ReturnType<typeof setTimeout> | undefined;
  private frame: number | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private lastLineAt = 0;
  private lastSummary = 0;
  private summaryTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReveal = 0;
  private matcher: { model: TopologyModel; root: string; m: ModelMatcher } | undefined;
  private extrasKey = '';
  private decos: LiveDecorations | undefined;
  /** The graph shows the program that ran (else the overlay is off). */
  private matches = false;
  private force = true;

  constructor(doc: Document, private readonly host: LiveHost, private readonly graph: LiveGraph) {
    this.root = el(doc, 'section', 'pt-run');
    this.root.setAttribute('aria-label', 'Run');
    this.root.hidden = true;
    const top = el(doc, 'div', 'pt-run-top');
    this.head = el(doc, 'h2', 'pt-side-title pt-run-title', 'Run');
    this.state = el(doc, 'span', 'pt-run-state');
    this.state.setAttribute('role', 'status');
    top.append(this.head, this.state);
    this.text = el(doc, 'div', 'pt-run-text');
    this.text.setAttribute('aria-live', 'polite');
    this.report = el(doc, 'pre', 'pt-run-report');
    this.report.hidden = true;
    this.reportButton = button(doc, 'pt-run-show-report', 'Show report', 'Open the run\'s report as a document');
    this.reportButton.hidden = true;
    this.reportButton.addEventListener('click', () => this.host.showReport?.());

    this.controls = el(doc, 'div', 'pt-run-replay');
    this.controls.setAttribute('role', 'group');
    this.controls.setAttribute('aria-label', 'Replay of the run');
    this.controls.hidden = true;
    const first = button(doc, 'pt-run-first', 'Start', 'Before the first step (Home)');
    const prev = button(doc, 'pt-run-prev', 'Back', 'Previous step');
    this.playButton = button(doc, 'pt-run-play', '▶ Play', 'Replay the run in its own time (sped up)');
    const next = button(doc, 'pt-run-next', 'Step', 'Next step');
    const last = button(doc, 'pt-run-last', 'End', 'The last step (End)');
    this.speed = el(doc, 'select', 'pt-run-speed');
    this.speed.setAttribute('aria-label', 'Replay speed');
    for (const s of SPEEDS) {
      const o = el(doc, 'option', undefined, `${s}×`);
      o.value = String(s);
      this.speed.append(o);
    }
    this.speed.value = '4';
    this.scrub = el(doc, 'input', 'pt-run-scrub');
    this.scrub.type = 'range';
    this.scrub.min = '-1';
    this.scrub.value = '-1';
    this.scrub.setAttribute('aria-label', 'Step of the run');
    this.stepText = el(doc, 'div', 'pt-run-step');
    const row = el(doc, 'div', 'pt-run-buttons');
    row.append(first, prev, this.playButton, next, last, this.speed);
    this.controls.append(row, this.scrub, this.stepText);
    first.addEventListener('click', () => this.go(-1, true));
    prev.addEventListener('click', () => this.go(this.step - 1, true));
    next.addEventListener('click', () => this.go(this.step + 1, true));
    last.addEventListener('click', () => this.go(Number.MAX_SAFE_INTEGER, true));
    this.playButton.addEventListener('click', () => this.setPlaying(this.playing === undefined));
    this.scrub.addEventListener('input', () => this.go(Number(this.scrub.value), false));
    this.scrub.addEventListener('change', () => this.go(Number(this.scrub.value), true));
    this.controls.addEventListener('keydown', (e) => {
      if (e.target instanceof HTMLSelectElement) return;
      if (e.key === 'Home') this.go(-1, true);
      else if (e.key === 'End') this.go(Number.MAX_SAFE_INTEGER, true);
      else return;
      e.preventDefault();
    });
    this.root.append(top, this.text, this.report, this.reportButton, this.controls);
  }

  get active(): boolean {
    return this.info !== undefined;
  }

  /** A new run: the overlay starts over. */
  start(info: RunInfo): void {
    this.setPlaying(false);
    this.info = info;
    this.run = new LiveRun();
    this.shown = this.run;
    this.lines = [];
    this.dropped = false;
    this.end = undefined;
    this.replay = undefined;
    this.step = -1;
    this.decos = undefined;
    this.extrasKey = '';
    this.force = true;
    this.lastLineAt = performance.now();
    this.root.hidden = false;
    this.root.dataset.state = 'live';
    this.head.textContent = info.title;
    this.state.textContent = 'running';
    this.report.hidden = true;
    this.reportButton.hidden = true;
    this.controls.hidden = true;
    this.text.textContent = 'Waiting for the program to start…';
    if (this.tick) clearInterval(this.tick);
    // Waits grow longer while nothing happens: say so every second.
    this.tick = setInterval(() => {
      if (!this.end) { this.force = true; this.schedule(); }
    }, 1000);
    this.schedule();
  }

  feed(id: number, lines: readonly string[]): void {
    if (!this.info || id !== this.info.id || this.end) return;
    this.run.feed(lines);
    if (!this.dropped && this.lines.length + lines.length <= MAX_KEPT_LINES) this.lines.push(...lines);
    else this.dropped = true;
    this.lastLineAt = performance.now();
    this.schedule();
  }

  finish(id: number, end: RunEnd): void {
    if (!this.info || id !== this.info.id) return;
    this.end = end;
    this.shown = this.run;
    if (this.tick) clearInterval(this.tick);
    this.tick = undefined;
    this.root.dataset.state = end.kind;
    this.state.textContent = end.kind;
    if (!this.dropped && this.lines.length > 0) {
      this.replay = new LiveReplay(this.lines);
      this.scrub.max = String(this.replay.steps.length - 1);
      this.step = this.replay.steps.length - 1;
      this.scrub.value = String(this.step);
      this.controls.hidden = false;
      this.stepText.textContent = `The end of the run: step ${this.step + 1} of ${this.replay.steps.length}. Scrub or play to replay it.`;
    }
    // The last frame (with the lines that came with the end) tells the host at once.
    this.force = true;
    this.schedule();
  }

  /** The static model changed (or another document is shown): match the run to it again. */
  decorate(model: TopologyModel): TopologyModel {
    this.force = true;
    this.schedule();
    return this.info && this.decos && this.matchesModel(model, this.shown.state) ? withExtras(model, this.decos.extras) : model;
  }

  private matchesModel(model: TopologyModel, st: LiveState): boolean {
    if (!st.main) return false;
    const main = absolute(st.root, st.main);
    return model.nodes.some((n) => absolute(model.root, n.loc.file) === main);
  }

  private schedule(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.draw(this.shown);
    });
  }

  /** One frame: what changed since the last, on the graph and in the section. */
  private draw(run: LiveRun): void {
    const view = this.graph.view();
    const model = this.graph.model();
    const changes = run.takeChanges();
    if (!this.info || !model) return;
    const st = run.state;
    if (!changes.any && !this.force && !(view && this.lit)) return;
    this.force = false;
    // How many times the overlay drew (the tests compare it with the frames).
    this.root.dataset.frames = String(++this.frames);
    this.matches = this.matchesModel(model, st);
    if (!this.matches) {
      view?.setLive(undefined);
      this.decos = undefined;
      this.text.textContent = (st.main ? `This graph is not of the program that ran (${st.main}).` : this.end ? 'The program never started its runtime.' : 'Waiting for the program to start…')
        + (this.end ? `\n${this.end.text}` : '');
      this.postSummary(this.end !== undefined);
      return;
    }
    if (!this.matcher || this.matcher.model !== model || this.matcher.root !== st.root) this.matcher = { model, root: st.root, m: modelMatcher(model, st.root, st.main) };
    const now = this.end || st.closed ? st.t : st.t + (performance.now() - this.lastLineAt);
    const d = liveDecorations(st, model, this.matcher.m, now);
    this.decos = d;
    const key = [...d.extras.nodes.map((n) => n.id), ...d.extras.edges.map((e) => e.id)].join('\u0000');
    if (key !== this.extrasKey) {
      this.extrasKey = key;
      this.graph.draw(withExtras(model, d.extras));
    }
    const pulsed = new Set<string>();
    for (const f of changes.flows) {
      const e = d.flowEdge.get(f);
      if (e) pulsed.add(e);
    }
    this.lit = view?.setLive(d, pulsed) ?? false;
    if (this.lit) this.schedule();
    this.describe(st, d);
    this.postSummary(this.end !== undefined);
  }

  private lit = false;
  private frames = 0;

  private describe(st: LiveState, d: LiveDecorations): void {
    const s = d.summary;
    const parts = [`${s.processes} process${s.processes === 1 ? '' : 'es'}`];
    if (s.running) parts.push(`${s.running} running`);
    if (s.blocked) parts.push(`${s.blocked} blocked`);
    if (s.exited) parts.push(`${s.exited} exited${s.failed ? ` (${s.failed} with a non-zero code)` : ''}`);
    const extras = d.extras.nodes.length + d.extras.edges.length;
    this.text.textContent = `${parts.join(', ')} · ${s.ops.toLocaleString('en-US')} operations${extras ? ` · ${extras} not in the static graph (dashed)` : ''}`
      + (this.end ? `\n${this.end.text}` : '');
    const report = st.deadlock ?? (this.end ? null : st.report);
    this.report.hidden = report === null;
    this.reportButton.hidden = report === null || !this.host.showReport;
    if (report) {
      const lines = [st.deadlock ? 'Deadlock: every process is blocked in a shim call that no other process can answer.' : 'Wait report:'];
      for (const p of report.processes ?? []) {
        for (const w of p.waits ?? []) {
          const o = report.objects?.find((x) => x.id === w.object);
          lines.push(`${p.name}${p.target ? ` (${p.target})` : ''} waits in ${w.op}() on ${w.on}${o ? ` '${o.label}'` : ''}${w.loc ? ` at ${w.loc.file}:${w.loc.range.start.line + 1}` : ''}`);
        }
      }
      this.report.textContent = lines.join('\n');
    }
    if (this.replay) {
      const step = this.step >= 0 ? this.replay.steps[this.step] : undefined;
      this.scrub.value = String(this.step);
      this.stepText.textContent = step
        ? `Step ${this.step + 1} of ${this.replay.steps.length} · ${(step.t / 1000).toFixed(3)} s: ${step.text}${step.site ? ` (${siteText(step.site)})` : ''}`
        : `Before the run: ${this.replay.steps.length} steps to replay.`;
      this.controls.dataset.step = String(this.step);
    }
  }

  private postSummary(now: boolean): void {
    if (!this.host.summary || !this.info) return;
    const send = (): void => {
      this.summaryTimer = undefined;
      this.lastSummary = performance.now();
      this.host.summary!(this.summary());
    };
    if (now) {
      if (this.summaryTimer) clearTimeout(this.summaryTimer);
      send();
    } else if (!this.summaryTimer) {
      this.summaryTimer = setTimeout(send, Math.max(0, SUMMARY_MS - (performance.now() - this.lastSummary)));
    }
  }

  /** What the overlay draws now (model ids). */
  summary(): LiveSummary {
    const d = this.decos;
    const nodes: Record<string, string> = {};
    const edges: Record<string, number> = {};
    if (d && this.matches) {
      for (const [id, deco] of d.nodes) if (!/#\d+$/.test(id)) nodes[id] = `${deco.cls.join(' ')}|${deco.badge}`;
      for (const [id, e] of d.edges) if (e.count > 0) edges[id] = e.count;
    }
    const s = d?.summary ?? { processes: 0, running: 0, blocked: 0, exited: 0, failed: 0, ops: 0, deadlocked: false };
    return {
      run: this.info?.id ?? 0, ...s, ended: this.end !== undefined, nodes, edges,
      extras: d ? d.extras.nodes.length + d.extras.edges.length : 0,
      ...(this.replay ? { step: this.step, steps: this.replay.steps.length } : {}),
    };
  }

  /** Moves the replay to step `k` (revealing its code when `reveal`). */
  go(k: number, reveal: boolean): void {
    const replay = this.replay;
    if (!replay) return;
    if (reveal) this.setPlaying(false);
    this.step = Math.max(-1, Math.min(replay.steps.length - 1, k));
    const run = replay.at(this.step);
    this.shown = run;
    this.force = true;
    this.draw(run);
    const step = this.step >= 0 ? replay.steps[this.step] : undefined;
    const model = this.graph.model();
    if (step?.site && model && (reveal || performance.now() - this.lastReveal > 250)) {
      this.lastReveal = performance.now();
      this.host.reveal(siteLocation(step.site, run.state.root, model.root));
    }
  }

  private setPlaying(on: boolean): void {
    if (this.playing !== undefined) clearTimeout(this.playing);
    this.playing = undefined;
    this.playButton.textContent = on ? '⏸ Pause' : '▶ Play';
    this.playButton.setAttribute('aria-pressed', String(on));
    if (!on || !this.replay) return;
    if (this.step >= this.replay.steps.length - 1) this.step = -1;
    const tick = (): void => {
      const replay = this.replay;
      if (!replay || this.step >= replay.steps.length - 1) { this.setPlaying(false); return; }
      const before = this.step >= 0 ? replay.steps[this.step]!.t : 0;
      this.go(this.step + 1, false);
      const next = replay.steps[this.step + 1];
      const speed = Number(this.speed.value) || 1;
      // The run's own time between steps, sped up, within 16 ms .. 1.5 s per step.
      const delay = next ? Math.min(1500, Math.max(16, (next.t - before) / speed)) : 0;
      this.playing = setTimeout(tick, delay);
    };
    this.playing = setTimeout(tick, 0);
  }

  dispose(): void {
    this.setPlaying(false);
    if (this.tick) clearInterval(this.tick);
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
  }
}
