// `check --changed-since REF`: which files changed since a git ref (committed since, staged,
// unstaged or untracked), so that only the programs reaching one of them are analyzed. A change
// to what every program depends on (a tsconfig.json, jsconfig.json, package.json or declaration
// file) means every program.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { CommandError } from './command-error';

export interface Changes {
  /** Absolute paths of the files changed since the ref (deleted ones too). */
  files: Set<string>;
  /** A change that can alter any program: analyze them all. */
  everything: string | undefined;
}

const SHARED = /(^|\/)(tsconfig[^/]*\.json|jsconfig\.json|package\.json)$|\.d\.[cm]?ts$/;

function git(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new CommandError('--changed-since needs git, and git is not installed');
    const line = (e.stderr ?? '').split('\n').map((l) => l.trim()).find(Boolean) ?? e.message.split('\n')[0];
    throw new CommandError(`git ${args[0]} failed: ${line}`);
  }
}

export function changedSince(cwd: string, ref: string): Changes {
  if (ref === '' || ref.startsWith('-')) throw new CommandError(`--changed-since expects a git ref (a branch, tag or commit), got '${ref}'`);
  let top: string;
  try {
    top = git(cwd, ['rev-parse', '--show-toplevel']).trim();
  } catch {
    throw new CommandError(`--changed-since: ${cwd} is not in a git repository`);
  }
  try {
    git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new CommandError(`--changed-since: unknown git ref '${ref}'`);
  }
  const listed = [
    ...git(top, ['diff', '--name-only', '--no-renames', '-z', ref, '--']).split('\0'),
    ...git(top, ['ls-files', '--others', '--exclude-standard', '-z']).split('\0'),
  ].filter(Boolean);
  const files = new Set(listed.map((f) => path.resolve(top, f)));
  const everything = listed.find((f) => SHARED.test(f));
  return { files, everything };
}
