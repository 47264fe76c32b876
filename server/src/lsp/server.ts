// The language server: pull diagnostics, code actions, hovers, code lenses and the
// `processTopology/model` request, over stdio or node IPC. The analysis runs in a worker thread
// (worker-handle.ts, worker.ts, session.ts); this thread speaks LSP and decides what to analyze when.
//
// Scheduling, per edit generation (a counter that grows with every open, change and close):
// - A request waits for the model of its document at a generation at least as new as the one it
//   was made at, or is answered from the cache when that generation is already analyzed.
// - One analysis at a time, always of the latest text: edits that arrive while one runs, or
//   within `debounceMs` of each other, are analyzed once, after the last of them.
// - A cancelled request (the client cancels when the document changes) is answered at once with
//   RequestCancelled; its analysis is not started if no other request still wants it, and is
//   given up (at its next check, between programs and rules) if it runs and a newer edit came.
// - An analysis that runs longer than `analysisTimeoutMs` is stopped (its thread is replaced),
//   answered with an empty model, and reported in the status item.
// - With the `workspace` diagnostics scope, workspace diagnostics are a long poll: the request is
//   answered when the whole-workspace analysis has something new, and held until then.
// - After `shutdown`, requests are refused with InvalidRequest (as the protocol says); requests
//   whose params do not have the shape the protocol gives get InvalidParams, never a TypeError.
// - `exit` ends the process even when an analysis thread is blocked in a system call (a file on
//   a hung network mount): Node's own exit would wait for that thread forever.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind, createConnection, DiagnosticRefreshRequest, ExecuteCommandRequest, DidChangeWatchedFilesNotification, DocumentDiagnosticReportKind, DocumentDiagnosticRequest, ErrorCodes, FileChangeType, LSPErrorCodes,
  ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind, type CancellationToken, type Connection, type Diagnostic,
  type DocumentDiagnosticReport, type WorkspaceDocumentDiagnosticReport, type WorkspaceDiagnosticReport,
} from 'vscode-languageserver/node';
import { MAX_SOURCE_SIZE } from '../analysis/files';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { emptyModel, type TopologyModel } from '../../../common/model';
import {
  MODEL_REQUEST, SERVER_INFO_REQUEST, STATUS_NOTIFICATION, type InitOptions, type ModelParams, type ModelResult, type ServerInfo,
  type StatusParams,
} from '../../../common/protocol';
import { applySeverities, RULE_SETTINGS, type RuleSetting } from '../analysis/severity';
import { WorkerHandle, type DocumentSnapshot } from './worker-handle';
import { codeActionsFor, codeLensesFor, diagnosticsFor, hoverFor, ONLINE_DOCS } from './features';
import { checkCodeActionParams, checkDocumentParams, checkPositionParams, checkWorkspaceDiagnosticParams } from './params';
import { DiagnosticsPusher, forEditor, RULE_DOC_COMMAND, showRuleDoc } from './push-diagnostics';
import { WorkProgress } from './work-progress';

/** Which files get diagnostics: the open ones (default), or every file of the workspace folders. */
export type DiagnosticsScope = 'openFiles' | 'workspace';

interface Settings {
  shimModules: string[];
  rules: Map<string, RuleSetting>;
  stateBudget: number | undefined;
  timeBudgetMs: number;
  diagnosticsScope: DiagnosticsScope;
}

const DEFAULT_SETTINGS: Settings = { shimModules: [], rules: new Map(), stateBudget: undefined, timeBudgetMs: 1500, diagnosticsScope: 'openFiles' };

/** Documents past this size are not analyzed (a generated bundle, a minified file): the limit of files on disk. */
const MAX_FILE_CHARS = MAX_SOURCE_SIZE;
/** At `shutdown`, how long the analysis threads get to end before the answer (a thread that is not stuck ends in milliseconds). */
const SHUTDOWN_GRACE_MS = 1500;
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const DEFAULT_TIMEOUT_MS = 30_000;
/** The analysis thread's heap limit: the analysis of the 800 files of this repository holds 270 MB. */
const DEFAULT_MEMORY_MB = 1024;
// Machine-made bursts (a format, a multi-cursor edit) arrive within a few ms; keystrokes are 50+ ms apart.
const DEFAULT_DEBOUNCE_MS = 10;
/** However fast the edits come, a waiting request is served after this long. */
const MAX_DEBOUNCE_MS = 250;
/** The client is asked to pull every document again once edits pause this long. */
const REFRESH_DELAY_MS = 200;
/** The whole workspace is analyzed again once edits pause this long (it costs more than one file). */
const WORKSPACE_DEBOUNCE_MS = 500;
/** The key of the whole-workspace analysis among the per-document ones (not a URI). */
const WORKSPACE = '\u0000workspace';
/** The result id of "no diagnostics" in workspace reports. */
const CLEAN = 'clean';

