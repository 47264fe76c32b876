// The main thread's handle on the analysis worker (worker.ts): starts it, keeps its copy of the
// open documents in step, runs one analysis at a time, and stops and replaces the worker when an
// analysis outlives its hard time limit, runs out of memory or crashes. No TypeScript here: the
// main thread only speaks LSP.
import { Worker } from 'node:worker_threads';
import type { TopologyModel } from '../../../common/model';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

export interface WorkerHandleOptions {
  /** dist/analysis-worker.js. */
  script: string;
  workspaceFolders: string[];
  /** An analysis still running after this long is stopped (the worker is replaced). */
  timeoutMs: number;
  /** The worker's heap limit: past it the worker dies, the server does not. */
  memoryMb: number;
  log(message: string): void;
}

export interface DocumentSnapshot {
  file: string;
  version: number;
  text: string;
}

export type Failure = { ok: false; ms: number; reason: 'error' | 'timeout' | 'crashed' | 'cancelled'; message: string };

export type AnalysisResult =
  | { ok: true; model: TopologyModel; ms: number; files: number; entries: number; programMs: number; skipped?: string }
  | Failure;

export type WorkspaceResult =
  | { ok: true; models: { root: string; model: TopologyModel }[]; ms: number; files: number; programs: number }
  | Failure;

type Outcome = (Extract<FromWorker, { type: 'result' | 'workspace-result' }> & { ok: true }) | Failure;

interface Job {
  id: number;
  started: number;
  timer: NodeJS.Timeout;
  resolve(result: Outcome): void;
}

export class WorkerHandle {
  private worker: Worker | undefined;
  /** The document versions the current worker holds. */
  private readonly sent = new Map<string, number>();
  private settings: Extract<ToWorker, { type: 'settings' }> | undefined;
  private job: Job | undefined;
  private nextId = 1;
  /** Workers started (1 + replacements), analyses started and given up, for the server-info request. */
  workersStarted = 0;
  analyses = 0;
  cancelled = 0;
  /** The current worker's cancellation cell (see WorkerInit.cancel). */
  private cancelCell: Int32Array | undefined;
  /** The analysis thread's heap in use after its last analysis, in MB. */
  workerHeapMb = 0;

  constructor(private readonly opts: WorkerHandleOptions) {}

  get memoryMb(): number {
    return this.opts.memoryMb;
  }

  get busy(): boolean {
    return this.job !== undefined;
  }

  setSettings(shimModules: string[], stateBudget: number | undefined): void {
    this.settings = { type: 'settings', shimModules, ...(stateBudget ? { stateBudget } : {}) };
    this.worker?.postMessage(this.settings);
  }

  filesChanged(): void {
    this.worker?.postMessage({ type: 'files-changed' } satisfies ToWorker);
  }

  /**
   * Analyzes `file` with `docs` as the open documents (what is not among them is read from
   * disk). One at a time: the caller waits for the previous result.
   */
  async run(file: string, docs: readonly DocumentSnapshot[]): Promise<AnalysisResult> {
    const r = await this.start(file, docs, (id, set, drop) => ({ type: 'analyze', id, file, set, drop }));
    if (!r.ok) return r;
    if (r.type === 'result') return { ok: true, model: r.model, ms: r.ms, files: r.files, entries: r.entries, programMs: r.programMs, ...(r.skipped ? { skipped: r.skipped } : {}) };
    throw new Error('the analysis worker answered a file analysis with a workspace result');
  }

  /** Analyzes every program of every workspace folder, with `docs` as the open documents. */
  async runWorkspace(docs: readonly DocumentSnapshot[]): Promise<WorkspaceResult> {
    const r = await this.start('the workspace', docs, (id, set, drop) => ({ type: 'analyze-workspace', id, set, drop }));
    if (!r.ok) return r;
    if (r.type === 'workspace-result') return { ok: true, models: r.models, ms: r.ms, files: r.files, programs: r.programs };
    throw new Error('the analysis worker answered a workspace analysis with a file result');
  }

  private start(what: string, docs: readonly DocumentSnapshot[], message: (id: number, set: { file: string; text: string }[], drop: string[]) => ToWorker): Promise<Outcome> {
    if (this.job) return Promise.reject(new Error('an analysis is already running'));
    const worker = this.ensureWorker();
    const set: { file: string; text: string }[] = [];
    const open = new Set<string>();
    for (const d of docs) {
      open.add(d.file);
      if (this.sent.get(d.file) !== d.version) {
        set.push({ file: d.file, text: d.text });
        this.sent.set(d.file, d.version);
      }
    }
    const drop = [...this.sent.keys()].filter((f) => !open.has(f));
    for (const f of drop) this.sent.delete(f);
    const id = this.nextId++;
    this.analyses++;
    return new Promise<Outcome>((resolve) => {
      const started = Date.now();
      const timer = setTimeout(() => {
        this.opts.log(`the analysis of ${what} ran longer than ${this.opts.timeoutMs} ms: stopping it`);
        this.finish(id, { ok: false, ms: Date.now() - started, reason: 'timeout', message: `stopped after ${this.opts.timeoutMs} ms` });
        this.discardWorker();
      }, this.opts.timeoutMs);
      this.job = { id, started, timer, resolve };
      worker.postMessage(message(id, set, drop));
    });
  }

  /** Gives up the running analysis at its next check (between programs and rules). */
  cancel(): void {
    if (this.job && this.cancelCell) Atomics.store(this.cancelCell, 0, this.job.id);
  }

  dispose(): void {
    this.discardWorker();
  }

  private finish(id: number, result: Outcome): void {
    const job = this.job;
    if (!job || job.id !== id) return;
    clearTimeout(job.timer);
    this.job = undefined;
    job.resolve(result);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const cancel = new SharedArrayBuffer(4);
    this.cancelCell = new Int32Array(cancel);
    const workerData: WorkerInit = { workspaceFolders: this.opts.workspaceFolders, cancel };
    const worker = new Worker(this.opts.script, {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb },
      // Never let the worker write to the process's stdout: over stdio that is the LSP stream.
      stdout: true,
      stderr: true,
    });
    this.workersStarted++;
    this.worker = worker;
    this.sent.clear();
    if (this.settings) worker.postMessage(this.settings);
    const forward = (chunk: Buffer): void => this.opts.log(chunk.toString().trimEnd());
    worker.stdout.on('data', forward);
    worker.stderr.on('data', forward);
    worker.on('message', (msg: FromWorker) => {
      if (msg.type !== 'log') this.workerHeapMb = msg.heapMb;
      if (msg.type === 'log') this.opts.log(msg.message);
      else if (msg.type === 'failed') this.finish(msg.id, { ok: false, ms: msg.ms, reason: 'error', message: msg.message });
      else if (msg.type === 'cancelled') {
        this.cancelled++;
        this.finish(msg.id, { ok: false, ms: msg.ms, reason: 'cancelled', message: 'cancelled' });
      }
      else this.finish(msg.id, { ...msg, ok: true });
      if (msg.type === 'failed' && msg.stack) this.opts.log(msg.stack);
    });
    const gone = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.sent.clear();
      this.opts.log(`the analysis worker stopped: ${why}`);
      if (this.job) this.finish(this.job.id, { ok: false, ms: Date.now() - this.job.started, reason: 'crashed', message: why });
    };
    worker.on('error', (err) => gone(err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim() : String(err)));
    worker.on('exit', (code) => gone(`exit code ${code}`));
    return worker;
  }

  private discardWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.sent.clear();
    if (worker) void worker.terminate().catch(() => undefined);
  }
}
