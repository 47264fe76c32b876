// Beyond Python: processes that die (SIGKILL, or process.exit() without the orderly shutdown)
// while holding or waiting on shared objects, run for real through fixtures/robust-cases.ts.
// No CPython case covers this (CPython leaves such a lock held forever, and may lose or corrupt
// queue data); the behaviour is the shim's own, documented in shim/README.md.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, runCaseOf } from './helpers';

const CASES = path.join(FIXTURES, 'robust-cases.ts');

interface Outcome {
  error?: string;
  owner?: { name: string; pid: number };
  message?: string;
  value?: boolean;
  seconds: number;
}

const runCase = async <T = Record<string, unknown>>(name: string): Promise<T> => (await runCaseOf<T>(CASES, name, 120)).out;

describe('a process dies holding a lock', { concurrency: true }, () => {
  it("a Lock's holder is SIGKILLed: main's acquire gets it, rejecting with OwnerDiedError naming the dead process", async () => {
    const out = await runCase<{ whileAlive: boolean; pid: number; exitcode: number; outcome: Outcome; heldByMain: string; next: boolean }>(
      'lockOwnerKilled',
    );
    assert.equal(out.whileAlive, false, 'held by the live child');
    assert.equal(out.exitcode, -9);
    assert.equal(out.outcome.error, 'OwnerDiedError');
    assert.deepEqual(out.outcome.owner, { name: 'Holder', pid: out.pid });
    assert.match(out.outcome.message!, new RegExp(`'Holder' \\(pid ${out.pid}\\), died without releasing it; this process holds it now`));
    assert.ok(out.outcome.seconds < 10);
    assert.equal(out.heldByMain, '<Lock(owner=MainProcess)>', 'the acquire that reported the death holds the lock');
    assert.equal(out.next, true, 'after its release the lock works as before');
  });

  it('process.exit() while holding counts as dying (no orderly shutdown)', async () => {
    const out = await runCase<{ exitcode: number; error: string; owner: { name: string; pid: number }; pid: number }>('lockOwnerExited');
    assert.equal(out.exitcode, 3);
    assert.equal(out.error, 'OwnerDiedError');
    assert.deepEqual(out.owner, { name: 'Quitter', pid: out.pid });
  });

  it('a waiter blocked when the holder dies is handed the lock, repairs and releases; the next acquire is plain', async () => {
    const out = await runCase<{ report: string; repairs: number; waiterExit: number; after: Outcome }>('waiterRepairs');
    assert.equal(out.report, 'OwnerDiedError from Holder pid <pid>; held: true');
    assert.equal(out.repairs, 1);
    assert.equal(out.waiterExit, 0);
    assert.equal(out.after.value, true);
    assert.equal(out.after.error, undefined);
  });

  it('an RLock held at three levels by a dead process is handed over at one level', async () => {
    const out = await runCase('rlockOwnerKilled');
    assert.deepEqual(out, {
      seen: '<RLock(SomeOtherProcess, nonzero)>',
      error: 'OwnerDiedError',
      mine: '<RLock(MainProcess, 1)>',
      free: '<RLock(None, 0)>',
    });
  });

  it('a semaphore unit held by a dead process comes back; its taker is told', async () => {
    const out = await runCase<{ before: number; first: Outcome; second: Outcome; third: boolean }>('semaphoreUnitReturned');
    assert.equal(out.before, 1);
    assert.equal(out.first.error, 'OwnerDiedError');
    assert.equal(out.first.owner?.name, 'Taker');
    assert.equal(out.second.value, true);
    assert.equal(out.second.error, undefined);
    assert.equal(out.third, false, 'two units in all, as the BoundedSemaphore began');
  });

  it('a Semaphore(0) signal consumed by a dead process is not given back', async () => {
    assert.deepEqual(await runCase('signalNotReturned'), { marked: 'OwnerDiedError', value: 0 });
  });

  it("the holder of a Condition's lock dies while main waits: main's wait ends holding the lock, with OwnerDiedError", async () => {
    assert.deepEqual(await runCase('conditionHolderKilled'), { outcome: 'OwnerDiedError', notify: null, again: true });
  });

  it('a notified Condition waiter killed before it got the lock back takes nothing with it', async () => {
    const out = await runCase<{ next: Outcome; repr: string }>('conditionWaiterKilled');
    assert.equal(out.next.value, true);
    assert.equal(out.next.error, undefined);
    assert.equal(out.repr, '<Condition(<RLock(MainProcess, 1)>, 0)>');
  });

  it("the holder of a Value's lock dies: the next access reports it (and lets the lock go), the one after works", async () => {
    assert.deepEqual(await runCase('valueLockOwnerKilled'), { first: 'OwnerDiedError', second: 13, locked: false });
  });
});

describe('a process dies waiting', { concurrency: true }, () => {
  it('a consumer killed while blocked in get() loses no item and steals none: a later get gets it', async () => {
    assert.deepEqual(await runCase('getterKilled'), { got: 'item', left: 0 });
  });

  it('an item already handed to a stopped consumer comes back when it is killed', async () => {
    assert.deepEqual(await runCase('getterKilledAfterHandOver'), { emptyAfterHandOver: true, got: 'handed over', left: 0 });
  });

  it('a message already handed to a stopped pipe reader comes back when it is killed', async () => {
    assert.deepEqual(await runCase('readerKilledAfterHandOver'), { pollAfterHandOver: false, got: 'message' });
  });

  it("the process running a Barrier's action dies: the barrier breaks instead of hanging", async () => {
    assert.deepEqual(await runCase('barrierActionRunnerKilled'), { runnerIsChild: true, outcome: 'BrokenBarrierError', broken: true });
  });

  it('a party that died waiting at a Barrier still counts as arrived (as in Python)', async () => {
    assert.deepEqual(await runCase('barrierWaiterKilled'), { indices: [1, 2], broken: false });
  });
});
