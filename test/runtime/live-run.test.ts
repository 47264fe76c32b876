// A run folded line by line (common/live-run.ts) and put on the model (drawing/live.ts), on real
// runs of the shipped examples traced by the shim: the broken example deadlocks with its consumers
// and main blocked where the report says, every item counted; the good one ends with every process
// exited 0; desk-and-pen.ts completes plainly but its deadlock finding, reproduced, is the run's
// deadlock and the run confirms it (runConfirms), as the broken example's run confirms its
// missing-sentinel finding; the replay's states are the live run's at each step; and the rules a
// run can confirm by their anchor are the registry's blocking ones.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LiveReplay, LiveRun } from '../../common/live-run';
import { ANCHOR_BLOCKS_RULES, runConfirms } from '../../common/trace';
import { liveDecorations } from '../../drawing/live';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { RULES } from '../../server/src/analysis/rule-registry';
import { BROKEN_EXAMPLE, EXAMPLES, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { cli } from './helpers';

const DESK = path.join(EXAMPLES, 'desk-and-pen.ts');

async function cliRun(args: string[]): Promise<number | null> {
  return (await cli(['run', ...args], ROOT)).code;
}

describe('a run, live', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-live-run-'));
  const traces = { broken: path.join(dir, 'broken.jsonl'), good: path.join(dir, 'good.jsonl'), desk: path.join(dir, 'desk.jsonl'), steered: path.join(dir, 'steered.jsonl') };
  const codes: Record<string, number | null> = {};
  const read = (f: string): string[] => fs.readFileSync(f, 'utf8').split('\n');

  before(async () => {
    const [broken, good, desk, steered] = await Promise.all([
      cliRun([BROKEN_EXAMPLE, '--trace', traces.broken]),
      cliRun([GOOD_EXAMPLE, '--trace', traces.good]),
      cliRun([DESK, '--trace', traces.desk]),
      cliRun([DESK, '--reproduce', 'deadlock', '--trace', traces.steered]),
    ]);
    Object.assign(codes, { broken, good, desk, steered });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the broken example: consumers blocked in get() and main in join(), in the deadlock; every item counted', () => {
    assert.equal(codes.broken, 3);
    const run = new LiveRun();
    run.feed(read(traces.broken));
    const st = run.state;
    assert.equal(st.bad, 0);
    assert.ok(st.deadlock, 'the deadlock report is in the trace');
    const procs = st.order.map((pid) => st.processes[pid]!);
    const consumers = procs.filter((p) => p.target === 'consumer');
    const getLine = fs.readFileSync(BROKEN_EXAMPLE, 'utf8').split('\n').findIndex((l) => l.includes('await q.get()')) + 1;
    assert.equal(consumers.length, 2);
    for (const c of consumers) {
      assert.equal(c.state, 'blocked');
      assert.ok(c.deadlocked);
      assert.deepEqual(Object.values(c.waits).map((w) => [w.op, w.site?.line]), [['get', getLine]]);
    }
    const main = procs.find((p) => p.role === 'main')!;
    assert.equal(main.state, 'blocked', 'main stays drawn in its join: the DeadlockError that ends the run does not free it');
    assert.deepEqual(Object.values(main.waits).map((w) => w.op), ['join']);
    assert.deepEqual(procs.filter((p) => p.target === 'producer').map((p) => [p.state, p.code]), [['exited', 0], ['exited', 0], ['exited', 0]]);
    const model = analyzeFiles([BROKEN_EXAMPLE], { rootDir: ROOT });
    const d = liveDecorations(st, model);
    const edge = (kind: string) => model.edges.find((e) => e.kind === kind)!.id;
    assert.equal(d.edges.get(edge('put'))?.count, 30);
    assert.equal(d.edges.get(edge('get'))?.count, 30);
    assert.equal(d.edges.get(edge('get'))?.wait, true);
    assert.deepEqual(d.extras, { nodes: [], edges: [] });
    assert.deepEqual({ ...d.summary, ops: undefined }, { processes: 6, running: 0, blocked: 3, exited: 3, failed: 0, ops: undefined, deadlocked: true });
    // The static finding the run confirms: the missing sentinel (its get is the run's blocked call).
    const f = model.findings.find((x) => x.rule === 'missing-sentinel')!;
    assert.ok(runConfirms(st.deadlock!, f, model.root));
  });

  it('the good example: every process exited 0, main too; nothing blocked', () => {
    assert.equal(codes.good, 0);
    const run = new LiveRun();
    run.feed(read(traces.good));
    const st = run.state;
    const procs = st.order.map((pid) => st.processes[pid]!);
    assert.equal(procs.length, 6);
    assert.deepEqual(procs.map((p) => [p.state, p.code]), procs.map(() => ['exited', 0]));
    assert.equal(st.closed?.code, 0);
    assert.equal(st.deadlock, null);
    const model = analyzeFiles([GOOD_EXAMPLE], { rootDir: ROOT });
    const d = liveDecorations(st, model);
    // 30 items and 2 sentinels, put and taken.
    assert.equal(d.edges.get(model.edges.find((e) => e.kind === 'get')!.id)?.count, 32);
    assert.ok([...d.nodes.entries()].filter(([id]) => model.nodes.some((n) => n.id === id && n.kind === 'process')).every(([, n]) => n.cls.includes('rt-exited')));
  });

  it('desk-and-pen.ts: completes plainly; reproduced, deadlocks as its finding predicts, which the run confirms', () => {
    assert.equal(codes.desk, 0, 'a plain run completes');
    assert.equal(codes.steered, 3, 'the steered replay deadlocks');
    const run = new LiveRun();
    run.feed(read(traces.steered));
    const st = run.state;
    assert.equal(st.steer?.outcome, 'reproduced');
    assert.ok(st.deadlock);
    const model = analyzeFiles([DESK], { rootDir: ROOT });
    const f = model.findings.find((x) => x.rule === 'deadlock')!;
    assert.ok(runConfirms(st.deadlock, f, model.root));
    // The plain run's trace has no deadlock to confirm anything with.
    const plain = new LiveRun();
    plain.feed(read(traces.desk));
    assert.equal(plain.state.deadlock, null);
    const blocked = st.order.map((pid) => st.processes[pid]!).filter((p) => p.state === 'blocked').map((p) => `${p.target ?? 'main'}:${Object.values(p.waits).map((w) => w.op).join()}`).sort();
    assert.deepEqual(blocked, ['first:get', 'main:join', 'second:acquire']);
  });

  it('the replay: the state after each step is the live run\'s after that line', () => {
    const lines = read(traces.broken).filter((l) => l.trim());
    const replay = new LiveReplay(lines, 16);
    assert.ok(replay.steps.length > 60);
    for (const k of [0, 5, 17, 33, replay.steps.length - 1]) {
      const live = new LiveRun();
      live.feed(lines.slice(0, replay.steps[k]!.line + 1));
      assert.deepEqual(replay.at(k).state, live.state, `step ${k}`);
    }
    // A step that counted an operation says so in its changes.
    const k = replay.steps.findIndex((s) => / put on queue 'q'$/.test(s.text));
    assert.ok(k >= 0);
    assert.equal(replay.at(k).takeChanges().flows.size, 1);
  });

  it('the rules a run confirms by their anchor are the blocking family\'s (deadlock by its whole state)', () => {
    const blocking = [...RULES.values()].filter((r) => r.family === 'blocking' && r.id !== 'deadlock').map((r) => r.id).sort();
    assert.deepEqual([...ANCHOR_BLOCKS_RULES].sort(), blocking);
  });
});
