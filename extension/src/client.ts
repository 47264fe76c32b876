// Starts the language server (dist/server.js over node IPC) and holds the client.
import * as vscode from 'vscode';
import {
  CloseAction, ErrorAction, LanguageClient, TransportKind, type ErrorHandler, type LanguageClientOptions, type Middleware, type ServerOptions,
} from 'vscode-languageclient/node';
import type { TopologyModel } from '../../common/model';
import { MODEL_REQUEST, SERVER_INFO_REQUEST, type InitOptions, type ModelParams, type ModelResult, type ServerInfo } from '../../common/protocol';

export const DOCUMENT_SELECTOR = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact']
  .map((language) => ({ scheme: 'file', language }));

/** A crashed server is restarted up to this many times in RESTART_WINDOW_MS, as the default handler does. */
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60_000;

/**
 * Restarts a server that stopped unexpectedly (and says so through `onClosed`, for the status
 * item, instead of a notification); gives up after MAX_RESTARTS crashes in a row within minutes.
 */
function restartingErrorHandler(onClosed: (restarting: boolean) => void): ErrorHandler {
  const crashes: number[] = [];
  return {
    error: (_error, _message, count) => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
    closed: () => {
      const now = Date.now();
      crashes.push(now);
      while (crashes.length > 0 && now - crashes[0]! > RESTART_WINDOW_MS) crashes.shift();
      if (crashes.length > MAX_RESTARTS) {
        onClosed(false);
        return {
          action: CloseAction.DoNotRestart,
          message: `The Process Topology server stopped unexpectedly ${crashes.length} times in a few minutes and is not restarted again. See the output, then run "Process Topology: Restart Server".`,
        };
      }
      onClosed(true);
      return { action: CloseAction.Restart, message: 'The Process Topology server stopped unexpectedly; restarting it.', handled: true };
    },
  };
}

/** Rewrites a document's diagnostics before VS Code shows them (a run's confirmations). */
export type DiagnosticsDecorator = (uri: vscode.Uri, items: vscode.Diagnostic[]) => vscode.Diagnostic[];

export function createClient(context: vscode.ExtensionContext, output: vscode.OutputChannel, onClosed: (restarting: boolean) => void = () => undefined,
  decorate?: DiagnosticsDecorator): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    traceOutputChannel: output,
    synchronize: { configurationSection: 'processTopology' },
    // Pull while typing (the server debounces and coalesces) and on save.
    diagnosticPullOptions: { onChange: true, onSave: true },
    middleware: {
      // A pull the client cancels (the document changed again, or the server asked every document
      // to be pulled again) comes back as an empty report, which the client would show: the
      // findings would vanish until the next result came, so that an edit seemed to remove them at
      // once while one that adds a finding waited for the analysis. Cancelled, the client pulls
      // again and keeps showing what it has until the fresh result.
      provideDiagnostics: async (document, previousResultId, token, next) => {
        const report = await next(document, previousResultId, token);
        if (token.isCancellationRequested) throw new vscode.CancellationError();
        if (!decorate || !report || report.kind !== 'full') return report;
        return { ...report, items: decorate(document instanceof vscode.Uri ? document : document.uri, report.items) };
      },
      ...(decorate ? {
        provideWorkspaceDiagnostics: (resultIds, token, resultReporter, next) => next(resultIds, token, (chunk) => {
          resultReporter(chunk && {
            items: chunk.items.map((item) => (item.kind === 'full' ? { ...item, items: decorate(item.uri, item.items) } : item)),
          });
        }),
      } satisfies Middleware : {}),
    },
    errorHandler: restartingErrorHandler(onClosed),
    // The rule docs ship in the extension: diagnostics link to them, so they open offline.
    initializationOptions: {
      docsBase: `${vscode.Uri.joinPath(context.extensionUri, 'docs', 'rules').toString()}/`,
      analysisMemoryMb: vscode.workspace.getConfiguration('processTopology').get<number>('analysisMemoryMb', 1024),
    } satisfies InitOptions,
  };
  return new LanguageClient('processTopology', 'Process Topology', serverOptions, clientOptions);
}

/** The server's process and counters (`processTopology/serverInfo`). */
export async function requestServerInfo(client: LanguageClient): Promise<ServerInfo> {
  return client.sendRequest<ServerInfo>(SERVER_INFO_REQUEST);
}

/** The typed custom request of common/protocol.ts. */
export async function requestModel(client: LanguageClient, uri: vscode.Uri): Promise<TopologyModel | null> {
  const params: ModelParams = { textDocument: { uri: uri.toString() } };
  const result: ModelResult = await client.sendRequest(MODEL_REQUEST, params);
  return result;
}
