// A workspace holding every hostile file of issue 13 at once, among ordinary programs, for the
// language-server test and benchmark (test/lsp/hostile.test.ts, bench/hostile-workspace.ts):
// symlinks to /dev/zero and /dev/urandom named like sources and like package.json, FIFOs named
// like a source and like tsconfig.json, a symlink loop, a 10 GB sparse file, a 3 MB bundle, files
// nested far deeper than any hand-written one, next to two copies of a program with a deadlock
// finding (one in UTF-16) that must still be reported.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWorkspace, type Workspace } from './workspace';
import { BROKEN_EXAMPLE } from './paths';

export interface HostileWorkspace extends Workspace {
  /** Files (relative, forward slashes) the analysis must skip, and how the note says why. */
  skipped: Record<string, RegExp>;
  /** Programs among the hostile files whose missing-sentinel finding must be reported. */
  programs: string[];
}

/** `hostile: false`: the same workspace with only its ordinary files (a benchmark's anchor). */
export function makeHostileWorkspace(opts: { hostile?: boolean } = {}): HostileWorkspace {
  const broken = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
  const ws = makeWorkspace({ fixtures: false });
  const at = (rel: string): string => {
    const full = path.join(ws.dir, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    return full;
  };
  const programs = ['examples/producer-consumer-no-sentinel.ts', 'hostile/uses-shim.ts', 'hostile/utf16.ts'];
  fs.writeFileSync(at('hostile/uses-shim.ts'), broken);
  fs.writeFileSync(at('hostile/utf16.ts'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(broken, 'utf16le')]));
  if (opts.hostile === false) return { ...ws, skipped: {}, programs };
  fs.symlinkSync('/dev/zero', at('zero.ts'));
  fs.symlinkSync('/dev/zero', at('hostile/package.json'));
  fs.symlinkSync('/dev/urandom', at('hostile/random.js'));
  execFileSync('mkfifo', [at('hostile/tsconfig.json'), at('hostile/pipe.ts')]);
  fs.symlinkSync('loop.ts', at('hostile/loop.ts'));
  fs.symlinkSync('nowhere.ts', at('hostile/dangling.ts'));
  // 10 GB that take no disk: a size no read may trust.
  fs.closeSync(fs.openSync(at('hostile/sparse.ts'), 'w'));
  fs.truncateSync(at('hostile/sparse.ts'), 10 * 1024 ** 3);
  fs.writeFileSync(at('hostile/bundle.js'), `export const data = [${'1234567,'.repeat(375_000)}];\n`);
  fs.writeFileSync(at('hostile/table.ts'), `export const table = ${'['.repeat(1200)}1${']'.repeat(1200)};\n`);
  fs.writeFileSync(at('hostile/sum.ts'), `export const sum = ${Array.from({ length: 5000 }, (_, i) => i).join(' + ')};\n`);
  return {
    ...ws,
    skipped: {
      'zero.ts': /zero\.ts is not analyzed: it is a character device \(a symlink to \/dev\/zero\), not a regular file/,
      'hostile/package.json': /hostile\/package\.json is not read: it is a character device \(a symlink to \/dev\/zero\), not a regular file/,
      'hostile/random.js': /hostile\/random\.js is not analyzed: it is a character device \(a symlink to \/dev\/urandom\), not a regular file/,
      'hostile/pipe.ts': /hostile\/pipe\.ts is not analyzed: it is a FIFO \(named pipe\), not a regular file/,
      'hostile/tsconfig.json': /hostile\/tsconfig\.json: it is a FIFO \(named pipe\), not a regular file \(the default compiler options are used\)/,
      'hostile/loop.ts': /hostile\/loop\.ts is not analyzed: it is a symlink loop/,
      'hostile/sparse.ts': /hostile\/sparse\.ts is not analyzed: it is larger than 1 MB \(10737\.4 MB\)/,
      'hostile/bundle.js': /hostile\/bundle\.js is not analyzed: it is larger than 1 MB \(3 MB\)/,
      'hostile/table.ts': /hostile\/table\.ts is not analyzed: (its syntax nests \d+ levels deep|TypeScript cannot parse it)/,
      'hostile/sum.ts': /hostile\/sum\.ts is not analyzed: its syntax nests 500\d levels deep/,
    },
    programs,
  };
}

/** Peak and current resident memory of a process, in MB (Linux). */
export function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { peakMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
}
