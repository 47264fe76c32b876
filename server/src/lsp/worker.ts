// The analysis worker: a thread of the language server process that owns the TypeScript programs
// and runs the analysis, one job at a time. The main thread stays free to read messages (newer
// edits, cancellations) and can stop this thread when an analysis runs away (see worker-handle.ts).
// Bundled as dist/analysis-worker.js.
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { AnalysisCancelled } from '../analysis/analyze';
import { AnalysisSession } from './session';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

function main(): void {
  // Stacks of analysis failures name the TypeScript sources (when the bundle has a source map).
  process.setSourceMapsEnabled(true);
  const port = parentPort;
  if (!port) throw new Error('analysis-worker.js runs as a worker thread of the language server');
  const init = workerData as WorkerInit;
  const post = (msg: FromWorker): void => port.postMessage(msg);
  const session = new AnalysisSession(init.workspaceFolders, (message) => post({ type: 'log', message }));
  const cancel = new Int32Array(init.cancel);

  port.on('message', (msg: ToWorker) => {
    switch (msg.type) {
      case 'settings':
        session.setSettings({ shimModules: msg.shimModules, stateBudget: msg.stateBudget });
        return;
      case 'files-changed':
        session.invalidateListings();
        return;
      case 'analyze':
      case 'analyze-workspace': {
        for (const file of msg.drop) session.removeDocument(file);
        for (const d of msg.set) session.setDocument(d.file, d.text);
        const started = performance.now();
        const isCancelled = (): boolean => Atomics.load(cancel, 0) === msg.id;
        try {
          if (msg.type === 'analyze') {
            const outcome = session.analyze(msg.file, isCancelled);
            post({ type: 'result', id: msg.id, ms: Math.round(performance.now() - started), ...outcome, heapMb: heapMb() });
          } else {
            const outcome = session.analyzeWorkspace(isCancelled);
            post({ type: 'workspace-result', id: msg.id, ms: Math.round(performance.now() - started), ...outcome, heapMb: heapMb() });
          }
          setImmediate(collectIfGrown);
        } catch (err) {
          if (err instanceof AnalysisCancelled) {
            // Stopped between programs or rules, never inside TypeScript: the caches are sound.
            post({ type: 'cancelled', id: msg.id, ms: Math.round(performance.now() - started), heapMb: heapMb() });
            return;
          }
          // TypeScript may have thrown half-way through binding a file (a stack overflow on a
          // deeply nested one): start the next analysis from clean source files.
          session.reset();
          const e = err instanceof Error ? err : new Error(String(err));
          post({ type: 'failed', id: msg.id, ms: Math.round(performance.now() - started), message: e.message, ...(e.stack ? { stack: e.stack } : {}), heapMb: heapMb() });
        }
        return;
      }
    }
  });
}

/**
 * Each analysis leaves a whole program's worth of garbage (the previous program and checker), and
 * V8 lets the heap grow far past what is live before it collects: after a few hundred edits of
 * large files the process held well over a gigabyte, for about 100 MB live. So once the answer
 * is sent, while the thread is idle, a full collection runs whenever the heap has grown to twice
 * what was live after the last one (and past GC_FLOOR_MB).
 */
const GC_FLOOR_MB = 256;
let liveMb = 0;
const fullGc = ((): (() => void) | undefined => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

function collectIfGrown(): void {
  if (!fullGc || heapMb() < Math.max(GC_FLOOR_MB, 2 * liveMb)) return;
  fullGc();
  liveMb = heapMb();
}

/** This thread's JavaScript heap in use, in MB. */
function heapMb(): number {
  return Math.round(process.memoryUsage().heapUsed / 1048576);
}

main();
