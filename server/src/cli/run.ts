// `process-topology run <program> [-- args]`: runs a program written with the shim, with its runtime
// switched on (deadlock detection, the report file, optionally the trace), and says how it ended.
//   --trace FILE        the run's trace (docs/runtime-trace.md)
//   --explore N         up to N runs under controlled scheduling, seeds 1..N; stops at the first
//                       deadlock and prints its seed
//   --seed S            one run under controlled scheduling with seed S (as --explore printed it)
//   --strategy random|pct   the scheduling strategy of --explore (default random)
//   --reproduce F       steered replay of finding F of `check --format json` (its index, or a rule
//                       id: that rule's first finding with a trace), or of the finding in F.json
//                       ({root, finding, nodes}: what an editor has of it; see pickFinding)
//   --format text|json|sarif   how the outcome is printed (json and sarif: on stdout, the program's
//                       own stdout then goes to stderr)
// Exit status (cli/README.md, "run"): 0 the program completed with code 0; 1 it failed (another code, or a
// signal) without a deadlock; 2 the command itself failed; 3 a deadlock was detected (the report is
// printed; --explore: one of the runs deadlocked; --reproduce: the finding was reproduced);
// 4 --reproduce: the run did not follow the finding's trace (diverged, with the step and why).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isLocation, type Finding, type TopologyModel } from '../../../common/model';
import type { RuntimeReport } from '../../../common/trace';
import { sarifArtifactLocation } from './formats';

export const EXIT = { completed: 0, failed: 1, usage: 2, deadlock: 3, diverged: 4 } as const;

export class RunUsageError extends Error {}

export interface RunIo {
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The program's own output (inherited stdio for text; stdout to stderr for json/sarif). */
  inherit: boolean;
}

