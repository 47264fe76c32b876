// The command line's progress line, on a real terminal: `script` (util-linux) runs the built CLI
// under a pseudo-terminal, with stdout redirected to a file, so what the terminal shows is stderr
// alone. Progress appears there for a run with many programs, and never on stdout, with
// --no-progress, with JSON or SARIF output, with few programs, or when stderr is a pipe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { progressLine, PROGRESS_MIN_PROGRAMS } from '../../server/src/cli/progress';
import { DIST, EXAMPLES } from '../helpers/paths';

const CLI = path.join(DIST, 'cli.js');
const ERASE = '\r\x1b[2K';

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

let dir = '';
before(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-progress-')));
  fs.cpSync(EXAMPLES, path.join(dir, 'examples'), { recursive: true });
  const programs = fs.readdirSync(path.join(dir, 'examples')).filter((f) => f.endsWith('.ts')).length;
  assert.ok(programs >= PROGRESS_MIN_PROGRAMS, `the examples are ${programs} programs, enough for a progress line`);
});
after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with stderr on a terminal and stdout into a file: what the terminal got, and the file. */
function onTerminal(args: string[]): { terminal: string; stdout: string; code: number | null } {
  const out = path.join(dir, 'stdout.txt');
  const command = `${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')} > ${quote(out)}`;
  // -q: no "Script started" lines; -e: script exits with the command's status; no log file.
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.error, undefined);
  return { terminal: r.stdout, stdout: fs.readFileSync(out, 'utf8'), code: r.status };
}

describe('progress on a terminal', () => {
  it('check of many programs: a progress line on stderr, rewritten in place and erased; stdout untouched', () => {
    const r = onTerminal(['check', 'examples']);
    assert.equal(r.code, 1, r.terminal);
    assert.ok(r.terminal.startsWith(`${ERASE}process-topology: reading `), JSON.stringify(r.terminal.slice(0, 80)));
    const frames = r.terminal.split(ERASE).filter(Boolean);
    assert.ok(frames.some((f) => /^process-topology: analyzing \[[#-]{20}\] \d+\/\d+ files$/.test(f)), JSON.stringify(frames));
    assert.match(frames.at(-1)!, /analyzing \[#{20}\] (\d+)\/\1 files$/, 'the last frame is the whole run');
    assert.ok(r.terminal.endsWith(ERASE), 'the line is erased before the results');
    assert.ok(!r.terminal.includes('\n'), 'one line, never scrolled');
    assert.ok(!r.stdout.includes('\x1b') && !r.stdout.includes('\r'), 'nothing of it on stdout');
    const piped = spawnSync(process.execPath, [CLI, 'check', 'examples'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.stdout, piped.stdout, 'the same results as without a terminal');
  });

  for (const [what, args] of [
    ['--no-progress', ['check', 'examples', '--no-progress']],
    ['JSON output', ['check', 'examples', '--format', 'json']],
    ['SARIF output', ['check', 'examples', '--format', 'sarif']],
    ['graph as JSON', ['graph', 'examples', '--format', 'json']],
    ['a single program', ['check', 'examples/producer-consumer.ts']],
  ] as const) {
    it(`no progress with ${what}`, () => {
      const r = onTerminal([...args]);
      assert.equal(r.terminal, '', JSON.stringify(r.terminal));
      assert.ok(r.stdout.length > 0);
    });
  }

  it('no progress when stderr is a pipe', () => {
    const r = spawnSync(process.execPath, [CLI, 'check', 'examples'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, '');
  });
});

describe('progressLine', () => {
  it('redraws at most every 100 ms, always the last step, and erases only what it drew', () => {
    let t = 0;
    const out: string[] = [];
    const p = progressLine((s) => out.push(s), 12, () => t);
    assert.deepEqual(out, [`${ERASE}process-topology: reading 12 programs…`]);
    p.update(1, 4);
    t += 50;
    p.update(2, 4); // too soon: skipped
    t += 100;
    p.update(3, 4);
    t += 1;
    p.update(4, 4); // the last one is always drawn
    assert.deepEqual(out.slice(1), [
      `${ERASE}process-topology: analyzing [#####---------------] 1/4 files`,
      `${ERASE}process-topology: analyzing [###############-----] 3/4 files`,
      `${ERASE}process-topology: analyzing [####################] 4/4 files`,
    ]);
    p.done();
    p.done();
    assert.deepEqual(out.slice(4), [ERASE]);
  });
});
