// `process-topology lsp`: the language server, for editors other than VS Code (Neovim, Helix,
// Emacs, Zed…). Over stdio unless another transport is named; it pushes diagnostics to editors
// that do not pull them (see lsp/push-diagnostics.ts). The README's "Other editors" section
// shows each editor's set-up.
export { runLanguageServer as startLanguageServer } from '../lsp/server';

/** The options vscode-languageserver reads from the command line; anything else is a mistake. */
const TRANSPORT = /^--(stdio|node-ipc|socket=\d+|pipe=.+|clientProcessId=\d+)$/;

/** Why the arguments are wrong, or undefined when the server can start. */
export function lspArgsError(args: readonly string[]): string | undefined {
  const bad = args.find((a) => !TRANSPORT.test(a));
  return bad === undefined ? undefined : `unknown option '${bad}' for lsp (expected --stdio, --node-ipc, --socket=PORT or --pipe=NAME)`;
}