/** How a program file runs: plain node for JavaScript, the project's tsx for TypeScript. */
export function launcher(program: string, shown = program): { args: string[]; how: string } {
  const ext = path.extname(program).toLowerCase();
  if (['.js', '.mjs', '.cjs'].includes(ext)) return { args: [program], how: 'node' };
  if (!['.ts', '.mts', '.cts', '.tsx'].includes(ext)) {
    throw new RunUsageError(`cannot run ${shown}: not a JavaScript (.js, .mjs, .cjs) or TypeScript (.ts, .mts, .cts) file`);
  }
  for (let dir = path.dirname(path.resolve(program)); ; ) {
    const pkg = path.join(dir, 'node_modules', 'tsx', 'package.json');
    if (fs.existsSync(pkg)) {
      const loader = path.join(path.dirname(pkg), 'dist', 'loader.mjs');
      if (fs.existsSync(loader)) return { args: ['--import', pathToFileURL(loader).href, program], how: `tsx (${path.dirname(pkg)})` };
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new RunUsageError(`cannot run ${shown}: a TypeScript program needs tsx in its project (npm install --save-dev tsx), or compile it and run the .js file`);
}

/** What a report-file line is: a wait report, a steered replay's outcome, a scheduling summary. */
export interface SteerOutcome {
  kind: 'steer';
  outcome: 'reproduced' | 'diverged' | 'completed';
  /** The step it diverged at (0-based) and why; steps done. */
  at: number | null;
  why: string | null;
  done: number;
  steps: number;
}

export interface RunOutcome {
  program: string;
  how: string;
  outcome: 'completed' | 'failed' | 'deadlock' | 'killed';
  code: number | null;
  signal: string | null;
  ms: number;
  report: RuntimeReport | null;
  /** The program printed the report itself (its uncaught DeadlockError, on the terminal). */
  reportShown: boolean;
  steer: SteerOutcome | null;
  schedule: string | null;
}

export interface LaunchOptions {
  program: string;
  args: string[];
  env: Record<string, string>;
  io: RunIo;
  timeoutMs: number | null;
  /** Let the program's stdout through (the last run of --explore, or a plain run). */
  quiet?: boolean;
}

/** Runs the program once with the runtime's switches; resolves with how it ended. */
export async function launch(opts: LaunchOptions): Promise<RunOutcome> {
  const { args, how } = launcher(opts.program);
  const reportFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-run-')), 'reports.jsonl');
  const started = Date.now();
  const child = spawn(process.execPath, [...args, ...opts.args], {
    cwd: opts.io.cwd,
    stdio: ['inherit', opts.quiet ? 'ignore' : opts.io.inherit ? 'inherit' : 'pipe', opts.quiet ? 'pipe' : 'inherit'],
    env: { ...process.env, PT_MP_DEADLOCK: 'raise', ...opts.env, PT_MP_REPORT_FILE: reportFile },
  });
  child.stdout?.on('data', (d: Buffer) => opts.io.stderr(d.toString()));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let killed = false;
  const timer = opts.timeoutMs === null ? null : setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', (err) => reject(new RunUsageError(`cannot start node: ${err.message}`)));
    child.on('close', (c, s) => resolve([c, s]));
  });
  if (timer) clearTimeout(timer);
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  const lines: Record<string, unknown>[] = [];
  try {
    for (const l of fs.readFileSync(reportFile, 'utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
  } catch {
    // no report written (the program ended without one, or never loaded the shim)
  }
  fs.rmSync(path.dirname(reportFile), { recursive: true, force: true });
  const report = (lines.filter((l) => l.kind === 'deadlock').at(-1) ?? null) as RuntimeReport | null;
  const steer = (lines.filter((l) => l.kind === 'steer').at(-1) ?? null) as SteerOutcome | null;
  const sched = lines.filter((l) => l.kind === 'schedule').at(-1);
  const outcome: RunOutcome['outcome'] = killed ? 'killed' : report ? 'deadlock' : code === 0 ? 'completed' : 'failed';
  return {
    program: opts.program, how, outcome, code, signal, ms: Date.now() - started, report, steer,
    reportShown: report !== null && code === 3 && !opts.quiet && opts.io.inherit,
    schedule: typeof sched?.seed === 'string' ? sched.seed : null,
  };
}

// ---- the command --------------------------------------------------------------------------------

const USAGE = 'run <program> [--trace FILE] [--explore N [--strategy random|pct] | --seed S | --reproduce F] [--format text|json|sarif] [--timeout SECONDS] [-- args…]';

/**
 * The analysis `--reproduce INDEX|RULE` asks for (the command line passes analyzeFiles); the
 * editor's runner (runner.ts) goes without it and takes the finding as a file.
 */
export type Analyze = (program: string) => TopologyModel;

export async function runCommand(argv: string[], io: Omit<RunIo, 'inherit'>, version: string, analyze?: Analyze): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const programArgs = dash < 0 ? [] : argv.slice(dash + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: own, allowPositionals: true, strict: true,
      options: {
        trace: { type: 'string' }, explore: { type: 'string' }, seed: { type: 'string' }, strategy: { type: 'string' },
        reproduce: { type: 'string' }, format: { type: 'string' }, timeout: { type: 'string' },
      },
    });
  } catch (err) {
    throw new RunUsageError(`${err instanceof Error ? err.message.split('\n')[0]! : String(err)} (usage: process-topology ${USAGE})`);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new RunUsageError(`run needs a program (usage: process-topology ${USAGE})`);
  const [first, ...rest] = positionals;
  const program = path.resolve(io.cwd, first!);
  if (!fs.existsSync(program) || !fs.statSync(program).isFile()) throw new RunUsageError(`no such program: ${first}`);
  const format = values.format ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new RunUsageError(`unknown --format '${format}' for run (expected text|json|sarif)`);
  const modes = ['explore', 'seed', 'reproduce'].filter((k) => values[k as 'explore'] !== undefined);
  if (modes.length > 1) throw new RunUsageError(`--${modes[0]} and --${modes[1]} cannot be combined`);
  const strategy = values.strategy ?? 'random';
  if (!['random', 'pct'].includes(strategy)) throw new RunUsageError(`unknown --strategy '${strategy}' (expected random|pct)`);
  if (values.strategy !== undefined && values.explore === undefined) throw new RunUsageError('--strategy is for --explore (a seed names its strategy)');
  const timeoutS = values.timeout === undefined ? null : Number(values.timeout);
  if (timeoutS !== null && !(timeoutS > 0)) throw new RunUsageError(`--timeout expects seconds, got '${values.timeout}'`);
  const n = Number(values.explore);
  if (values.explore !== undefined && (!Number.isInteger(n) || n < 1)) throw new RunUsageError(`--explore expects a number of runs, got '${values.explore}'`);
  if (values.seed !== undefined && !/^(random|pct)-\d+$/.test(values.seed)) throw new RunUsageError(`--seed expects a seed as --explore prints it (random-N or pct-N), got '${values.seed}'`);
  const allArgs = [...rest, ...programArgs];
  const runIo: RunIo = { ...io, inherit: format === 'text' };
  const env: Record<string, string> = {};
  // A file, or `unix:<socket>` (an editor listening for the run as it happens).
  if (values.trace !== undefined) env.PT_MP_TRACE = values.trace.startsWith('unix:') ? values.trace : path.resolve(io.cwd, values.trace);
  const { how } = launcher(program, first);
  const reproduce = values.reproduce === undefined ? null : pickFinding(program, path.resolve(io.cwd, values.reproduce), values.reproduce, analyze);
  if (format === 'text') io.stderr(`process-topology run: ${path.relative(io.cwd, program) || program} with ${how}\n`);
  const base = { program, args: allArgs, io: runIo, timeoutMs: timeoutS === null ? null : timeoutS * 1000 };

  if (values.explore !== undefined) {
    let last: RunOutcome | null = null;
    for (let k = 1; k <= n; k++) {
      const seed = `${strategy}-${k}`;
      last = await launch({ ...base, env: { ...env, PT_MP_SCHEDULE: seed }, quiet: true });
      if (format === 'text') io.stderr(`  seed ${seed}: ${last.outcome}${last.outcome === 'failed' ? ` (exit ${last.code ?? last.signal})` : ''}\n`);
      if (last.outcome === 'deadlock') {
        return finish(io, format, version, { ...last, schedule: seed }, `deadlock found with seed ${seed} (run ${k} of ${n}); replay it: process-topology run ${first} --seed ${seed}`);
      }
    }
    return finish(io, format, version, last!, `no deadlock in ${n} controlled runs (strategy ${strategy})`, EXIT.completed);
  }
  if (values.seed !== undefined) {
    const r = await launch({ ...base, env: { ...env, PT_MP_SCHEDULE: values.seed } });
    return finish(io, format, version, { ...r, schedule: values.seed }, null);
  }
  if (reproduce !== null) {
    const { finding, model } = reproduce;
    const steerFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-steer-')), 'finding.json');
    // The model's process nodes tell the shim which runtime process each trace step names.
    const nodes = model.nodes.filter((n) => n.kind === 'process' || n.kind === 'pool' || n.kind === 'manager').map((n) => ({ id: n.id, loc: n.loc, role: n.role, target: n.target }));
    fs.writeFileSync(steerFile, JSON.stringify({ root: model.root, finding, nodes }));
    try {
      const r = await launch({ ...base, env: { ...env, PT_MP_STEER: steerFile } });
      return finishReproduce(io, format, version, r, finding);
    } finally {
      fs.rmSync(path.dirname(steerFile), { recursive: true, force: true });
    }
  }
  return finish(io, format, version, await launch({ ...base, env }), null);
}