interface Computed {
  generation: number;
  /** The document's version when the analysis started. */
  version: number;
  model: TopologyModel;
}

interface WorkspaceComputed {
  generation: number;
  /** Per file URI with findings: its diagnostics and their result id (a hash of them). */
  files: Map<string, { items: Diagnostic[]; resultId: string }>;
}

interface Waiter {
  /** The generation the request was made at: any model at least this new answers it. */
  since: number;
  /** When the request arrived. */
  at: number;
  resolve(model: Computed | WorkspaceComputed | undefined): void;
  reject(err: unknown): void;
}

function isSourceFile(file: string): boolean {
  return SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !file.endsWith('.d.ts');
}

/** The path of a `file:` URI; undefined for other schemes and for ones Node cannot map (a host). */
function filePath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
}

/** What the process needs to know of the server to exit (see `exit` below). */
export interface ServerHandle {
  /** Analysis threads that may keep the process from exiting (blocked in a system call, or busy). */
  threadsThatMayHang(): number;
}

export function startServer(connection: Connection): ServerHandle {
  const documents = new TextDocuments(TextDocument);
  let workspaceFolders: string[] = [];
  let settings: Settings = DEFAULT_SETTINGS;
  let docsBase = ONLINE_DOCS;
  let debounceMs = DEFAULT_DEBOUNCE_MS;
  let refreshSupport = false;
  let watchFiles = false;
  /** The client registers the diagnostic provider when told to: it follows the scope setting. */
  let dynamicDiagnostics = false;
  let registeredScope: DiagnosticsScope | undefined;
  let registration: Promise<{ dispose(): void } | undefined> = Promise.resolve(undefined);
  let analyzer: WorkerHandle | undefined;
  /** Set for clients that do not pull diagnostics (any editor but VS Code): the server pushes them. */
  let pusher: DiagnosticsPusher | undefined;
  let showDocumentSupport = false;

  let generation = 0;
  let lastEditAt = 0;
  const computed = new Map<string, Computed>();
  let workspaceComputed: WorkspaceComputed | undefined;
  const waiting = new Map<string, Set<Waiter>>();
  /** Open documents whose file was deleted on disk: no diagnostics, and left out of the analysis. */
  const deleted = new Set<string>();
  /** Called on every edit and settings change (the held workspace diagnostic request waits on them). */
  const changeListeners = new Set<() => void>();
  let running = false;
  /** The running analysis: its key (a URI or WORKSPACE) and the generation of its text. */
  let current: { key: string; generation: number } | undefined;
  let pumpTimer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  /** After `shutdown` the server answers no request (InvalidRequest), as the protocol says. */
  let shutDown = false;

  function refuseAfterShutdown(): void {
    if (shutDown) throw new ResponseError(ErrorCodes.InvalidRequest, 'the server is shut down');
  }

  connection.onInitialize((params) => {
    workspaceFolders = (params.workspaceFolders ?? []).map((f) => filePath(f.uri)).filter((f): f is string => f !== undefined);
    const rootPath = params.rootUri ? filePath(params.rootUri) : undefined;
    if (workspaceFolders.length === 0 && rootPath) workspaceFolders = [rootPath];
    const init = (typeof params.initializationOptions === 'object' && params.initializationOptions !== null ? params.initializationOptions : {}) as InitOptions;
    if (typeof init.docsBase === 'string' && /^(file|https?):/.test(init.docsBase)) docsBase = init.docsBase.endsWith('/') ? init.docsBase : `${init.docsBase}/`;
    if (isCount(init.debounceMs)) debounceMs = init.debounceMs;
    refreshSupport = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
    watchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    dynamicDiagnostics = params.capabilities.textDocument?.diagnostic?.dynamicRegistration === true;
    showDocumentSupport = params.capabilities.window?.showDocument?.support === true;
    if (params.capabilities.textDocument?.diagnostic === undefined) pusher = startPushing();
    analyzer = new WorkerHandle({
      script: path.join(__dirname, 'analysis-worker.js'),
      workspaceFolders,
      timeoutMs: isCount(init.analysisTimeoutMs) && init.analysisTimeoutMs >= 100 ? init.analysisTimeoutMs : DEFAULT_TIMEOUT_MS,
      memoryMb: isCount(init.analysisMemoryMb) && init.analysisMemoryMb >= 64 ? init.analysisMemoryMb : DEFAULT_MEMORY_MB,
      log: (message) => connection.console.log(message),
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        // Registered once the settings are known (registerDiagnostics) when the client can.
        ...(dynamicDiagnostics ? {} : { diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: true } }),
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, `${CodeActionKind.SourceFixAll}.processTopology`] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        // The rule pages, for editors that run a code action's command on the server.
        ...(pusher ? { executeCommandProvider: { commands: [RULE_DOC_COMMAND] } } : {}),
      },
      serverInfo: { name: 'process-topology', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    connection.console.log(`Process Topology server started (pid ${process.pid})`);
    if (watchFiles) {
      // New, deleted and renamed files change which files a project has.
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}' }, { globPattern: '**/{tsconfig.json,package.json}' }],
      }).catch(() => undefined);
    }
    void refreshSettings().then(registerDiagnostics);
  });

  connection.onDidChangeConfiguration(() => {
    void refreshSettings().then(() => {
      registerDiagnostics();
      refresh();
    });
  });

  /**
   * Registers the diagnostic provider with workspace diagnostics only in the `workspace` scope:
   * a client that pulls workspace diagnostics keeps a closed file's problems (they are the
   * workspace's), where with open files only they must go when the file closes.
   */
  function registerDiagnostics(): void {
    if (!dynamicDiagnostics || registeredScope === settings.diagnosticsScope) return;
    const scope = (registeredScope = settings.diagnosticsScope);
    registration = registration.then(async (old) => {
      old?.dispose();
      try {
        return await connection.client.register(DocumentDiagnosticRequest.type, {
          documentSelector: null, interFileDependencies: true, workspaceDiagnostics: scope === 'workspace',
        });
      } catch (err) {
        connection.console.error(`could not register the diagnostics: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    });
  }

  connection.onDidChangeWatchedFiles((params) => {
    for (const c of params.changes) {
      if (c.type === FileChangeType.Deleted && documents.get(c.uri)) deleted.add(c.uri);
      else if (c.type !== FileChangeType.Deleted) deleted.delete(c.uri);
    }
    // Saving an open document changes nothing the analysis reads (its text is the document's).
    const relevant = params.changes.filter((c) => c.type !== FileChangeType.Changed || !documents.get(c.uri));
    if (relevant.length === 0) return;
    // Files created or deleted, or a tsconfig.json, package.json or process-topology.json changed: list the projects again.
    if (relevant.some((c) => c.type !== FileChangeType.Changed || /\/(tsconfig|package|process-topology)\.json$/.test(c.uri))) analyzer?.filesChanged();
    edited();
  });

  connection.onShutdown(async () => {
    shutDown = true;
    if (pumpTimer) clearTimeout(pumpTimer);
    if (refreshTimer) clearTimeout(refreshTimer);
    // Requests still waiting for an analysis will not get one.
    for (const set of waiting.values()) for (const w of [...set]) w.reject(new ResponseError(ErrorCodes.InvalidRequest, 'the server is shutting down'));
    waiting.clear();
    for (const listener of [...changeListeners]) listener();
    pusher?.dispose();
    await analyzer?.dispose(SHUTDOWN_GRACE_MS);
  });

  /** Pushes the diagnostics to a client that does not pull them (see push-diagnostics.ts). */
  function startPushing(): DiagnosticsPusher {
    const p = new DiagnosticsPusher({
      openDocuments: () => documents.keys(),
      documentDiagnostics: async (uri, token) => {
        const c = await modelOf(uri, token);
        return c ? { version: c.version, items: diagnosticsFor(c.model, uri, docsBase) } : undefined;
      },
      workspaceDiagnostics: async (token) => {
        if (settings.diagnosticsScope !== 'workspace') return undefined;
        const c = await workspaceOf(token);
        return c ? new Map([...c.files].map(([uri, f]) => [uri, f.items])) : undefined;
      },
      publish: (params) => void connection.sendDiagnostics(params).catch(() => undefined),
      log: (message) => connection.console.error(message),
    });
    changeListeners.add(() => p.changed());
    documents.onDidOpen((e) => p.touched(e.document.uri));
    documents.onDidChangeContent((e) => p.touched(e.document.uri));
    return p;
  }

  connection.onRequest(ExecuteCommandRequest.type, async (params) => {
    if (params.command !== RULE_DOC_COMMAND) throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}`);
    await showRuleDoc(connection, params.arguments, docsBase, showDocumentSupport);
    return null;
  });

  async function refreshSettings(): Promise<void> {
    try {
      const value: unknown = await connection.workspace.getConfiguration('processTopology');
      settings = parseSettings(value);
    } catch {
      // A client without workspace/configuration: keep the defaults.
    }
    analyzer?.setSettings(settings.shimModules, settings.stateBudget);
    computed.clear();
    workspaceComputed = undefined;
    generation++;
    changed();
  }

  function changed(): void {
    for (const listener of [...changeListeners]) listener();
  }

  function refresh(): void {
    if (!refreshSupport) return;
    // (`languages.diagnostics.refresh()` drops the promise: a client's error would go unhandled.)
    connection.sendRequest(DiagnosticRefreshRequest.type).catch(() => undefined);
  }

  /** Something the analysis reads changed: the next request analyzes again. */
  function edited(): void {
    // After shutdown nothing is analyzed again, and the client is asked for nothing.
    if (shutDown) return;
    generation++;
    lastEditAt = Date.now();
    changed();
    cancelIfUnwanted();
    // Another file's edit can change this file's findings (a producer in one module, its consumer
    // in another): once the edits pause, ask the client to pull every document again.
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      refresh();
    }, REFRESH_DELAY_MS);
  }

  function status(params: StatusParams): void {
    connection.sendNotification(STATUS_NOTIFICATION, params).catch(() => undefined);
  }

  /**
   * The model of the programs a document takes part in, as of the generation of this call or
   * later. Undefined for documents that are not open `file:` documents.
   */
  function modelOf(uri: string, token: CancellationToken): Promise<Computed | undefined> {
    const doc = documents.get(uri);
    if (!doc || filePath(uri) === undefined || deleted.has(uri)) return Promise.resolve(undefined);
    const hit = computed.get(uri);
    if (hit && hit.generation === generation) return Promise.resolve(hit);
    return wait<Computed>(uri, token);
  }

  /** The whole workspace's diagnostics, as of the generation of this call or later. */
  function workspaceOf(token: CancellationToken): Promise<WorkspaceComputed | undefined> {
    if (workspaceComputed && workspaceComputed.generation === generation) return Promise.resolve(workspaceComputed);
    return wait<WorkspaceComputed>(WORKSPACE, token);
  }

  /**
   * Gives up the running analysis when its text is outdated and no request still waits for that
   * text (VS Code cancels its pull when the document changes): the newer text is analyzed sooner.
   */
  function cancelIfUnwanted(): void {
    if (!current || current.generation === generation) return;
    const { key, generation: gen } = current;
    // The workspace's analysis yields to typing whoever waits for it: it runs again after a pause.
    if (key !== WORKSPACE && [...waiting.get(key) ?? []].some((w) => w.since <= gen)) return;
    analyzer?.cancel();
  }

  /** Queues a request for the analysis of `key` (a document URI, or WORKSPACE) at this generation. */
  function wait<T extends Computed | WorkspaceComputed>(key: string, token: CancellationToken): Promise<T | undefined> {
    if (token.isCancellationRequested) return Promise.reject(cancelled());
    return new Promise<T | undefined>((resolve, reject) => {
      let set = waiting.get(key);
      if (!set) waiting.set(key, (set = new Set()));
      const subscription = token.onCancellationRequested(() => {
        set.delete(waiter);
        reject(cancelled());
        cancelIfUnwanted();
      });
      const waiter: Waiter = {
        since: generation,
        at: Date.now(),
        resolve: (c) => { subscription.dispose(); resolve(c as T | undefined); },
        reject: (e) => { subscription.dispose(); reject(e); },
      };
      set.add(waiter);
      pump();
    });
  }

  /**
   * Starts the next analysis if none runs and a request waits, once edits have paused: documents
   * first, in turn; the whole workspace (a longer pause) when no document waits.
   */
  function pump(): void {
    if (running || pumpTimer || shutDown) return;
    const keys: string[] = [];
    for (const [key, set] of waiting) {
      if (set.size === 0) waiting.delete(key);
      else if (key !== WORKSPACE) keys.push(key);
    }
    if (waiting.has(WORKSPACE)) keys.push(WORKSPACE);
    if (keys.length === 0) return;
    const now = Date.now();
    let soonest = Infinity;
    for (const key of keys) {
      const firstWait = Math.min(...[...waiting.get(key)!].map((w) => w.at));
      const quiet = key === WORKSPACE ? WORKSPACE_DEBOUNCE_MS : debounceMs;
      // A document's request is served within MAX_DEBOUNCE_MS however fast the edits come; the
      // workspace waits for a pause, not to take the analysis thread from the file being typed in.
      const delay = Math.min(lastEditAt + quiet, key === WORKSPACE ? Infinity : firstWait + MAX_DEBOUNCE_MS) - now;
      if (delay <= 0) {
        void analyze(key).finally(() => {
          running = false;
          pump();
        });
        return;
      }
      soonest = Math.min(soonest, delay);
    }
    pumpTimer = setTimeout(() => {
      pumpTimer = undefined;
      pump();
    }, soonest);
  }

  async function analyze(uri: string): Promise<void> {
    running = true;
    // Served: to the back of the line, so other documents' requests get their turn.
    const set = waiting.get(uri)!;
    waiting.delete(uri);
    waiting.set(uri, set);
    if (uri === WORKSPACE) {
      const gen = generation;
      current = { key: uri, generation: gen };
      const entry = await runWorkspaceAnalysis(gen).finally(() => (current = undefined));
      if (!entry) return; // given up for newer text: the waiters wait for the next analysis
      workspaceComputed = entry;
      for (const w of [...set]) {
        if (w.since <= gen) {
          set.delete(w);
          w.resolve(entry);
        }
      }
      return;
    }
    const doc = documents.get(uri);
    if (!doc) {
      for (const w of set) w.resolve(undefined);
      set.clear();
      return;
    }
    const gen = generation;
    const version = doc.version;
    const file = filePath(uri)!;
    let result: { model: TopologyModel } | undefined;
    current = { key: uri, generation: gen };
    try {
      result = await runAnalysis(file, doc);
      if (!result) return; // given up for newer text: the waiters wait for the next analysis
    } catch (err) {
      // The analysis thread could not even be started: answer, say so, and try again next edit.
      const message = err instanceof Error ? err.message : String(err);
      connection.console.error(`analysis of ${file} failed: ${message}`);
      status({ state: 'error', ms: 0, budgetMs: settings.timeBudgetMs, file: path.basename(file), uri: doc.uri, findings: 0, message });
      result = { model: emptyModel(pathToFileURL(rootFor(file)).href) };
    } finally {
      current = undefined;
    }
    const entry: Computed = { generation: gen, version, model: result.model };
    if (documents.get(uri)) computed.set(uri, entry);
    for (const w of [...set]) {
      if (w.since <= gen) {
        set.delete(w);
        w.resolve(entry);
      }
    }
  }

  /** The open documents the analysis reads instead of the disk. */
  function snapshots(): DocumentSnapshot[] {
    const out: DocumentSnapshot[] = [];
    for (const d of documents.all()) {
      const p = filePath(d.uri);
      if (p === undefined || deleted.has(d.uri)) continue;
      const text = d.getText();
      if (text.length <= MAX_FILE_CHARS) out.push({ file: p, version: d.version, text });
    }
    return out;
  }

  async function runWorkspaceAnalysis(gen: number): Promise<WorkspaceComputed | undefined> {
    const files = new Map<string, { items: Diagnostic[]; resultId: string }>();
    const entry: WorkspaceComputed = { generation: gen, files };
    if (!analyzer || settings.diagnosticsScope !== 'workspace') return entry;
    const base = { budgetMs: settings.timeBudgetMs, file: 'the workspace' };
    let result;
    const progress = new WorkProgress(connection, 'analyzing the workspace');
    try {
      result = await analyzer.runWorkspace(snapshots(), (done, total) => progress.report(done, total));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      status({ ...base, state: 'error', ms: 0, findings: 0, message });
      return entry;
    } finally {
      progress.end();
    }
    if (!result.ok && result.reason === 'cancelled') return undefined;
    if (!result.ok) {
      connection.console.error(`analysis of the workspace failed (${result.reason}): ${result.message}`);
      const message = result.reason === 'timeout' ? `the analysis took longer than ${Math.round(result.ms / 1000)} s and was stopped` : result.message;
      status({ ...base, ms: result.ms, state: 'error', findings: 0, message });
      return entry;
    }
    let findings = 0;
    const notes: string[] = [];
    for (const { model } of result.models) {
      notes.push(...model.notes ?? []);
      model.findings = applySeverities(model.findings, settings.rules);
      findings += model.findings.length;
      for (const uri of new Set(model.findings.map((f) => new URL(f.loc.file, model.root.endsWith('/') ? model.root : `${model.root}/`).href))) {
        if (deleted.has(uri) || files.has(uri)) continue;
        const items = diagnosticsFor(model, uri, docsBase);
        files.set(uri, { items, resultId: createHash('sha1').update(JSON.stringify(items)).digest('base64url') });
      }
    }
    // One note per program is said once (two programs can hit the same limit).
    notes.splice(0, notes.length, ...new Set(notes));
    status({
      ...base, ms: result.ms, state: result.ms > settings.timeBudgetMs ? 'slow' : 'ok', findings, message: `${result.files} files in ${result.programs} projects`,
      ...(notes.length > 0 ? { notes } : {}),
    });
    return entry;
  }

  /** The analysis of a document's programs; undefined when it was given up for newer text. */
  async function runAnalysis(file: string, doc: TextDocument): Promise<{ model: TopologyModel } | undefined> {
    const root = rootFor(file);
    const empty = { model: emptyModel(pathToFileURL(root).href) };
    if (!isSourceFile(file) || !analyzer) return empty;
    const chars = doc.getText().length;
    if (chars > MAX_FILE_CHARS) {
      const message = `it has ${chars.toLocaleString('en-US')} characters, more than the ${MAX_FILE_CHARS.toLocaleString('en-US')} the analysis reads (generated code?)`;
      connection.console.log(`${file} is not analyzed: ${message}`);
      status({ ms: 0, budgetMs: settings.timeBudgetMs, file: path.basename(file), uri: doc.uri, state: 'skipped', findings: 0, message });
      return empty;
    }
    const result = await analyzer.run(file, snapshots());
    const base = { ms: result.ms, budgetMs: settings.timeBudgetMs, file: path.basename(file), uri: doc.uri };
    if (!result.ok && result.reason === 'cancelled') return undefined;
    if (!result.ok) {
      // Never let one bad input take the server down: log it and serve an empty model.
      connection.console.error(`analysis of ${file} failed (${result.reason}): ${result.message}`);
      const message = result.reason === 'timeout' ? `the analysis took longer than ${Math.round(result.ms / 1000)} s and was stopped`
        : /ERR_WORKER_OUT_OF_MEMORY/.test(result.message) ? `the analysis ran out of memory (${analyzer.memoryMb} MB, processTopology.analysisMemoryMb) and was stopped`
          : result.message;
      status({ ...base, state: 'error', findings: 0, message });
      return empty;
    }
    if (result.skipped) {
      connection.console.log(`${file} is not analyzed: ${result.skipped}`);
      status({ ...base, state: 'skipped', findings: 0, message: result.skipped });
      return { model: result.model };
    }
    const model = result.model;
    model.findings = applySeverities(model.findings, settings.rules);
    // A time budget, as ESLint has: say when the analysis is slow instead of freezing silently.
    status({ ...base, state: result.ms > settings.timeBudgetMs ? 'slow' : 'ok', findings: model.findings.length, ...(model.notes?.length ? { notes: model.notes } : {}) });
    return { model };
  }

  function rootFor(file: string): string {
    const folder = workspaceFolders
      .filter((f) => file === f || file.startsWith(f + path.sep))
      .sort((a, b) => b.length - a.length)[0];
    return folder ?? path.dirname(file);
  }

  connection.languages.diagnostics.on(async (params, token): Promise<DocumentDiagnosticReport> => {
    refuseAfterShutdown();
    checkDocumentParams(params);
    const uri = params.textDocument.uri;
    if (!documents.get(uri) && settings.diagnosticsScope === 'workspace' && !deleted.has(uri)) {
      // A file just closed, in the workspace scope: its problems are the workspace analysis's.
      return { kind: DocumentDiagnosticReportKind.Full, items: workspaceComputed?.files.get(uri)?.items ?? [] };
    }
    const c = await modelOf(params.textDocument.uri, token);
    const items = c ? diagnosticsFor(c.model, params.textDocument.uri, docsBase) : [];
    return { kind: DocumentDiagnosticReportKind.Full, items };
  });

  /** Resolves on the next edit or settings change; rejects when the request is cancelled. */
  function nextChange(token: CancellationToken): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        changeListeners.delete(done);
        subscription.dispose();
        resolve();
      };
      const subscription = token.onCancellationRequested(() => {
        changeListeners.delete(done);
        reject(cancelled());
      });
      changeListeners.add(done);
    });
  }

  /** What the client holds from earlier workspace reports (uri -> result id). */
  let reported = new Map<string, string>();

  connection.languages.diagnostics.onWorkspace(async (params, token): Promise<WorkspaceDiagnosticReport> => {
    refuseAfterShutdown();
    checkWorkspaceDiagnosticParams(params);
    const previous = new Map(params.previousResultIds.map((p) => [p.uri, p.value]));
    // The client may have restarted its loop: what it holds is what it says it holds.
    for (const uri of reported.keys()) if (!previous.has(uri)) reported.delete(uri);
    for (;;) {
      const c: WorkspaceComputed = settings.diagnosticsScope === 'workspace'
        ? await workspaceOf(token) ?? { generation, files: new Map() }
        : { generation, files: new Map() };
      const items: WorkspaceDocumentDiagnosticReport[] = [];
      const version = (uri: string): number | null => documents.get(uri)?.version ?? null;
      for (const [uri, f] of c.files) {
        if (previous.get(uri) === f.resultId) continue;
        items.push({ kind: DocumentDiagnosticReportKind.Full, uri, version: version(uri), resultId: f.resultId, items: f.items });
      }
      // Files that had findings and have none now (fixed, deleted, or the scope went back to open files).
      for (const [uri, id] of previous) {
        if (!c.files.has(uri) && id !== CLEAN && (reported.has(uri) || !documents.get(uri))) {
          items.push({ kind: DocumentDiagnosticReportKind.Full, uri, version: version(uri), resultId: CLEAN, items: [] });
        }
      }
      if (items.length > 0) {
        reported = new Map([...c.files].map(([uri, f]) => [uri, f.resultId]));
        return { items };
      }
      // Nothing new for the client: hold the request until something changes.
      await nextChange(token);
      refuseAfterShutdown();
    }
  });

  connection.onCodeAction(async (params, token) => {
    refuseAfterShutdown();
    checkCodeActionParams(params);
    const c = await modelOf(params.textDocument.uri, token);
    const doc = documents.get(params.textDocument.uri);
    if (!c || !doc) return [];
    // The fixes' positions are those of the analyzed text: stale once the document moved on.
    if (c.version !== doc.version) throw new ResponseError(LSPErrorCodes.ContentModified, 'the document changed');
    const actions = codeActionsFor(c.model, params.textDocument.uri, params.range, doc.getText().split('\n'), params.context.only);
    return pusher ? forEditor(actions) : actions;
  });

  connection.onHover(async (params, token) => {
    refuseAfterShutdown();
    checkPositionParams(params);
    const c = await modelOf(params.textDocument.uri, token);
    return c ? hoverFor(c.model, params.textDocument.uri, params.position) : null;
  });

  connection.onCodeLens(async (params, token) => {
    refuseAfterShutdown();
    checkDocumentParams(params);
    const c = await modelOf(params.textDocument.uri, token);
    return c ? codeLensesFor(c.model, params.textDocument.uri) : [];
  });

  connection.onRequest(MODEL_REQUEST, async (params: ModelParams, token): Promise<ModelResult> => {
    refuseAfterShutdown();
    checkDocumentParams(params);
    return (await modelOf(params.textDocument.uri, token))?.model ?? null;
  });

  connection.onRequest(SERVER_INFO_REQUEST, (): ServerInfo => {
    refuseAfterShutdown();
    const mem = process.memoryUsage();
    return {
      pid: process.pid, analyses: analyzer?.analyses ?? 0, cancelledAnalyses: analyzer?.cancelled ?? 0, analysisMs: analyzer?.analysisMs ?? 0, workersStarted: analyzer?.workersStarted ?? 0, analysisThreads: analyzer?.threads ?? 0, generation,
      rssMb: Math.round(mem.rss / 1048576), mainHeapMb: Math.round(mem.heapUsed / 1048576), workerHeapMb: analyzer?.workerHeapMb ?? 0,
    };
  });

  documents.onDidSave((e) => {
    // Saving writes the file again: a deleted file is back.
    if (deleted.delete(e.document.uri)) edited();
  });
  documents.onDidClose((e) => {
    computed.delete(e.document.uri);
    deleted.delete(e.document.uri);
    const set = waiting.get(e.document.uri);
    if (set) for (const w of [...set]) w.resolve(undefined);
    waiting.delete(e.document.uri);
    edited();
  });
  documents.onDidOpen(() => edited());
  documents.onDidChangeContent(() => edited());

  documents.listen(connection);
  connection.listen();
  return { threadsThatMayHang: () => analyzer?.mayHang ?? 0 };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Reads the `processTopology` settings; anything malformed falls back to its default. */
