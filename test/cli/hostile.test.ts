// The command line on bad and hostile input (issue 13), run as a user runs it, on real files:
// symlinks to /dev/zero, FIFOs, deeply nested files, a closed stdout, UTF-16 files, unreadable
// files and folders (as an unprivileged user when the tests run as root), full disks; and the
// options and config file that match the editor's shimModules and stateBudget settings.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BROKEN_EXAMPLE, DIST, GOOD_EXAMPLE, ROOT } from '../helpers/paths';

interface Run { code: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null }

/** The CLI with a hard time limit: a hang is a failure, not a stuck test run. */
function cli(args: string[], cwd: string, extra: SpawnSyncOptions = {}): Run {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, ...extra });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr), signal: r.signal };
}

/** Root reads everything: the permission cases run the CLI as `nobody` then. */
const unprivileged: SpawnSyncOptions = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

function scratch(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-cli-hostile-')));
  fs.chmodSync(dir, 0o755); // an unprivileged run must be able to enter it
  return dir;
}

const BROKEN = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');

/** The broken example's finding, as the text format prints it, for a copy at `rel`. */
function sentinelFinding(rel: string): RegExp {
  return new RegExp(`^${rel.replace(/[.]/g, '\\.')}:\\d+:\\d+  error  .*\\[missing-sentinel\\]$`, 'm');
}

function oneLine(r: Run): void {
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error/);
}

describe('hostile files in an analyzed folder are skipped with a note, the rest is analyzed', () => {
  let dir: string;
  before(() => {
    dir = scratch();
    fs.writeFileSync(path.join(dir, 'main.ts'), BROKEN);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('symlinks to /dev/zero named like a source file and like package.json', () => {
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.ts'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'package.json'));
    try {
      const r = cli(['check', '.'], dir);
      assert.equal(r.signal, null, 'finished in time');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, sentinelFinding('main.ts'));
      assert.match(r.stderr, /^process-topology: note: zero\.ts is not analyzed: it is a character device \(a symlink to \/dev\/zero\), not a regular file$/m);
      assert.match(r.stderr, /^process-topology: note: package\.json is not read: it is a character device \(a symlink to \/dev\/zero\), not a regular file$/m);
    } finally {
      fs.rmSync(path.join(dir, 'zero.ts'));
      fs.rmSync(path.join(dir, 'package.json'));
    }
  });

  it('a FIFO named like a source file', () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.ts')]);
    try {
      const r = cli(['check', '.'], dir);
      assert.equal(r.signal, null, 'finished in time, never waiting for a writer');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, sentinelFinding('main.ts'));
      assert.match(r.stderr, /note: pipe\.ts is not analyzed: it is a FIFO \(named pipe\), not a regular file/);
    } finally {
      fs.rmSync(path.join(dir, 'pipe.ts'));
    }
  });

  it('files nested 800 to 5,000 levels deep lose nothing of the others', () => {
    // 800 levels: the case (the stack of the parser or the analysis may or may not hold);
    // 1,200 and a 5,000-term sum: past the 1,000 levels the analysis follows, always named.
    fs.writeFileSync(path.join(dir, 'table800.ts'), `export const table = ${'['.repeat(800)}1${']'.repeat(800)};\n`);
    fs.writeFileSync(path.join(dir, 'table.ts'), `export const table = ${'['.repeat(1200)}1${']'.repeat(1200)};\n`);
    fs.writeFileSync(path.join(dir, 'sum.ts'), `export const sum = ${Array.from({ length: 5000 }, (_, i) => i).join(' + ')};\n`);
    try {
      const r = cli(['check', '.'], dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, sentinelFinding('main.ts'));
      assert.match(r.stderr, /note: table\.ts is not analyzed: (TypeScript cannot parse it: its syntax nests too deep for the parser|its syntax nests 1\d{3} levels deep, more than the 1000 the analysis follows)$/m);
      assert.match(r.stderr, /note: sum\.ts is not analyzed: its syntax nests 500\d levels deep, more than the 1000 the analysis follows$/m);
      assert.doesNotMatch(r.stderr, /internal error/);
    } finally {
      for (const f of ['table800.ts', 'table.ts', 'sum.ts']) fs.rmSync(path.join(dir, f));
    }
  });

  it('a file the user cannot read is named, not skipped in silence', () => {
    fs.writeFileSync(path.join(dir, 'locked.ts'), BROKEN);
    fs.chmodSync(path.join(dir, 'locked.ts'), 0o000);
    try {
      const r = cli(['check', '.'], dir, unprivileged);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, sentinelFinding('main.ts'));
      assert.match(r.stderr, /note: locked\.ts is not analyzed: permission denied$/m);
    } finally {
      fs.rmSync(path.join(dir, 'locked.ts'));
    }
  });
});