/**
 * Finding `spec` of the program's analysis: an index into `check --format json`'s findings, or a
 * rule id; or, when `file` is a JSON file, the finding it holds with the model it comes from
 * (`{root, finding, nodes}`: an editor's analysis, whose root may be a workspace folder).
 */
function pickFinding(program: string, file: string, spec: string, analyze: Analyze | undefined): { finding: Finding; model: Pick<TopologyModel, 'root' | 'nodes'> } {
  if (spec.endsWith('.json')) {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new RunUsageError(`--reproduce ${spec}: ${err instanceof SyntaxError ? 'not JSON' : 'cannot read it'}`);
    }
    const d = data as { root?: unknown; finding?: unknown; nodes?: unknown };
    const f = d.finding as Partial<Finding> | undefined;
    // The model's process, pool and manager nodes (which runtime process is which trace step's).
    const nodes = Array.isArray(d.nodes) ? d.nodes.filter((n): n is TopologyModel['nodes'][number] => typeof n === 'object' && n !== null && typeof (n as { id?: unknown }).id === 'string'
      && ['process', 'pool', 'manager'].includes(String((n as { kind?: unknown }).kind)) && isLocation((n as { loc?: unknown }).loc)) : [];
    if (typeof d.root !== 'string' || !d.root.startsWith('file:') || !f || typeof f.rule !== 'string' || !isLocation(f.loc) || !Array.isArray(f.related)
      || !f.related.every((r) => isLocation((r as { loc?: unknown }).loc)) || !Array.isArray(f.trace) || !f.trace.every((t) => typeof t?.process === 'string' && typeof t.op === 'string' && isLocation(t.loc))) {
      throw new RunUsageError(`--reproduce ${spec}: expected {"root": "file:…", "finding": {rule, loc, related, trace}, "nodes": [{id, kind, loc, role?, target?}, …]}`);
    }
    if (!nodes.some((n) => n.role === 'main')) {
      throw new RunUsageError(`--reproduce ${spec}: its nodes have no main process node (kind "process", role "main"): nothing would tell which process is main`);
    }
    if (f.trace.length === 0) throw new RunUsageError(`--reproduce: the ${f.rule} finding has no trace to follow (only deadlock findings have one)`);
    return { finding: f as Finding, model: { root: d.root, nodes } };
  }
  if (!analyze) throw new RunUsageError(`--reproduce ${spec}: this runner takes the finding as a JSON file; the process-topology command line also takes an index or a rule id`);
  const model = analyze(program);
  let f: Finding | undefined;
  if (/^\d+$/.test(spec)) {
    f = model.findings[Number(spec)];
    if (!f) throw new RunUsageError(`--reproduce ${spec}: the analysis of ${path.basename(program)} has ${model.findings.length} finding${model.findings.length === 1 ? '' : 's'} (indexes from 0)`);
  } else {
    f = model.findings.find((x) => x.rule === spec && x.trace && x.trace.length > 0) ?? model.findings.find((x) => x.rule === spec);
    if (!f) throw new RunUsageError(`--reproduce ${spec}: no ${spec} finding in ${path.basename(program)}`);
  }
  if (!f.trace || f.trace.length === 0) throw new RunUsageError(`--reproduce: the ${f.rule} finding has no trace to follow (only deadlock findings have one)`);
  // Steps are relative to the analysis root (the program's folder).
  return { finding: f, model };
}

