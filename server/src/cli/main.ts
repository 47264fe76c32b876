#!/usr/bin/env node
// The command line: the same analysis as the editor, for CI and for people without VS Code.
//   process-topology check [paths…] [--format text|json|sarif] [--rule id=off|warning|error] [--project tsconfig.json]
//                          [--baseline FILE [--write-baseline]] [--changed-since REF] [--no-progress]
//   process-topology graph [paths…] --format json|dot|mermaid|html|svg [--out file]
//   process-topology lsp [--stdio]   (the language server, for editors other than VS Code)
//   process-topology run <program> [options] [-- args]   (run.ts: the program under the shim's runtime)
// Exit status: 0 no errors, 1 errors found, 2 the command itself failed (one-line reason on stderr);
// `run`: see run.ts (3: a deadlock was detected).
// Files found in folders that cannot be analyzed (not regular files, too large, unreadable,
// nested too deep) are skipped with a note on stderr; a file named on the command line that
// cannot be is an error. A closed stdout (`| head`) ends the command quietly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { TopologyModel } from '../../../common/model';
import { standaloneHtml } from '../../../drawing/standalone';
import { staticSvg } from '../../../drawing/static-svg';
import { analyzeFiles } from '../analysis/analyze';
import { CONFIG_FILE, MIN_STATE_BUDGET, readConfigFile } from '../analysis/config-file';
import { describeFsError, MAX_SOURCE_SIZE, readTextFile } from '../analysis/files';
import { ConfigError, displayPath, isSourceFile, listSourceFiles, readTsconfig, skipNote, type SkippedFiles } from '../analysis/program';
import { applySeverities, RULE_SETTINGS, type RuleSetting } from '../analysis/severity';
import { RULE_IDS } from '../analysis/rule-registry';
import { formatDot, formatMermaid } from '../../../common/graph-formats';
import { formatSarif, formatText } from './formats';
import { lspArgsError, startLanguageServer } from './lsp';
import { entriesFor, formatBaseline, matchBaseline, readBaseline } from './baseline';
import { changedSince } from './changed';
import { CommandError } from './command-error';
import { candidatePrograms, progressLine, PROGRESS_MIN_PROGRAMS, type Progress } from './progress';
import { SHIM_PACKAGE } from '../analysis/shim';
import { traceReplayHtml, TraceUsageError } from './graph-trace';
import { runCommand, RunUsageError } from './run';

declare const PT_VERSION: string;
const VERSION = typeof PT_VERSION === 'string' ? PT_VERSION : '0.0.0-dev';

const USAGE = `Usage:
  process-topology check [paths…] [--format text|json|sarif] [--rule id=off|hint|info|warning|error] [options]
                         [--baseline FILE [--write-baseline]] [--changed-since REF] [--no-progress]
  process-topology graph [paths…] --format json|dot|mermaid|html|svg [--out file] [options]
  process-topology graph --trace FILE --format html [--out file]
  process-topology run <program> [--trace FILE] [--explore N [--strategy random|pct] | --seed S | --reproduce F]
                       [--format text|json|sarif] [--timeout SECONDS] [-- args…]
  process-topology lsp [--stdio]
Options:
  --project <tsconfig.json or folder>  the compiler options (and, with no paths, the files) of a project
  --shim-module <name>                 a module that counts as the shim besides @process-topology/multiprocessing (repeatable)
  --state-budget <n>                   states the deadlock checker may explore per program, or per phase (default 20000)
With no paths, the files of ./tsconfig.json (or of --project) are analyzed. ./${CONFIG_FILE}, when
there, gives shimModules and stateBudget too; the options win (shim modules add up).
run exits 0 (completed), 1 (failed), 2 (could not run), 3 (deadlock), 4 (--reproduce diverged).`;

class UsageError extends Error {}

interface Io {
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Folder of the built bundles (webview.js, graph.css) for `graph --format html`. */
  bundleDir: string;
  /** stderr is a terminal: a long run may show a progress line there. */
  stderrIsTTY?: boolean;
}