export function parseSettings(value: unknown): Settings {
  const v = typeof value === 'object' && value !== null ? value as Record<string, unknown> : {};
  const modules = Array.isArray(v.shimModules) ? v.shimModules.filter((m): m is string => typeof m === 'string') : [];
  const rules = new Map<string, RuleSetting>();
  if (typeof v.rules === 'object' && v.rules !== null) {
    for (const [id, sev] of Object.entries(v.rules as Record<string, unknown>)) {
      if (typeof sev === 'string' && (RULE_SETTINGS as readonly string[]).includes(sev)) rules.set(id, sev as RuleSetting);
    }
  }
  const budget = typeof v.stateBudget === 'number' && v.stateBudget >= 100 ? Math.floor(v.stateBudget) : undefined;
  const time = typeof v.timeBudgetMs === 'number' && v.timeBudgetMs > 0 ? v.timeBudgetMs : DEFAULT_SETTINGS.timeBudgetMs;
  const diagnostics = typeof v.diagnostics === 'object' && v.diagnostics !== null ? v.diagnostics as Record<string, unknown> : {};
  const scope: DiagnosticsScope = diagnostics.scope === 'workspace' ? 'workspace' : 'openFiles';
  return { shimModules: modules, rules, stateBudget: budget, timeBudgetMs: time, diagnosticsScope: scope };
}

/**
 * Serves LSP on the transport named on the command line (`--stdio`, `--node-ipc`,
 * `--socket=port`, `--pipe=name`), stdio when none is: dist/server.js (main.ts) and
 * `process-topology lsp` both start here.
 */
export function runLanguageServer(): void {
  // A stray rejected promise (a notification to a client that went away) must not end the server.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`process-topology server: unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}\n`);
  });
  // vscode-languageserver reads the transport from process.argv (and, for stdio, sends console
  // output to the client instead of into the protocol stream).
  if (!process.argv.some((a) => /^--(stdio|node-ipc|socket|pipe)(=|$)/.test(a))) process.argv.push('--stdio');
  const server = startServer(createConnection(ProposedFeatures.all));
  // Whatever ends the process (`exit`, the client's pipe closing, the client process gone), Node
  // then waits for every worker thread to end, and one blocked in a system call never does: end
  // the process at once instead, the only way out that waits for no thread (Node 20 has no other).
  process.on('exit', () => {
    if (server.threadsThatMayHang() > 0) process.kill(process.pid, 'SIGKILL');
  });
}