function describeOutcome(r: RunOutcome): string {
  switch (r.outcome) {
    case 'completed': return `completed (exit 0) in ${(r.ms / 1000).toFixed(1)} s`;
    case 'failed': return `failed (${r.signal ? `signal ${r.signal}` : `exit ${r.code}`})`;
    case 'killed': return 'stopped after --timeout';
    default: return `deadlocked (exit ${r.code ?? r.signal})`;
  }
}

function exitOf(r: RunOutcome): number {
  if (r.outcome === 'deadlock') return EXIT.deadlock;
  return r.outcome === 'completed' ? EXIT.completed : EXIT.failed;
}

function finish(io: Omit<RunIo, 'inherit'>, format: string, version: string, r: RunOutcome, note: string | null, exit = exitOf(r)): number {
  if (format === 'json') {
    io.stdout(JSON.stringify({ ...r, note }, null, 2) + '\n');
  } else if (format === 'sarif') {
    io.stdout(runtimeSarif(r, version, note));
  } else {
    // The program's own uncaught DeadlockError (exit 3) printed the report already.
    if (r.report && !r.reportShown) io.stderr(`\n${reportText(r.report)}\n`);
    io.stderr(`process-topology run: ${note ?? describeOutcome(r)}\n`);
  }
  return exit;
}

