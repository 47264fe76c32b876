// Steered replay (PT_MP_STEER=<file>): the root's hub makes the real processes follow a static
// deadlock finding's trace (its steps: a process instance, an operation, a location). An operation
// the trace names is held until it is its turn; operations it does not name run freely; a start(),
// a join or a pool's submit or close (done in the process itself: nothing can hold it) counts when
// it happens. Once every step is done the run goes
// on by itself and the deadlock detector confirms (or not) the predicted state: `reproduced`.
// When the run cannot follow the trace it says at which step and why, and ends the program (exit
// code 4) instead of hanging: a process did a later step of its own before an earlier one (it
// took another path), or every process settled and the next step's operation never came.
//
// The steering file: {root, finding, nodes}: the analysis root (a file:// URI; step locations are
// relative to it), the finding (common/model.ts: trace steps, loc, related), and the model's
// process nodes ({id, loc, role}) that tell which runtime process is which node (by the line
// where it was made, as docs/runtime-trace.md matches them).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hub, HubClient } from './hub';
import type { RuntimeReport } from './report';
import { ControlledGate, GRACE_MS, type ProcInfo } from './scheduler';
import type { Site } from './site';
import type { Header } from './transport';

interface Loc {
  file: string;
  range: { start: { line: number; character: number } };
}

interface SteerFile {
  root: string;
  finding: { rule: string; loc: Loc; related: { loc: Loc }[]; trace?: { process: string; op: string; loc: Loc }[] };
  nodes?: { id: string; loc: Loc; role?: string; target?: string }[];
}

interface Step {
  node: string;
  instance: number;
  method: string;
  /** Absolute file and 1-based line. */
  at: string;
  text: string;
  done: boolean;
}

export interface SteerOutcome {
  kind: 'steer';
  outcome: 'reproduced' | 'diverged' | 'completed';
  at: number | null;
  why: string | null;
  done: number;
  steps: number;
}

/** How long every process must have been quiet before the next step is declared never to come. */
const STALL_MS = 5000;

/** Steered runs that cannot follow the trace end with this code. */
export const DIVERGED_EXIT_CODE = 4;

/** The shim's operation names as the analysis's methods (notifyAll is a notify, withLock an acquire). */
function canonical(method: string): string {
  switch (method) {
    case 'notifyAll': return 'notify';
    case 'withLock': return 'acquire';
    case 'waitFor': return 'wait'; // (a Condition's: its predicate, then wait() while it is false)
    case 'putNowait': return 'put';
    case 'getNowait': return 'get';
    case 'sendBytes': return 'send';
    case 'recvBytes': return 'recv';
    default: return method;
  }
}

/** The number a node's id gives it (`proc:client#2@main.ts`: 2), else 0. */
function numberOf(id: string): number {
  const m = /#(\d+)@/.exec(id);
  return m ? Number(m[1]) : 0;
}

export class Steering extends ControlledGate {
  private readonly steps: Step[];
  /** `file:line` -> the process nodes made on that line (with their column and target). */
  private readonly nodesAt = new Map<string, { id: string; column: number; target: string | null }[]>();
  private readonly mainNode: string | null;
  /** `node#instance` -> the process bound to it, and back. */
  private readonly bound = new Map<string, HubClient>();
  private readonly instanceOf = new Map<HubClient, number>();
  /** Started processes' instances by pid, and how many of each node were started (placed()). */
  private readonly instanceByPid = new Map<number, number>();
  private readonly startedOf = new Map<string, number>();
  /** Started processes' nodes by pid where one place makes several nodes, and how many were started there. */
  private readonly nodeByPid = new Map<number, string>();
  private readonly startedAt = new Map<string, number>();
  private readonly predicted: Set<string>;
  private finished = false;
  private outcome: SteerOutcome | null = null;
  /** Where the outcome goes (report file, trace); set by control.ts. */
  onOutcome: ((o: SteerOutcome) => void) | null = null;
  onStep: ((k: number, step: { pid: number | null; op: string; text: string }) => void) | null = null;