export function run(argv: string[], io: Io): number {
  try {
    return runOrThrow(argv, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof CommandError) {
      io.stderr(`process-topology: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr(`process-topology: ${err.relativeTo(io.cwd)}\n`);
      return 2;
    }
    // The user's environment (a full disk, a folder where a file was expected), not our bug.
    const fsError = err as NodeJS.ErrnoException;
    if (typeof fsError?.code === 'string' && typeof fsError.syscall === 'string') {
      const target = typeof fsError.path === 'string' ? ` ${displayPath(fsError.path, io.cwd)}` : '';
      io.stderr(`process-topology: cannot ${fsError.syscall}${target}: ${describeFsError(err, fsError.path)}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`process-topology: internal error: ${message.split('\n')[0]}\n`);
    return 2;
  }
}

function runOrThrow(argv: string[], io: Io): number {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE + '\n');
    return 0;
  }
  if (command === '--version') {
    io.stdout(VERSION + '\n');
    return 0;
  }
  if (command === 'run') throw new UsageError('run is asynchronous: use runAsync()');
  if (command !== 'check' && command !== 'graph') {
    throw new UsageError(command ? `unknown command '${command}' (expected check, graph, run or lsp)` : 'missing command (expected check, graph, run or lsp); see --help');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: {
        format: { type: 'string' }, rule: { type: 'string', multiple: true },
        project: { type: 'string' }, out: { type: 'string' }, trace: { type: 'string' },
        'shim-module': { type: 'string', multiple: true }, 'state-budget': { type: 'string' },
        baseline: { type: 'string' }, 'write-baseline': { type: 'boolean' }, 'changed-since': { type: 'string' },
        'no-progress': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0]! : String(err));
  }
  const { values, positionals } = parsed;
  if (values.trace !== undefined) return graphFromTrace(command, values, positionals, io);
  const formats = command === 'check' ? ['text', 'json', 'sarif'] : ['json', 'dot', 'mermaid', 'html', 'svg'];
  const format = values.format ?? (command === 'check' ? 'text' : undefined);
  if (!format) throw new UsageError(`graph needs --format (${formats.join('|')})`);
  if (!formats.includes(format)) throw new UsageError(`unknown --format '${format}' for ${command} (expected ${formats.join('|')})`);
  if (values.out !== undefined && command === 'check') throw new UsageError('--out is for graph');
  const baselineOption = values.baseline;
  const since = values['changed-since'];
  if (command !== 'check' && (baselineOption !== undefined || values['write-baseline'] || since !== undefined)) {
    throw new UsageError('--baseline, --write-baseline and --changed-since are for check');
  }
  if (values['write-baseline'] && baselineOption === undefined) throw new UsageError('--write-baseline needs --baseline FILE (where to write it)');
  if (values['write-baseline'] && since !== undefined) throw new UsageError('--write-baseline records every finding: it does not go with --changed-since');
  const settings = ruleSettings(values.rule ?? []);

  const analysis = analysisSettings(values['shim-module'] ?? [], values['state-budget'], io.cwd);

  let compilerOptions;
  let files: string[];
  const skipped: SkippedFiles = new Map();
  const project = values.project !== undefined ? projectFile(values.project, io.cwd)
    : fs.existsSync(path.join(io.cwd, 'tsconfig.json')) ? path.join(io.cwd, 'tsconfig.json') : undefined;
  if (project) {
    const config = readTsconfig(project);
    compilerOptions = config.options;
    files = positionals.length > 0 ? collect(positionals, io.cwd, skipped) : config.fileNames.filter(isSourceFile);
  } else {
    if (positionals.length === 0) throw new UsageError('no paths given and no tsconfig.json in the current folder');
    files = collect(positionals, io.cwd, skipped);
  }

  const changes = since !== undefined ? changedSince(io.cwd, since) : undefined;
  if (changes?.everything) io.stderr(`process-topology: ${changes.everything} changed since ${since}: every program is analyzed\n`);
  else if (changes) io.stderr(`process-topology: ${files.filter((f) => changes.files.has(path.resolve(f))).length} of ${files.length} files changed since ${since}; analyzing the programs that reach them\n`);
  // Progress is for people watching a terminal, never for JSON or SARIF readers.
  let progress: Progress | undefined;
  if (io.stderrIsTTY && !values['no-progress'] && format !== 'json' && format !== 'sarif') {
    const programs = candidatePrograms(files, [SHIM_PACKAGE, ...analysis.shimModules ?? []], readText);
    if (programs >= PROGRESS_MIN_PROGRAMS) progress = progressLine(io.stderr, programs);
  }
  let model;
  try {
    model = analyzeFiles(files, {
      rootDir: io.cwd, skipped, ...analysis, ...(compilerOptions ? { compilerOptions } : {}),
      ...(changes && !changes.everything ? { onlyReaching: changes.files } : {}),
      ...(progress ? { onProgress: progress.update } : {}),
    });
  } finally {
    progress?.done();
  }
  model.findings = applySeverities(model.findings, settings);
  if (baselineOption !== undefined) {
    const file = path.resolve(io.cwd, baselineOption);
    const entries = entriesFor(model.findings, file, io.cwd, (f) => readText(path.resolve(io.cwd, f)));
    if (values['write-baseline']) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, formatBaseline(entries));
      io.stderr(`process-topology: wrote ${entries.length} finding${entries.length === 1 ? '' : 's'} to ${baselineOption}\n`);
      return 0;
    }
    const matched = matchBaseline(model.findings, entries, readBaseline(file, baselineOption));
    model.findings = matched.fresh;
    if (matched.known.length > 0) io.stderr(`process-topology: ${matched.known.length} finding${matched.known.length === 1 ? '' : 's'} in the baseline ${baselineOption} not shown\n`);
    // With --changed-since the programs not analyzed still have theirs: not gone.
    if (matched.gone.length > 0 && !changes) {
      io.stderr(`process-topology: ${matched.gone.length} baseline entr${matched.gone.length === 1 ? 'y is' : 'ies are'} no longer found (fixed?); --write-baseline drops ${matched.gone.length === 1 ? 'it' : 'them'}\n`);
    }
  }
  const errors = model.findings.some((f) => f.severity === 'error');
  // What was left out or not decided, where a person reads it whatever the format.
  for (const note of model.notes ?? []) io.stderr(`process-topology: note: ${note}\n`);

  if (command === 'check') {
    if (format === 'json') io.stdout(JSON.stringify(model, null, 2) + '\n');
    else if (format === 'sarif') io.stdout(formatSarif(model, VERSION));
    else io.stdout(formatText(model.findings, model.notes));
    return errors ? 1 : 0;
  }
  const text = renderGraph(model, format, io.bundleDir);
  if (values.out !== undefined) {
    const out = path.resolve(io.cwd, values.out);
    try {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text);
    } catch (err) {
      throw new UsageError(`cannot write ${values.out}: ${describeFsError(err, out)}`);
    }
    io.stderr(`wrote ${path.relative(io.cwd, out) || out}\n`);
  } else {
    io.stdout(text);
  }
  return 0;
}

