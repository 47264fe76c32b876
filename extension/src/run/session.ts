// One run of a program with the runtime switched on: the command line's `run` (dist/cli.js, with
// the Node.js of the settings) started in a terminal or quietly (Explore Interleavings), its trace
// received on a unix socket and folded into a LiveRun as it comes, and how it ended — completed,
// failed, deadlocked (with the report), or, for a steered replay, reproduced or diverged (with the
// step and why). The lines go on to whoever watches (the graph panel), in order, none dropped.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vscode from 'vscode';
import { LiveRun } from '../../../common/live-run';
import type { Finding, TopologyModel } from '../../../common/model';
import type { RunEnd, RunInfo } from '../../../common/protocol';
import { RunTerminal } from './terminal';
import { TraceServer } from './trace-server';
import type { RunnerSettings } from './settings';

/** How the command line's `run` says a run ended (server/src/cli/run.ts). */
export const RUN_EXIT = { completed: 0, failed: 1, usage: 2, deadlock: 3, diverged: 4 } as const;

/** Lines a session keeps to send again to a panel that was closed or reloaded. */
const MAX_KEPT_LINES = 2_000_000;

export interface SessionOptions {
  info: RunInfo;
  settings: RunnerSettings;
  /** The bundled runner (dist/runner.js: the command line's `run`). */
  cli: string;
  /** Steered replay of this finding (its model's root and process nodes tell the shim who is who). */
  reproduce?: { finding: Finding; model: TopologyModel };
  /** Controlled scheduling with this seed (`random-7`). */
  seed?: string;
  /** Quiet (no terminal): Explore Interleavings. */
  quiet?: boolean;
  timeoutSeconds?: number;
  /** The terminal's name. */
  name: string;
}

export class RunSession implements vscode.Disposable {
  readonly live = new LiveRun();
  /** Every line so far (up to MAX_KEPT_LINES; past it `truncated`). */
  readonly lines: string[] = [];
  truncated = false;
  end: RunEnd | undefined;
  /** The command line's exit code. */
  exitCode: number | null = null;
  terminal!: RunTerminal;
  vscodeTerminal: vscode.Terminal | undefined;
  private server: TraceServer | undefined;
  private readonly listeners = new Set<(lines: string[]) => void>();
  private readonly endListeners = new Set<(end: RunEnd) => void>();
  private steerFile: string | undefined;
  /** Stop Run (or a new run) ended it. */
  private stopped = false;
  readonly ended: Promise<RunEnd>;
  private resolveEnded!: (e: RunEnd) => void;

  private constructor(readonly opts: SessionOptions, private readonly log: (line: string) => void) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get info(): RunInfo {
    return this.opts.info;
  }

  /** Starts a run: the socket first, then the program (in a terminal unless quiet). */
  static async start(opts: SessionOptions, log: (line: string) => void): Promise<RunSession> {
    const session = new RunSession(opts, log);
    await session.begin();
    return session;
  }

