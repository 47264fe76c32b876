// The main thread's handle on the analysis worker (worker.ts): starts it, keeps its copy of the
// open documents in step, runs one analysis at a time, and stops and replaces the worker when an
// analysis outlives its hard time limit, runs out of memory or crashes. No TypeScript here: the
// main thread only speaks LSP.
//
// A thread blocked in a system call (a file on a hung network mount) cannot be stopped: it ends
// only when the call returns. Such threads are counted, not piled up: while two told to stop
// have not, no replacement is started and analyses fail at once saying why; and the process's
// exit must not wait for them (see `mayHang` and server.ts).
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

export type Failure = { ok: false; ms: number; reason: 'error' | 'timeout' | 'crashed' | 'cancelled' | 'stuck'; message: string };

/** Threads told to stop that have not yet, past which no replacement is started. */
const MAX_STOPPING = 2;
/** How long a start waits for one of them to end before it gives up. */
const STOPPING_WAIT_MS = 1000;

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
  progress?: (done: number, total: number) => void;
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
  /** Wall time, in ms, from handing the thread an analysis to its answer (or its end), summed. */
  analysisMs = 0;
  /** The current worker's cancellation cell (see WorkerInit.cancel). */
  private cancelCell: Int32Array | undefined;
  /** The analysis thread's heap in use after its last analysis, in MB. */
  workerHeapMb = 0;
  /** Threads told to stop (terminate) that have not ended yet: a busy one ends within milliseconds, a stuck one maybe never. */
  private readonly stopping = new Set<Worker>();
  /** Called when one of them ends. */
  private readonly onStopped = new Set<() => void>();

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

  /**
   * Analyzes every program of every workspace folder, with `docs` as the open documents;
   * `progress` hears how far it is.
   */
  async runWorkspace(docs: readonly DocumentSnapshot[], progress?: (done: number, total: number) => void): Promise<WorkspaceResult> {
    const r = await this.start('the workspace', docs, (id, set, drop) => ({ type: 'analyze-workspace', id, set, drop }), progress);
    if (!r.ok) return r;
    if (r.type === 'workspace-result') return { ok: true, models: r.models, ms: r.ms, files: r.files, programs: r.programs };
    throw new Error('the analysis worker answered a workspace analysis with a file result');
  }

  private async start(what: string, docs: readonly DocumentSnapshot[], message: (id: number, set: { file: string; text: string }[], drop: string[]) => ToWorker, progress?: (done: number, total: number) => void): Promise<Outcome> {
    if (this.job) throw new Error('an analysis is already running');
    if (!this.worker && !(await this.roomForWorker())) {
      const n = this.stopping.size;
      return {
        ok: false, ms: 0, reason: 'stuck',
        message: `${n} analysis threads are stuck in a file-system call (a file on a hung network mount?) and cannot be stopped; no new one is started until one ends. Restart the server once the files can be read`,
      };
    }
    if (this.job) throw new Error('an analysis is already running');
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
      this.job = { id, started, timer, resolve, ...(progress ? { progress } : {}) };
      worker.postMessage(message(id, set, drop));
    });
  }

  /** Whether a new thread may start: fewer than MAX_STOPPING old ones still ending (waits a little for one to). */
  private async roomForWorker(): Promise<boolean> {
    const deadline = Date.now() + STOPPING_WAIT_MS;
    while (this.stopping.size >= MAX_STOPPING) {
      if (Date.now() >= deadline) return false;
      await this.oneStopped(deadline);
    }
    return true;
  }

  /** Resolves when a thread told to stop ends, or at `deadline`. */
  private oneStopped(deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.onStopped.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.onStopped.add(done);
    });
  }

  /**
   * Threads that could keep the process from exiting: one told to stop that has not, or one in
   * the middle of an analysis (it may be blocked in a system call). Node's exit waits for every
   * thread to end, so while there are some, the server ends itself another way (server.ts).
   */
  get mayHang(): number {
    return this.stopping.size + (this.job && this.worker ? 1 : 0);
  }

  /** Threads started and not ended, the stuck ones included (for the server-info request). */
  get threads(): number {
    return this.stopping.size + (this.worker ? 1 : 0);
  }

  /** Gives up the running analysis at its next check (between programs and rules). */
  cancel(): void {
    if (this.job && this.cancelCell) Atomics.store(this.cancelCell, 0, this.job.id);
  }

  /** Stops the worker, and waits up to `graceMs` for every thread to end. */
  async dispose(graceMs = 0): Promise<void> {
    this.discardWorker();
    const deadline = Date.now() + graceMs;
    while (this.stopping.size > 0 && Date.now() < deadline) await this.oneStopped(deadline);
  }

  private finish(id: number, result: Outcome): void {
    const job = this.job;
    if (!job || job.id !== id) return;
    clearTimeout(job.timer);
    this.job = undefined;
    this.analysisMs += Date.now() - job.started;
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
      if (msg.type === 'progress') {
        if (this.job?.id === msg.id) this.job.progress?.(msg.done, msg.total);
        return;
      }
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
    if (!worker) return;
    // A job still running gets its answer now: the thread may never answer again.
    if (this.job) this.finish(this.job.id, { ok: false, ms: Date.now() - this.job.started, reason: 'crashed', message: 'the analysis thread was stopped' });
    this.stopping.add(worker);
    const ended = (): void => {
      if (!this.stopping.delete(worker)) return;
      for (const listener of [...this.onStopped]) listener();
    };
    worker.once('exit', ended);
    void worker.terminate().then(ended, ended);
    const stuck = setTimeout(() => {
      if (this.stopping.has(worker)) this.opts.log('an analysis thread told to stop has not: it is blocked in a system call (a file on a hung network mount?) and ends when that call returns');
    }, STOPPING_WAIT_MS);
    stuck.unref();
  }
}
