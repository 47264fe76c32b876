// Locks and values in shared memory (shim/src/native.ts, the prebuilt addon in shim/prebuilds/):
// used by default where the binary loads, in the main process and its children; not used when
// PT_MP_NATIVE=0 or the trace is on (every operation then goes through the hub), and the same
// programs give the same results either way. (The other shim tests run on both paths: see
// hub-path.test.ts.)
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, result, startCase } from './helpers';

const CASES = path.join(FIXTURES, 'native-cases.ts');
/** The default (any value but 0), whatever the environment of this test run says. */
const NATIVE = { PT_MP_NATIVE: '1' };

async function runCase<T>(name: string, env: Record<string, string> = {}): Promise<T> {
  const p = startCase(CASES, [name], env);
  const exit = await p.exited;
  assert.equal(exit.code, 0, `${name} failed:\n${p.stderr()}`);
  return result<T>(p.stdout());
}

describe('locks and values in shared memory', { concurrency: true }, () => {
  it('by default a Lock and a Value live in the shared segment of main and children; 2 x 1000 locked increments are exact', { timeout: 120_000 }, async () => {
    const out = await runCase<{ total: number; main: boolean; children: boolean[]; codes: number[] }>('counts', NATIVE);
    assert.equal(out.total, 2000);
    assert.equal(out.main, true, 'main mapped the segment');
    assert.deepEqual(out.children, [true, true], 'each child mapped it');
    assert.deepEqual(out.codes, [0, 0]);
  });

  it('PT_MP_NATIVE=0 and PT_MP_TRACE keep everything in the hub, with the same result', { timeout: 120_000 }, async () => {
    const hub = await runCase<{ total: number; main: boolean; children: boolean[] }>('counts', { PT_MP_NATIVE: '0' });
    assert.equal(hub.total, 2000);
    assert.equal(hub.main, false);
    assert.deepEqual(hub.children, [false, false]);
    const traced = await runCase<{ total: number; main: boolean; children: boolean[] }>('counts', { PT_MP_TRACE: path.join(FIXTURES, '..', '..', '..', 'test-results', `native-trace-${process.pid}.jsonl`) });
    assert.equal(traced.total, 2000);
    assert.equal(traced.main, false, 'with the trace on, locks are the hub\'s (it sees every operation)');
  });

  it("a Condition on an RLock in shared memory: wait() lets every level go and takes them back after notify", { timeout: 120_000 }, async () => {
    for (const env of [NATIVE, { PT_MP_NATIVE: '0' }]) {
      const out = await runCase<{ first: string; took: boolean; second: string; code: number; main: boolean }>('condition', env);
      assert.equal(out.first, 'waiting');
      assert.equal(out.took, true, 'main took the RLock while the child waited');
      assert.equal(out.second, 'back with 2 levels');
      assert.equal(out.code, 0);
      assert.equal(out.main, env === NATIVE);
    }
  });

  it('what a process posts under a lock (a put) is in the hub before the lock lets the next holder in', { timeout: 120_000 }, async () => {
    const out = await runCase<{ seen: number; behind: number; codes: number[] }>('ordering', NATIVE);
    assert.equal(out.seen, 300);
    assert.equal(out.behind, 0, 'times the queue lagged behind what the last holder put');
    assert.deepEqual(out.codes, [0, 0]);
  });
});

