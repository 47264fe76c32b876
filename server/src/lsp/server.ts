// The language server: pull diagnostics, code actions, hovers, code lenses and the
// `processTopology/model` request, over stdio or node IPC. The analysis runs in a worker thread
// (analyzer.ts, worker.ts, session.ts); this thread speaks LSP and decides what to analyze when.
//
// Scheduling, per edit generation (a counter that grows with every open, change and close):
// - A request waits for the model of its document at a generation at least as new as the one it
//   was made at, or is answered from the cache when that generation is already analyzed.
// - One analysis at a time, always of the latest text: edits that arrive while one runs, or
//   within `debounceMs` of each other, are analyzed once, after the last of them.
// - A cancelled request (the client cancels when the document changes) is answered at once with
//   RequestCancelled; its analysis is not started if no other request still wants it.
// - An analysis that runs longer than `analysisTimeoutMs` is stopped (its thread is replaced),
//   answered with an empty model, and reported in the status item.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind, createConnection, DiagnosticRefreshRequest, DidChangeWatchedFilesNotification, DocumentDiagnosticReportKind, ErrorCodes, FileChangeType, LSPErrorCodes,
  ProposedFeatures, ResponseError, TextDocuments, TextDocumentSyncKind, type CancellationToken, type Connection,
  type DocumentDiagnosticReport,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { emptyModel, type TopologyModel } from '../../../common/model';
import {
  MODEL_REQUEST, SERVER_INFO_REQUEST, STATUS_NOTIFICATION, type InitOptions, type ModelParams, type ModelResult, type ServerInfo,
  type StatusParams,
} from '../../../common/protocol';
import { applySeverities, RULE_SETTINGS, type RuleSetting } from '../analysis/severity';
import { Analyzer, type DocumentSnapshot } from './analyzer';
import { codeActionsFor, codeLensesFor, diagnosticsFor, hoverFor, ONLINE_DOCS } from './features';

interface Settings {
  shimModules: string[];
  rules: Map<string, RuleSetting>;
  stateBudget: number | undefined;
  timeBudgetMs: number;
}

const DEFAULT_SETTINGS: Settings = { shimModules: [], rules: new Map(), stateBudget: undefined, timeBudgetMs: 1500 };

/** Files past this size are not analyzed while typing (a generated bundle, a minified file). */
const MAX_FILE_CHARS = 2_000_000;
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const DEFAULT_TIMEOUT_MS = 30_000;
/** The analysis thread's heap limit: the analysis of the 800 files of this repository holds 270 MB. */
const DEFAULT_MEMORY_MB = 1024;
const DEFAULT_DEBOUNCE_MS = 20;
/** However fast the edits come, a waiting request is served after this long. */
const MAX_DEBOUNCE_MS = 250;
/** The client is asked to pull every document again once edits pause this long. */
const REFRESH_DELAY_MS = 200;

interface Computed {
  generation: number;
  /** The document's version when the analysis started. */
  version: number;
  model: TopologyModel;
}

interface Waiter {
  /** The generation the request was made at: any model at least this new answers it. */
  since: number;
  /** When the request arrived. */
  at: number;
  resolve(model: Computed | undefined): void;
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

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let workspaceFolders: string[] = [];
  let settings: Settings = DEFAULT_SETTINGS;
  let docsBase = ONLINE_DOCS;
  let debounceMs = DEFAULT_DEBOUNCE_MS;
  let refreshSupport = false;
  let watchFiles = false;
  let analyzer: Analyzer | undefined;

  let generation = 0;
  let lastEditAt = 0;
  const computed = new Map<string, Computed>();
  const waiting = new Map<string, Set<Waiter>>();
  let running = false;
  let pumpTimer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;

