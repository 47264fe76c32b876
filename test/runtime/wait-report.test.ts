// The wait report: on demand through the API (from main and from a child), on a signal
// (PT_MP_REPORT_SIGNAL, text or JSON), and from the hang watchdog (PT_MP_WATCHDOG) when processes
// are blocked but others keep running (no progress, not a deadlock). Real processes throughout.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RuntimeProcess, RuntimeReport } from '@process-topology/multiprocessing';
import { lineOf, run, RUNTIME_FIXTURES } from './helpers';

const at = (name: string) => path.join(RUNTIME_FIXTURES, name);

function line(stdout: string, tag: string): string {
  const l = stdout.split('\n').find((x) => x.startsWith(`${tag} `));
  assert.ok(l, `a ${tag} line in\n${stdout}`);
  return l.slice(tag.length + 1);
}

function proc(r: RuntimeReport, target: string): RuntimeProcess {
  const p = r.processes.find((x) => x.target === target);
  assert.ok(p, `${target} in ${JSON.stringify(r.processes.map((x) => x.name))}`);
  return p;
}

describe('the wait report', () => {
  it('waitReport(): every process, its state, what it waits on and where, lock holders and queue depths', async () => {
    const file = at('report-api.ts');
    const o = await run(file, { limitMs: 60_000 });
    assert.equal(o.code, 0, o.stderr);
    assert.match(o.stdout, /^done$/m);
    const r = JSON.parse(line(o.stdout, 'REPORT')) as RuntimeReport;
    assert.equal(r.version, 1);
    assert.equal(r.kind, 'wait');
    assert.ok(r.root.startsWith('file://'));
    const main = r.processes.find((p) => p.role === 'main')!;
    assert.equal(main.name, 'MainProcess');
    const consumer = proc(r, 'consumer');
    assert.equal(consumer.state, 'blocked');
    assert.equal(consumer.waits.length, 1);
    const get = consumer.waits[0]!;
    assert.equal(get.op, 'get');
    assert.equal(get.loc?.file, 'report-api.ts');
    assert.equal(get.loc!.range.start.line + 1, lineOf(file, 'await jobs.get()'));
    assert.equal(get.timeout, null);
    const jobs = r.objects.find((x) => x.id === get.object)!;
    assert.equal(jobs.kind, 'queue');
    assert.equal(jobs.variant, 'Queue');
    assert.equal(jobs.label, 'jobs');
    assert.equal(jobs.loc!.range.start.line + 1, lineOf(file, 'new Queue<string>()'));
    assert.equal(jobs.state.depth, 0);
    assert.equal(consumer.start!.range.start.line + 1, lineOf(file, 'c.start()'));
    assert.equal(consumer.loc!.range.start.line + 1, lineOf(file, 'new Process({ target: consumer'));
    // The holder sleeps on a timer with the lock held: running; the waiter is blocked on that lock.
    const holder = proc(r, 'holder');
    assert.equal(holder.state, 'running');
    assert.ok(holder.busy.some((b) => /timer/.test(b)), JSON.stringify(holder.busy));
    const waiter = proc(r, 'waiter');
    assert.equal(waiter.state, 'blocked');
    assert.equal(waiter.waits[0]!.op, 'acquire');
    assert.equal(waiter.waits[0]!.loc!.range.start.line + 1, lineOf(file, 'await lock.acquire()', 2));
    const lock = r.objects.find((x) => x.id === waiter.waits[0]!.object)!;
    assert.equal(lock.kind, 'lock');
    assert.equal(lock.label, 'lock');
    assert.deepEqual((lock.state.holders as { pid: number }[]).map((h) => h.pid), [holder.pid]);
    assert.deepEqual((lock.state.waiting as { pid: number }[]).map((h) => h.pid), [waiter.pid]);
    // The text says the same for people.
    const text = JSON.parse(line(o.stdout, 'TEXT')) as string;
    assert.match(text, /^Wait report: what every process of the program is doing\./);
    assert.match(text, new RegExp(`Process-\\d+ \\(pid ${consumer.pid}, target consumer, started at report-api\\.ts:${lineOf(file, 'c.start()')}:\\d+\\): blocked`));
    assert.match(text, new RegExp(`waits in get\\(\\) on Queue 'jobs' \\(made at report-api\\.ts:${lineOf(file, 'new Queue<string>()')}:\\d+\\), called at report-api\\.ts:${lineOf(file, 'await jobs.get()')}:\\d+`));
    assert.match(text, new RegExp(`Lock 'lock' \\(made at report-api\\.ts:\\d+:\\d+\\): held by Process-\\d+ \\(pid ${holder.pid}\\); waiting: Process-\\d+ \\(pid ${waiter.pid}\\)`));
    assert.match(JSON.parse(line(o.stdout, 'TEXT2')) as string, /^Wait report/);
    // A child asks too: the same processes, and its own call is not listed as a wait.
    const child = JSON.parse(line(o.stdout, 'CHILD-REPORT')) as RuntimeReport;
    assert.equal(proc(child, 'consumer').state, 'blocked');
    assert.deepEqual(proc(child, 'reporter').waits, []);
  });

  it('PT_MP_REPORT_SIGNAL: the signal prints the report (text, or JSON), and the program goes on', async () => {
    const file = at('report-signal.ts');
    /** Sends the signal to the main process 1.5 s after it printed "ready" (its child is blocked by then). */
    const signalWhenReady = () => {
      let sent = false;
      return (out: string, pid: number) => {
        if (sent || !/^ready$/m.test(out)) return;
        sent = true;
        setTimeout(() => process.kill(pid, 'SIGUSR2'), 1000);
      };
    };
    const [t, j] = await Promise.all([
      run(file, { args: ['4000'], env: { PT_MP_REPORT_SIGNAL: 'SIGUSR2' }, onStdout: signalWhenReady() }),
      run(file, { args: ['4000'], env: { PT_MP_REPORT_SIGNAL: 'USR2', PT_MP_REPORT_FORMAT: 'json' }, onStdout: signalWhenReady() }),
    ]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^done$/m);
    assert.match(t.stderr, /Wait report: what every process of the program is doing\./);
    assert.match(t.stderr, new RegExp(`waits in get\\(\\) on Queue 'jobs'.*called at report-signal\\.ts:${lineOf(file, 'await jobs.get()')}:`));
    assert.deepEqual(t.reports.map((r) => r.kind), ['wait']);
    assert.equal(j.code, 0, j.stderr);
    const printed = JSON.parse(j.stderr.split('\n').find((l) => l.startsWith('{'))!) as RuntimeReport;
    assert.equal(printed.kind, 'wait');
    assert.equal(proc(printed, 'consumer').waits[0]!.op, 'get');
  });

  it('PT_MP_WATCHDOG: two children block each other while main keeps running; one no-progress report', async () => {
    const file = at('watchdog.ts');
    const o = await run(file, { env: { PT_MP_WATCHDOG: '1' }, limitMs: 60_000 });
    assert.equal(o.code, 0, o.stderr);
    assert.match(o.stdout, /^done$/m);
    assert.doesNotMatch(o.stderr, /DeadlockError|Deadlock:/);
    assert.equal(o.stderr.match(/No progress:/g)?.length, 1, o.stderr);
    const r = o.reports.find((x) => x.kind === 'no-progress')!;
    assert.ok(r.stalledMs !== null && r.stalledMs >= 1000, String(r.stalledMs));
    const fwd = proc(r, 'forward');
    const bwd = proc(r, 'backward');
    assert.equal(fwd.state, 'blocked');
    assert.equal(bwd.state, 'blocked');
    assert.equal(fwd.waits[0]!.loc!.range.start.line + 1, lineOf(file, 'await b.acquire()'));
    assert.equal(bwd.waits[0]!.loc!.range.start.line + 1, lineOf(file, 'await a.acquire()', 2));
    assert.equal(r.processes.find((p) => p.role === 'main')!.state, 'running');
  });
});