  constructor(hub: Hub, file: string) {
    super(hub);
    const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as SteerFile;
    const root = spec.root.startsWith('file:') ? fileURLToPath(spec.root) : spec.root;
    const abs = (l: Loc) => `${path.resolve(root, l.file)}:${l.range.start.line + 1}`;
    for (const n of spec.nodes ?? []) {
      const key = abs(n.loc);
      this.nodesAt.set(key, [...(this.nodesAt.get(key) ?? []), { id: n.id, column: n.loc.range.start.character + 1, target: n.target ?? null }]);
    }
    this.mainNode = spec.nodes?.find((n) => n.role === 'main')?.id ?? null;
    this.steps = (spec.finding.trace ?? []).map((s) => {
      // "worker#2: acquire lock": the instance (1-based in the text), the method.
      // A node numbered itself (`proc:client#2@…`, one of several made at one place) has one instance.
      const m = /^(.*?)(?:#(\d+))?: (\S+)/.exec(s.op);
      const own = /#\d+@/.test(s.process);
      return { node: s.process, instance: m?.[2] && !own ? Number(m[2]) - 1 : 0, method: canonical(m?.[3] ?? ''), at: abs(s.loc), text: s.op, done: false };
    });
    this.predicted = new Set([spec.finding.loc, ...spec.finding.related.map((r) => r.loc)].map(abs));
  }

  get total(): number {
    return this.steps.length;
  }

  private get next(): number {
    const k = this.steps.findIndex((s) => !s.done);
    return k < 0 ? this.steps.length : k;
  }

  private doneCount(): number {
    return this.steps.filter((s) => s.done).length;
  }

  /**
   * The model node of a process: the main node, or the one made where it was made (its line; on a
   * line that makes several, its column, else its target).
   */
  private nodeOf(client: HubClient): string | null {
    if (client === this.hub.local) return this.mainNode;
    const byStart = client.pid !== undefined ? this.nodeByPid.get(client.pid) : undefined;
    return byStart ?? this.nodeMadeAt(client.hello?.site as Partial<Site> | undefined, client.hello?.target);
  }

  /**
   * The nodes made at one place (line and column) that the analysis tells apart by their
   * arguments (`keys.map((key, i) => new Process(…))`: client#1, client#2), in their numbers' order;
   * none when one node stands for every process made there.
   */
  private numberedAt(site: Partial<Site>): string[] {
    const list = (this.nodesAt.get(`${site.file}:${site.line}`) ?? []).filter((n) => n.column === site.column);
    if (list.length <= 1) return [];
    return list.map((n) => n.id).sort((a, b) => numberOf(a) - numberOf(b));
  }

  private nodeMadeAt(site: Partial<Site> | null | undefined, target?: unknown): string | null {
    if (!site?.file || !site.line) return null;
    const list = this.nodesAt.get(`${site.file}:${site.line}`) ?? [];
    if (list.length <= 1) return list[0]?.id ?? null;
    return (list.find((n) => n.column === site.column) ?? list.find((n) => n.target === target) ?? list[0]!).id;
  }

  /**
   * A process was started (`made`: where its Process was made). The analysis numbers the instances
   * of a node in the order they are started (worker#3 is the third started), and the trace relies
   * on it where other processes tell them apart (main joins them in that order): the k-th process
   * started of a node is its instance k.
   */
  placed(pid: number, made: Site | null): void {
    const numbered = made ? this.numberedAt(made) : [];
    if (numbered.length > 0) {
      // The k-th process started there is the k-th of those nodes, each its own instance 0.
      const key = `${made!.file}:${made!.line}:${made!.column}`;
      const k = this.startedAt.get(key) ?? 0;
      this.startedAt.set(key, k + 1);
      const node = numbered[Math.min(k, numbered.length - 1)]!;
      this.nodeByPid.set(pid, node);
      this.instanceByPid.set(pid, 0);
      return;
    }
    const node = this.nodeMadeAt(made);
    if (node === null) return;
    const k = this.startedOf.get(node) ?? 0;
    this.startedOf.set(node, k + 1);
    this.instanceByPid.set(pid, k);
  }

  /** The instance of `client`: bound by a step it did, else by its start order. */
  private instanceOfClient(client: HubClient): number | undefined {
    return this.instanceOf.get(client) ?? (client.pid !== undefined ? this.instanceByPid.get(client.pid) : undefined);
  }

  /** The first step not done that `client`'s operation (method at file:line) is. */
  private match(client: HubClient, method: string, at: string | null): number {
    if (at === null) return -1;
    const node = this.nodeOf(client);
    if (node === null) return -1;
    const mine = this.instanceOfClient(client);
    return this.steps.findIndex((s) => {
      if (s.done || s.node !== node || s.method !== canonical(method) || s.at !== at) return false;
      const holder = this.bound.get(`${s.node}#${s.instance}`);
      return mine === undefined ? holder === undefined : mine === s.instance;
    });
  }

  /** Whether `client` has a step before `j` not done yet (it skipped it: another path). */
  private skipped(client: HubClient, j: number): number {
    const mine = this.instanceOfClient(client);
    if (mine === undefined) return -1;
    const node = this.nodeOf(client);
    for (let i = 0; i < j; i++) {
      const s = this.steps[i]!;
      if (!s.done && s.node === node && s.instance === mine) return i;
    }
    return -1;
  }

  private bind(client: HubClient, j: number): void {
    const s = this.steps[j]!;
    if (!this.instanceOf.has(client)) {
      this.instanceOf.set(client, s.instance);
      this.bound.set(`${s.node}#${s.instance}`, client);
    }
  }

  private complete(j: number, client: HubClient, op: string): void {
    this.bind(client, j);
    this.steps[j]!.done = true;
    this.onStep?.(j, { pid: client.pid ?? null, op, text: this.steps[j]!.text });
    if (this.next >= this.steps.length) {
      this.finished = true;
      queueMicrotask(() => this.drainAll()); // the predicted blocked calls may go now
    }
  }

  private lineOf(header: Header): string | null {
    return typeof header.sl === 'string' ? header.sl : null;
  }

  /** Every operation, as it comes: run it now (free, or its turn), or hold it. */
  protected override offered(p: ProcInfo): void {
    this.drain(p);
    this.kick();
  }

  /** Run what `p` holds, oldest first, while it may run. */
  private drain(p: ProcInfo): void {
    while (p.queue.length > 0) {
      if (this.finished || this.outcome) {
        this.release(p);
        continue;
      }
      const head = p.queue[0]!.header;
      const at = this.lineOf(head);
      const j = this.match(p.client, String(head.o), at);
      if (j < 0) {
        // A call the finding predicts blocked in its end state waits for the trace's end (run now,
        // it could change what the steps find); the trace does not name anything else: it runs.
        if (at !== null && this.predicted.has(at)) return;
        this.release(p);
        continue;
      }
      const i = this.skipped(p.client, j);
      if (i >= 0) return this.diverge(i, `${this.who(p.client)} did "${this.steps[j]!.text}" (step ${j + 1}) before "${this.steps[i]!.text}" (step ${i + 1}): it took another path than the analysis predicted`);
      if (j !== this.next) return; // its turn comes later: held
      this.release(p);
      this.complete(j, p.client, String(head.o));
      this.drainAll();
    }
  }

  private drainAll(): void {
    for (const q of [...this.procs.values()]) if (q.queue.length > 0) this.drain(q);
  }

  /** A start() or a join: it cannot be held, it counts when it happens. */
  localStep(client: HubClient, method: string, at: string | null): void {
    if (this.finished || this.outcome) return;
    const j = this.match(client, method, at);
    if (j < 0) return;
    const i = this.skipped(client, j);
    if (i >= 0) return this.diverge(i, `${this.who(client)} did "${this.steps[j]!.text}" (step ${j + 1}) before "${this.steps[i]!.text}" (step ${i + 1})`);
    this.complete(j, client, method);
    this.drainAll();
  }

  private who(client: HubClient): string {
    return client === this.hub.local ? 'MainProcess' : `${client.name ?? client.id}${client.pid ? ` (pid ${client.pid})` : ''}`;
  }

  protected pick(candidates: ProcInfo[]): ProcInfo | null {
    // Everyone settled, and what is held is not the next step: the next step will not come.
    const k = this.next;
    if (k < this.steps.length && candidates.length > 0) this.stallAt(k);
    return null;
  }

  protected decided(): void {}

  /**
   * A divergence is declared only after every process has been quiet this long. A busy machine is
   * slow: a process that did its last step may take seconds more to end (and main's join of it
   * to return) when more processes than cores are runnable, so the wait grows with the load.
   */
  protected override grace(): number {
    const perCore = os.loadavg()[0]! / Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    return Math.max(GRACE_MS, STALL_MS * Math.min(4, Math.max(1, perCore)));
  }

  protected override watchesStalls(): boolean {
    return !this.finished && !this.outcome;
  }

  protected override stalled(): void {
    const k = this.next;
    if (k < this.steps.length) this.stallAt(k);
  }

  private stallAt(k: number): void {
    const s = this.steps[k]!;
    const holder = this.bound.get(`${s.node}#${s.instance}`);
    const held = [...this.procs.values()].filter((p) => p.queue.length > 0).map((p) => `${this.who(p.client)} waits to ${String(p.queue[0]!.header.o)} at ${path.basename(this.lineOf(p.queue[0]!.header) ?? '?')}`);
    let state: string;
    if (holder && !this.procs.has(holder)) state = `${this.who(holder)} has exited`;
    else if (holder) {
      const p = this.procs.get(holder)!;
      state = p.inflight > 0 ? `${this.who(holder)} is blocked in another operation` : p.localWaits > 0 ? `${this.who(holder)} waits for a process or a result` : `${this.who(holder)} is running something else`;
    } else state = `no process of ${s.node} got there`;
    this.diverge(k, `the next step, "${s.text}" at ${path.basename(s.at)}, never came: ${state}${held.length > 0 ? `; held for their turn: ${held.join('; ')}` : ''}`);
  }

  private diverge(k: number, why: string): void {
    if (this.outcome) return;
    this.setOutcome({ kind: 'steer', outcome: 'diverged', at: k, why, done: this.doneCount(), steps: this.steps.length });
    process.stderr.write(`process-topology steer: diverged at step ${k + 1} of ${this.steps.length}: ${why}\n`);
    process.exitCode = DIVERGED_EXIT_CODE;
    process.exit();
  }

  private setOutcome(o: SteerOutcome): void {
    this.outcome = o;
    this.onOutcome?.(o);
  }

  /** The detector found a deadlock: is it the predicted one? */
  deadlocked(report: RuntimeReport): void {
    if (this.outcome) return;
    const root = fileURLToPath(report.root);
    const blocked = new Set<string>();
    for (const p of report.processes) for (const w of p.waits) if (w.loc) blocked.add(`${path.resolve(root, w.loc.file)}:${w.loc.range.start.line + 1}`);
    const missing = [...this.predicted].filter((x) => !blocked.has(x));
    const extra = [...blocked].filter((x) => !this.predicted.has(x));
    if (this.finished && missing.length === 0 && extra.length === 0) {
      this.setOutcome({ kind: 'steer', outcome: 'reproduced', at: null, why: null, done: this.doneCount(), steps: this.steps.length });
    } else {
      const k = this.next;
      const why = !this.finished
        ? `the run deadlocked at step ${k + 1} ("${this.steps[k]?.text}") before the trace's end`
        : `the run deadlocked elsewhere: ${[...missing.map((x) => `no process waits at ${path.basename(x)}`), ...extra.map((x) => `a process waits at ${path.basename(x)}`)].join('; ')}`;
      this.setOutcome({ kind: 'steer', outcome: 'diverged', at: this.finished ? null : k, why, done: this.doneCount(), steps: this.steps.length });
    }
  }

  /** The program ends: without a deadlock, the trace was not reproduced. */
  ended(): void {
    if (this.outcome) return;
    const k = this.next;
    this.setOutcome(this.finished
      ? { kind: 'steer', outcome: 'completed', at: null, why: 'the run followed every step of the trace, then completed without a deadlock', done: this.doneCount(), steps: this.steps.length }
      : { kind: 'steer', outcome: 'diverged', at: k, why: `the program ended before step ${k + 1} ("${this.steps[k]?.text}")`, done: this.doneCount(), steps: this.steps.length });
  }
}
