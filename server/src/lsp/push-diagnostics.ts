// Pushed diagnostics (`textDocument/publishDiagnostics`) for editors that do not pull them:
// Neovim, Helix, Emacs' eglot, Zed and others announce no `textDocument.diagnostic` capability,
// so the server sends them what VS Code pulls. The findings are the same ones: this module only
// decides when to ask the server's scheduler for them and what to send.
//
// After every edit, open, close or settings change a new round starts (the one running is
// cancelled, which lets the scheduler give up an analysis of outdated text): first the document
// touched last, then the other open documents (another file's edit can change their findings), then,
// in the `workspace` scope, every file of the workspace. A file whose findings went away gets an
// empty list, once.
import {
  CancellationTokenSource, MessageType, ShowDocumentRequest, ShowMessageNotification, type CancellationToken, type CodeAction, type Connection,
  type Diagnostic, type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';
import { COMMANDS } from '../../../common/protocol';

export interface PushSource {
  /** The open documents' URIs, in the order they were opened. */
  openDocuments(): string[];
  /**
   * An open document's diagnostics as of the latest edit (or later), with the document version
   * they were computed from; undefined when the document is not analyzed (closed, not a file).
   * Rejects when the token is cancelled.
   */
  documentDiagnostics(uri: string, token: CancellationToken): Promise<{ version: number; items: Diagnostic[] } | undefined>;
  /** Every workspace file's diagnostics (the `workspace` scope), undefined in the `openFiles` scope. */
  workspaceDiagnostics(token: CancellationToken): Promise<Map<string, Diagnostic[]> | undefined>;
  publish(params: PublishDiagnosticsParams): void;
  log(message: string): void;
}

export class DiagnosticsPusher {
  private round: CancellationTokenSource | undefined;
  private scheduled = false;
  /** What was last sent per URI, to send nothing when nothing changed. */
  private readonly last = new Map<string, string>();
  /** The document touched last: its diagnostics are sent first. */
  private latest: string | undefined;
  /** Rounds started and finished, for tests and logs. */
  rounds = 0;

  constructor(private readonly source: PushSource) {}

  /** A document was opened or edited: its diagnostics go first in the next round. */
  touched(uri: string): void {
    this.latest = uri;
    this.changed();
  }

  /**
   * Something the findings depend on changed: the running round is given up and a new one starts
   * (once for all the changes of one tick: an edit is both a document event and a server change).
   */
  changed(): void {
    this.round?.cancel();
    this.round?.dispose();
    this.round = undefined;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const round = (this.round = new CancellationTokenSource());
      void this.run(round.token).catch((err: unknown) => {
        if (!round.token.isCancellationRequested) this.source.log(`pushing diagnostics failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
  }

  dispose(): void {
    this.round?.cancel();
    this.round?.dispose();
    this.round = undefined;
  }

  private async run(token: CancellationToken): Promise<void> {
    const open = this.source.openDocuments();
    const order = this.latest !== undefined && open.includes(this.latest) ? [this.latest, ...open.filter((u) => u !== this.latest)] : open;
    const sent = new Set<string>();
    for (const uri of order) {
      const result = await this.source.documentDiagnostics(uri, token);
      if (token.isCancellationRequested) return;
      if (!result) continue;
      this.send(uri, result.items, result.version);
      sent.add(uri);
    }
    const workspace = await this.source.workspaceDiagnostics(token);
    if (token.isCancellationRequested) return;
    for (const [uri, items] of workspace ?? []) {
      if (sent.has(uri)) continue;
      this.send(uri, items);
      sent.add(uri);
    }
    // Closed files (openFiles scope), files fixed or deleted: nothing to show any more.
    for (const [uri, text] of [...this.last]) {
      if (sent.has(uri)) continue;
      if (text !== '[]') this.source.publish({ uri, diagnostics: [] });
      this.last.delete(uri);
    }
    this.rounds++;
  }

  private send(uri: string, items: Diagnostic[], version?: number): void {
    const text = JSON.stringify(items);
    if (this.last.get(uri) === text) return;
    // A workspace file without findings that was never shown any: nothing to say.
    if (items.length === 0 && version === undefined && !this.last.has(uri)) return;
    this.last.set(uri, text);
    this.source.publish({ uri, diagnostics: items, ...(version !== undefined ? { version } : {}) });
  }

}

/** The code actions' command that such editors send back to the server to run (workspace/executeCommand). */
export const RULE_DOC_COMMAND = COMMANDS.showRuleDoc;

/**
 * The code actions for an editor other than VS Code: the same fixes and suppressions, the rule
 * page through the server, and no trace stepping (it is the VS Code extension's own view).
 */
export function forEditor(actions: CodeAction[]): CodeAction[] {
  return actions.filter((a) => a.command?.command !== COMMANDS.showTrace);
}

/** Opens a rule's page in the editor's browser (window/showDocument), else names it in a message. */
export async function showRuleDoc(connection: Connection, args: unknown[] | undefined, docsBase: string, showDocument: boolean): Promise<void> {
  const rule = args?.[0];
  if (typeof rule !== 'string' || !/^[a-z][a-z-]{0,63}$/.test(rule)) return;
  const uri = `${docsBase}${rule}.md`;
  if (showDocument) {
    const shown = await connection.sendRequest(ShowDocumentRequest.type, { uri, external: true }).catch(() => ({ success: false }));
    if (shown.success) return;
  }
  await connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message: `${rule}: ${uri}` });
}
