// The language server: pull diagnostics and the `processTopology/model` request, over stdio or
// node IPC. All analysis goes through the pure `analyzeProgram`; this file only adapts it to LSP.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import {
  CodeActionKind, createConnection, DocumentDiagnosticReportKind, ProposedFeatures, TextDocuments,
  TextDocumentSyncKind, type Connection, type DocumentDiagnosticReport,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { emptyModel, type TopologyModel } from '../../../common/model';
import {
  MODEL_REQUEST, STATUS_NOTIFICATION, type InitOptions, type ModelParams, type ModelResult, type StatusParams,
} from '../../../common/protocol';
import { applySeverities, RULE_SETTINGS, type RuleSetting } from '../analysis/severity';
import { codeActionsFor, codeLensesFor, diagnosticsFor, hoverFor, ONLINE_DOCS } from './features';
import { analyzePrograms, mergeModels, programsContaining, type ProgramResult } from '../analysis/analyze';
import { ConfigError, createProgram, DEFAULT_OPTIONS, findTsconfig, isSourceFile, listSourceFiles, readTsconfig } from '../analysis/program';

interface Settings {
  shimModules: string[];
  rules: Map<string, RuleSetting>;
  stateBudget: number | undefined;
  timeBudgetMs: number;
}

const DEFAULT_SETTINGS: Settings = { shimModules: [], rules: new Map(), stateBudget: undefined, timeBudgetMs: 1500 };

