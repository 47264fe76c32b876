// The entry of dist/server.js, the language server the VS Code extension starts (over node IPC)
// and other editors start over stdio; `process-topology lsp` runs the same server from the CLI.
import { runLanguageServer } from './server';

runLanguageServer();
