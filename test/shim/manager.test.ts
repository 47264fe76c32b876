// Manager and its proxies, run for real through fixtures/manager-cases.ts: the objects live in the
// manager's own process, and proxies are used from the main program and from other processes.
// Ports of cpython-cases.md section F (managers).
//
// Ported: MP-43 (list proxy, nesting, live nested proxies), MP-44 (dict proxy, nested dicts and
// lists, the copy pitfall), MP-45 (Namespace, queues inside containers), MP-47's lifecycle parts
// (the server process ends at shutdown and with `await using`, a referent's error comes back with
// its type, Queue.getNowait rejects with Empty, start(1) is a TypeError, start(init, args) runs
// init once in the server).
// Not applicable, and why:
// - MP-43/MP-44 iterator proxies (`iter(a)` stays live, `next(it)` after `d.clear()` raises
//   RuntimeError): the proxies have no iterator proxy; keys(), items() and toArray() return copies.
// - MP-43 operators (`b *= 2`, `b + [5, 6]`, `b[2:10]`): TypeScript has no operator overloading;
//   the same results are checked through extend(), toArray() and slice().
// - MP-45 "`_hidden` is not part of the referent": with get(name)/set(name, v) no name can collide
//   with the proxy's own attributes, so every name is stored; repr() still hides `_` names, as
//   Python's Namespace repr does.
// - MP-47 custom managers (`register`, `exposed`, `_callmethod`, RemoteError, iterator proxy
//   types): the shim has SyncManager's fixed set of types only (BaseManager.register is not part
//   of the API); "the same error type as in the server" is checked on KeyError, IndexError,
//   AttributeError, ValueError and Empty.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { casesOnce, FIXTURES, isRunning, killGroup, result, runToEnd, startCase, waitUntil } from './helpers';

const CASES = path.join(FIXTURES, 'manager-cases.ts');

interface Failure {
  name: string;
  message: string;
  isProcessError: boolean;
  isEmpty: boolean;
  isTypeError: boolean;
}

/** Each case runs once (several tests read the same run); fails if the program fails. */
const runCase = casesOnce(CASES);

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

function assertFails(f: Failure | null, name: string, message?: string | RegExp): asserts f is Failure {
  assert.ok(f, `expected a ${name}`);
  assert.equal(f.name, name, `${f.name}: ${f.message}`);
  if (typeof message === 'string') assert.equal(f.message, message);
  else if (message) assert.match(f.message, message);
}

const GONE = /^the manager hosting this dict proxy (has shut down|is gone \(its process ended\)): a manager's proxies cannot be used after its shutdown\(\)$/;

