// The extension's lifecycle: the output channel, the language client, and restarting it.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import type { TopologyModel } from '../../common/model';
import { STATUS_NOTIFICATION, type ServerInfo, type StatusParams } from '../../common/protocol';
import { createClient, requestModel, requestServerInfo, type DiagnosticsDecorator } from './client';
import { DocumentDiagnosticRequest } from 'vscode-languageclient/node';
import { Status } from './status';
import { TraceStepper } from './trace';

export class Ctx implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('Process Topology');
  readonly status = new Status();
  readonly trace = new TraceStepper();
  private client: LanguageClient | undefined;
  private stopping = false;
  /** Times the server stopped unexpectedly (the client restarts it, up to a limit). */
  crashes = 0;
  /** Rewrites the server's diagnostics before they are shown (set before start()). */
  decorateDiagnostics: DiagnosticsDecorator | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {}

  async start(): Promise<void> {
    const client = createClient(this.extension, this.output, (restarting) => {
      // The server process went away without being asked to (a crash, or it was killed).
      this.crashes++;
      this.output.appendLine(`The Process Topology server stopped unexpectedly${restarting ? '; restarting it' : ' too often; not restarting it'}.`);
      this.status.server(restarting ? 'restarting' : 'stopped');
    }, this.decorateDiagnostics && ((uri, items) => this.decorateDiagnostics!(uri, items)));
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.status.server('running');
      else if (e.newState === State.Stopped && this.stopping) this.status.server('stopped');
    });
    await client.start();
    client.onNotification(STATUS_NOTIFICATION, (s: StatusParams) => this.status.analysis(s));
  }

  async restart(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    this.stopping = true;
    if (old) await old.stop().catch((err: unknown) => this.output.appendLine(`stopping the server failed: ${String(err)}`));
    this.stopping = false;
    await this.start();
    this.output.appendLine('Process Topology server restarted.');
  }

  async model(uri: vscode.Uri): Promise<TopologyModel | null> {
    if (!this.client) return null;
    try {
      return await requestModel(this.client, uri);
    } catch (err) {
      this.output.appendLine(`model request failed: ${String(err)}`);
      return null;
    }
  }

  /** Pulls the diagnostics of the open documents again (what `decorateDiagnostics` says changed). */
  refreshDiagnostics(): void {
    const feature = this.client?.getFeature(DocumentDiagnosticRequest.method);
    const doc = vscode.workspace.textDocuments.find((d) => feature?.getProvider(d) !== undefined);
    if (doc) feature?.getProvider(doc)?.onDidChangeDiagnosticsEmitter.fire();
  }

  /** The server's process id and counters; undefined while it is not running. */
  async serverInfo(): Promise<ServerInfo | undefined> {
    if (!this.client?.isRunning()) return undefined;
    try {
      return await requestServerInfo(this.client);
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    this.stopping = true;
    void this.client?.stop();
    this.status.dispose();
    this.trace.dispose();
    this.output.dispose();
  }
}
