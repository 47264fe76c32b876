#!/usr/bin/env node
// Idempotent setup of the editor the language server's push-diagnostics test runs in: Debian's
// `neovim` package (0.7 on bookworm, a client that only takes pushed diagnostics), from the Debian
// mirror like the other test tools (scripts/setup-code-server.mjs installs chromium the same way).
//
//   node scripts/setup-neovim.mjs                  # install when missing, one line on stderr
//   import { ensureNeovim } from './setup-neovim.mjs'   // -> { nvim, version }
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NVIM_PATH = '/usr/bin/nvim';
const PACKAGE = 'neovim';

class SetupError extends Error {}

function installed() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', PACKAGE], { encoding: 'utf8' });
  if (r.error) throw new SetupError(`cannot run dpkg-query (${r.error.message}): this setup needs Debian/Ubuntu`);
  return r.status === 0 && /\binstall ok installed\b/.test(r.stdout) && fs.existsSync(NVIM_PATH);
}

function apt(args) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const argv = isRoot ? ['apt-get', ...args] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 << 20 });
  if (r.error) throw new SetupError(`cannot run ${argv[0]} (${r.error.message})`);
  if (r.status !== 0) {
    const line = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).find((l) => /^E: |error/i.test(l)) ?? `exit ${r.status}`;
    throw new SetupError(`apt-get ${args.filter((a) => !a.startsWith('-')).join(' ')} failed: ${line}`);
  }
}

/**
 * Makes sure Debian's neovim is installed; returns its path and version line.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {{ nvim: string, version: string }}
 */
export function ensureNeovim(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`[setup-neovim] ${line}\n`));
  if (installed()) {
    log(`${PACKAGE}: already installed`);
  } else {
    log(`${PACKAGE}: apt-get update && apt-get install ${PACKAGE}`);
    const lock = ['-o', 'DPkg::Lock::Timeout=300'];
    apt(['-q', ...lock, 'update']);
    apt(['-q', '-y', ...lock, '--no-install-recommends', 'install', PACKAGE]);
    if (!installed()) throw new SetupError(`apt-get install ${PACKAGE} finished but ${NVIM_PATH} is missing`);
  }
  const v = spawnSync(NVIM_PATH, ['--version'], { encoding: 'utf8' });
  const version = (v.stdout ?? '').split('\n')[0] ?? '';
  if (!/^NVIM v\d/.test(version)) throw new SetupError(`${NVIM_PATH} --version printed ${JSON.stringify(version)}`);
  return { nvim: NVIM_PATH, version };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    const { version } = ensureNeovim();
    process.stderr.write(`[setup-neovim] ready: ${version}\n`);
  } catch (e) {
    process.stderr.write(`[setup-neovim] FAILED: ${(e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(1);
  }
}
