// A minimal LSP client over stdio for tests: starts the built server as a real child process and
// speaks JSON-RPC to it, answering the requests a real client answers.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { STATUS_NOTIFICATION, type InitOptions, type StatusParams } from '../../common/protocol';
import { DIST } from './paths';

export interface LspSession {
  connection: MessageConnection;
  child: ChildProcess;
  stderr: string[];
  refreshes: number;
  /** Every processTopology/status notification, in order: one per analysis. */
  statuses: StatusParams[];
  /** The server's last 200 window/logMessage lines. */
  logs: string[];
  close(): Promise<void>;
}

/** How the server process is started, beyond the defaults: Node options (a preload) and environment. */
export interface Launch {
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * `rootDir`: the workspace folder, or several (a multi-root workspace; the first is the root).
 * `settings` answers workspace/configuration (the same object each time: change it, then send
 * workspace/didChangeConfiguration).
 */
export async function startServer(rootDir: string | readonly string[], settings: Record<string, unknown> = {}, init: InitOptions = {}, launch: Launch = {}): Promise<LspSession> {
  const folders = typeof rootDir === 'string' ? [rootDir] : rootDir;
  const child = spawn(process.execPath, [...launch.execArgv ?? [], path.join(DIST, 'server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'], ...(launch.env ? { env: launch.env } : {}),
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const session: LspSession = {
    connection, child, stderr, refreshes: 0, statuses: [], logs: [],
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
  connection.listen();
  const rootUri = pathToFileURL(folders[0]!).href;
  await connection.sendRequest('initialize', {
    processId: process.pid, rootUri, initializationOptions: init,
    workspaceFolders: folders.map((f) => ({ uri: pathToFileURL(f).href, name: path.basename(f) })),
    capabilities: {
      workspace: { configuration: true, diagnostics: { refreshSupport: true } },
      textDocument: { diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } },
    },
  });
  connection.sendNotification('initialized', {});
  return session;
}
