// Where a run's trace arrives: a unix socket the extension listens on (`--trace unix:<path>`), to
// which the program's main process connects and writes its JSON lines (docs/runtime-trace.md).
// Lines are handed on in batches as they come, whole and in order; a connection that ends in the
// middle of a line (a killed program) hands its last complete line and drops the rest.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export class TraceServer {
  private readonly server: net.Server;
  readonly socketPath: string;
  private readonly dir: string;
  private closed = false;
  /** Resolves when the first connection ends (the program exited or was killed). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  connected = false;

  private constructor(private readonly onLines: (lines: string[]) => void) {
    // Socket paths are short (about 100 bytes): a folder of our own in the temp dir.
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-run-'));
    this.socketPath = path.join(this.dir, 'trace.sock');
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async listen(onLines: (lines: string[]) => void): Promise<TraceServer> {
    const s = new TraceServer(onLines);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(s.socketPath, () => resolve());
    });
    return s;
  }

  get target(): string {
    return `unix:${this.socketPath}`;
  }

  private accept(socket: net.Socket): void {
    if (this.connected) {
      // One program per run: a second writer (a program that starts another traced program) is refused.
      socket.destroy();
      return;
    }
    this.connected = true;
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const text = rest + chunk;
      const cut = text.lastIndexOf('\n');
      if (cut < 0) { rest = text; return; }
      rest = text.slice(cut + 1);
      const lines = text.slice(0, cut).split('\n').filter((l) => l.length > 0);
      if (lines.length > 0) this.onLines(lines);
    });
    const end = (): void => this.resolveDone();
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Stops listening and removes the socket (the lines already handed on stay handed on). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resolveDone();
    this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
