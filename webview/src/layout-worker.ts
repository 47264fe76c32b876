// The layout worker (esbuild: browser IIFE -> dist/layout-worker.js): runs the elkjs `layered`
// layout off the page's thread, so the graph stays responsive while a large model is laid out.
// The page starts it from a blob: URL (CSP `worker-src blob:`); it loads nothing and evaluates nothing.
import ELK from 'elkjs/lib/elk.bundled.js';
import { fromElkGraph, toElkGraph, type FromWorker, type ToWorker } from '../../drawing/elk-layout';

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
}

const scope = globalThis as unknown as WorkerScope;
const elk = new ELK();

// elkjs's bundled code also listens on `onmessage` when it finds itself in a worker: this replaces it.
scope.onmessage = (event: MessageEvent<ToWorker>): void => {
  const { id, request } = event.data ?? ({} as ToWorker);
  if (typeof id !== 'number' || !request || !Array.isArray(request.nodes) || !Array.isArray(request.edges)) return;
  const start = performance.now();
  elk.layout(toElkGraph(request)).then(
    (graph) => scope.postMessage({ id, response: fromElkGraph(graph, request, performance.now() - start) }),
    (err: unknown) => scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
  );
};