  connection.onInitialize((params) => {
    workspaceFolders = (params.workspaceFolders ?? []).map((f) => filePath(f.uri)).filter((f): f is string => f !== undefined);
    const rootPath = params.rootUri ? filePath(params.rootUri) : undefined;
    if (workspaceFolders.length === 0 && rootPath) workspaceFolders = [rootPath];
    const init = (typeof params.initializationOptions === 'object' && params.initializationOptions !== null ? params.initializationOptions : {}) as InitOptions;
    if (typeof init.docsBase === 'string' && /^(file|https?):/.test(init.docsBase)) docsBase = init.docsBase.endsWith('/') ? init.docsBase : `${init.docsBase}/`;
    if (isCount(init.debounceMs)) debounceMs = init.debounceMs;
    refreshSupport = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
    watchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    analyzer = new Analyzer({
      script: path.join(__dirname, 'analysis-worker.js'),
      workspaceFolders,
      timeoutMs: isCount(init.analysisTimeoutMs) && init.analysisTimeoutMs >= 100 ? init.analysisTimeoutMs : DEFAULT_TIMEOUT_MS,
      memoryMb: isCount(init.analysisMemoryMb) && init.analysisMemoryMb >= 64 ? init.analysisMemoryMb : DEFAULT_MEMORY_MB,
      log: (message) => connection.console.log(message),
    });
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, `${CodeActionKind.SourceFixAll}.processTopology`] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
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
    void refreshSettings();
  });

  connection.onDidChangeConfiguration(() => {
    void refreshSettings().then(() => refresh());
  });

  connection.onDidChangeWatchedFiles((params) => {
    // Saving an open document changes nothing the analysis reads (its text is the document's).
    const relevant = params.changes.filter((c) => c.type !== FileChangeType.Changed || !documents.get(c.uri));
    if (relevant.length === 0) return;
    // Files created or deleted, or a tsconfig.json or package.json changed: list the projects again.
    if (relevant.some((c) => c.type !== FileChangeType.Changed || /\/(tsconfig|package)\.json$/.test(c.uri))) analyzer?.filesChanged();
    edited();
  });

  connection.onShutdown(() => {
    analyzer?.dispose();
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
    generation++;
  }

  function refresh(): void {
    if (!refreshSupport) return;
    // (`languages.diagnostics.refresh()` drops the promise: a client's error would go unhandled.)
    connection.sendRequest(DiagnosticRefreshRequest.type).catch(() => undefined);
  }

  /** Something the analysis reads changed: the next request analyzes again. */
  function edited(): void {
    generation++;
    lastEditAt = Date.now();
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
    if (!doc || filePath(uri) === undefined) return Promise.resolve(undefined);
    const hit = computed.get(uri);
    if (hit && hit.generation === generation) return Promise.resolve(hit);
    if (token.isCancellationRequested) return Promise.reject(cancelled());
    return new Promise<Computed | undefined>((resolve, reject) => {
      let set = waiting.get(uri);
      if (!set) waiting.set(uri, (set = new Set()));
      const subscription = token.onCancellationRequested(() => {
        set.delete(waiter);
        reject(cancelled());
      });
      const waiter: Waiter = {
        since: generation,
        at: Date.now(),
        resolve: (c) => { subscription.dispose(); resolve(c); },
        reject: (e) => { subscription.dispose(); reject(e); },
      };
      set.add(waiter);
      pump();
    });
  }

  /** Starts the next analysis if none runs and a request waits, once edits have paused. */
  function pump(): void {
    if (running || pumpTimer) return;
    let next: string | undefined;
    for (const [uri, set] of waiting) {
      if (set.size > 0) {
        next = uri;
        break;
      }
      waiting.delete(uri);
    }
    if (next === undefined) return;
    const firstWait = Math.min(...[...waiting.get(next)!].map((w) => w.at));
    const delay = Math.min(lastEditAt + debounceMs, firstWait + MAX_DEBOUNCE_MS) - Date.now();
    if (delay > 0) {
      pumpTimer = setTimeout(() => {
        pumpTimer = undefined;
        pump();
      }, delay);
      return;
    }
    void analyze(next).finally(() => {
      running = false;
      pump();
    });
  }

  async function analyze(uri: string): Promise<void> {
    running = true;
    // Served: to the back of the line, so other documents' requests get their turn.
    const set = waiting.get(uri)!;
    waiting.delete(uri);
    waiting.set(uri, set);
    const doc = documents.get(uri);
    if (!doc) {
      for (const w of set) w.resolve(undefined);
      set.clear();
      return;
    }
    const gen = generation;
    const version = doc.version;
    const file = filePath(uri)!;
    let result: TopologyModel;
    try {
      result = await runAnalysis(file, doc);
    } catch (err) {
      // The analysis thread could not even be started: answer, say so, and try again next edit.
      const message = err instanceof Error ? err.message : String(err);
      connection.console.error(`analysis of ${file} failed: ${message}`);
      status({ state: 'error', ms: 0, budgetMs: settings.timeBudgetMs, file: path.basename(file), findings: 0, message });
      result = emptyModel(pathToFileURL(rootFor(file)).href);
    }
    const entry: Computed = { generation: gen, version, model: result };
    if (documents.get(uri)) computed.set(uri, entry);
    for (const w of [...set]) {
      if (w.since <= gen) {
        set.delete(w);
        w.resolve(entry);
      }
    }
  }

  async function runAnalysis(file: string, doc: TextDocument): Promise<TopologyModel> {
    const root = rootFor(file);
    const empty = emptyModel(pathToFileURL(root).href);
    if (!isSourceFile(file) || doc.getText().length > MAX_FILE_CHARS || !analyzer) return empty;
    const snapshots: DocumentSnapshot[] = [];
    for (const d of documents.all()) {
      const p = filePath(d.uri);
      const text = d.getText();
      if (p !== undefined && text.length <= MAX_FILE_CHARS) snapshots.push({ file: p, version: d.version, text });
    }
    const result = await analyzer.run(file, snapshots);
    const base = { ms: result.ms, budgetMs: settings.timeBudgetMs, file: path.basename(file) };
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
      status({ ...base, state: 'error', findings: 0, message: result.skipped });
      return result.model;
    }
    const model = result.model;
    model.findings = applySeverities(model.findings, settings.rules);
    // A time budget, as ESLint has: say when the analysis is slow instead of freezing silently.
    status({ ...base, state: result.ms > settings.timeBudgetMs ? 'slow' : 'ok', findings: model.findings.length });
    return model;
  }

  function rootFor(file: string): string {
    const folder = workspaceFolders
      .filter((f) => file === f || file.startsWith(f + path.sep))
      .sort((a, b) => b.length - a.length)[0];
    return folder ?? path.dirname(file);
  }

  connection.languages.diagnostics.on(async (params, token): Promise<DocumentDiagnosticReport> => {
    const c = await modelOf(params.textDocument.uri, token);
    const items = c ? diagnosticsFor(c.model, params.textDocument.uri, docsBase) : [];
    return { kind: DocumentDiagnosticReportKind.Full, items };
  });

  connection.onCodeAction(async (params, token) => {
    const c = await modelOf(params.textDocument.uri, token);
    const doc = documents.get(params.textDocument.uri);
    if (!c || !doc) return [];
    // The fixes' positions are those of the analyzed text: stale once the document moved on.
    if (c.version !== doc.version) throw new ResponseError(LSPErrorCodes.ContentModified, 'the document changed');
    return codeActionsFor(c.model, params.textDocument.uri, params.range, doc.getText().split('\n'), params.context.only);
  });

  connection.onHover(async (params, token) => {
    const c = await modelOf(params.textDocument.uri, token);
    return c ? hoverFor(c.model, params.textDocument.uri, params.position) : null;
  });

  connection.onCodeLens(async (params, token) => {
    const c = await modelOf(params.textDocument.uri, token);
    return c ? codeLensesFor(c.model, params.textDocument.uri) : [];
  });

  connection.onRequest(MODEL_REQUEST, async (params: ModelParams, token): Promise<ModelResult> => {
    if (typeof params?.textDocument?.uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'textDocument.uri is missing');
    return (await modelOf(params.textDocument.uri, token))?.model ?? null;
  });

  connection.onRequest(SERVER_INFO_REQUEST, (): ServerInfo => {
    const mem = process.memoryUsage();
    return {
      pid: process.pid, analyses: analyzer?.analyses ?? 0, workersStarted: analyzer?.workersStarted ?? 0, generation,
      rssMb: Math.round(mem.rss / 1048576), mainHeapMb: Math.round(mem.heapUsed / 1048576), workerHeapMb: analyzer?.workerHeapMb ?? 0,
    };
  });

  documents.onDidClose((e) => {
    computed.delete(e.document.uri);
    const set = waiting.get(e.document.uri);
    if (set) for (const w of [...set]) w.resolve(undefined);
    waiting.delete(e.document.uri);
    edited();
  });
  documents.onDidOpen(() => edited());
  documents.onDidChangeContent(() => edited());

  documents.listen(connection);
  connection.listen();
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
  return { shimModules: modules, rules, stateBudget: budget, timeBudgetMs: time };
}

if (require.main === module) {
  // A stray rejected promise (a notification to a client that went away) must not end the server.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`process-topology server: unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}\n`);
  });
  startServer(createConnection(ProposedFeatures.all));
}
