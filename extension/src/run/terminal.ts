// The terminal a run happens in: a VS Code terminal (a Pseudoterminal) around the command line's
// `run` process. The program's output appears there; what the user types goes to its stdin a line
// at a time (echoed, with backspace), Ctrl+C interrupts it (SIGINT, which `run` passes on), Ctrl+D
// ends its input. When it ends, the terminal says how and stays open to be read; closing the
// terminal stops the run. The extension host owns the process, so it knows its exit code exactly.
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';

export interface TerminalRun {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private child: ChildProcess | undefined;
  private line = '';
  /** Everything written to the terminal (bounded), for the tests and the output channel. */
  private transcript = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>;
  private resolveExit!: (r: { code: number | null; signal: NodeJS.Signals | null; error?: string }) => void;
  private opened = false;
  private ended = false;

  constructor(private readonly run: TerminalRun, private readonly banner: string) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get output(): string {
    return this.transcript;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process when the terminal opens (VS Code calls it once it is shown or created). */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.write(`\x1b[2m${this.banner}\x1b[0m\n`);
    let child: ChildProcess;
    try {
      // Its own process group: a run that will not stop is killed with everything it started.
      child = spawn(this.run.command, this.run.args, { cwd: this.run.cwd, env: this.run.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      return;
    }
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.write(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.write(d.toString()));
    child.stdin?.on('error', () => undefined); // the program may close its input before we write
    child.on('error', (err) => this.fail(err.message));
    child.on('close', (code, signal) => {
      if (this.ended) return;
      this.ended = true;
      this.write(`\n\x1b[2m[process-topology run ended: ${signal ? `signal ${signal}` : `exit code ${code}`}. Close this terminal when done.]\x1b[0m\n`);
      this.resolveExit({ code, signal });
    });
  }

  private fail(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.write(`\x1b[31mCould not start ${this.run.command}: ${message}\x1b[0m\nSet processTopology.run.node to the Node.js to run programs with.\n`);
    this.resolveExit({ code: null, signal: null, error: message });
  }

  private write(text: string): void {
    this.transcript = (this.transcript + text).slice(-200_000);
    this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n'));
  }

  handleInput(data: string): void {
    const child = this.child;
    if (!child || this.ended) return;
    for (const ch of data) {
      if (ch === '\x03') {
        this.writeEmitter.fire('^C\r\n');
        child.kill('SIGINT');
      } else if (ch === '\x04') {
        if (this.line) { child.stdin?.write(this.line); this.line = ''; }
        child.stdin?.end();
      } else if (ch === '\r' || ch === '\n') {
        this.writeEmitter.fire('\r\n');
        child.stdin?.write(`${this.line}\n`);
        this.line = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.writeEmitter.fire('\b \b');
        }
      } else if (ch >= ' ' || ch === '\t') {
        this.line += ch;
        this.writeEmitter.fire(ch);
      }
    }
  }

  /** Stops the run: SIGTERM (passed on to the program), then SIGKILL if it lingers. */
  stop(): void {
    const child = this.child;
    if (!child || this.ended) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.ended || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, 3000);
    timer.unref?.();
  }

  close(): void {
    this.stop();
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
