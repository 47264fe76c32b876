// The shim's tests of locks, values, conditions, faults and process deaths, run again with
// PT_MP_NATIVE=0: every lock and value then lives in the hub, as on a platform without the prebuilt
// addon (shim/src/native.ts). The default run of the same files takes the shared-memory path, so
// both paths pass the same fault tests, CPython-derived cases and examples.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { it } from 'node:test';
import { ROOT } from '../helpers/paths';

const FILES = ['sync.test.ts', 'robust.test.ts', 'values.test.ts', 'faults.test.ts', 'examples-sync.test.ts'];

/** This run's environment with PT_MP_NATIVE=0, minus the test runner's marker (a nested run would skip its files). */
function hubEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PT_MP_NATIVE: '0' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

it(`the lock, value, fault and robustness tests pass on the hub's path too (PT_MP_NATIVE=0: ${FILES.join(', ')})`, { timeout: 900_000 }, async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=tap', ...FILES.map((f) => path.join('test', 'shim', f))],
    { cwd: ROOT, env: hubEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
  const failures = out.split('\n').filter((l) => /^\s*not ok /.test(l));
  assert.equal(count('fail'), 0, `failing on the hub's path:\n${failures.join('\n')}\n${out.slice(-4000)}`);
  assert.equal(code, 0, out.slice(-4000));
  assert.ok(count('pass') >= 50, `${count('pass')} tests passed on the hub's path`);
});
