// The language server: pull diagnostics and the `processTopology/model` request, over stdio or
// node IPC. All analysis goes through the pure `analyzeProgram`; this file only adapts it to LSP.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import {
  createConnection, DiagnosticSeverity, DocumentDiagnosticReportKind, ProposedFeatures, TextDocuments,
  TextDocumentSyncKind, type Connection, type Diagnostic, type DocumentDiagnosticReport,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { emptyModel, type Finding, type Severity, type TopologyModel } from '../../../common/model';
import { MODEL_REQUEST, type ModelParams, type ModelResult } from '../../../common/protocol';
import { analyzeProgram } from '../analysis/analyze';
import { ConfigError, createProgram, DEFAULT_OPTIONS, findTsconfig, isSourceFile, readTsconfig } from '../analysis/program';

export const DOCS_BASE = 'https://github.com/process-topology/process-topology/blob/main/docs/rules/';

interface Settings {
  shimModules: string[];
}

/** Files past this size are not analyzed while typing (a generated bundle, a minified file). */
const MAX_FILE_CHARS = 2_000_000;

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let workspaceFolders: string[] = [];
  let settings: Settings = { shimModules: [] };
  let oldProgram: ts.Program | undefined;
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

  /** The model of the program a document belongs to, cached per document version. */
  function modelOf(uri: string): TopologyModel | undefined {
    const doc = documents.get(uri);
    if (!doc || !uri.startsWith('file:')) return undefined;
    const hit = cache.get(uri);
    if (hit && hit.version === doc.version) return hit.model;
    const file = fileURLToPath(uri);
    const root = rootFor(file);
    let model: TopologyModel;
    if (!isSourceFile(file) || doc.getText().length > MAX_FILE_CHARS) {
      model = emptyModel(root);
    } else {
      try {
        const overlay = new Map<string, string>();
        for (const d of documents.all()) if (d.uri.startsWith('file:')) overlay.set(path.resolve(fileURLToPath(d.uri)), d.getText());
        const program = createProgram({ rootNames: [file], options: optionsFor(file, root), overlay, ...(oldProgram ? { oldProgram } : {}) });
        oldProgram = program;
        model = analyzeProgram(program, { rootDir: root, files: [file], shimModules: settings.shimModules });
      } catch (err) {
        // Never let one bad input take the server down: log it and serve an empty model.
        connection.console.error(`analysis of ${file} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        model = emptyModel(root);
      }
    }
    cache.set(uri, { version: doc.version, model });
    return model;
  }

  connection.languages.diagnostics.on((params): DocumentDiagnosticReport => {
    const model = modelOf(params.textDocument.uri);
    const items = model ? diagnosticsFor(model, params.textDocument.uri) : [];
    return { kind: DocumentDiagnosticReportKind.Full, items };
  });

  connection.onRequest(MODEL_REQUEST, (params: ModelParams): ModelResult => modelOf(params.textDocument.uri) ?? null);

  documents.onDidClose((e) => cache.delete(e.document.uri));
  // Another file's edit can change this file's findings (a producer in one module, its consumer
  // in another): ask the client to pull again.
  documents.onDidChangeContent(() => connection.languages.diagnostics.refresh());

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
