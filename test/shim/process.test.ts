// Process, run for real through the programs in fixtures/ (process-cases.ts, cjs-program.cts).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, isRunning, killGroup, result, runToEnd, startCase, waitUntil, runCaseOf } from './helpers';

const CASES = path.join(FIXTURES, 'process-cases.ts');

interface Failure {
  name: string;
  message: string;
  processError: boolean;
}

const runCase = <T = Record<string, unknown>>(name: string) => runCaseOf<T>(CASES, name);

describe('Process', { concurrency: true }, () => {
  it('exitcode: 0 on return, 1 on a thrown error (stack on stderr), -15 on terminate(), -9 on kill()', async () => {
    const { run, out } = await runCase('exitcodes');
    assert.deepEqual(
      { ok: out.ok, bad: out.bad, term: out.term, killed: out.killed, slow: out.slow },
      { ok: 0, bad: 1, term: -15, killed: -9, slow: 0 },
    );
    assert.deepEqual(out.aliveAfter, [false, false, false, false]);
    assert.ok(run.stderr.includes(`Process ${String(out.badName)}:\nError: boom from the child\n`), run.stderr);
    assert.match(run.stderr, /\n {4}at .*targets\.ts:\d+:\d+/, 'the stack points into the target module');
  });

  it('join(timeout) returns after the timeout while the child still runs', async () => {
    const { out } = await runCase<{
      elapsed: number;
      during: { alive: boolean; exitcode: number | null; active: number };
      after: { alive: boolean; exitcode: number | null; active: number };
    }>('joinTimeout');
    assert.ok(out.elapsed >= 0.35 && out.elapsed < 5, `join(0.4) took ${out.elapsed} s`);
    assert.deepEqual(out.during, { alive: true, exitcode: null, active: 1 });
    assert.deepEqual(out.after, { alive: false, exitcode: -15, active: 0 });
  });

  it("misuse errors keep Python's wording; unspawnable targets and unsendable args fail at start()", async () => {
    const { out } = await runCase<Record<string, Failure> & { afterFailedStart: unknown }>('misuse');
    assert.deepEqual(out.startTwice, { name: 'ProcessError', message: 'cannot start a process twice', processError: true });
    assert.deepEqual(out.joinUnstarted, {
      name: 'ProcessError',
      message: 'can only join a started process',
      processError: true,
    });
    for (const [err, fn] of [[out.notExportedError!, 'hidden'], [out.arrowError!, 'arrow']] as const) {
      assert.equal(err.processError, true);
      assert.ok(err.message.includes(`'${fn}'`), err.message);
      assert.ok(err.message.includes('must be a module-level function exported from its module'), err.message);
    }
    assert.match(out.notExportedError!.message, /defined at the top level of .*process-cases\.ts but not exported/);
    assert.equal(out.unsendableError!.name, 'TypeError');
    assert.match(out.unsendableError!.message, /^cannot send args\[1\]: the function 'helperFn' cannot be copied/);
    assert.match(out.nestedError!.message, /^cannot send args\[0\]\.deep\.cb: the function 'cb' cannot be copied/);
    assert.equal(
      out.processArgError!.message,
      'cannot send args[0]: a Process object can only be used by the process that created it',
    );
    assert.deepEqual(out.afterFailedStart, { pid: null, alive: false, unsendablePid: null });
  });

  it('a daemon process may not start children', async () => {
    const { out } = await runCase('daemonChildren');
    assert.deepEqual(out, { answer: 'ProcessError: daemonic processes are not allowed to have children', exitcode: 0 });
  });

  it('names, daemon flag, kwargs and isMainProcess() as seen in the child and in main', async () => {
    const { out } = await runCase<{
      fromP: Record<string, unknown>;
      fromQ: Record<string, unknown>;
      pPid: number;
      qPid: number;
      main: unknown;
    }>('identity');
    assert.deepEqual(out.fromP, { name: 'worker-7', daemon: false, pid: out.pPid, isMain: false, extra: { k: 'v' } });
    assert.deepEqual(out.fromQ, { name: 'Process-2', daemon: true, pid: out.qPid, isMain: false, extra: 'x' });
    assert.notEqual(out.pPid, out.qPid);
    assert.deepEqual(out.main, { name: 'MainProcess', isMain: true, alive: true, pid: true });
  });

  it('a Process subclass overriding run() runs in the child with its fields', async () => {
    const { out } = await runCase('subclass');
    assert.deepEqual(out, { answer: 'hello from Greeter-1 (true)', exitcode: 0, name: 'Greeter-1' });
  });

  it("when main's code is done, the program waits for non-daemon children and ends daemon ones", async () => {
    const { run, out } = await runCase<{ workerPid: number; daemonPid: number }>('exitWaits');
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'worker finished', 'main exits only after the non-daemon child printed');
    await waitUntil(() => !isRunning(out.daemonPid), 5, 'the daemon child to be gone');
    assert.equal(isRunning(out.workerPid), false);
  });

  it('a child whose parent is killed exits too (no orphans)', async () => {
    const prog = startCase(CASES, ['orphan']);
    try {
      await waitUntil(() => prog.stdout().includes('RESULT '), 30, 'the child to start');
      const { childPid } = result<{ childPid: number }>(prog.stdout());
      assert.ok(isRunning(childPid));
      process.kill(prog.pid, 'SIGKILL'); // the parent only, not its group
      await prog.exited;
      await waitUntil(() => !isRunning(childPid), 10, `child ${childPid} to exit after its parent died`);
    } finally {
      killGroup(prog.pid, 'SIGKILL');
    }
  });

  it('CommonJS programs: targets are found in the module cache, in main and in other modules', async () => {
    const run = await runToEnd(path.join(FIXTURES, 'cjs-program.cts'));
    assert.equal(run.code, 0, run.stderr);
    const out = result<{ items: string[]; exitcodes: number[]; error: string; isCjs: boolean }>(run.stdout);
    assert.equal(out.isCjs, true);
    assert.deepEqual(out.items, ['hello cjs', 'square 49']);
    assert.deepEqual(out.exitcodes, [0, 0]);
    assert.match(out.error, /the Process target 'notExported' .* must be a module-level function exported/);
  });
});
