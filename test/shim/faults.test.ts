// Faults in real process trees, run through fixtures/fault-cases.ts (targets in fault-targets.ts):
// children that throw, exit with a code or die by a signal; a consumer SIGKILLed while blocked in
// get() (or after an item was handed to it but never read); a pipe peer SIGKILLed during recv();
// and a main program killed while its children, daemons and grandchildren would otherwise live on.
// Every wait is bounded: programs by runToEnd's limit, polls by waitUntil, tests by `timeout`.
// (Lock and pool faults are tested with locks and pools.)
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, groupMembers, isRunning, killGroup, result, startCase, waitUntil, runCaseOf } from './helpers';

const CASES = path.join(FIXTURES, 'fault-cases.ts');
const TARGETS = path.join(FIXTURES, 'fault-targets.ts');

const runCase = <T = Record<string, unknown>>(name: string) => runCaseOf<T>(CASES, name, 90);

/** `fault-targets.ts:<line>` of the line marked `// fault-line <name>`. */
function faultLine(name: string): string {
  const lines = fs.readFileSync(TARGETS, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`// fault-line ${name}`));
  assert.ok(i >= 0, `no fault-line ${name} in ${TARGETS}`);
  return `fault-targets.ts:${i + 1}:`;
}

/**
 * Start `kase`, read the pids it prints, check they all run, send `signal` to main only, and wait
 * (bounded) until no process of the program's group is left.
 */
async function killMainAndExpectNoSurvivors(kase: string, signal: NodeJS.Signals, pidsOf: (out: Record<string, unknown>) => number[]) {
  const prog = startCase(CASES, [kase]);
  try {
    await waitUntil(() => prog.stdout().includes('RESULT '), 60, `${kase} to print its pids (stderr: ${prog.stderr()})`);
    const out = result(prog.stdout());
    const pids = pidsOf(out);
    assert.ok(pids.length > 0 && pids.every((p) => Number.isInteger(p) && p > 0), `pids: ${JSON.stringify(out)}`);
    const members = groupMembers(prog.pid);
    for (const pid of pids) assert.ok(members.includes(pid), `${pid} runs in the program's group before the kill`);
    process.kill(prog.pid, signal); // main only, not its group
    const exit = await prog.exited;
    assert.equal(exit.signal, signal);
    await waitUntil(
      () => groupMembers(prog.pid).length === 0,
      15,
      `every process of the group to exit after main got ${signal} (left: ${groupMembers(prog.pid).join(', ')})`,
    );
    for (const pid of pids) assert.equal(isRunning(pid), false, `${pid} is gone`);
  } finally {
    killGroup(prog.pid, 'SIGKILL');
  }
}