function finishReproduce(io: Omit<RunIo, 'inherit'>, format: string, version: string, r: RunOutcome, finding: Finding): number {
  const s = r.steer;
  const reproduced = r.outcome === 'deadlock' && s?.outcome === 'reproduced';
  const note = reproduced
    ? `reproduced the ${finding.rule} finding: the run followed its trace (${s!.steps} step${s!.steps === 1 ? "" : "s"}) and deadlocked as predicted`
    : s?.outcome === 'diverged'
      ? `diverged at step ${(s.at ?? 0) + 1} of ${s.steps}: ${s.why}`
      : r.outcome === 'deadlock'
        ? `the run deadlocked, but not as the finding predicts${s?.why ? `: ${s.why}` : ''}`
        : `not reproduced: the run ${describeOutcome(r)}${s ? ` after following ${s.done} of ${s.steps} steps` : ' (the program did not load the shim\'s runtime)'}`;
  finish(io, format, version, r, note, 0);
  return reproduced ? EXIT.deadlock : EXIT.diverged;
}

/** The report as the shim's formatReport prints it (a shorter form: the CLI has no shim import). */
function reportText(r: RuntimeReport): string {
  const lines = [r.kind === 'deadlock' ? 'Deadlock: every process of the program is blocked in a shim call that no other process can answer.' : 'Wait report:'];
  for (const p of r.processes) {
    lines.push(`${p.name} (pid ${p.pid}${p.target ? `, target ${p.target}` : ''}): ${p.state}`);
    for (const w of p.waits) {
      const o = r.objects.find((x) => x.id === w.object);
      const at = w.loc ? `${w.loc.file}:${w.loc.range.start.line + 1}:${w.loc.range.start.character + 1}` : 'an unknown place';
      lines.push(`    waits in ${w.op}() on ${w.on}${o ? ` '${o.label}'` : ''}, called at ${at}`);
    }
  }
  return lines.join('\n');
}

/** SARIF 2.1.0 with the `deadlock` rule's result at the blocked calls, the run's report as its evidence. */
function runtimeSarif(r: RunOutcome, version: string, note: string | null): string {
  const results: unknown[] = [];
  const rep = r.report;
  if (rep) {
    const calls = rep.processes.flatMap((p) => p.waits.filter((w) => w.loc).map((w) => ({ p, w })));
    const loc = (l: NonNullable<RuntimeReport['processes'][number]['waits'][number]['loc']>, message?: string) => ({
      physicalLocation: {
        artifactLocation: sarifArtifactLocation(l.file),
        region: { startLine: l.range.start.line + 1, startColumn: l.range.start.character + 1 },
      },
      ...(message ? { message: { text: message } } : {}),
    });
    const waits = calls.map(({ p, w }) => `${p.name} waits in ${w.op}()`).join(', ');
    results.push({
      ruleId: 'deadlock',
      ruleIndex: 0,
      level: 'error',
      message: { text: `Deadlock at run time: ${waits}, and nothing left can wake them${r.schedule ? ` (seed ${r.schedule})` : ''}` },
      locations: calls.length > 0 ? [loc(calls[0]!.w.loc!)] : [],
      relatedLocations: calls.slice(1).map(({ p, w }, i) => ({ id: i + 1, ...loc(w.loc!, `${p.name} waits here`) })),
      codeFlows: [{ threadFlows: rep.processes.filter((p) => p.waits.some((w) => w.loc)).map((p) => ({ locations: p.waits.filter((w) => w.loc).map((w) => ({ location: loc(w.loc!, `${p.name}: ${w.op}`) })) })) }],
      properties: { evidence: 'runtime', stalledMs: rep.stalledMs, ...(r.schedule ? { seed: r.schedule } : {}), report: rep },
    });
  }
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'process-topology', version, informationUri: 'https://github.com/process-topology/process-topology',
          rules: [{ id: 'deadlock', helpUri: 'https://github.com/process-topology/process-topology/blob/main/docs/rules/deadlock.md' }],
        },
      },
      originalUriBaseIds: { '%SRCROOT%': { uri: (rep?.root ?? pathToFileURL(path.dirname(r.program)).href).replace(/\/?$/, '/') } },
      invocations: [{ executionSuccessful: true, exitCode: r.code ?? -1, properties: { outcome: r.outcome, note } }],
      results,
    }],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
