// The runner's settings (processTopology.run.*, documented in package.json): which Node.js, which
// program, its arguments, environment and working directory, how many runs Explore Interleavings
// makes and how long each may take. `${file}`, `${fileDirname}` and `${workspaceFolder}` are
// replaced as VS Code's tasks do. The default runs the active file with the bundled command line's
// `run`, which finds the project's tsx for TypeScript (a fresh project with tsx as a dev dependency
// needs nothing else).
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface RunnerSettings {
  /** The Node.js executable (a name on the PATH, or a path). */
  node: string;
  /** The program file to run (absolute). */
  program: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  exploreRuns: number;
  /** Seconds one run of Explore Interleavings may take before it is stopped. */
  exploreTimeout: number;
}

export class SettingsError extends Error {}

/** The settings for running `file` (the active document), variables replaced. */
export function runnerSettings(file: vscode.Uri): RunnerSettings {
  const config = vscode.workspace.getConfiguration('processTopology.run', file);
  const folder = vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath ?? path.dirname(file.fsPath);
  const vars = (s: string): string => s
    .replace(/\$\{file\}/g, file.fsPath)
    .replace(/\$\{fileDirname\}/g, path.dirname(file.fsPath))
    .replace(/\$\{workspaceFolder\}/g, folder);
  const node = config.get<string>('node', 'node').trim() || 'node';
  const programSetting = config.get<string>('program', '${file}').trim() || '${file}';
  const program = path.resolve(folder, vars(programSetting));
  const args = config.get<unknown[]>('args', []);
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new SettingsError('processTopology.run.args must be a list of strings');
  const env = config.get<Record<string, unknown>>('env', {});
  if (typeof env !== 'object' || env === null || !Object.values(env).every((v) => typeof v === 'string')) {
    throw new SettingsError('processTopology.run.env must map names to strings');
  }
  const cwd = path.resolve(folder, vars(config.get<string>('cwd', '${workspaceFolder}').trim() || '${workspaceFolder}'));
  const exploreRuns = Math.max(1, Math.min(10_000, Math.floor(config.get<number>('exploreRuns', 50))));
  const exploreTimeout = Math.max(1, config.get<number>('exploreTimeoutSeconds', 60));
  return {
    node: vars(node), program, args: (args as string[]).map(vars),
    env: Object.fromEntries(Object.entries(env as Record<string, string>).map(([k, v]) => [k, vars(v)])),
    cwd, exploreRuns, exploreTimeout,
  };
}
