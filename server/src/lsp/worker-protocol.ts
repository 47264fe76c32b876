// Messages between the language server's main thread (LSP) and its analysis worker thread.
import type { TopologyModel } from '../../../common/model';

export interface WorkerInit {
  workspaceFolders: string[];
  /**
   * One Int32: the main thread stores the id of the job to give up (a newer edit replaced its
   * text); the worker reads it between programs and rules, and answers `cancelled`.
   */
  cancel: SharedArrayBuffer;
}

/** Main -> worker. Each message may carry document updates; they apply before the job. */
export type ToWorker =
  | {
    type: 'analyze';
    id: number;
    file: string;
    /** Documents opened or changed since the last message: absolute path and contents. */
    set: { file: string; text: string }[];
    /** Documents closed (or grown too large) since the last message. */
    drop: string[];
  }
  /** Every program of every workspace folder (the `workspace` diagnostics scope). */
  | { type: 'analyze-workspace'; id: number; set: { file: string; text: string }[]; drop: string[] }
  | { type: 'settings'; shimModules: string[]; stateBudget?: number }
  /** Files changed on disk: read tsconfig files and folder listings again. */
  | { type: 'files-changed' };

/** Worker -> main. */
export type FromWorker =
  | { type: 'result'; id: number; model: TopologyModel; ms: number; files: number; entries: number; programMs: number; skipped?: string; heapMb: number }
  | { type: 'workspace-result'; id: number; models: { root: string; model: TopologyModel }[]; ms: number; files: number; programs: number; heapMb: number }
  | { type: 'failed'; id: number; ms: number; message: string; stack?: string; heapMb: number }
  | { type: 'cancelled'; id: number; ms: number; heapMb: number }
  | { type: 'log'; message: string };
