// The lock, ticket-office, JoinableQueue and pipe examples, run as a user runs them; each test
// checks what the program printed.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { EXAMPLES } from '../helpers/paths';
import { groupMembers, runToEnd, waitUntil, type RunResult } from './helpers';

const example = (name: string) => path.join(EXAMPLES, name);

async function runExample(name: string): Promise<{ run: RunResult; lines: string[] }> {
  const run = await runToEnd(example(name), [], 90);
  assert.equal(run.code, 0, `${name} failed:\n${run.stderr}`);
  assert.equal(run.stderr.trim(), '', `${name} wrote to stderr`);
  await waitUntil(() => groupMembers(run.pid).length === 0, 10, `no process of ${name} to be left`);
  return { run, lines: run.stdout.trim().split('\n') };
}

/** The ticket office's output: who looked, who bought, who found none, and the final count line. */
function tickets(lines: string[]): { sees: number; bought: number; none: number; last: string } {
  const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
  return {
    sees: count(/^\d+ sees [01] ticket\(s\) left$/),
    bought: count(/^\d+ bought a ticket$/),
    none: count(/^\d+ found no ticket$/),
    last: lines.at(-1)!,
  };
}

describe('examples/ (synchronization)', { concurrency: true }, () => {
  it("lock-printing.ts: each worker's two lines come together, as the lock makes the jobs take turns", async () => {
    for (let k = 0; k < 2; k++) {
      const { run, lines } = await runExample('lock-printing.ts');
      assert.equal(lines.length, 6, run.stdout);
      const pids = new Set<string>();
      for (let i = 0; i < 6; i += 2) {
        const start = /^(\d+) is running$/.exec(lines[i]!);
        assert.ok(start, `line ${i}: ${lines[i]}`);
        assert.equal(lines[i + 1], `${start[1]} is done`, `another worker printed between ${start[1]}'s lines:\n${run.stdout}`);
        pids.add(start[1]!);
      }
      assert.equal(pids.size, 3);
      assert.ok(!pids.has(String(run.pid)), 'the workers are child processes');
    }
  });

  it('ticket-office.ts (the race) runs: ten buyers look, each buys or finds none', async () => {
    const { lines } = await runExample('ticket-office.ts');
    const t = tickets(lines);
    assert.equal(t.sees, 10);
    assert.ok(t.bought >= 1, 'somebody bought the ticket');
    assert.equal(t.bought + t.none, 10);
    assert.equal(t.last, 'tickets left in the database: 0');
  });

  it('ticket-office-locked.ts: exactly one buyer gets the ticket, every time', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => runExample('ticket-office-locked.ts')));
    for (const { lines } of runs) {
      assert.deepEqual(tickets(lines), { sees: 10, bought: 1, none: 9, last: 'tickets left in the database: 0' });
    }
  });

  it('joinable-queue.ts: every item eaten once before main ends; the blocked daemon consumers end with it', async () => {
    const { run, lines } = await runExample('joinable-queue.ts');
    const expected = ['bun', 'bone', 'slop'].flatMap((n) => Array.from({ length: 10 }, (_, i) => `${n}${i}`)).sort();
    const made = lines.map((l) => /^\d+ made (\w+)$/.exec(l)?.[1]).filter((x): x is string => x !== undefined);
    const ate = lines.map((l) => /^(\d+) ate (\w+)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    assert.deepEqual(made.sort(), expected);
    assert.deepEqual(ate.map((m) => m[2]).sort(), expected);
    assert.equal(lines.at(-1), 'main: every item was eaten; the daemon consumers end with main', 'main ends after every item was eaten');
    assert.equal(lines.length, 61, run.stdout);
    const consumers = new Set(ate.map((m) => m[1]));
    assert.ok(consumers.size >= 1 && consumers.size <= 2 && !consumers.has(String(run.pid)));
  });

  it('pipe-ping-pong.ts: three rounds, then the ponger sees the closed end as EOF', async () => {
    const { lines } = await runExample('pipe-ping-pong.ts');
    assert.deepEqual(lines, [
      'ponger got: ping 1',
      'pinger got: pong 1',
      'ponger got: ping 2',
      'pinger got: pong 2',
      'ponger got: ping 3',
      'pinger got: pong 3',
      'ponger: the other end is closed',
    ]);
  });
});
