// Controlled scheduling finds a deadlock that plain runs miss: race-lock-order.ts deadlocks only if
// the second process takes its first lock before the first process takes its second, which a
// plain run never does (the second process needs hundreds of milliseconds to start). `run
// --explore 50` finds it and prints the seed; `run --seed S` reproduces it every time; a recorded
// schedule (PT_MP_SCHEDULE_RECORD) replays (PT_MP_SCHEDULE=replay:<file>) to the same order.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseTrace } from '../../common/trace';
import { cli as cliIn, pooled, run, RUNTIME_FIXTURES } from './helpers';

const PROGRAM = path.join(RUNTIME_FIXTURES, 'race-lock-order.ts');
const cli = (args: string[]) => cliIn(args, RUNTIME_FIXTURES);


describe('controlled scheduling', () => {
  let seed = '';

  it('plain runs of race-lock-order.ts complete (the deadlock needs an unlucky interleaving)', async () => {
    const runs = await pooled(Array.from({ length: 6 }, () => () => run(PROGRAM)), 3);
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^done$/m);
    }
  });

  it('--explore 50 finds the deadlock and prints its seed', async () => {
    const r = await cli(['run', 'race-lock-order.ts', '--explore', '50']);
    assert.equal(r.code, 3, r.stderr);
    const m = /deadlock found with seed (random-\d+) \(run (\d+) of 50\); replay it: process-topology run race-lock-order\.ts --seed \1/.exec(r.stderr);
    assert.ok(m, r.stderr);
    seed = m[1]!;
    assert.match(r.stderr, /Process-1 \(pid \d+, target first\): blocked\n {4}waits in acquire\(\) on Lock 'b'/);
    assert.match(r.stderr, /Process-2 \(pid \d+, target second\): blocked\n {4}waits in acquire\(\) on Lock 'a'/);
  });

  it('its seed reproduces the deadlock in 10 of 10 runs', async () => {
    assert.ok(seed, 'the exploration found a seed');
    const runs = await pooled(Array.from({ length: 10 }, () => () => cli(['run', 'race-lock-order.ts', '--seed', seed, '--format', 'json'])), 3);
    const outcomes = runs.map((r) => (JSON.parse(r.stdout) as { outcome: string }).outcome);
    assert.deepEqual(outcomes, Array(10).fill('deadlock'), runs.map((r) => r.stderr).join('\n'));
  });

  it('PCT finds it too (--strategy pct)', async () => {
    const r = await cli(['run', 'race-lock-order.ts', '--explore', '50', '--strategy', 'pct']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /deadlock found with seed pct-\d+/);
  });

  it('a recorded schedule replays to the same order of operations', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-sched-'));
    try {
      const schedule = path.join(dir, 'schedule.jsonl');
      const first = await run(PROGRAM, { env: { PT_MP_SCHEDULE: 'random-3', PT_MP_SCHEDULE_RECORD: schedule, PT_MP_TRACE: path.join(dir, 'a.jsonl') } });
      const decisions = fs.readFileSync(schedule, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; op: string });
      assert.ok(decisions.length >= 8, `${decisions.length} decisions`);
      const again = await run(PROGRAM, { env: { PT_MP_SCHEDULE: `replay:${schedule}`, PT_MP_TRACE: path.join(dir, 'b.jsonl') } });
      assert.equal(again.code, first.code, again.stderr);
      const order = (file: string) => parseTrace(fs.readFileSync(file, 'utf8')).sched.map((s) => `${String(s.key)} ${String(s.op)}`);
      assert.deepEqual(order(path.join(dir, 'b.jsonl')), order(path.join(dir, 'a.jsonl')));
      assert.deepEqual(order(path.join(dir, 'a.jsonl')), decisions.map((d) => `${d.key} ${d.op}`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the books of a pipe end\'s copies keep their order: a reader gets its EOFError under every schedule', async () => {
    const program = path.join(RUNTIME_FIXTURES, 'eof-scheduled.ts');
    const seeds = ['random-1', 'random-2', 'random-3', 'pct-1', 'pct-2', 'pct-3'];
    const runs = await pooled(seeds.map((seed) => () => run(program, { env: { PT_MP_SCHEDULE: seed } })), 3);
    runs.forEach((r, i) => {
      assert.equal(r.code, 0, `${seeds[i]}: ${r.stderr}`);
      assert.match(r.stdout, /^got re: ping; EOF$/m, seeds[i]);
    });
  });

  it('a replay waits for a process that is slower than when the schedule was recorded, and each operation is one decision', async () => {
    // replay-slow.ts: worker 1 pauses REPLAY_SLOW_MS before its third turn. Recorded without the
    // pause, replayed with 800 ms of it against a 100 ms grace period: a replay that went on without
    // the slow process diverged here (7 runs in 8); a release posted just before a process ended
    // ran at its close, outside the schedule, and went missing from the replayed order.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-sched-'));
    try {
      const slowProgram = path.join(RUNTIME_FIXTURES, 'replay-slow.ts');
      const schedule = path.join(dir, 'schedule.jsonl');
      const env = { PT_MP_SCHEDULE_GRACE_MS: '100' };
      const first = await run(slowProgram, { env: { ...env, PT_MP_SCHEDULE: 'random-4', PT_MP_SCHEDULE_RECORD: schedule, PT_MP_TRACE: path.join(dir, 'a.jsonl') } });
      assert.equal(first.code, 0, first.stderr);
      const again = await run(slowProgram, { env: { ...env, REPLAY_SLOW_MS: '800', PT_MP_SCHEDULE: `replay:${schedule}`, PT_MP_TRACE: path.join(dir, 'b.jsonl') } });
      assert.equal(again.code, 0, again.stderr);
      const order = (file: string) => parseTrace(fs.readFileSync(file, 'utf8')).sched.map((s) => `${String(s.key)} ${String(s.op)}`);
      // Two workers, four turns each, an acquire and a release a turn: 16 decisions, in the same order.
      assert.equal(order(path.join(dir, 'a.jsonl')).length, 16);
      assert.deepEqual(order(path.join(dir, 'b.jsonl')), order(path.join(dir, 'a.jsonl')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
