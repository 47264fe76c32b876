// The command line's start through V8's code cache (server/src/launch/code-cache.ts): the first run
// writes the cache under $XDG_CACHE_HOME/process-topology/code, later runs read it and leave it
// as it is, a damaged cache is replaced, a rebuilt bundle replaces its old data, and
// PT_CODE_CACHE=0 writes nothing. Whatever the cache holds, the command does the same.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DIST, EXAMPLES } from '../helpers/paths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-code-cache-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(bin: string, args: string[], cache: string, extra: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: EXAMPLES, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache, PT_CODE_CACHE: '', ...extra } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cacheFiles(cache: string): { name: string; mtimeMs: number; bytes: Buffer }[] {
  const dir = path.join(cache, 'process-topology', 'code');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort().map((name) => ({ name, mtimeMs: fs.statSync(path.join(dir, name)).mtimeMs, bytes: fs.readFileSync(path.join(dir, name)) }));
}

describe('the command line through the code cache', () => {
  const bin = path.join(DIST, 'cli.js');

  it('writes the cache on the first run, reads it after, and checks the same either way', () => {
    const cache = path.join(tmp, 'a');
    const off = cli(bin, ['check', 'producer-consumer-no-sentinel.ts', '--no-progress'], cache, { PT_CODE_CACHE: '0' });
    assert.equal(off.code, 1, off.stderr);
    assert.match(off.stdout, /\[missing-sentinel\]/);
    assert.deepEqual(cacheFiles(cache), [], 'PT_CODE_CACHE=0 writes nothing');
    const first = cli(bin, ['check', 'producer-consumer-no-sentinel.ts', '--no-progress'], cache);
    const written = cacheFiles(cache);
    assert.equal(written.length, 1, 'one cache file');
    assert.match(written[0]!.name, /^cli-main-[0-9a-f]{16}-[0-9a-f]{16}\.bin$/);
    assert.ok(written[0]!.bytes.length > 100_000, `the compiled code: ${written[0]!.bytes.length} bytes`);
    const second = cli(bin, ['check', 'producer-consumer-no-sentinel.ts', '--no-progress'], cache);
    assert.deepEqual(cacheFiles(cache).map((f) => [f.name, f.mtimeMs]), written.map((f) => [f.name, f.mtimeMs]), 'a run that read the cache leaves it');
    for (const r of [first, second]) assert.deepEqual([r.code, r.stdout, r.stderr], [off.code, off.stdout, off.stderr]);
  });

  it('replaces a damaged cache, and still runs', () => {
    const cache = path.join(tmp, 'b');
    assert.equal(cli(bin, ['--version'], cache).code, 0);
    const [f] = cacheFiles(cache);
    const file = path.join(cache, 'process-topology', 'code', f!.name);
    fs.writeFileSync(file, Buffer.alloc(4096, 7));
    const r = cli(bin, ['--version'], cache);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    const [again] = cacheFiles(cache);
    assert.equal(again!.name, f!.name);
    assert.notDeepEqual(again!.bytes, Buffer.alloc(4096, 7), 'the damaged data was written anew');
  });

  it('a rebuilt bundle gets new data, and the old data of that bundle is removed', () => {
    const cache = path.join(tmp, 'c');
    const copy = path.join(tmp, 'dist');
    fs.mkdirSync(copy);
    for (const f of ['cli.js', 'cli-main.js']) fs.copyFileSync(path.join(DIST, f), path.join(copy, f));
    assert.equal(cli(path.join(copy, 'cli.js'), ['--version'], cache).code, 0);
    const before = cacheFiles(cache).map((f) => f.name);
    assert.equal(before.length, 1);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(copy, 'cli-main.js'), later, later);
    assert.equal(cli(path.join(copy, 'cli.js'), ['--version'], cache).code, 0);
    const after = cacheFiles(cache).map((f) => f.name);
    assert.equal(after.length, 1, after.join(', '));
    assert.notEqual(after[0], before[0]);
    assert.equal(after[0]!.split('-')[2], before[0]!.split('-')[2], 'the same bundle path');
  });

  it('runs without a usable cache folder', () => {
    const blocked = path.join(tmp, 'file-not-folder');
    fs.writeFileSync(blocked, 'x');
    const r = cli(bin, ['--version'], blocked);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });
});