/** `graph --trace FILE --format html [--out file]`: the replay page of a run's trace. */
function graphFromTrace(command: string, values: { trace?: string; format?: string; out?: string; rule?: string[]; project?: string }, positionals: string[], io: Io): number {
  if (command !== 'graph') throw new UsageError('--trace is for graph (and run)');
  if (positionals.length > 0 || values.rule || values.project) throw new UsageError('graph --trace takes no paths, --rule or --project: the trace names its program');
  if (values.format !== 'html') throw new UsageError(`graph --trace needs --format html${values.format ? `, not '${values.format}'` : ''}`);
  let html: string;
  try {
    html = traceReplayHtml(values.trace!, io.cwd, io.bundleDir);
  } catch (err) {
    if (err instanceof TraceUsageError) throw new UsageError(err.message);
    throw err;
  }
  if (values.out !== undefined) {
    const out = path.resolve(io.cwd, values.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, html);
    io.stderr(`wrote ${path.relative(io.cwd, out) || out}\n`);
  } else {
    io.stdout(html);
  }
  return 0;
}

function renderGraph(model: TopologyModel, format: string, bundleDir: string): string {
  switch (format) {
    case 'dot': return formatDot(model);
    case 'mermaid': return formatMermaid(model);
    case 'svg': return staticSvg(model);
    case 'html': {
      const js = path.join(bundleDir, 'webview.js');
      const css = path.join(bundleDir, 'graph.css');
      if (!fs.existsSync(js) || !fs.existsSync(css)) throw new UsageError(`the graph bundle is missing in ${bundleDir}; run npm run build`);
      // The elkjs layout worker is optional: without it the page keeps its first (layered) layout.
      const worker = path.join(bundleDir, 'layout-worker.js');
      return standaloneHtml(model, fs.readFileSync(js, 'utf8'), fs.readFileSync(css, 'utf8'), 'Process Topology',
        fs.existsSync(worker) ? fs.readFileSync(worker, 'utf8') : undefined);
    }
    default: return JSON.stringify(model, null, 2) + '\n';
  }
}

function ruleSettings(specs: readonly string[]): Map<string, RuleSetting> {
  const settings = new Map<string, RuleSetting>();
  for (const spec of specs) {
    const m = /^([a-z-]+)=([a-z]+)$/.exec(spec);
    if (!m) throw new UsageError(`--rule expects id=severity, got '${spec}'`);
    const [, id, sev] = m as unknown as [string, string, string];
    if (!RULE_IDS.has(id)) throw new UsageError(`unknown rule '${id}'`);
    if (!(RULE_SETTINGS as readonly string[]).includes(sev)) throw new UsageError(`unknown severity '${sev}' (expected ${RULE_SETTINGS.join('|')})`);
    settings.set(id, sev as RuleSetting);
  }
  return settings;
}

