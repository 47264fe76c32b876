// JoinableQueue, SimpleQueue, Queue close semantics and CPython's queue cases, run for real
// through fixtures/sync-queue-cases.ts.
//
// CPython cases of section B (cpython-cases.md) ported here: MP-11, MP-12, MP-15, MP-16, MP-17,
// MP-18, plus _TestQueue.test_fork and test_task_done. Adapted:
// - MP-11: the qsize NotImplementedError of macOS does not apply (the hub counts exactly).
// - MP-15: an item that cannot be copied fails at put() itself (a documented difference: there is
//   no feeder thread to report it on stderr); what CPython checks holds: the queue keeps working,
//   no slot is taken, the size stays right.
// - MP-16 and MP-17: OSError / ValueError are ProcessErrors with Python's wording ('is closed').
// - MP-18: the shim does not reproduce the "join before get" deadlock (documented): the correct
//   order completes, and join() first returns too, with the item still there.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, runCaseOf, assertCaught } from './helpers';

const CASES = path.join(FIXTURES, 'sync-queue-cases.ts');

interface Failure {
  name: string;
  message: string;
  seconds: number;
}

const runCase = async <T = Record<string, unknown>>(name: string): Promise<T> => (await runCaseOf<T>(CASES, name, 120)).out;

const fails = assertCaught;

describe('Queue (CPython cases)', { concurrency: true }, () => {
  it('MP-11: every put form fills a Queue(6); full puts fail with Full at once or after their timeout; qsize', async () => {
    const out = await runCase<Record<string, unknown>>('put');
    assert.deepEqual(out.before, { empty: true, full: false });
    assert.deepEqual(out.filled, { empty: false, full: true });
    const fulls = out.fulls as Record<string, Failure>;
    fails(fulls.nonBlocking, 'Full', '', 0);
    fails(fulls.nonBlockingNull, 'Full', '', 0);
    fails(fulls.nowait, 'Full', '', 0);
    fails(fulls.timed, 'Full', '', 0.1);
    fails(fulls.nonBlockingTimed, 'Full', '', 0);
    fails(fulls.timeoutOnly, 'Full', '', 0.1);
    assert.equal(out.fullInstance, true);
    assert.deepEqual(out.after, { empty: true, full: false });
    assert.equal(out.exitcode, 0);
    assert.deepEqual(out.sizes, [0, 1, 2, 1, 0]);
  });

  it('MP-12: every get form; empty gets fail with Empty at once or after their timeout', async () => {
    const out = await runCase<Record<string, unknown>>('get');
    assert.equal(out.emptyBefore, true);
    assert.equal(out.emptyAfterPuts, false);
    assert.deepEqual(out.got, [2, 3, 4, 5]);
    assert.equal(out.emptyAfterGets, true);
    const empties = out.empties as Record<string, Failure>;
    fails(empties.nonBlocking, 'Empty', '', 0);
    fails(empties.nonBlockingNull, 'Empty', '', 0);
    fails(empties.nowait, 'Empty', '', 0);
    fails(empties.timed, 'Empty', '', 0.1);
    fails(empties.nonBlockingTimed, 'Empty', '', 0);
    fails(empties.timeoutOnly, 'Empty', '', 0.1);
    fails(empties.minimum, 'Empty', '', 0.2);
    assert.ok(empties.minimum!.seconds >= 0.1);
    assert.equal(out.emptyClass, true);
    assert.equal(out.exitcode, 0);
  });

  it("test_fork: items put before a child starts come before the child's, in order", async () => {
    assert.deepEqual(await runCase('fork'), { got: Array.from({ length: 20 }, (_, i) => i), then: 'Empty', exitcode: 0 });
  });

  it('MP-15: an item that cannot be sent fails at put(); the queue keeps working and no slot is lost', async () => {
    const out = await runCase<{ plain: { put: Failure; next: boolean }; bounded: Record<string, unknown> }>('unsendable');
    fails(out.plain.put, 'TypeError', /^cannot send the queue item\.callback: the function 'callback' cannot be copied/);
    assert.equal(out.plain.next, true);
    fails(out.bounded.rejected as Failure, 'TypeError', /cannot be copied/);
    assert.ok((out.bounded.secondSeconds as number) < 1, 'put(true) into the Queue(1) did not block');
    assert.equal(out.bounded.qsize, 1);
    assert.equal(out.bounded.got, true);
    assert.equal(out.bounded.emptyAfter, true);
  });

  it('MP-16: close() and joinThread(), for Queue and JoinableQueue', async () => {
    const out = await runCase<Record<string, Record<string, Failure | boolean | null>>>('closed');
    for (const kind of ['Queue', 'JoinableQueue']) {
      const r = out[kind]!;
      fails(r.notClosed as Failure, 'ProcessError', /^Queue \S+ not closed$/);
      assert.equal(r.unusedJoin, null, `${kind}: joinThread() after close() of an unused queue`);
      assert.equal(r.unusedEmpty, true);
      fails(r.usedEmpty as Failure, 'ProcessError', /is closed/);
      fails(r.put as Failure, 'ProcessError', /^Queue \S+ is closed$/);
      fails(r.get as Failure, 'ProcessError', /^Queue \S+ is closed$/);
      assert.equal(r.closeTwice, null);
    }
  });

  it('MP-17: SimpleQueue put/get/empty across processes; after close() everything fails with "handle is closed"', async () => {
    const out = await runCase<Record<string, unknown>>('simpleQueue');
    assert.equal(out.emptyBefore, true);
    assert.equal(out.emptyAfter, false);
    assert.deepEqual(out.got, [true, false]);
    assert.equal(out.emptyAtEnd, true);
    assert.equal(out.exitcode, 0);
    assert.equal(out.closeTwice, null);
    for (const key of ['emptyClosed', 'emptyUnusedClosed', 'putClosed', 'getClosed']) fails(out[key] as Failure, 'ProcessError', 'handle is closed');
    fails(out.unsendable as Failure, 'TypeError', /cannot be copied/);
  });

  it('MP-18: get() before join() completes with a 1 MB item; join() first does not deadlock either', async () => {
    assert.deepEqual(await runCase('bigItem'), { length: 1_000_000, exitcode: 0, joinFirst: { alive: false, exitcode: 0, length: 1_000_000 } });
  });
});

describe('JoinableQueue', { concurrency: true }, () => {
  it('test_task_done: join() returns once four workers marked all ten items done', async () => {
    const out = await runCase<{ doneBeforeJoinReturned: number; joinSeconds: number; exitcodes: number[] }>('taskDone');
    assert.equal(out.doneBeforeJoinReturned, 10);
    assert.ok(out.joinSeconds >= 0.2, `join() returned after ${out.joinSeconds} s, before the work could be done`);
    assert.deepEqual(out.exitcodes, [0, 0, 0, 0]);
  });

  it('join() on an idle queue returns at once; extra taskDone() calls fail; a refused put adds no task', async () => {
    const out = await runCase<{ idle: number; tooMany: Failure; refused: string; joined: number; again: Failure }>('taskDoneMisuse');
    assert.ok(out.idle < 0.5);
    fails(out.tooMany, 'ProcessError', 'task_done() called too many times');
    assert.equal(out.refused, 'Full');
    assert.ok(out.joined < 0.5);
    fails(out.again, 'ProcessError', 'task_done() called too many times');
  });
});