/** Files past this size are not analyzed while typing (a generated bundle, a minified file). */
const MAX_FILE_CHARS = 2_000_000;
/** A project without tsconfig.json: at most this many of its folder's source files take part. */
const MAX_WORKSPACE_FILES = 3000;

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let workspaceFolders: string[] = [];
  let settings: Settings = DEFAULT_SETTINGS;
  let docsBase = ONLINE_DOCS;
  let oldProgram: ts.Program | undefined;
  // Per document: the model and the edit generation it was computed at.
  const cache = new Map<string, { version: number; model: TopologyModel }>();
  const configCache = new Map<string, ts.CompilerOptions>();

  connection.onInitialize((params) => {
    workspaceFolders = (params.workspaceFolders ?? [])
      .filter((f) => f.uri.startsWith('file:'))
      .map((f) => fileURLToPath(f.uri));
    if (workspaceFolders.length === 0 && params.rootUri?.startsWith('file:')) workspaceFolders = [fileURLToPath(params.rootUri)];
    const init = params.initializationOptions as InitOptions | undefined;
    if (typeof init?.docsBase === 'string' && /^(file|https?):/.test(init.docsBase)) docsBase = init.docsBase.endsWith('/') ? init.docsBase : `${init.docsBase}/`;
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
    void refreshSettings();
  });

  connection.onDidChangeConfiguration(() => {
    void refreshSettings().then(() => connection.languages.diagnostics.refresh());
  });

  async function refreshSettings(): Promise<void> {
    try {
      const value: unknown = await connection.workspace.getConfiguration('processTopology');
      settings = parseSettings(value);
    } catch {
      // A client without workspace/configuration: keep the defaults.
    }
    projects.clear();
    cache.clear();
  }

  function rootFor(file: string): string {
    const folder = workspaceFolders
      .filter((f) => file === f || file.startsWith(f + path.sep))
      .sort((a, b) => b.length - a.length)[0];
    return folder ?? path.dirname(file);
  }

  function optionsFor(file: string, root: string): ts.CompilerOptions {
    const config = findTsconfig(file, root);
    if (!config) return DEFAULT_OPTIONS;
    let options = configCache.get(config);
    if (!options) {
      try {
        options = readTsconfig(config).options;
      } catch (err) {
        connection.console.warn(err instanceof ConfigError ? err.message : String(err));
        options = DEFAULT_OPTIONS;
      }
      configCache.set(config, options);
    }
    return options;
  }

  /**
   * The programs of a workspace folder: its files (from its tsconfig.json, or every source file
   * below it) plus the open documents, analyzed together once per edit generation.
   */
  let generation = 0;
  const projects = new Map<string, { generation: number; results: ProgramResult[] }>();

  /**
   * The project a file belongs to: the nearest tsconfig.json that includes it (stopping at the
   * workspace folder), else the whole workspace folder, as an inferred project.
   */
  function projectOf(file: string, root: string): { key: string; files: string[] } {
    for (let config = findTsconfig(file, root); config; config = findTsconfig(path.dirname(config), root)) {
      try {
        const listed = readTsconfig(config).fileNames.filter(isSourceFile);
        if (listed.some((f) => path.resolve(f) === path.resolve(file))) return { key: config, files: listed };
      } catch (err) {
        connection.console.warn(err instanceof ConfigError ? err.message : String(err));
      }
      if (path.dirname(config) === root) break;
    }
    return { key: root, files: listSourceFiles(root, MAX_WORKSPACE_FILES) };
  }

  function programsOf(file: string, root: string): ProgramResult[] {
    const project = projectOf(file, root);
    const hit = projects.get(project.key);
    if (hit && hit.generation === generation) return hit.results;
    const overlay = new Map<string, string>();
    for (const d of documents.all()) {
      if (!d.uri.startsWith('file:')) continue;
      const text = d.getText();
      if (text.length <= MAX_FILE_CHARS) overlay.set(path.resolve(fileURLToPath(d.uri)), text);
    }
    const files = [...new Set([...project.files, file])];
    const program = createProgram({ rootNames: files, options: optionsFor(file, root), overlay, ...(oldProgram ? { oldProgram } : {}) });
    oldProgram = program;
    const results = analyzePrograms(program, {
      rootDir: root, files, shimModules: settings.shimModules, ...(settings.stateBudget ? { stateBudget: settings.stateBudget } : {}),
    });
    projects.set(project.key, { generation, results });
    return results;
  }

  /** The model of the programs a document takes part in, cached per edit generation. */
  function modelOf(uri: string): TopologyModel | undefined {
    const doc = documents.get(uri);
    if (!doc || !uri.startsWith('file:')) return undefined;
    const hit = cache.get(uri);
    if (hit && hit.version === generation) return hit.model;
    const file = fileURLToPath(uri);
    const root = rootFor(file);
    let model: TopologyModel;
    if (!isSourceFile(file) || doc.getText().length > MAX_FILE_CHARS) {
      model = emptyModel(pathToFileURL(root).href);
    } else {
      const started = Date.now();
      try {
        model = mergeModels(pathToFileURL(root).href, programsContaining(programsOf(file, root), file).map((r) => r.model));
        model.findings = applySeverities(model.findings, settings.rules);
        const ms = Date.now() - started;
        // A time budget, as ESLint has: say when the analysis is slow instead of freezing silently.
        status({ state: ms > settings.timeBudgetMs ? 'slow' : 'ok', ms, budgetMs: settings.timeBudgetMs, file: path.basename(file), findings: model.findings.length });
      } catch (err) {
        // Never let one bad input take the server down: log it and serve an empty model.
        connection.console.error(`analysis of ${file} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        model = emptyModel(pathToFileURL(root).href);
        status({ state: 'error', ms: Date.now() - started, budgetMs: settings.timeBudgetMs, file: path.basename(file), findings: 0, message: err instanceof Error ? err.message : String(err) });
      }
    }
    cache.set(uri, { version: generation, model });
    return model;
  }

  function status(params: StatusParams): void {
    void connection.sendNotification(STATUS_NOTIFICATION, params);
  }

  connection.languages.diagnostics.on((params): DocumentDiagnosticReport => {
    const model = modelOf(params.textDocument.uri);
    const items = model ? diagnosticsFor(model, params.textDocument.uri, docsBase) : [];
    return { kind: DocumentDiagnosticReportKind.Full, items };
  });

  connection.onCodeAction((params) => {
    const model = modelOf(params.textDocument.uri);
    const doc = documents.get(params.textDocument.uri);
    if (!model || !doc) return [];
    return codeActionsFor(model, params.textDocument.uri, params.range, doc.getText().split('\n'), params.context.only);
  });

  connection.onHover((params) => {
    const model = modelOf(params.textDocument.uri);
    return model ? hoverFor(model, params.textDocument.uri, params.position) : null;
  });

  connection.onCodeLens((params) => {
    const model = modelOf(params.textDocument.uri);
    return model ? codeLensesFor(model, params.textDocument.uri) : [];
  });

  connection.onRequest(MODEL_REQUEST, (params: ModelParams): ModelResult => modelOf(params.textDocument.uri) ?? null);

  documents.onDidClose((e) => {
    cache.delete(e.document.uri);
    generation++;
  });
  documents.onDidOpen(() => generation++);
  // Another file's edit can change this file's findings (a producer in one module, its consumer
  // in another): ask the client to pull again.
  documents.onDidChangeContent(() => {
    generation++;
    connection.languages.diagnostics.refresh();
  });

  documents.listen(connection);
  connection.listen();
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
  startServer(createConnection(ProposedFeatures.all));
}
