// The extension's lifecycle: the output channel, the language client, and restarting it.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { TopologyModel } from '../../common/model';
import { createClient, requestModel } from './client';

export class Ctx implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('Process Topology');
  private client: LanguageClient | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {}

  async start(): Promise<void> {
    this.client = createClient(this.extension, this.output);
    await this.client.start();
  }

  async restart(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    if (old) await old.stop().catch((err: unknown) => this.output.appendLine(`stopping the server failed: ${String(err)}`));
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

  dispose(): void {
    void this.client?.stop();
    this.output.dispose();
  }
}