describe('a tsconfig.json that is not a regular file ends the command with one line naming it', () => {
  for (const [what, make] of [
    ['a symlink to /dev/zero', (f: string) => fs.symlinkSync('/dev/zero', f)],
    ['a FIFO', (f: string) => execFileSync('mkfifo', [f])],
  ] as const) {
    it(what, () => {
      const dir = scratch();
      try {
        fs.writeFileSync(path.join(dir, 'main.ts'), BROKEN);
        make(path.join(dir, 'tsconfig.json'));
        const r = cli(['check'], dir);
        assert.equal(r.signal, null, 'finished in time');
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^process-topology: tsconfig\.json: it is a (character device \(a symlink to \/dev\/zero\)|FIFO \(named pipe\)), not a regular file\n$/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('an extended tsconfig that is a symlink to /dev/zero', () => {
    const dir = scratch();
    try {
      fs.writeFileSync(path.join(dir, 'main.ts'), BROKEN);
      fs.symlinkSync('/dev/zero', path.join(dir, 'base.json'));
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: './base.json', include: ['*.ts'] }));
      const r = cli(['check'], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^process-topology: base\.json: it is a character device \(a symlink to \/dev\/zero\), not a regular file \(extended by tsconfig\.json\)\n$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a closed stdout', () => {
  it('ends `graph … | head` quietly, with the command\'s own exit code', async () => {
    const child = spawn(process.execPath, [path.join(DIST, 'cli.js'), 'graph', 'examples/', '--format', 'dot'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away before the graph is written, as `head` does once it has its lines.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});

describe('files named on the command line', () => {
  let dir: string;
  before(() => {
    dir = scratch();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [bom, encode] of [
    ['UTF-16 LE', (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')])],
    ['UTF-16 BE', (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()])],
    ['UTF-8', (s: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')])],
  ] as const) {
    it(`reads a ${bom} file with a byte order mark, as tsc does`, () => {
      const name = `bom-${bom.replace(/\W/g, '')}.ts`;
      fs.writeFileSync(path.join(dir, name), encode(BROKEN));
      const r = cli(['check', name], dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, sentinelFinding(name));
    });
  }

  it('says a looping symlink is a loop, not that there is no such file', () => {
    fs.symlinkSync('loop.ts', path.join(dir, 'loop.ts'));
    const r = cli(['check', 'loop.ts'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^process-topology: cannot read loop\.ts: it is a symlink loop/);
    oneLine(r);
  });

  it('says a file in a folder it cannot enter is unreadable, and which folder', () => {
    const secret = path.join(dir, 'secret');
    fs.mkdirSync(secret);
    fs.writeFileSync(path.join(secret, 'main.ts'), BROKEN);
    fs.chmodSync(secret, 0o700);
    if (unprivileged.uid === undefined) fs.chmodSync(secret, 0o000);
    try {
      const r = cli(['check', 'secret/main.ts'], dir, unprivileged);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^process-topology: cannot read secret\/main\.ts: permission denied \(the folder .*\/secret cannot be entered\)$/m);
      oneLine(r);
    } finally {
      fs.chmodSync(secret, 0o755);
    }
  });

  it('names a FIFO given by name instead of waiting on it', () => {
    execFileSync('mkfifo', [path.join(dir, 'named.ts')]);
    const r = cli(['check', 'named.ts'], dir);
    assert.equal(r.signal, null);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^process-topology: named\.ts is not analyzed: it is a FIFO \(named pipe\), not a regular file$/m);
    oneLine(r);
  });
});

describe('errors of the user\'s environment are said as such, in one line', () => {
  let dir: string;
  before(() => {
    dir = scratch();
    fs.writeFileSync(path.join(dir, 'main.ts'), BROKEN);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--out naming a folder', () => {
    fs.mkdirSync(path.join(dir, 'outdir'));
    const r = cli(['graph', 'main.ts', '--format', 'dot', '--out', 'outdir'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^process-topology: cannot write outdir: it is a folder$/m);
    oneLine(r);
  });

  it('--out on a full disk', () => {
    const r = cli(['graph', 'main.ts', '--format', 'dot', '--out', '/dev/full'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^process-topology: cannot write \/dev\/full: no space left on the device$/m);
    oneLine(r);
  });

  it('--out where the user may not write', () => {
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked);
    fs.chmodSync(locked, unprivileged.uid === undefined ? 0o555 : 0o755);
    try {
      const r = cli(['graph', 'main.ts', '--format', 'dot', '--out', 'locked/graph.dot'], dir, unprivileged);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^process-topology: cannot write locked\/graph\.dot: permission denied$/m);
      oneLine(r);
    } finally {
      fs.chmodSync(locked, 0o755);
    }
  });

  it('invalid tsconfig JSON, with its line and column', () => {
    const project = path.join(dir, 'bad-json');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'main.ts'), BROKEN);
    fs.writeFileSync(path.join(project, 'tsconfig.json'), '{\n  "compilerOptions": {\n    "strict": true,,\n  }\n}\n');
    const r = cli(['check'], project);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^process-topology: tsconfig\.json:3:20: Property assignment expected\.$/m);
    oneLine(r);
  });

  it('--project naming a folder, as tsc takes it', () => {
    const project = path.join(dir, 'proj');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'main.ts'), BROKEN);
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true }, include: ['*.ts'] }));
    const r = cli(['check', '--project', 'proj'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, sentinelFinding('proj/main.ts'));
    const none = cli(['check', '--project', '.'], path.join(dir, 'outdir'));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^process-topology: no tsconfig\.json in the folder \.$/m);
  });
});

describe('--shim-module, --state-budget and process-topology.json', () => {
  let dir: string;
  // The shim through a module of the user's own (not installed here: recognised by its name).
  const viaWrapper = BROKEN.replace("'@process-topology/multiprocessing'", "'@acme/workers'");
  before(() => {
    dir = scratch();
    fs.writeFileSync(path.join(dir, 'main.ts'), viaWrapper);
    fs.copyFileSync(GOOD_EXAMPLE, path.join(dir, 'good.ts'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--shim-module makes a re-exporting module count as the shim', () => {
    assert.equal(cli(['check', 'main.ts'], dir).code, 0, 'without it, @acme/workers is not the shim');
    const r = cli(['check', 'main.ts', '--shim-module', '@acme/workers'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, sentinelFinding('main.ts'));
  });

  it('--state-budget bounds the deadlock checker, and the note says it claims nothing', () => {
    const r = cli(['check', 'good.ts', '--state-budget', '100'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^process-topology: note: deadlock: explored 10\d states of good\.ts without finishing \(budget\); no claim either way$/m);
    assert.doesNotMatch(cli(['check', 'good.ts'], dir).stderr, /without finishing/, 'the default budget finishes');
  });

  for (const [args, reason] of [
    [['--state-budget', '10'], /--state-budget expects a whole number of at least 100, got '10'/],
    [['--state-budget', 'lots'], /--state-budget expects a whole number of at least 100, got 'lots'/],
    [['--shim-module', ''], /--shim-module expects a module name/],
  ] as const) {
    it(`exits 2 with a one-line reason: ${args.join(' ')}`, () => {
      const r = cli(['check', 'good.ts', ...args], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, reason);
      oneLine(r);
    });
  }

  it('reads shimModules and stateBudget from process-topology.json; the options win', () => {
    const config = path.join(dir, 'process-topology.json');
    fs.writeFileSync(config, JSON.stringify({ shimModules: ['@acme/workers'], stateBudget: 100 }));
    try {
      const r = cli(['check', 'main.ts', 'good.ts'], dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, sentinelFinding('main.ts'));
      assert.match(r.stderr, /note: deadlock: explored 10\d states of good\.ts without finishing \(budget\)/);
      assert.doesNotMatch(cli(['check', 'good.ts', '--state-budget', '20000'], dir).stderr, /without finishing/);
    } finally {
      fs.rmSync(config);
    }
  });

  for (const [text, reason] of [
    ['{ "shimModules": "@acme/workers" }', /^process-topology: process-topology\.json:1:18: "shimModules" expects an array of module names/],
    ['{ "stateBudget": 5 }', /^process-topology: process-topology\.json:1:18: "stateBudget" expects a whole number of at least 100/],
    ['{ "stateBuget": 500 }', /^process-topology: process-topology\.json:1:3: unknown key "stateBuget" \(expected shimModules or stateBudget\)/],
    ['{\n  "shimModules": [\n}', /^process-topology: process-topology\.json:3:1: /],
  ] as const) {
    it(`exits 2 on a bad process-topology.json, saying where: ${JSON.stringify(text)}`, () => {
      const config = path.join(dir, 'process-topology.json');
      fs.writeFileSync(config, text);
      try {
        const r = cli(['check', 'good.ts'], dir);
        assert.equal(r.code, 2);
        assert.match(r.stderr, reason);
        oneLine(r);
      } finally {
        fs.rmSync(config);
      }
    });
  }
});