describe('Manager', { concurrency: 4 }, () => {
  it('MP-43: list proxy: contents, slices, nesting, live nested proxies, Python index errors', async () => {
    const out = await runCase<Record<string, unknown> & { errors: Record<string, Failure>; more: Record<string, unknown> }>('list');
    const twice = [...range(5), ...range(5)];
    assert.deepEqual(out.initial, { a: range(10), b: [] });
    assert.equal(out.b2, 2);
    assert.deepEqual(out.bSlice, [2, 3, 4]);
    assert.deepEqual(out.bTwice, twice);
    assert.deepEqual(out.bPlus, [...twice, 5, 6]);
    assert.deepEqual(out.aUnchanged, range(10));
    assert.deepEqual(out.nested, [range(10), twice]);
    assert.deepEqual(out.live, [...range(10), 'hello'], 'a proxy stored in a list stays live');
    assert.deepEqual(out.rows, [[0, 1, 55], [0, 1], [0, 1, 2]]);
    assert.equal(out.popped, 2);
    assert.equal(out.lengthAfterPop, 2);
    assertFails(out.errors.get!, 'IndexError', 'list index out of range');
    assertFails(out.errors.set!, 'IndexError', 'list assignment index out of range');
    assertFails(out.errors.popEmpty!, 'IndexError', 'pop from empty list');
    assertFails(out.errors.remove!, 'ValueError', 'list.remove(x): x not in list');
    assert.deepEqual(out.more, { afterInsertRemove: [-1, 0, 1, 2, 3, 0, 1, 2, 3, 4], index: 4, count: 2, last: 4 });
  });

  it('MP-44: dict proxy: contents, nested dicts and lists stay live, plain values are copies', async () => {
    const out = await runCase<Record<string, unknown> & { popMissing: Failure }>('dict');
    const codes = range(5, 65);
    assert.deepEqual(out.copy, Object.fromEntries(codes.map((i) => [String(i), String.fromCharCode(i)])));
    assert.deepEqual(out.keys, codes);
    assert.deepEqual(out.values, codes.map((i) => String.fromCharCode(i)));
    assert.deepEqual(out.items, codes.map((i) => [i, String.fromCharCode(i)]));
    assert.equal(out.size, 5);
    assert.equal(out.blankets, 5, "d['supplies']['blankets'] = 5 reaches supplies");
    assert.deepEqual(out.afterClear, { size: 0, water: 10, hamsters: 4 });
    assert.equal(out.marmots, 1);
    assert.deepEqual(out.first, [88, 99]);
    assert.equal(out.firstIsArray, true, 'a plain list inside a list comes back plain');
    assert.equal(out.feed, 3);
    assert.deepEqual(out.beforeStore, {}, 'mutating a copy does not change the stored value');
    assert.deepEqual(out.afterStore, { a: 1 });
    assert.deepEqual(out.byValue, { tuple: 'tuple', one: 'one', dflt: 'dflt' }, 'array keys compare by value; a missing key gives undefined');
    assert.deepEqual(out.deleted, [true, false]);
    assert.equal(out.popped, 'A');
    assertFails(out.popMissing, 'KeyError', "'zzz'");
    assert.equal(out.popDefault, 'none');
    assert.deepEqual(out.setdefault, ['C', 'C']);
    assert.deepEqual(out.has, [true, false]);
  });

  it('MP-45: Namespace get/set/delete and repr; queues inside a list and a dict; Value', async () => {
    const out = await runCase<Record<string, unknown> & { missing: Failure; deleteMissing: Failure }>('namespace');
    assert.deepEqual(out.pair, ['Bob', 'Builder']);
    assert.equal(out.repr, "Namespace(name='Bob')");
    assert.deepEqual(out.has, { name: true, job: false });
    assertFails(out.missing, 'AttributeError', "'Namespace' object has no attribute 'job'");
    assertFails(out.deleteMissing, 'AttributeError');
    assert.equal(out.fromList, 123);
    assert.equal(out.fromDict, 456);
    assert.deepEqual(out.value, ['d', 3.625, -4.25]);
    assert.deepEqual(out.withInit, { x: 1, y: 'two' });
  });

  it('proxies passed to other processes work there; the locked counter is exact', async () => {
    const out = await runCase<Record<string, unknown> & { childPid: number; managerPid: number; mainPid: number }>('processes');
    assert.equal(out.exitcode, 0);
    assert.equal(out.dChild, out.childPid);
    assert.deepEqual(out.l, [10, 1]);
    assert.deepEqual(out.ns, { who: 'child', n: 42 });
    assert.equal(out.v, 1.5);
    assert.equal(out.fromChild, `from ${out.childPid}`);
    assert.deepEqual(out.inner, ['child was here']);
    assert.equal(out.counter, 100, '4 processes x 25 locked increments');
    assert.deepEqual(out.bumperExitcodes, [0, 0, 0, 0]);
    assert.notEqual(out.managerPid, out.mainPid, 'the manager is a process of its own');
    assert.notEqual(out.managerPid, out.childPid);
  });

  it("the manager's Event, Condition, Barrier, Semaphore, RLock and Lock work across processes", async () => {
    const out = await runCase<Record<string, unknown> & { releaseUnlocked: Failure; overRelease: Failure; getNowait: Failure; putFull: Failure }>('sync');
    assert.equal(out.eventBefore, false);
    assert.equal(out.seen, 'event seen');
    assert.equal(out.sawOne, true);
    assert.deepEqual(out.log, ['child saw 2: true', 'reentrant: true']);
    assert.deepEqual(out.indexes, [0, 1, 2], 'each barrier party got a distinct index');
    assert.equal(out.peak, 2, 'Semaphore(2): at most 2 holders at once, and 2 reached');
    assert.ok((out.exitcodes as number[]).every((c) => c === 0), `exit codes ${String(out.exitcodes)}`);
    assert.deepEqual(out.lockOps, [true, false, false]);
    assertFails(out.releaseUnlocked, 'ProcessError', 'release unlocked lock');
    assertFails(out.overRelease, 'ProcessError', 'Semaphore released too many times');
    assertFails(out.getNowait, 'Empty');
    assert.ok(out.getNowait.isEmpty, 'the same class as the referent raised');
    assert.deepEqual(out.conditionWithOwnLock, { lockedThroughCondition: false, notifyNobody: null, waitedAlone: false, freeAfter: true });
    assertFails(out.foreignLock as Failure, 'TypeError', 'the lock of a manager Condition must be made by the same manager (m.Lock() or m.RLock())');
    assert.deepEqual(out.taken, [1, 2]);
    assertFails(out.tooManyTaskDone as Failure, 'ProcessError', 'task_done() called too many times');
    assertFails(out.putFull, 'Full');
  });

  it('MP-47: lifecycle errors; shutdown and `await using` end the manager process; the initializer runs there', async () => {
    const out = await runCase<{
      beforeStart: Failure;
      badInit: Failure;
      startTwice: Failure;
      initRan: { test: number; inManager: boolean };
      goneAfterShutdown: boolean;
      afterShutdown: { use: Failure; factory: Failure; start: Failure };
      goneAfterDispose: boolean;
      pidWasSet: boolean;
    }>('lifecycle');
    assertFails(out.beforeStart, 'ProcessError', 'server not yet started');
    assertFails(out.badInit, 'TypeError', 'initializer must be a callable');
    assertFails(out.startTwice, 'ProcessError', 'Already started server');
    assert.deepEqual(out.initRan, { test: 1, inManager: true });
    assert.equal(out.pidWasSet, true);
    assert.equal(out.goneAfterShutdown, true, 'the manager process ended');
    assertFails(out.afterShutdown.use, 'ProcessError', GONE);
    assertFails(out.afterShutdown.factory, 'ProcessError', 'Manager has shut down');
    assertFails(out.afterShutdown.start, 'ProcessError', 'Manager has shut down');
    assert.equal(out.goneAfterDispose, true);
  });

  it('a proxy used in another process after shutdown fails with a clear error', async () => {
    const out = await runCase<{ childError: string; exitcode: number }>('afterShutdown');
    assert.match(out.childError, /^ProcessError: /);
    assert.match(out.childError.slice('ProcessError: '.length), GONE);
    assert.equal(out.exitcode, 0);
  });

  it('a program that never shuts its manager down still ends, and the manager with it', async () => {
    const run = await runToEnd(CASES, ['noShutdown'], 60);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(result(run.stdout), { n: 1 });
    const pid = Number(/^MANAGER (\d+)$/m.exec(run.stdout)?.[1]);
    assert.ok(pid > 0);
    await waitUntil(() => !isRunning(pid), 10, 'the manager process to end');
  });

  it('the manager process does not outlive its owner when the owner is killed', async () => {
    const prog = startCase(CASES, ['orphan']);
    try {
      await waitUntil(() => /^MANAGER \d+$/m.test(prog.stdout()), 60, 'the manager to start');
      const pid = Number(/^MANAGER (\d+)$/m.exec(prog.stdout())![1]);
      assert.ok(isRunning(pid));
      process.kill(prog.pid, 'SIGKILL'); // the owner only, not its group
      await prog.exited;
      await waitUntil(() => !isRunning(pid), 10, 'the orphaned manager to exit');
    } finally {
      killGroup(prog.pid, 'SIGKILL');
    }
  });
});
