// The language server: pull diagnostics and the `processTopology/model` request, over stdio or
// node IPC. All analysis goes through the pure `analyzeProgram`; this file only adapts it to LSP.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import {
  createConnection, DiagnosticSeverity, DocumentDiagnosticReportKind, ProposedFeatures, TextDocuments,
  TextDocumentSyncKind, type Connection, type Diagnostic, type DocumentDiagnosticReport,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { emptyModel, type Finding, type Severity, type TopologyModel } from '../../../common/model';
import { MODEL_REQUEST, type ModelParams, type ModelResult } from '../../../common/protocol';
import { analyzePrograms, mergeModels, programsContaining, type ProgramResult } from '../analysis/analyze';
import { ConfigError, createProgram, DEFAULT_OPTIONS, findTsconfig, isSourceFile, listSourceFiles, readTsconfig } from '../analysis/program';

export const DOCS_BASE = 'https://github.com/process-topology/process-topology/blob/main/docs/rules/';

interface Settings {
  shimModules: string[];
}

/** Files past this size are not analyzed while typing (a generated bundle, a minified file). */
const MAX_FILE_CHARS = 2_000_000;
/** A project without tsconfig.json: at most this many of its folder's source files take part. */
const MAX_WORKSPACE_FILES = 3000;

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let workspaceFolders: string[] = [];
  let settings: Settings = { shimModules: [] };
  let oldProgram: ts.Program | undefined;
  // Per document: the model and the edit generation it was computed at.
  const cache = new Map<string, { version: number; model: TopologyModel }>();
  const configCache = new Map<string, ts.CompilerOptions>();

  connection.onInitialize((params) => {
    workspaceFolders = (params.workspaceFolders ?? [])
      .filter((f) => f.uri.startsWith('file:'))
      .map((f) => fileURLToPath(f.uri));
    if (workspaceFolders.length === 0 && params.rootUri?.startsWith('file:')) workspaceFolders = [fileURLToPath(params.rootUri)];
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false },
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
      const modules = typeof value === 'object' && value !== null ? (value as { shimModules?: unknown }).shimModules : undefined;
      settings = { shimModules: Array.isArray(modules) ? modules.filter((m): m is string => typeof m === 'string') : [] };
    } catch {
      // A client without workspace/configuration: keep the defaults.
    }
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
    const results = analyzePrograms(program, { rootDir: root, files, shimModules: settings.shimModules });
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
      try {
        model = mergeModels(pathToFileURL(root).href, programsContaining(programsOf(file, root), file).map((r) => r.model));
      } catch (err) {
        // Never let one bad input take the server down: log it and serve an empty model.
        connection.console.error(`analysis of ${file} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        model = emptyModel(pathToFileURL(root).href);
      }
    }
    cache.set(uri, { version: generation, model });
    return model;
  }

  connection.languages.diagnostics.on((params): DocumentDiagnosticReport => {
    const model = modelOf(params.textDocument.uri);
    const items = model ? diagnosticsFor(model, params.textDocument.uri) : [];
    return { kind: DocumentDiagnosticReportKind.Full, items };
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

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** The findings of a model anchored in one document, as LSP diagnostics. */
export function diagnosticsFor(model: TopologyModel, uri: string): Diagnostic[] {
  const rootUrl = model.root.endsWith('/') ? model.root : `${model.root}/`;
  const uriOf = (file: string): string => new URL(file, rootUrl).href;
  const target = new URL(uri).href;
  return model.findings
    .filter((f) => uriOf(f.loc.file) === target)
    .map((f: Finding): Diagnostic => ({
      range: f.loc.range,
      severity: SEVERITY[f.severity],
      source: 'process-topology',
      code: f.rule,
      codeDescription: { href: `${DOCS_BASE}${f.rule}.md` },
      message: f.message,
      relatedInformation: f.related.map((r) => ({ location: { uri: uriOf(r.loc.file), range: r.loc.range }, message: r.message })),
    }));
}

if (require.main === module) {
  startServer(createConnection(ProposedFeatures.all));
}
