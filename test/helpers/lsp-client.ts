// A minimal LSP client over stdio for tests: starts the built server as a real child process and
// speaks JSON-RPC to it, answering the requests a real client answers.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { STATUS_NOTIFICATION, type InitOptions, type StatusParams } from '../../common/protocol';
import { DIST } from './paths';

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; severity: number; code: string; source: string; message: string; relatedInformation?: { location: { uri: string }; message: string }[] }[];
}

export interface LspSession {
  connection: MessageConnection;
  child: ChildProcess;
  stderr: string[];
  refreshes: number;
  /** Every processTopology/status notification, in order: one per analysis. */
  statuses: StatusParams[];
  /** The server's last 200 window/logMessage lines. */
  logs: string[];
  /** Every textDocument/publishDiagnostics notification, in order (clients that do not pull). */
  published: PublishedDiagnostics[];
  /** Every $/progress notification, in order, and the tokens the server asked to create. */
  progress: { token: string | number; value: { kind: string; title?: string; message?: string; percentage?: number } }[];
  progressTokens: (string | number)[];
  close(): Promise<void>;
}

export interface ClientOptions {
  /**
   * False: the client announces no pull diagnostics (as Neovim, Helix or Emacs), so the server
   * pushes them; they arrive in `published`. Default true (VS Code's way).
   */
  pull?: boolean;
  /** The server's command line (default: node dist/server.js --stdio). */
  command?: readonly string[];
  /** Client capabilities to add (window.workDoneProgress, …). */
  window?: Record<string, unknown>;
  /** Node options for the default command (a preload). */
  execArgv?: string[];
  /** The server process's environment. */
  env?: NodeJS.ProcessEnv;
}

/**
 * `rootDir`: the workspace folder, or several (a multi-root workspace; the first is the root).
 * `settings` answers workspace/configuration (the same object each time: change it, then send
 * workspace/didChangeConfiguration).
 */
export async function startServer(rootDir: string | readonly string[], settings: Record<string, unknown> = {}, init: InitOptions = {}, options: ClientOptions = {}): Promise<LspSession> {
  const folders = typeof rootDir === 'string' ? [rootDir] : rootDir;
  const [cmd, ...args] = options.command ?? [process.execPath, ...options.execArgv ?? [], path.join(DIST, 'server.js'), '--stdio'];
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const session: LspSession = {
    connection, child, stderr, refreshes: 0, statuses: [], logs: [], published: [], progress: [], progressTokens: [],
    async close() {
      try {
        await connection.sendRequest('shutdown');
        connection.sendNotification('exit');
      } catch {
        // Already gone.
      }
      connection.dispose();
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 3000);
          child.once('exit', () => { clearTimeout(timer); resolve(); });
        });
      }
    },
  };
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => settings));
  connection.onRequest('workspace/diagnostic/refresh', () => {
    session.refreshes++;
    return null;
  });
  connection.onRequest('client/registerCapability', () => null);
  connection.onNotification('window/logMessage', (p: { message: string }) => {
    session.logs.push(p.message);
    if (session.logs.length > 200) session.logs.shift();
  });
  connection.onNotification(STATUS_NOTIFICATION, (p: StatusParams) => session.statuses.push(p));
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishedDiagnostics) => session.published.push(p));
  connection.onNotification('$/progress', (p: LspSession['progress'][number]) => session.progress.push(p));
  connection.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
    session.progressTokens.push(p.token);
    return null;
  });
  connection.listen();
  const rootUri = pathToFileURL(folders[0]!).href;
  await connection.sendRequest('initialize', {
    processId: process.pid, rootUri, initializationOptions: init,
    workspaceFolders: folders.map((f) => ({ uri: pathToFileURL(f).href, name: path.basename(f) })),
    capabilities: {
      workspace: { configuration: true, ...(options.pull === false ? {} : { diagnostics: { refreshSupport: true } }) },
      textDocument: options.pull === false ? { publishDiagnostics: { relatedInformation: true, versionSupport: true } }
        : { diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } },
      ...(options.window ? { window: options.window } : {}),
    },
  });
  connection.sendNotification('initialized', {});
  return session;
}
