// `$/progress` for the analysis of the whole workspace (the `workspace` diagnostics scope), which
// can take seconds: a work-done progress the client shows (VS Code in its status bar), created
// with window/workDoneProgress/create when the client announces `window.workDoneProgress`.
// Clients that do not get nothing. The analysis does not wait for the client's answer.
import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';

const TITLE = 'Process Topology';
const INTERVAL_MS = 100;

export class WorkProgress {
  private reporter: WorkDoneProgressServerReporter | undefined;
  private ended = false;
  private last = { at: 0, percentage: -1 };
  private pending: { done: number; total: number } | undefined;

  constructor(connection: Connection, private readonly what: string) {
    connection.window.createWorkDoneProgress().then((reporter) => {
      reporter.begin(TITLE, 0, what, false);
      this.reporter = reporter;
      // What happened before the client answered, even when the analysis is already over.
      if (this.pending) this.send(this.pending.done, this.pending.total);
      if (this.ended) reporter.done();
    }, () => undefined);
  }

  /** `done` of `total` files considered; sent at most ten times a second, when the percentage moves. */
  report(done: number, total: number): void {
    if (this.ended) return;
    if (!this.reporter) {
      this.pending = { done, total };
      return;
    }
    const now = Date.now();
    if (percentageOf(done, total) === this.last.percentage || (now - this.last.at < INTERVAL_MS && done < total)) return;
    this.send(done, total);
  }

  private send(done: number, total: number): void {
    const percentage = percentageOf(done, total);
    this.last = { at: Date.now(), percentage };
    this.reporter?.report(percentage, `${this.what}: ${done}/${total} files`);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.reporter?.done();
  }
}

function percentageOf(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
}
