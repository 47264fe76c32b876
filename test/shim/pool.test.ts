// Pool and AsyncResult, run for real through fixtures/pool-cases.ts: every task runs in a worker
// process. Ports of cpython-cases.md section G (and the pool parts of H), plus the fault case
// "SIGKILL while a pool task runs".
//
// Ported: MP-48 (apply/map/starmap/async/empty input/chunksize), MP-49 (get timing and timeout,
// ready/successful/wait), MP-50 (callback, errorCallback, unsendable results), MP-52 (errors of the
// input iterable), MP-53 (constructor validation, initializer), MP-54 (`await using` terminates,
// state errors), MP-55 (remote error name/message/fields/stack), MP-57 (terminate with a backlog),
// MP-58 (maxtasksperchild, early close, a larger pool), MP-60's imap cases (results then the
// error; next(timeout)) and its killed-worker case (beyond Python: the task fails, the pool goes on).
// Not applicable, and why:
// - MP-48 `apply(sqr, (), {x: 3})`: TypeScript has no keyword arguments (pass an object instead).
// - MP-52 "an iterable with a length that raises": JS iterables have no __len__; the raising
//   iterator case is ported with a custom iterator.
// - MP-54 "a second `with pool:` raises": `await using` has no enter step to refuse it.
// - MP-55 `args == (123,)` and RemoteTraceback as __cause__: JS errors have no args; the analogue
//   (name, message, own fields such as `code`, the worker's stack as `stack`) is checked.
// - MP-58 `Pool(200)`: 200 Node processes do not fit the test machine; the same check runs on 12.
// - MP-59 (start methods, contexts): the shim has one start method (spawn); that is process
//   machinery, tested with Process, not pools.
// - MP-60 `ProcessPoolExecutor(max_workers=0)` and BrokenProcessPool: no executor in the shim; the
//   pool's own validation (MP-53) and its killed-worker behaviour are checked instead.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { casesOnce, FIXTURES, isRunning, killGroup, result, runToEnd, startCase, waitUntil } from './helpers';

const CASES = path.join(FIXTURES, 'pool-cases.ts');

interface Failure {
  name: string;
  message: string;
  seconds: number;
  stack: string;
  isProcessError: boolean;
  isTimeout: boolean;
  isSayWhen: boolean;
  isRangeError: boolean;
  code?: unknown;
}

/** Each case runs once (several tests read the same run); fails if the program fails. */
const runCase = casesOnce(CASES);

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const squares = (n: number) => range(n).map((i) => i * i);

/** cpython-cases.md's loose timing rule: elapsed >= x - 0.1 s and < x + 1 s. */
function assertAbout(seconds: number, x: number, what: string): void {
  assert.ok(seconds >= x - 0.1 && seconds < x + 1, `${what}: ${seconds} s, expected about ${x} s`);
}

function assertFails(f: Failure | null, name: string, message?: string | RegExp): asserts f is Failure {
  assert.ok(f, `expected a ${name}`);
  assert.equal(f.name, name, `${f.name}: ${f.message}`);
  if (typeof message === 'string') assert.equal(f.message, message);
  else if (message) assert.match(f.message, message);
}