/** A file's text for the progress count and the baseline's neighbourhoods: read as the analysis reads (bounded). */
function readText(file: string): string | undefined {
  const r = readTextFile(file, MAX_SOURCE_SIZE);
  return 'text' in r ? r.text : undefined;
}

/** `--project`: a tsconfig.json, or a folder holding one (as tsc takes it). */
function projectFile(given: string, cwd: string): string {
  const abs = path.resolve(cwd, given);
  let stat;
  try {
    stat = fs.statSync(abs);
  } catch (err) {
    throw new UsageError((err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such tsconfig: ${given}` : `cannot read ${given}: ${describeFsError(err, abs)}`);
  }
  if (!stat.isDirectory()) return abs;
  const inside = path.join(abs, 'tsconfig.json');
  if (!fs.existsSync(inside)) throw new UsageError(`no tsconfig.json in the folder ${given}`);
  return inside;
}

/** The shim modules and state budget: the options, over ./process-topology.json. */
function analysisSettings(modules: readonly string[], budget: string | undefined, cwd: string): { shimModules?: string[]; stateBudget?: number } {
  let stateBudget: number | undefined;
  if (budget !== undefined) {
    stateBudget = /^\d+$/.test(budget) ? Number(budget) : NaN;
    if (!Number.isSafeInteger(stateBudget) || stateBudget < MIN_STATE_BUDGET) throw new UsageError(`--state-budget expects a whole number of at least ${MIN_STATE_BUDGET}, got '${budget}'`);
  }
  for (const m of modules) if (m.trim() === '') throw new UsageError('--shim-module expects a module name');
  const file = readConfigFile(cwd);
  if (file.errors.length > 0) throw new UsageError(file.errors[0]!);
  const shimModules = [...new Set([...file.config.shimModules ?? [], ...modules])];
  stateBudget ??= file.config.stateBudget;
  return { ...(shimModules.length > 0 ? { shimModules } : {}), ...(stateBudget !== undefined ? { stateBudget } : {}) };
}

/**
 * Expands folders into their source files (what cannot be listed is recorded in `skipped`). A
 * path named on the command line that is missing, unreadable, not a regular file, too large or
 * binary is a usage error: the user named it.
 */
function collect(paths: readonly string[], cwd: string, skipped: SkippedFiles): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let stat;
    try {
      stat = fs.statSync(abs);
    } catch (err) {
      throw new UsageError((err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such file or folder: ${p}` : `cannot read ${p}: ${describeFsError(err, abs)}`);
    }
    if (stat.isDirectory()) {
      files.push(...listSourceFiles(abs, Infinity, skipped));
      continue;
    }
    const read = readTextFile(abs, MAX_SOURCE_SIZE);
    if ('missing' in read) throw new UsageError(`no such file or folder: ${p}`);
    if ('skipped' in read) throw new UsageError(skipNote(abs, read.skipped, cwd));
    if (read.text.includes('\u0000')) throw new UsageError(`${p} is not a text file`);
    files.push(abs);
  }
  if (files.length === 0) throw new UsageError(`no TypeScript or JavaScript files in ${paths.join(' ')}`);
  return [...new Set(files)];
}

/** Every command: `run` (asynchronous: it waits for the program) besides check and graph. */
export async function runAsync(argv: string[], io: Io): Promise<number> {
  if (argv[0] !== 'run') return run(argv, io);
  try {
    return await runCommand(argv.slice(1), io, VERSION, (program) => analyzeFiles([program], { rootDir: path.dirname(program) }));
  } catch (err) {
    if (err instanceof RunUsageError || err instanceof CommandError) {
      io.stderr(`process-topology: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr(`process-topology: ${err.relativeTo(io.cwd)}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`process-topology: internal error: ${message.split('\n')[0]}\n`);
    return 2;
  }
}

// A reader that stopped reading (`graph … | head`): the rest of the output has nowhere to go,
// which is no failure of the command. Stop writing, and exit with what the command found.
let stdoutClosed = false;
if (require.main === module) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stdoutClosed = true;
  });
}
if (require.main === module && process.argv[2] === 'lsp') {
  const error = lspArgsError(process.argv.slice(3));
  if (error) {
    process.stderr.write(`process-topology: ${error}\n`);
    process.exitCode = 2;
  } else {
    startLanguageServer();
  }
} else if (require.main === module) {
  void runAsync(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (t) => {
      if (!stdoutClosed) process.stdout.write(t);
    },
    stderr: (t) => process.stderr.write(t),
    bundleDir: __dirname,
    stderrIsTTY: process.stderr.isTTY === true,
  }).then((code) => {
    process.exitCode = code;
  });
}
