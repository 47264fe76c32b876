// Starts the language server (dist/server.js over node IPC) and holds the client.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { TopologyModel } from '../../common/model';
import { MODEL_REQUEST, type InitOptions, type ModelParams, type ModelResult } from '../../common/protocol';

export const DOCUMENT_SELECTOR = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact']
  .map((language) => ({ scheme: 'file', language }));

export function createClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): LanguageClient {
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
    // The rule docs ship in the extension: diagnostics link to them, so they open offline.
    initializationOptions: { docsBase: `${vscode.Uri.joinPath(context.extensionUri, 'docs', 'rules').toString()}/` } satisfies InitOptions,
  };
  return new LanguageClient('processTopology', 'Process Topology', serverOptions, clientOptions);
}

/** The typed custom request of common/protocol.ts. */
export async function requestModel(client: LanguageClient, uri: vscode.Uri): Promise<TopologyModel | null> {
  const params: ModelParams = { textDocument: { uri: uri.toString() } };
  const result: ModelResult = await client.sendRequest(MODEL_REQUEST, params);
  return result;
}
