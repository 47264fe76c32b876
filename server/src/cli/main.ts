#!/usr/bin/env node
// The command line: the same analysis as the editor, for CI and for people without VS Code.
//   process-topology check [paths…] [--format text|json|sarif] [--rule id=off|warning|error] [--project tsconfig.json]
//   process-topology graph [paths…] --format json|dot|mermaid|html|svg [--out file]
//   process-topology run <program> [options] [-- args]   (run.ts: the program under the shim's runtime)
// Exit status: 0 no errors, 1 errors found, 2 the command itself failed (one-line reason on stderr);
// `run`: see run.ts (3: a deadlock was detected).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { TopologyModel } from '../../../common/model';
import { standaloneHtml } from '../../../drawing/standalone';
import { staticSvg } from '../../../drawing/static-svg';
import { analyzeFiles } from '../analysis/analyze';
import { ConfigError, isSourceFile, listSourceFiles, readTsconfig } from '../analysis/program';
import { applySeverities, RULE_SETTINGS, type RuleSetting } from '../analysis/severity';
import { RULE_IDS } from '../analysis/rule-registry';
import { formatDot, formatMermaid } from '../../../common/graph-formats';
import { formatSarif, formatText } from './formats';
import { traceReplayHtml, TraceUsageError } from './graph-trace';
import { runCommand, RunUsageError } from './run';

declare const PT_VERSION: string;
const VERSION = typeof PT_VERSION === 'string' ? PT_VERSION : '0.0.0-dev';

const USAGE = `Usage:
  process-topology check [paths…] [--format text|json|sarif] [--rule id=off|hint|info|warning|error] [--project tsconfig.json]
  process-topology graph [paths…] --format json|dot|mermaid|html|svg [--out file] [--project tsconfig.json]
  process-topology graph --trace FILE --format html [--out file]
  process-topology run <program> [--trace FILE] [--explore N [--strategy random|pct] | --seed S | --reproduce F]
                       [--format text|json|sarif] [--timeout SECONDS] [-- args…]
With no paths, the files of ./tsconfig.json (or of --project) are analyzed.
run exits 0 (completed), 1 (failed), 2 (could not run), 3 (deadlock), 4 (--reproduce diverged).`;

class UsageError extends Error {}

interface Io {
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Folder of the built bundles (webview.js, graph.css) for `graph --format html`. */
  bundleDir: string;
}

export function run(argv: string[], io: Io): number {
  try {
    return runOrThrow(argv, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr(`process-topology: ${err.message}\n`);
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
    throw new UsageError(command ? `unknown command '${command}' (expected check, graph or run)` : 'missing command (expected check, graph or run); see --help');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest, allowPositionals: true, strict: true,
      options: {
        format: { type: 'string' }, rule: { type: 'string', multiple: true },
        project: { type: 'string' }, out: { type: 'string' }, trace: { type: 'string' },
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
  const settings = ruleSettings(values.rule ?? []);

  let compilerOptions;
  let files: string[];
  const project = values.project !== undefined ? path.resolve(io.cwd, values.project)
    : fs.existsSync(path.join(io.cwd, 'tsconfig.json')) ? path.join(io.cwd, 'tsconfig.json') : undefined;
  if (values.project !== undefined && !fs.existsSync(project!)) throw new UsageError(`no such tsconfig: ${values.project}`);
  if (project) {
    const config = readTsconfig(project);
    compilerOptions = config.options;
    files = positionals.length > 0 ? collect(positionals, io.cwd) : config.fileNames.filter(isSourceFile);
  } else {
    if (positionals.length === 0) throw new UsageError('no paths given and no tsconfig.json in the current folder');
    files = collect(positionals, io.cwd);
  }

  const model = analyzeFiles(files, { rootDir: io.cwd, ...(compilerOptions ? { compilerOptions } : {}) });
  model.findings = applySeverities(model.findings, settings);
  const errors = model.findings.some((f) => f.severity === 'error');

  if (command === 'check') {
    if (format === 'json') io.stdout(JSON.stringify(model, null, 2) + '\n');
    else if (format === 'sarif') io.stdout(formatSarif(model, VERSION));
    else io.stdout(formatText(model.findings));
    return errors ? 1 : 0;
  }
  const text = renderGraph(model, format, io.bundleDir);
  if (values.out !== undefined) {
    const out = path.resolve(io.cwd, values.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
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

/** Expands folders into their source files; a missing or binary file is a usage error. */
function collect(paths: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let stat;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new UsageError(`no such file or folder: ${p}`);
    }
    if (stat.isDirectory()) {
      files.push(...listSourceFiles(abs));
    } else {
      const head = Buffer.alloc(8192);
      const fd = fs.openSync(abs, 'r');
      const n = fs.readSync(fd, head, 0, head.length, 0);
      fs.closeSync(fd);
      if (head.subarray(0, n).includes(0)) throw new UsageError(`${p} is not a text file`);
      files.push(abs);
    }
  }
  if (files.length === 0) throw new UsageError(`no TypeScript or JavaScript files in ${paths.join(' ')}`);
  return [...new Set(files)];
}

/** Every command: `run` (asynchronous: it waits for the program) besides check and graph. */
export async function runAsync(argv: string[], io: Io): Promise<number> {
  if (argv[0] !== 'run') return run(argv, io);
  try {
    return await runCommand(argv.slice(1), io, VERSION);
  } catch (err) {
    if (err instanceof RunUsageError || err instanceof ConfigError) {
      io.stderr(`process-topology: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`process-topology: internal error: ${message.split('\n')[0]}\n`);
    return 2;
  }
}

if (require.main === module) {
  void runAsync(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    bundleDir: __dirname,
  }).then((code) => {
    process.exitCode = code;
  });
}
