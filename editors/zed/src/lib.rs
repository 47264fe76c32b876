// Zed's extension for Process Topology: Zed starts language servers only from extensions, so this
// one tells it how to start `process-topology lsp --stdio` (the npm package's language server) for
// TypeScript, TSX and JavaScript buffers, beside Zed's own TypeScript server. Through npx, which
// runs the project's copy (npm install --save-dev process-topology) when there is one; else the
// one on PATH (npm install -g process-topology). The server pushes its diagnostics (Zed does not
// pull them). Not tested in this repository's suite: see the README's "Zed" section.
use zed_extension_api::{self as zed, LanguageServerId, Result};

struct ProcessTopology;

impl zed::Extension for ProcessTopology {
    fn new() -> Self {
        ProcessTopology
    }

    fn language_server_command(&mut self, _id: &LanguageServerId, worktree: &zed::Worktree) -> Result<zed::Command> {
        let env = worktree.shell_env();
        let server = vec!["lsp".to_string(), "--stdio".to_string()];
        if let Some(npx) = worktree.which("npx") {
            let mut args = vec!["process-topology".to_string()];
            args.extend(server);
            return Ok(zed::Command { command: npx, args, env });
        }
        match worktree.which("process-topology") {
            Some(command) => Ok(zed::Command { command, args: server, env }),
            None => Err("Process Topology needs Node.js 20 or later: neither npx nor process-topology is on PATH".to_string()),
        }
    }
}

zed::register_extension!(ProcessTopology);
