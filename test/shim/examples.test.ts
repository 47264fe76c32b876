// The two example programs, run for real: the good one consumes every item once and exits 0; the
// broken twin (no sentinels) is still blocked after a while, and killing its process group leaves
// no process behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BROKEN_EXAMPLE, GOOD_EXAMPLE } from '../helpers/paths';
import { groupMembers, isRunning, killGroup, runToEnd, settlesWithin, startCase, waitUntil } from './helpers';

const EXPECTED = ['bun', 'bone', 'slop'].flatMap((name) => Array.from({ length: 10 }, (_, i) => `${name}${i}`));

/** The "<pid> ate <item>" lines of a run's output. */
function eaten(stdout: string): { pid: number; item: string }[] {
  return stdout
    .split('\n')
    .map((line) => /^(\d+) ate (\w+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), item: m[2]! }));
}

describe('examples/', { concurrency: true }, () => {
  it('producer-consumer.ts consumes each of the 30 items exactly once and exits 0', async () => {
    const run = await runToEnd(GOOD_EXAMPLE);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    const meals = eaten(run.stdout);
    assert.equal(meals.length, lines.length, `unexpected output:\n${run.stdout}`);
    assert.deepEqual(meals.map((m) => m.item).sort(), [...EXPECTED].sort());
    const consumers = new Set(meals.map((m) => m.pid));
    assert.ok(consumers.size >= 1 && consumers.size <= 2, `eaten by ${[...consumers].join(', ')}`);
    assert.ok(!consumers.has(run.pid), 'the consumers are child processes, not main');
    await waitUntil(() => groupMembers(run.pid).length === 0, 10, 'no process of the program to be left');
  });

  it('producer-consumer-no-sentinel.ts blocks forever (with Python\'s behaviour, PT_MP_DEADLOCK=hang); killing its group leaves nothing behind', async () => {
    const prog = startCase(BROKEN_EXAMPLE, [], { PT_MP_DEADLOCK: 'hang' });
    try {
      await waitUntil(() => eaten(prog.stdout()).length === 30, 30, 'the consumers to eat all 30 items');
      assert.deepEqual(eaten(prog.stdout()).map((m) => m.item).sort(), [...EXPECTED].sort());
      const consumers = [...new Set(eaten(prog.stdout()).map((m) => m.pid))];

      assert.equal(await settlesWithin(prog.exited, 3), false, 'the program should still be blocked after 3 s');
      assert.ok(isRunning(prog.pid), 'main is still running (in join)');
      for (const pid of consumers) assert.ok(isRunning(pid), `consumer ${pid} is still running (in get)`);
      const members = groupMembers(prog.pid);
      for (const pid of [prog.pid, ...consumers]) assert.ok(members.includes(pid), `${pid} is in the program's group`);

      killGroup(prog.pid, 'SIGTERM');
      const exit = await prog.exited;
      assert.equal(exit.signal, 'SIGTERM');
      await waitUntil(() => groupMembers(prog.pid).length === 0, 10, 'every process of the group to end');
      for (const pid of consumers) assert.equal(isRunning(pid), false, `consumer ${pid} is gone`);
    } finally {
      killGroup(prog.pid, 'SIGKILL');
    }
  });
});