  private async begin(): Promise<void> {
    const { settings: s, cli } = this.opts;
    this.server = await TraceServer.listen((lines) => this.receive(lines));
    const args = [cli, 'run', s.program, '--trace', this.server.target];
    if (this.opts.reproduce) {
      const { finding, model } = this.opts.reproduce;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-reproduce-'));
      this.steerFile = path.join(dir, 'finding.json');
      // The model of a workspace has a main node per program: the one that runs is the program's.
      const root = model.root.startsWith('file:') ? fileURLToPath(model.root) : model.root;
      const nodes = model.nodes.filter((n) => n.kind === 'process' || n.kind === 'pool' || n.kind === 'manager')
        .filter((n) => n.role !== 'main' || path.resolve(root, n.loc.file) === s.program)
        .map((n) => ({ id: n.id, kind: n.kind, loc: n.loc, role: n.role, target: n.target }));
      fs.writeFileSync(this.steerFile, JSON.stringify({ root: model.root, finding, nodes }));
      args.push('--reproduce', this.steerFile);
    }
    if (this.opts.seed) args.push('--seed', this.opts.seed);
    if (this.opts.timeoutSeconds) args.push('--timeout', String(this.opts.timeoutSeconds));
    if (s.args.length > 0) args.push('--', ...s.args);
    const env: NodeJS.ProcessEnv = {
      ...process.env, ...s.env,
      // The wait report on demand (Process Topology: Wait Report) is this signal to the program.
      PT_MP_REPORT_SIGNAL: 'SIGUSR2',
      FORCE_COLOR: process.env.FORCE_COLOR ?? '1',
    };
    // Not the extension host's own switches (a VS Code started from a traced run).
    delete env.PT_MP_TRACE;
    delete env.PT_MP_STEER;
    delete env.PT_MP_SCHEDULE;
    const banner = `process-topology run ${path.basename(s.program)}${this.opts.reproduce ? ` --reproduce (the ${this.opts.reproduce.finding.rule} finding)` : ''}${this.opts.seed ? ` --seed ${this.opts.seed}` : ''}  (in ${s.cwd})`;
    this.log(`${banner}: ${s.node} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    this.terminal = new RunTerminal({ command: s.node, args, cwd: s.cwd, env }, banner);
    if (this.opts.quiet) {
      this.terminal.open();
    } else {
      this.vscodeTerminal = vscode.window.createTerminal({ name: this.opts.name, pty: this.terminal, iconPath: new vscode.ThemeIcon('type-hierarchy') });
      this.vscodeTerminal.show(true);
      // A terminal that is never shown is never opened: open it ourselves (open() runs once).
      setTimeout(() => this.terminal.open(), 500);
    }
    void this.terminal.exited.then(async (exit) => {
      // The program's last lines may still be on their way: wait for its connection to end.
      await Promise.race([this.server?.done, new Promise((r) => setTimeout(r, this.server?.connected ? 3000 : 200))]);
      this.exitCode = exit.code;
      this.finish(this.outcome(exit));
    });
  }

  private receive(lines: string[]): void {
    this.live.feed(lines);
    if (!this.truncated && this.lines.length + lines.length <= MAX_KEPT_LINES) this.lines.push(...lines);
    else this.truncated = true;
    for (const l of this.listeners) l(lines);
  }

  onLines(f: (lines: string[]) => void): vscode.Disposable {
    this.listeners.add(f);
    return new vscode.Disposable(() => this.listeners.delete(f));
  }

  onEnd(f: (end: RunEnd) => void): vscode.Disposable {
    this.endListeners.add(f);
    return new vscode.Disposable(() => this.endListeners.delete(f));
  }

  /** The main process's pid (from the trace). */
  get mainPid(): number | undefined {
    const st = this.live.state;
    return st.order.map((pid) => st.processes[pid]!).find((p) => p.role === 'main')?.pid;
  }

  private outcome(exit: { code: number | null; signal: NodeJS.Signals | null; error?: string }): RunEnd {
    const st = this.live.state;
    const code = exit.code;
    const program = path.basename(this.opts.settings.program);
    if (exit.error) return { kind: 'failed', text: `could not start ${this.opts.settings.node}: ${exit.error}`, code: null };
    const blocked = (st.deadlock?.processes ?? []).filter((p) => p.state === 'blocked');
    const waits = blocked.map((p) => `${p.name}${p.target ? ` (${p.target})` : ''} in ${p.waits.map((w) => `${w.op}()`).join(', ')}`).join(', ');
    if (this.opts.reproduce) {
      const s = st.steer;
      if (code === RUN_EXIT.deadlock && s?.outcome === 'reproduced') {
        return { kind: 'reproduced', text: `Reproduced: the run followed the ${this.opts.reproduce.finding.rule} finding's trace (${s.steps} steps) and deadlocked as predicted: ${waits}.`, code };
      }
      if (s?.outcome === 'diverged') {
        return { kind: 'diverged', text: `Diverged at step ${(s.at ?? 0) + 1} of ${s.steps}: ${s.why ?? 'the run left the trace'}.`, code };
      }
      if (code === RUN_EXIT.deadlock) return { kind: 'deadlock', text: `The run deadlocked, but not as the finding predicts${s?.why ? `: ${s.why}` : ''}: ${waits}.`, code };
    }
    if (this.stopped || exit.signal || (code !== null && code > 128)) return { kind: 'stopped', text: `${program} was stopped${exit.signal ? ` (${exit.signal})` : ''}.`, code };
    if (st.deadlock || code === RUN_EXIT.deadlock) {
      return { kind: 'deadlock', text: `Deadlocked: ${blocked.length} process${blocked.length === 1 ? '' : 'es'} wait forever: ${waits}.`, code };
    }
    if (code === RUN_EXIT.usage) return { kind: 'failed', text: `process-topology run could not run ${program}: see the terminal.`, code };
    if (code === RUN_EXIT.completed) {
      const all = st.order.map((pid) => st.processes[pid]!);
      return { kind: 'completed', text: `Completed: ${all.length} process${all.length === 1 ? '' : 'es'}, every one exited${all.every((p) => p.code === 0 || p.role === 'main') ? ' with code 0' : ''}.`, code };
    }
    const main = st.closed?.code;
    return { kind: 'failed', text: `${program} failed (exit code ${main ?? code}).`, code };
  }

  private finish(end: RunEnd): void {
    if (this.end) return;
    this.end = end;
    this.server?.close();
    if (this.steerFile) fs.rmSync(path.dirname(this.steerFile), { recursive: true, force: true });
    this.resolveEnded(end);
    for (const l of this.endListeners) l(end);
  }

  /** Asks the running program for its wait report (it arrives in the trace, and on its stderr). */
  requestReport(): boolean {
    const pid = this.mainPid;
    if (this.end || pid === undefined) return false;
    try {
      process.kill(pid, 'SIGUSR2');
      return true;
    } catch {
      return false;
    }
  }

  stop(): void {
    if (!this.end) this.stopped = true;
    this.terminal?.stop();
  }

  dispose(): void {
    this.stop();
    this.server?.close();
    this.listeners.clear();
    this.endListeners.clear();
  }
}
