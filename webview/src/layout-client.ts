// The page's side of the layout worker: starts it from a blob: URL (the page's CSP allows
// `worker-src blob:` and nothing else), sends layout requests, and hands back only the answer to
// the latest one. Any failure (no Worker, CSP, a crash) just means no elkjs layout: the layered
// first paint stays.
import type { FromWorker, LayoutRequest, LayoutResponse } from '../../drawing/elk-layout';

/** Where the worker's code comes from: fetched from a URL (VS Code), or inline (the standalone page). */
export type WorkerSource = { url: string } | { code: string };

export interface LayoutClient {
  /** Lays out `request`; undefined when the worker is unavailable or a newer request replaced this one. */
  layout(request: LayoutRequest): Promise<LayoutResponse | undefined>;
  /** Why the worker cannot be used, once known. */
  readonly failure: string | undefined;
  /** The scheme of the URL the last worker was started from (`blob:`), once one was started. */
  readonly startedFrom: string | undefined;
  dispose(): void;
}

export function createLayoutClient(source: WorkerSource): LayoutClient {
  let failure: string | undefined;
  let startedFrom: string | undefined;
  let blobUrl: Promise<string | undefined> | undefined;
  let worker: Worker | undefined;
  let busy: { id: number; resolve: (r: LayoutResponse | undefined) => void } | undefined;
  let nextId = 0;
  let disposed = false;

  const fail = (why: string): void => {
    failure ??= why;
    worker?.terminate();
    worker = undefined;
    busy?.resolve(undefined);
    busy = undefined;
  };

  const code = (): Promise<string | undefined> => {
    blobUrl ??= (async () => {
      if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL.createObjectURL !== 'function') {
        fail('this page cannot run workers');
        return undefined;
      }
      let text: string;
      if ('code' in source) {
        text = source.code;
      } else {
        const res = await fetch(source.url);
        if (!res.ok) throw new Error(`the layout worker did not load (${res.status})`);
        text = await res.text();
      }
      if (!text.trim()) throw new Error('the layout worker is empty');
      return URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
    })().catch((err: unknown) => {
      fail(err instanceof Error ? err.message : String(err));
      return undefined;
    });
    return blobUrl;
  };

  const start = (url: string): Worker | undefined => {
    try {
      const w = new Worker(url);
      startedFrom = new URL(url).protocol;
      w.onmessage = (event: MessageEvent<FromWorker>): void => {
        const msg = event.data;
        if (!busy || msg.id !== busy.id) return;
        const { resolve } = busy;
        busy = undefined;
        if ('response' in msg) resolve(msg.response);
        else { console.warn(`Process Topology: elkjs layout failed: ${msg.error}`); resolve(undefined); }
      };
      w.onerror = (event: ErrorEvent): void => {
        event.preventDefault();
        fail(event.message || 'the layout worker stopped');
      };
      return w;
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };

  return {
    get failure() { return failure; },
    get startedFrom() { return startedFrom; },
    async layout(request: LayoutRequest): Promise<LayoutResponse | undefined> {
      if (disposed || failure) return undefined;
      const url = await code();
      if (!url || disposed || failure) return undefined;
      // A layout still running for an older request is abandoned: a fresh worker takes the new one.
      if (busy) {
        busy.resolve(undefined);
        busy = undefined;
        worker?.terminate();
        worker = undefined;
      }
      worker ??= start(url);
      if (!worker) return undefined;
      const id = ++nextId;
      const w = worker;
      return new Promise<LayoutResponse | undefined>((resolve) => {
        busy = { id, resolve };
        w.postMessage({ id, request });
      });
    },
    dispose(): void {
      disposed = true;
      worker?.terminate();
      worker = undefined;
      busy?.resolve(undefined);
      busy = undefined;
      void blobUrl?.then((u) => { if (u) URL.revokeObjectURL(u); });
    },
  };
}
