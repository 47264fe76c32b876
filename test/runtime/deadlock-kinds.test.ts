// The DeadlockError, end to end with real processes: uncaught it ends the program with exit code 3,
// the report on stderr and no process left behind; when main's code is done and it only waits for
// its children at exit, the same; it can be caught (main ends its child and goes on); deadlocks
// through a manager's hub and through a pool task are found too; PT_MP_DEADLOCK=report prints the
// report and keeps waiting, PT_MP_DEADLOCK=hang does nothing (Python's behaviour). Under the tsx
// command (which keeps a channel to the program) as under `node --import tsx`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { lineOf, run, RUNTIME_FIXTURES } from './helpers';

const FILE = path.join(RUNTIME_FIXTURES, 'deadlock-kinds.ts');

/** Processes still alive in a process group (zombies aside). */
function groupAlive(pgid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('DeadlockError', () => {
  it('main is done and waits for a stuck child at exit: exit 3, the report, nothing left running', async () => {
    let pgid = 0;
    const o = await run(FILE, { args: ['exit'], onSpawn: (pid) => (pgid = pid) });
    assert.equal(o.code, 3, o.stderr);
    assert.match(o.stdout, /^main done$/m);
    assert.match(o.stderr, /^DeadlockError: Deadlock: every process of the program is blocked/m);
    assert.match(o.stderr, new RegExp(`waits in get\\(\\) on Queue 'q' .*called at deadlock-kinds\\.ts:${lineOf(FILE, 'await q.get()')}:`));
    const report = o.reports.find((r) => r.kind === 'deadlock')!;
    const main = report.processes.find((p) => p.role === 'main')!;
    assert.equal(main.waits[0]!.op, 'join');
    assert.match(main.waits[0]!.on, /, at exit$/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(groupAlive(pgid), [], 'no process of the program is left');
  });

  it('uncaught in main: exit 3 and its children are ended', async () => {
    let pgid = 0;
    const o = await run(path.join(RUNTIME_FIXTURES, '../../fixtures/rules/deadlock/bad-join-before-send.ts'), { onSpawn: (pid) => (pgid = pid) });
    assert.equal(o.code, 3, o.stderr);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(groupAlive(pgid), []);
  });

  it('run with the tsx command (`npx tsx main.ts`): its channel to the tsx process wakes nothing; reported all the same', async () => {
    const o = await run(path.join(RUNTIME_FIXTURES, '../../fixtures/rules/deadlock/bad-join-before-send.ts'), { via: 'tsx-command' });
    assert.equal(o.code, 3, `${o.outcome} ${o.code}: ${o.stderr}`);
    assert.match(o.stderr, /^DeadlockError: Deadlock: every process of the program is blocked/m);
    assert.deepEqual(o.reports.map((r) => r.kind), ['deadlock']);
  });

  it('can be caught: the report is data, and main goes on', async () => {
    const o = await run(FILE, { args: ['caught'] });
    assert.equal(o.code, 0, o.stderr);
    assert.match(o.stdout, /^caught deadlock: waiter blocked$/m);
    assert.match(o.stdout, /^ended the waiter: -15$/m);
  });

  it('through a manager\'s hub: the child waits on a manager queue, main joins it', async () => {
    const o = await run(FILE, { args: ['manager'] });
    assert.equal(o.code, 3, o.stderr);
    const report = o.reports.find((r) => r.kind === 'deadlock')!;
    const waiter = report.processes.find((p) => p.target === 'managedWaiter')!;
    assert.equal(waiter.state, 'blocked');
    const q = report.objects.find((x) => x.id === waiter.waits[0]!.object)!;
    assert.equal(q.variant, 'ManagerQueue');
    assert.equal(q.host, report.processes.find((p) => p.role === 'manager')!.pid);
    assert.equal(q.state.depth, 0);
  });

  it('through a pool: main waits for a task that waits forever', async () => {
    const o = await run(FILE, { args: ['pool'] });
    assert.equal(o.code, 3, o.stderr);
    const report = o.reports.find((r) => r.kind === 'deadlock')!;
    const main = report.processes.find((p) => p.role === 'main')!;
    assert.equal(main.waits[0]!.op, 'get');
    assert.match(main.waits[0]!.on, /pool result/);
    const worker = report.processes.find((p) => p.role === 'pool-worker')!;
    assert.equal(worker.state, 'blocked');
    assert.equal(worker.waits[0]!.op, 'get');
    assert.equal(worker.waits[0]!.loc!.range.start.line + 1, lineOf(FILE, 'return q.get()'));
  });

  it('PT_MP_DEADLOCK=report prints once and keeps waiting; =hang says nothing', async () => {
    const [report, hang] = await Promise.all([
      run(FILE, { args: ['exit'], env: { PT_MP_DEADLOCK: 'report' }, limitMs: 8000 }),
      run(FILE, { args: ['exit'], env: { PT_MP_DEADLOCK: 'hang' }, limitMs: 8000 }),
    ]);
    assert.equal(report.outcome, 'killed');
    assert.equal(report.stderr.match(/Deadlock: every process/g)?.length, 1, report.stderr);
    assert.doesNotMatch(report.stderr, /DeadlockError/);
    assert.equal(hang.outcome, 'killed');
    assert.equal(hang.stderr, '');
    assert.deepEqual(hang.reports, []);
  });
});