describe('faults', { concurrency: true, timeout: 120_000 }, () => {
  it('a child that throws exits 1 with the error on stderr, and what it put before is received', async () => {
    const { run, out } = await runCase<Record<string, { item: string; exitcode: number; name: string; joinedInTime: boolean }>>('throws');
    assert.deepEqual(out, {
      chain: { item: 'chain: before the throw', exitcode: 1, name: 'fault-chain', joinedInTime: true },
      async: { item: 'async: before the throw', exitcode: 1, name: 'fault-async', joinedInTime: true },
      nonError: { item: 'non-error: before the throw', exitcode: 1, name: 'fault-nonError', joinedInTime: true },
      timer: { item: 'timer: before the throw', exitcode: 1, name: 'fault-timer', joinedInTime: true },
      rejection: { item: 'rejection: before the rejection', exitcode: 1, name: 'fault-rejection', joinedInTime: true },
    });
    const err = run.stderr;
    // Errors that settle the target: `Process <name>:` then the error and its stack.
    assert.ok(err.includes('Process fault-chain:\nCustomFault: fault in a promise chain after a put\n'), err);
    assert.ok(err.includes(faultLine('throwInChain')), 'the chain stack points at the throw');
    assert.ok(err.includes('Process fault-async:\nTypeError: async fault after an await\n'), err);
    assert.ok(err.includes(faultLine('throwAsync')), 'the async stack points at the throw');
    assert.ok(err.includes("Process fault-nonError:\n'a plain string was thrown'\n"), err);
    // Errors that escape the target (a timer callback, a promise nobody awaits): Node's own report.
    assert.ok(err.includes('RangeError: fault thrown from a timer callback\n'), err);
    assert.ok(err.includes(faultLine('throwFromTimer')), 'the timer stack points at the throw');
    assert.ok(err.includes('CustomFault: nobody awaited this promise\n'), err);
    assert.ok(err.includes(faultLine('unhandledRejection')), 'the rejection stack points at its creation');
  });

  it('a child that calls process.exit(3) has exitcode 3, and every item it put before is received', async () => {
    const { out } = await runCase<{ exitcode: number; items: string[] }>('exit3');
    assert.equal(out.exitcode, 3);
    assert.deepEqual(out.items, Array.from({ length: 50 }, (_, i) => `exit:${i}`));
  });

  it('a child ended by a signal it does not handle (SIGHUP, SIGUSR2, SIGALRM) has exitcode -N', async () => {
    const { out } = await runCase<{ signal: string; item: string; exitcode: number }[]>('signals');
    assert.deepEqual(
      out,
      (['SIGHUP', 'SIGUSR2', 'SIGALRM'] as const).map((signal) => ({
        signal,
        item: `before ${signal}`,
        exitcode: -os.constants.signals[signal],
      })),
    );
  });

  it('a consumer SIGKILLed while blocked in get(): join gives -9, the next item goes to the next consumer', async () => {
    const { out } = await runCase<{
      rounds: { ready: string[]; victimExitcode: number; forwarded: string | null; nextExitcode: number; left: number }[];
      mainRound: { victimExitcode: number; gotByMain: string | null; outEmpty: boolean };
    }>('killBlockedGet');
    assert.deepEqual(out.rounds, [0, 1].map((round) => ({
      ready: ['victim', 'next'],
      victimExitcode: -9,
      forwarded: `next:item-${round}`,
      nextExitcode: 0,
      left: 0,
    })));
    assert.deepEqual(out.mainRound, { victimExitcode: -9, gotByMain: 'item-main', outEmpty: true });
  });

  it('an item handed to a consumer that never read it (stopped, then SIGKILLed) goes back to the queue', async () => {
    const { out } = await runCase<Record<string, unknown>>('killAfterHandOver');
    assert.deepEqual(out, {
      main: { stopped: true, victimExitcode: -9, received: 'handed-main', nextExitcode: null, left: 0 },
      next: { stopped: true, victimExitcode: -9, received: 'next:handed-next', nextExitcode: 0, left: 0 },
    });
  });

  it("a pipe peer SIGKILLed while main waits in recv(): recv rejects with EOFError, poll() is true, send() fails", async () => {
    const { out } = await runCase<{ ready: string; exitcode: number; recv: unknown; poll: boolean; send: string | null }>('pipePeerKilled');
    assert.deepEqual(
      { ready: out.ready, exitcode: out.exitcode, recv: out.recv, poll: out.poll },
      { ready: 'ready', exitcode: -9, recv: { name: 'EOFError', eof: true }, poll: true },
    );
    assert.match(String(out.send), /Broken pipe/);
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`main killed with ${signal}: no child, daemon, blocked getter, busy child or grandchild is left`, async () => {
      await killMainAndExpectNoSurvivors('tree', signal, (out) => {
        const children = out.children as Record<string, number>;
        const grandchildren = out.grandchildren as Record<string, number>;
        assert.deepEqual(Object.keys(children).sort(), ['busy', 'daemon', 'getter', 'middle', 'nonDaemon']);
        assert.deepEqual(Object.keys(grandchildren).sort(), ['daemonGrandchild', 'grandchild']);
        return [...Object.values(children), ...Object.values(grandchildren)];
      });
    });
  }

  // The kernel ends them (setpriv --pdeathsig, Linux): their own event loops never turn to notice.
  const pdeathsig = process.platform === 'linux' && ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(':')].some((d) => d && fs.existsSync(path.join(d, 'setpriv')));
  it('main SIGKILLed while a child and a grandchild spin in a synchronous loop: none is left', { skip: !pdeathsig && 'needs Linux and setpriv' }, async () => {
    await killMainAndExpectNoSurvivors('spinning', 'SIGKILL', (out) => {
      const children = out.children as number[];
      assert.equal(children.length, 3);
      return children;
    });
  });

  it('main SIGKILLed right after start(), while its children still boot: none is left', async () => {
    await killMainAndExpectNoSurvivors('early', 'SIGKILL', (out) => {
      const children = out.children as number[];
      assert.equal(children.length, 4);
      return children;
    });
  });
});
