// Finding an ES module's exported function, synchronously, in the parent at start().
//
// ES modules are not in `require.cache` and their namespaces cannot be read synchronously, so this
// asks V8 itself through an in-process inspector session (its calls complete synchronously):
//   1. the function's [[FunctionLocation]] gives its script, whose URL the Debugger domain knows;
//   2. its [[Scopes]] hold the module scope: the module-level bindings that are this function;
//   3. the module's export clauses map a binding to its export name.
// The script's URL comes from the Profiler's best-effort coverage (a list of the scripts alive,
// read without side effects, a few ms), and its source from the file; enabling the Debugger (tens
// of ms: V8 prepares every script for debugging) is the fallback, which also gives the source V8
// runs. Step 3 reads the source with patterns, not a parser (TypeScript's export forms are the
// same); the child checks the export again when it imports the module, so a wrong guess fails
// there with a clear message, never silently.
import fs from 'node:fs';
import type { Session } from 'node:inspector';
import { fileURLToPath } from 'node:url';

interface RemoteObject {
  type?: string;
  objectId?: string;
  description?: string;
  value?: unknown;
}
interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}

/** Where a function is: its module, its export name (null: defined at module level, not exported), its position (1-based). */
export type EsmLocation = { url: string; exportName: string | null; line: number; column: number };

const GROUP = 'pt-mp-locate';
const cache = new WeakMap<object, EsmLocation | null>();
let session: Session | null | undefined;

function connect(): Session | null {
  if (session !== undefined) return session;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Session: SessionClass } = require('node:inspector') as typeof import('node:inspector');
    session = new SessionClass();
    session.connect();
  } catch {
    session = null; // a Node built without the inspector
  }
  return session;
}

function post<T>(s: Session, method: string, params: object = {}): T {
  let result: unknown;
  let error: Error | null = null;
  (s.post as unknown as (m: string, p: object, cb: (e: Error | null, r: unknown) => void) => void)(
    method,
    params,
    (e, r) => {
      error = e;
      result = r;
    },
  );
  if (error) throw error;
  if (result === undefined) throw new Error(`inspector: ${method} did not complete synchronously`);
  return result as T;
}

function properties(s: Session, objectId: string) {
  return post<{ result: PropertyDescriptor[]; internalProperties?: PropertyDescriptor[] }>(
    s,
    'Runtime.getProperties',
    { objectId, ownProperties: true, objectGroup: GROUP },
  );
}

/** Where an ES module defines `fn` at its top level, or null when it is not such a function. */
export function locateEsm(fn: object): EsmLocation | null {
  if (cache.has(fn)) return cache.get(fn)!;
  const s = connect();
  if (!s) return null;
  const slot = Symbol.for('@process-topology/multiprocessing.locate');
  const g = globalThis as Record<symbol, unknown>;
  g[slot] = fn;
  try {
    const fnId = post<{ result: RemoteObject }>(s, 'Runtime.evaluate', {
      expression: `globalThis[Symbol.for(${JSON.stringify(slot.description)})]`,
      objectGroup: GROUP,
    }).result.objectId!;
    const internal = properties(s, fnId).internalProperties ?? [];
    const where = internal.find((p) => p.name === '[[FunctionLocation]]')?.value?.value as
      | { scriptId: string; lineNumber: number; columnNumber: number }
      | undefined;
    const scopesId = internal.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
    if (!where || !scopesId) return remember(fn, null);
    const moduleScope = properties(s, scopesId).result.find((x) => x.value?.description === 'Module');
    if (!moduleScope?.value?.objectId) return remember(fn, null);
    const locals = properties(s, moduleScope.value.objectId)
      .result.filter((b) => b.value?.type === 'function' && b.value.objectId)
      .filter((b) => sameObject(s, fnId, b.value!.objectId!))
      .map((b) => b.name);
    if (locals.length === 0) return remember(fn, null);
    const { url, source } = script(s, where.scriptId);
    if (!url.startsWith('file:')) return remember(fn, null);
    const exported = exportNames(source);
    const local = locals.find((l) => exported.has(l));
    return remember(fn, { url, exportName: local === undefined ? null : exported.get(local)!, line: where.lineNumber + 1, column: where.columnNumber + 1 });
  } catch {
    return remember(fn, null);
  } finally {
    delete g[slot];
    try {
      post(s, 'Runtime.releaseObjectGroup', { objectGroup: GROUP });
    } catch {
      // nothing held
    }
  }
}

function remember(fn: object, loc: EsmLocation | null): EsmLocation | null {
  cache.set(fn, loc);
  return loc;
}

function sameObject(s: Session, a: string, b: string): boolean {
  const r = post<{ result: RemoteObject }>(s, 'Runtime.callFunctionOn', {
    objectId: a,
    functionDeclaration: 'function (other) { return this === other; }',
    arguments: [{ objectId: b }],
    returnByValue: true,
  });
  return r.result.value === true;
}

/** scriptId -> URL, from the last coverage listing. */
const scriptUrls = new Map<string, string>();

/** A script's URL and source: from the coverage listing and the file, else from the Debugger. */
function script(s: Session, scriptId: string): { url: string; source: string } {
  try {
    if (!scriptUrls.has(scriptId)) {
      const cov = post<{ result: { scriptId: string; url: string }[] }>(s, 'Profiler.getBestEffortCoverage');
      for (const r of cov.result) if (r.url) scriptUrls.set(r.scriptId, r.url);
    }
    const url = scriptUrls.get(scriptId);
    if (url?.startsWith('file:')) return { url, source: fs.readFileSync(fileURLToPath(url), 'utf8') };
  } catch {
    // fall back to the Debugger
  }
  return debuggerScript(s, scriptId);
}

/** A script's URL and source; the Debugger domain is on only for this call. */
function debuggerScript(s: Session, scriptId: string): { url: string; source: string } {
  let url = '';
  const onParsed = (m: { params: { scriptId: string; url: string } }) => {
    if (m.params.scriptId === scriptId) url = m.params.url;
  };
  s.on('Debugger.scriptParsed', onParsed);
  try {
    post(s, 'Debugger.enable'); // replays scriptParsed for every loaded script, synchronously
    const source = post<{ scriptSource: string }>(s, 'Debugger.getScriptSource', { scriptId }).scriptSource;
    return { url, source };
  } finally {
    s.off('Debugger.scriptParsed', onParsed);
    post(s, 'Debugger.disable');
  }
}

/** Module-level binding name -> export name, from the export forms found in `source`. */
export function exportNames(source: string): Map<string, string> {
  const out = new Map<string, string>();
  const add = (local: string, exported: string) => {
    if (!out.has(local)) out.set(local, exported);
  };
  add('*default*', 'default'); // V8's binding for `export default function () {}` and the like
  for (const m of source.matchAll(/\bexport\s*\{([^}]*)\}(?!\s*from\b)/g)) {
    for (const spec of m[1]!.split(',')) {
      const [local, exported] = spec.trim().split(/\s+as\s+/);
      if (local) add(local, (exported ?? local).replace(/^["']|["']$/g, ''));
    }
  }
  const declared =
    /\bexport\s+(default\s+)?(?:(?:async\s+)?function\s*\*?\s*|(?:abstract\s+)?class\s+|(?:const|let|var)\s+)([\w$]+)/g;
  for (const m of source.matchAll(declared)) add(m[2]!, m[1] ? 'default' : m[2]!);
  for (const m of source.matchAll(/\bexport\s+default\s+([\w$]+)\s*(?:;|$)/gm)) add(m[1]!, 'default');
  return out;
}
