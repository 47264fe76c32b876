// The language server in an editor no one here wrote: Debian's Neovim 0.7 (installed by
// scripts/setup-neovim.mjs), headless, with its built-in LSP client, which takes pushed
// diagnostics only. Its configuration is the README's Neovim snippet, read from the README: on
// the TypeScript buffer's FileType it runs `npx process-topology lsp --stdio`, which finds the
// command line in the project's node_modules/.bin as `npm install --save-dev process-topology`
// puts it there (here, a link to the built one). It opens the broken example and writes down what
// it got: the diagnostics (rule id, message, line), the code actions it is offered, and the
// diagnostics after the fix is typed into the buffer (its own incremental didChange).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DIST, ROOT } from '../helpers/paths';

/** The Lua block of the README's "### Neovim" section: the configuration users copy. */
function readmeConfig(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### Neovim\n'));
  const m = /```lua\n([\s\S]*?)```/.exec(section);
  assert.ok(m && readme.includes('\n### Neovim\n'), 'the README has a Neovim section with a Lua block');
  return m[1]!;
}
import { positionOf } from '../helpers/source';
import { makeWorkspace, type Workspace } from '../helpers/workspace';

/** What the Lua script reports. */
interface Report {
  announcedPull: boolean;
  filetype: string;
  clients: string[];
  got: boolean;
  diagnostics: { lnum: number; col: number; end_lnum: number; message: string; source: string; code: string; severity: number; user_data?: { lsp?: { relatedInformation?: unknown[] } } }[];
  actions: string[];
  fixed: boolean;
  after: unknown[];
  errors: string[];
}

// Neovim 0.7's API (vim.lsp.start_client, buf_attach_client): what its users' configs call.
const INIT_LUA = `
local report = { errors = {} }
local function finish()
  local f = assert(io.open(os.getenv('PT_REPORT'), 'w'))
  f:write(vim.fn.json_encode(report))
  f:close()
  vim.cmd('qa!')
end
local ok, err = pcall(function()
  report.announcedPull = vim.lsp.protocol.make_client_capabilities().textDocument.diagnostic ~= nil
  vim.cmd('filetype on')
  dofile(os.getenv('PT_CONFIG'))
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('PT_FILE')))
  local buf = vim.api.nvim_get_current_buf()
  report.filetype = vim.bo[buf].filetype
  report.got = vim.wait(60000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
  report.diagnostics = vim.diagnostic.get(buf)
  report.clients = {}
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do table.insert(report.clients, c.name) end
  if not report.got then return end
  local d = report.diagnostics[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
    context = { diagnostics = {} },
  }
  local answers = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, 10000) or {}
  report.actions = {}
  for _, answer in pairs(answers) do
    if answer.error then table.insert(report.errors, vim.inspect(answer.error)) end
    for _, action in ipairs(answer.result or {}) do table.insert(report.actions, action.title) end
  end
  -- Type the fix: one sentinel per consumer, before main joins them.
  local line = tonumber(os.getenv('PT_FIX_LINE'))
  vim.api.nvim_buf_set_lines(buf, line, line, false, { '  for (const _ of consumers) await q.put(null);' })
  report.fixed = vim.wait(30000, function() return #vim.diagnostic.get(buf) == 0 end, 20)
  report.after = vim.diagnostic.get(buf)
end)
if not ok then table.insert(report.errors, tostring(err)) end
finish()
`;

let ws: Workspace;
let tmp = '';
let report: Report;
let file = '';

before(async () => {
  const setup = pathToFileURL(path.join(ROOT, 'scripts/setup-neovim.mjs')).href;
  const { ensureNeovim } = (await import(setup)) as { ensureNeovim(o?: { log?: (l: string) => void }): { nvim: string; version: string } };
  const { nvim, version } = ensureNeovim({ log: () => undefined });
  assert.match(version, /^NVIM v0\.\d+/, 'Debian bookworm\'s Neovim (0.x, push diagnostics only)');
  ws = makeWorkspace({ fixtures: false });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-nvim-'));
  file = path.join(ws.dir, 'examples', 'producer-consumer-no-sentinel.ts');
  fs.writeFileSync(path.join(tmp, 'init.lua'), INIT_LUA);
  fs.writeFileSync(path.join(tmp, 'process-topology.lua'), readmeConfig());
  // What `npm install --save-dev process-topology` leaves for npx to find.
  fs.mkdirSync(path.join(ws.dir, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(path.join(DIST, 'cli.js'), path.join(ws.dir, 'node_modules', '.bin', 'process-topology'));
  const out = path.join(tmp, 'report.json');
  const env = {
    ...process.env,
    PT_REPORT: out, PT_FILE: file, PT_CONFIG: path.join(tmp, 'process-topology.lua'),
    // npx (beside this node) offline: it must find the project's copy, not fetch one.
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_offline: 'true', npm_config_update_notifier: 'false',
    PT_FIX_LINE: String(positionOf(file, 'for (const c of consumers) await c.join();').line),
    // Keep Neovim's state, logs and swap files out of $HOME.
    XDG_STATE_HOME: path.join(tmp, 'state'), XDG_DATA_HOME: path.join(tmp, 'data'), XDG_CACHE_HOME: path.join(tmp, 'cache'), XDG_CONFIG_HOME: path.join(tmp, 'config'),
  };
  const child = spawn(nvim, ['--headless', '--clean', '-n', '-u', path.join(tmp, 'init.lua')], { cwd: ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.ok(fs.existsSync(out), `Neovim wrote no report (exit ${code}): ${output}`);
  report = JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
});

after(() => {
  ws?.dispose();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

it('Neovim, configured as the README says, announces no pull diagnostics and gets the finding pushed: rule id, message, line and column, related location', () => {
  assert.deepEqual(report.errors, []);
  assert.equal(report.announcedPull, false);
  assert.equal(report.filetype, 'typescript');
  assert.deepEqual(report.clients, ['process-topology']);
  assert.ok(report.got, 'diagnostics arrived in the buffer');
  assert.equal(report.diagnostics.length, 1);
  const [d] = report.diagnostics;
  const at = positionOf(file, 'q.get()');
  assert.equal(d!.code, 'missing-sentinel');
  assert.equal(d!.source, 'process-topology');
  assert.equal(d!.severity, 1, 'vim.diagnostic.severity.ERROR');
  assert.equal(d!.lnum, at.line);
  assert.equal(d!.col, at.character);
  assert.match(d!.message, /^2 consumers wait for a null sentinel on q, but none is ever put/);
  assert.equal(d!.user_data?.lsp?.relatedInformation?.length, 1);
});

it('Neovim is offered the fix, the suppression and the rule page as code actions', () => {
  assert.ok(report.actions.some((t) => /^Put one null sentinel per consumer on q after the producers are joined$/.test(t)), report.actions.join(' | '));
  assert.ok(report.actions.some((t) => /Suppress missing-sentinel on this line/.test(t)), report.actions.join(' | '));
  assert.ok(report.actions.some((t) => /^Show documentation for missing-sentinel$/.test(t)), report.actions.join(' | '));
  assert.ok(!report.actions.some((t) => /Step through/.test(t)), 'no VS Code-only trace stepping');
});

it('typing the fix in Neovim (its incremental didChange) clears the diagnostic', () => {
  assert.ok(report.fixed, `still: ${JSON.stringify(report.after)}`);
  assert.deepEqual(report.after, []);
});