describe('Pool', { concurrency: 4 }, () => {
  it('MP-48: apply, map, starmap and their async forms give the values in order', async () => {
    const out = await runCase<Record<string, unknown>>('basics');
    const star10 = range(10).map((i) => i * (9 - i));
    const star100 = range(100).map((i) => i * (99 - i));
    assert.equal(out.apply, 25);
    assert.equal(out.applyAsyncFn, 9);
    assert.deepEqual(out.map, squares(10));
    assert.deepEqual(out.mapChunked, squares(100));
    assert.deepEqual(out.mapGenerator, squares(10));
    assert.deepEqual(out.starmap, star10);
    assert.deepEqual(out.starmap, [0, 8, 14, 18, 20, 20, 18, 14, 8, 0]);
    assert.deepEqual(out.starmapChunked, star100);
    assert.deepEqual(out.starmapAsync, star10);
    assert.deepEqual(out.mapAsync, squares(10));
    assert.deepEqual(out.imap, squares(10));
    assert.deepEqual(out.imapChunked, squares(100));
    assert.deepEqual([...(out.imapUnordered as number[])].sort((a, b) => a - b), squares(100));
    const n = 100_000;
    assert.equal(out.bigMap, ((n - 1) * n * (2 * n - 1)) / 6);
  });

  it('MP-48: empty inputs give empty results; an empty map is ready at once (no callback, as Python)', async () => {
    const out = await runCase<Record<string, unknown>>('empty');
    assert.deepEqual(
      { map: out.map, imap: out.imap, imapUnordered: out.imapUnordered, mapAsync: out.mapAsync },
      { map: [], imap: [], imapUnordered: [], mapAsync: [] },
    );
    assert.equal(out.readyAtOnce, true);
    assert.equal(out.timedGet, null, 'get(0.1) on an empty map does not time out');
    assert.equal(out.callbackCalled, false);
  });

  it('MP-49: get() waits for the task; get(timeout) rejects with TimeoutError; ready, successful, wait', async () => {
    const out = await runCase<{
      sevens: { value: number; seconds: number };
      timeout: Failure;
      readyBefore: boolean;
      successfulBefore: Failure;
      waited: { value: string; seconds: number };
      after: { value: number; ready: boolean; successful: boolean };
      failed: { ready: boolean; successful: boolean };
      negativeTimeout: Failure;
    }>('asyncResult');
    assert.equal(out.sevens.value, 49);
    assertAbout(out.sevens.seconds, 0.1, 'applyAsync(sqr, [7, 0.1]).get()');
    assertFails(out.timeout, 'TimeoutError');
    assert.ok(out.timeout.isTimeout && out.timeout.isProcessError, 'the shim TimeoutError, a ProcessError');
    assertAbout(out.timeout.seconds, 0.1, 'get(0.1)');
    assert.equal(out.readyBefore, false);
    assertFails(out.successfulBefore, 'ProcessError', /^<AsyncResult .*> not ready$/);
    assert.equal(out.waited.value, 'undefined', 'wait() resolves to undefined');
    assertAbout(out.waited.seconds, 0.1, 'wait(0.1)');
    assert.deepEqual(out.after, { value: 36, ready: true, successful: true });
    assert.deepEqual(out.failed, { ready: true, successful: false });
    assertFails(out.negativeTimeout, 'TimeoutError');
    assertAbout(out.negativeTimeout.seconds, 0, 'get(-1) (a negative timeout counts as 0)');
  });

  it('MP-50: callback gets the whole list; errorCallback the error; an unsendable result is a MaybeEncodingError', async () => {
    const out = await runCase<{
      calls: unknown[];
      keyError: Failure;
      keyErrors: string[];
      encoding: { name: string; message: string; callback: { name: string; isClass: boolean; exc: string; value: string } | null }[];
      afterwards: number;
      order: string[];
      throwingValue: number;
    }>('callbacks');
    assert.deepEqual(out.calls, [[1], { error: 'ValueError', message: "invalid literal for int() with base 10: 'a'" }]);
    assertFails(out.keyError, 'KeyError');
    assert.deepEqual(out.keyErrors, ['KeyError']);
    assert.equal(out.encoding.length, 20);
    for (const e of out.encoding) {
      assert.equal(e.name, 'MaybeEncodingError');
      assert.match(e.message, /^Error sending result: '.*'\. Reason: 'TypeError: cannot send the result: /);
      assert.ok(e.callback, 'the errorCallback received it');
      assert.equal(e.callback.isClass, true, 'an instance of the exported MaybeEncodingError');
      assert.ok(e.callback.exc.length > 0 && e.callback.value.length > 0, 'exc and value are set');
    }
    assert.equal(out.afterwards, 81, 'the pool keeps working');
    assert.deepEqual(out.order, ['callback 4', 'ready true'], 'an async callback is awaited before the result is ready');
    assert.equal(out.throwingValue, 9, 'a throwing callback does not break the result');
  });

  it('MP-52: an error of the input iterable reaches map, imap (after the complete chunks) and imapUnordered', async () => {
    const out = await runCase<{
      mapErrors: Failure[];
      mapAsyncThrows: Failure;
      imapFirst: Failure;
      imap1: { values: number[]; error: Failure };
      imap2: { values: number[]; error: Failure };
      imap4: { values: number[]; error: Failure };
      unordered1: { values: number[]; error: Failure };
      unordered2: { values: number[]; error: Failure };
      stillWorks: number[];
    }>('iterableErrors');
    for (const f of [...out.mapErrors, out.mapAsyncThrows, out.imapFirst]) {
      assertFails(f, 'SayWhenError', 'Somebody said when');
      assert.ok(f.isSayWhen, 'the very error the iterable threw');
    }
    assert.deepEqual(out.imap1.values, [0, 1, 4]);
    assertFails(out.imap1.error, 'SayWhenError');
    assert.deepEqual(out.imap2.values, squares(6));
    assertFails(out.imap2.error, 'SayWhenError');
    assert.deepEqual(out.imap4.values, squares(4));
    assertFails(out.imap4.error, 'SayWhenError');
    // CPython: the values come from the 10 (20) squares, without duplicates, and the error comes
    // before all of them; how many come first depends on timing.
    for (const [u, n] of [[out.unordered1, 10], [out.unordered2, 20]] as const) {
      assertFails(u.error, 'SayWhenError');
      assert.ok(u.values.length < n, 'raised before every value was produced');
      assert.equal(new Set(u.values).size, u.values.length, 'no duplicates');
      for (const v of u.values) assert.ok(squares(n).includes(v), `${v} is one of the expected squares`);
    }
    assert.deepEqual(out.stillWorks, squares(5), 'the pool is reusable');
  });

  it('MP-55/MP-60: a task error keeps its name, message, fields and the worker stack; imap yields then raises', async () => {
    const out = await runCase<{
      fromApply: Failure;
      fromMap: Failure;
      fromIterable: Failure;
      imapError: { values: number[]; error: Failure };
      imapPlain: number[];
      timeoutIterator: { first: string; second: string; third: Failure };
    }>('remoteErrors');
    assertFails(out.fromApply, 'RangeError', '123');
    assert.equal(out.fromApply.isRangeError, true, 'a builtin class comes back as itself');
    assert.equal(out.fromApply.code, 'E123', "the error's own fields are kept");
    assert.match(out.fromApply.stack, /at raiseWithCode \(.*pool-targets\.ts:\d+:\d+\)/, "the worker's stack");
    assertFails(out.fromMap, 'ValueError', "invalid literal for int() with base 10: 'x'");
    assert.match(out.fromMap.stack, /at toInt \(.*pool-targets\.ts/);
    assertFails(out.fromIterable, 'SayWhenError');
    assert.ok(out.fromIterable.isSayWhen, 'raised in the main process: the original error object');
    assert.deepEqual(out.imapError.values, [1, 2]);
    assertFails(out.imapError.error, 'ValueError', "invalid literal for int() with base 10: 'zero'");
    assert.deepEqual(out.imapPlain, [0, 1, 4]);
    assert.equal(out.timeoutIterator.first, 'number');
    assert.equal(out.timeoutIterator.second, 'number');
    assertFails(out.timeoutIterator.third, 'TimeoutError');
    assertAbout(out.timeoutIterator.third.seconds, 0.5, 'next(0.5)');
  });

  it('MP-53: constructor validation, worker count, function and value checks; workers are daemons', async () => {
    const out = await runCase<{
      invalidSizes: Failure[];
      invalidMax: Failure[];
      badInitializer: Failure;
      started: number;
      names: { name: string; daemon: boolean }[];
      notExported: Failure;
      unsendableArg: Failure;
      unsendableItem: Failure;
      badChunk: Failure;
      stillWorks: number;
      childFromWorker: string;
      workerName: string;
      sendPool: Failure;
      repr: string;
    }>('validation');
    for (const f of out.invalidSizes) assertFails(f, 'ProcessError', 'Number of processes must be at least 1');
    assert.equal(out.invalidMax.length, 4);
    for (const f of out.invalidMax) assertFails(f, 'ProcessError', 'maxtasksperchild must be a positive int or None');
    assertFails(out.badInitializer, 'TypeError', 'initializer must be a callable');
    assert.equal(out.started, 3, 'Pool(3) starts 3 worker processes');
    assert.equal(out.names.length, 3);
    for (const w of out.names) {
      assert.match(w.name, /^PoolWorker-\d+$/);
      assert.equal(w.daemon, true);
    }
    assertFails(out.notExported, 'ProcessError', /'local' cannot be sent to the worker: it is not exported/);
    assertFails(out.unsendableArg, 'TypeError', /^cannot send args\[1\]: an anonymous function cannot be copied/);
    assertFails(out.unsendableItem, 'TypeError', /^cannot send items\[2\]: the symbol Symbol\(x\) cannot be copied/);
    assertFails(out.badChunk, 'ProcessError', 'Chunksize must be 1+, not 0');
    assert.equal(out.stillWorks, 16);
    assert.equal(out.childFromWorker, 'ProcessError: daemonic processes are not allowed to have children');
    assert.match(out.workerName, /^PoolWorker-\d+$/);
    assertFails(out.sendPool, 'TypeError', /pool objects cannot be passed between processes or pickled/);
    assert.equal(out.repr, '<Pool state=RUN pool_size=3>');
  });

  it('MP-53: the initializer runs once in each worker, before its tasks', async () => {
    const out = await runCase<{ testAfterOne: number; test: number; tag: string; tags: string[]; records: string[] }>('initializer');
    assert.equal(out.testAfterOne, 1, 'Pool(1): ns.test incremented once');
    // Pool(2)'s two initializers add to the namespace at once, a read-modify-write race (as in
    // CPython's test): 2 or 3. Once per worker is read from the queue's records below.
    assert.ok(out.test === 2 || out.test === 3, `then Pool(2): ${out.test}`);
    assert.equal(out.tag, 'one');
    assert.deepEqual(out.tags, ['two', 'two', 'two', 'two']);
    assert.deepEqual(out.records, ['one', 'two', 'two']);
  });

  it('MP-54: `await using` terminates; join before close throws; close lets queued tasks finish', async () => {
    const out = await runCase<{
      inside: number[];
      joinAfterDispose: Failure | null;
      submitAfterDispose: Failure;
      reprAfterDispose: string;
      stillRunning: Failure;
      afterClose: Failure[];
      allReadyAtJoin: boolean;
      calledAtJoin: number[];
      values: number[];
      workersLeft: number;
    }>('lifecycle');
    assert.deepEqual(out.inside, squares(10));
    assert.equal(out.joinAfterDispose, null, 'join() after the block resolves');
    assertFails(out.submitAfterDispose, 'ProcessError', 'Pool not running');
    assert.equal(out.reprAfterDispose, '<Pool state=TERMINATE pool_size=2>');
    assertFails(out.stillRunning, 'ProcessError', 'Pool is still running');
    assert.equal(out.afterClose.length, 5);
    for (const f of out.afterClose) assertFails(f, 'ProcessError', 'Pool not running');
    assert.equal(out.allReadyAtJoin, true, 'every result is ready once join() resolves');
    assert.deepEqual(out.calledAtJoin, squares(6), 'every callback ran before join() resolved');
    assert.deepEqual(out.values, squares(6));
    assert.equal(out.workersLeft, 0);
  });

  it('MP-57: terminate() with a huge backlog returns promptly and kills the workers', async () => {
    const out = await runCase<{
      terminateSeconds: number;
      joinSeconds: number;
      workersBefore: number;
      alive: number[];
      ready: boolean;
      get: Failure;
    }>('terminate');
    assert.ok(out.terminateSeconds < 5, `terminate took ${out.terminateSeconds} s`);
    assert.ok(out.joinSeconds < 5, `join took ${out.joinSeconds} s`);
    assert.equal(out.workersBefore, 3);
    assert.deepEqual(out.alive, [], 'no worker is left');
    assert.equal(out.ready, false, 'the abandoned result never becomes ready (as Python)');
    assertFails(out.get, 'TimeoutError');
  });

  it('MP-58: maxtasksperchild replaces the workers; with one task each, close + join does not hang', async () => {
    const out = await runCase<{
      values: number[];
      original: number[];
      after: number[];
      servedByCount: number;
      joinSeconds: number;
      earlyValues: number[];
    }>('lifetime');
    assert.deepEqual(out.values, squares(100));
    assert.equal(out.original.length, 3);
    assert.equal(out.after.length, 3);
    assert.ok(out.after.every((pid) => typeof pid === 'number'));
    assert.notDeepEqual(out.after, out.original, 'the workers were replaced');
    assert.ok(out.servedByCount >= 3, `30 tasks served by ${out.servedByCount} workers that each serve at most 10`);
    assert.ok(out.joinSeconds >= 0.6 - 0.1, `join took ${out.joinSeconds} s (6 tasks of 0.3 s, 3 at a time)`);
    assert.deepEqual(out.earlyValues, squares(6));
  });

  it('MP-58 (scaled): a pool of 12 workers computes sum(x*x for x < 1000)', async () => {
    const run = await runToEnd(CASES, ['large'], 120);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'nothing on stderr');
    const out = result<{ sum: number; workers: number }>(run.stdout);
    assert.equal(out.sum, range(1000).reduce((a, x) => a + x * x, 0));
    assert.equal(out.workers, 12);
  });

  it('an idle worker takes the next task: a task never waits behind a blocked one while a worker is free', async () => {
    const out = await runCase<{ rounds: { set: boolean; seconds: number; samePid: boolean; s: string }[] }>('stealing');
    assert.equal(out.rounds.length, 3);
    for (const r of out.rounds) {
      assert.equal(r.set, true, 'the waiting task saw the event the later task set');
      assert.equal(r.samePid, false, 'the two ran in different workers');
      assert.ok(r.seconds < 5, `took ${r.seconds} s`);
      assert.equal(r.s, 'number');
    }
  });

  it('the workers do not outlive their pool when its owner is killed', async () => {
    const prog = startCase(CASES, ['orphan']);
    try {
      await waitUntil(() => /^WORKERS \d+ \d+$/m.test(prog.stdout()), 60, 'the workers to start');
      const pids = /^WORKERS (\d+) (\d+)$/m.exec(prog.stdout())!.slice(1).map(Number);
      assert.ok(pids.every(isRunning));
      process.kill(prog.pid, 'SIGKILL'); // the owner only, not its group
      await prog.exited;
      await waitUntil(() => !pids.some(isRunning), 10, 'the orphaned workers to exit');
    } finally {
      killGroup(prog.pid, 'SIGKILL');
    }
  });

  it('fault: SIGKILL while a pool task runs fails that task with WorkerLostError; the worker is replaced', async () => {
    const out = await runCase<{
      error: (Failure & { isWorkerLost: boolean }) | null;
      detectSeconds: number;
      ready: boolean;
      successful: boolean;
      bystanderValue: number;
      killedReplaced: boolean;
      workers: number;
      afterwards: number[];
      servedByKilled: boolean;
      pid: number;
    }>('sigkill');
    assert.ok(out.error, 'the task failed instead of hanging');
    assert.equal(out.error.isWorkerLost, true);
    assert.ok(out.error.isProcessError);
    assert.match(out.error.message, new RegExp(`^the pool worker PoolWorker-\\d+ \\(pid ${out.pid}\\) died while running this task \\(exitcode -9\\)$`));
    assert.ok(out.detectSeconds < 5, `noticed after ${out.detectSeconds} s`);
    assert.deepEqual({ ready: out.ready, successful: out.successful }, { ready: true, successful: false });
    assert.equal(out.bystanderValue, 64, "the other worker's task is unaffected");
    assert.equal(out.killedReplaced, true);
    assert.equal(out.workers, 2, 'back to 2 workers');
    assert.deepEqual(out.afterwards, squares(20));
    assert.equal(out.servedByKilled, false);
  });
});
