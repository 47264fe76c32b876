// The deadlock checker at scale: pipelines of distinct stages, arrays of identical workers,
// workers that wait for main's reply and pools whose tasks use shared objects, up to 256 processes
// besides main, are checked to the end
// (no note, no budget run out) in a small part of the state budget; their deadlocks are found with
// traces that run in the model; past 256 processes the program is not checked, and the notes say
// so, in the model, on the command line and in the editor's status.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { analyzeFiles, analyzePrograms } from '../../server/src/analysis/analyze';
import { createProgram } from '../../server/src/analysis/program';
import type { AnalysisStats } from '../../server/src/analysis/rule-context';
import type { ObjectSite } from '../../server/src/analysis/facts';
import { checkerModel, DEFAULT_STATE_BUDGET, MAX_PROCESSES } from '../../server/src/analysis/rules/deadlock';
import { startServer } from '../helpers/lsp-client';
import { DIST, ROOT } from '../helpers/paths';
import { GROUND_TRUTH_ENV, HANG_MS, runDetected } from '../helpers/rule-tester';
import { runProgram } from '../helpers/run-program';
import { lockedRequests, phases, pipeline, pipelineLoop, poolTasks, workerArray } from '../helpers/process-shapes';

// Overlay files beside the fixtures, so that the shim resolves as in a real project.
const DIR = path.join(ROOT, 'test/fixtures/rules/deadlock');

function analyze(name: string, text: string) {
  const file = path.join(DIR, `.scale-${name}.ts`);
  const stats: AnalysisStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
  // What these tests count is states: a machine busy with other tests must not run out the
  // checker's 5 s of wall time first (the editor's time budget has tests of its own).
  const model = analyzeFiles([file], { rootDir: ROOT, overlay: new Map([[file, text]]), stats, timeBudgetMs: 120_000 });
  return { model, stats, file };
}

/** The checker's model of a program text (to explore and replay traces in), and its extraction. */
function checkerOf(name: string, text: string) {
  const file = path.join(DIR, `.scale-${name}.ts`);
  const program = createProgram({ rootNames: [file], overlay: new Map([[file, text]]) });
  const [r] = analyzePrograms(program, { rootDir: ROOT, files: [file] });
  assert.ok(r);
  const m = checkerModel({ extraction: r.extraction, checker: program.getTypeChecker() });
  assert.ok(m, `${name} is checked`);
  return { m, ex: r.extraction };
}

/**
 * Ground truth for programs of many processes: the fixed twin runs to its end first (the deadlock
 * detector on, and silent), then the buggy program (detector off) must still be waiting after twice
 * that time (they take a while to start on a busy machine).
 */
async function hangsWhileTwinCompletes(bad: string, good: string): Promise<void> {
  const g = await runDetected(good, 240_000);
  assert.equal(g.outcome, 'exited', 'the fixed twin finished');
  assert.equal(g.code, 0, g.stderr);
  const b = await runProgram(bad, { hangAfterMs: Math.max(HANG_MS, 2 * g.ms), env: GROUND_TRUTH_ENV });
  assert.equal(b.outcome, 'hung', `the buggy program exited (code ${b.code}) after ${b.ms} ms: ${b.stderr}`);
}

function modelOf(name: string, text: string) {
  return checkerOf(name, text).m;
}

const CORRECT: [string, (n: number) => string, number[]][] = [
  ['a pipeline of distinct stages', (n) => pipeline(n), [32, 64, 256]],
  ['an array of identical workers', (n) => workerArray(n), [32, 64, 256]],
  ['workers waiting for replies under a lock', (n) => lockedRequests(n), [32, 256]],
  ['a pool whose tasks put under a lock', (n) => poolTasks(n), [32, 256]],
];

describe('deadlock checker at scale', () => {
  for (const [shape, make, sizes] of CORRECT) {
    it(`checks ${shape} of ${sizes.join(', ')} processes to the end, well within the budget`, () => {
      for (const n of sizes) {
        const { model, stats } = analyze(`${n}`, make(n));
        assert.equal(model.notes, undefined, `${shape}, ${n}: ${JSON.stringify(model.notes)}`);
        assert.equal(stats.budgetExhausted, 0);
        assert.ok(stats.deadlockStates > n && stats.deadlockStates < DEFAULT_STATE_BUDGET / 2, `${shape}, ${n}: ${stats.deadlockStates} states`);
        assert.deepEqual(model.findings.map((f) => f.rule), [], `${shape}, ${n}`);
        console.log(`${shape}, ${n} processes: ${stats.deadlockStates} states, ${stats.deadlockMs.toFixed(0)} ms`);
      }
    });
  }

  it('finds the deadlock of 256 workers waiting for replies main takes the lock to send, with a real trace', () => {
    const text = lockedRequests(256, { bug: true });
    const { model } = analyze('locked-256', text);
    assert.deepEqual(model.findings.map((f) => f.rule), ['deadlock']);
    const f = model.findings[0]!;
    assert.match(f.message, /^Deadlock: worker#1 waits in get\(\) on replies, worker#2 waits in acquire\(\) on lock, .*worker#256 waits in acquire\(\) on lock, main waits in acquire\(\) on lock/);
    assert.equal(f.related.length, 256, 'every waiting process');
    const m = modelOf('locked-256', text);
    const r = m.explorer.explore({ maxStates: DEFAULT_STATE_BUDGET });
    assert.equal(r.exhausted, false);
    assert.equal(r.deadlocks.length, 1);
    assert.ok(m.explorer.replays(r.deadlocks[0]!), 'the trace runs in the model');
  });

  it('finds the 256 pool workers waiting in tasks for an event main sets after reading their results', () => {
    const text = poolTasks(256, { bug: true });
    const { model, stats } = analyze('pool-256', text);
    assert.equal(stats.budgetExhausted, 0);
    assert.deepEqual(model.findings.map((f) => f.rule), ['deadlock']);
    assert.match(model.findings[0]!.message, /^Deadlock: main waits in get\(\) on pool, pool worker#1 waits in wait\(\) on go, .*pool worker#256 waits in wait\(\) on go, and nothing left can wake them$/);
    const m = modelOf('pool-256', text);
    const r = m.explorer.explore({ maxStates: DEFAULT_STATE_BUDGET });
    assert.ok(r.deadlocks.length === 1 && m.explorer.replays(r.deadlocks[0]!));
  });

  it('finds the worker of 64 that waits for an acknowledgement main never sends', () => {
    const text = workerArray(64, { bug: true });
    const { model } = analyze('acks-64', text);
    assert.deepEqual(model.findings.map((f) => f.message), ['Deadlock: worker#64 waits in get() on acks, main waits in join() on worker, and nothing left can wake them']);
    const m = modelOf('acks-64', text);
    const r = m.explorer.explore({ maxStates: DEFAULT_STATE_BUDGET });
    assert.ok(r.deadlocks.length === 1 && m.explorer.replays(r.deadlocks[0]!));
  });

  it('finds a pipeline of 16 stages filled up by main before it reads a result', () => {
    // 40 items through 16 stages whose queues hold one each, results bounded too: once the
    // pipeline is full every stage waits to put, and main waits to put the next item.
    const text = pipeline(16, { bug: true, items: 40 });
    const { model } = analyze('pipeline-16', text);
    assert.deepEqual(model.findings.map((f) => f.rule), ['deadlock']);
    assert.match(model.findings[0]!.message, /^Deadlock: stage0 waits in put\(\) on q1, .*stage15 waits in put\(\) on q16, main waits in put\(\) on q0/);
    const m = modelOf('pipeline-16', text);
    const r = m.explorer.explore({ maxStates: DEFAULT_STATE_BUDGET });
    assert.ok(r.deadlocks.length === 1 && m.explorer.replays(r.deadlocks[0]!));
    // Two items fewer than the pipeline holds: no deadlock.
    assert.deepEqual(analyze('pipeline-16-fits', pipeline(16, { bug: true, items: 30 })).model.findings, []);
  });

  it('says past 256 processes that the program is not checked: in the model, the command line and the editor', async () => {
    const over = MAX_PROCESSES + 44;
    const note = `deadlock: ${over} processes are more than the deadlock checker models (${MAX_PROCESSES}); this program is not checked for deadlocks`;
    const { model, stats } = analyze('over', workerArray(over, { bug: true }));
    assert.deepEqual(model.notes, [note]);
    assert.equal(stats.deadlockStates, 0);
    assert.deepEqual(model.findings.filter((f) => f.rule === 'deadlock'), [], 'no claim either way');

    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-scale-')));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules', '@process-topology'), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'shim'), path.join(dir, 'node_modules', '@process-topology', 'multiprocessing'), 'dir');
      const file = path.join(dir, 'workers.ts');
      fs.writeFileSync(file, workerArray(over, { bug: true }));
      const cli = (format: string) => spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'check', 'workers.ts', '--format', format], { cwd: dir, encoding: 'utf8' });
      const text = cli('text');
      assert.equal(text.status, 0, text.stderr);
      assert.ok(text.stdout.split('\n').includes(`note: ${note}`), text.stdout);
      const sarif = JSON.parse(cli('sarif').stdout) as { runs: { invocations?: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[] }[] };
      assert.deepEqual(sarif.runs[0]!.invocations?.[0]?.toolExecutionNotifications, [{ level: 'note', message: { text: note } }]);

      const s = await startServer(dir);
      try {
        const uri = pathToFileURL(file).href;
        s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(file, 'utf8') } });
        await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
        assert.deepEqual(s.statuses.at(-1)?.notes, [note], JSON.stringify(s.statuses.at(-1)));
      } finally {
        await s.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deadlock checker: programs in phases', () => {
  // Twelve groups of five processes, each joined before the next starts: about 2,500 states a
  // phase, 29,000 in all, more than one budget. The budget counts states per phase (it starts
  // again where only main runs), so the program is checked to its end.
  it('checks 12 phases of 5 processes one after another to the end, and finds the deadlock of the last', () => {
    const good = analyze('phases-12', phases(12));
    assert.equal(good.model.notes, undefined, JSON.stringify(good.model.notes));
    assert.equal(good.stats.budgetExhausted, 0);
    assert.ok(good.stats.deadlockStates > DEFAULT_STATE_BUDGET, `${good.stats.deadlockStates} states: more than one budget in all`);
    assert.deepEqual(good.model.findings, []);
    const text = phases(12, { bug: true });
    const bad = analyze('phases-12-bug', text);
    assert.deepEqual(bad.model.findings.map((f) => f.message), [
      'Deadlock: consumer11#1 waits in get() on q, consumer11#2 waits in get() on q, main waits in join() on consumer11, and nothing left can wake them',
    ]);
    const m = modelOf('phases-12-bug', text);
    const r = m.explorer.explore({ maxStates: DEFAULT_STATE_BUDGET });
    assert.equal(r.exhausted, false);
    assert.ok(r.deadlocks.length === 1 && m.explorer.replays(r.deadlocks[0]!), 'the trace runs in the model');
    // One phase too big for the budget still stops at it: the budget is per phase, not per program.
    const small = m.explorer.explore({ maxStates: 1000 });
    assert.equal(small.exhausted, 'states');
  });

  it('in the editor a phased program gets one budget in all: it says "no claim" there, while typing stays fast', async () => {
    const note = /^deadlock: explored 20001 states of phases\.ts without finishing \(budget\); no claim either way$/;
    const one = analyzeFiles([path.join(DIR, '.scale-one.ts')], { rootDir: ROOT, overlay: new Map([[path.join(DIR, '.scale-one.ts'), phases(12)]]), phaseBudgets: 1 });
    assert.ok(one.notes?.some((n) => /explored 20001 states .* no claim either way/.test(n)), JSON.stringify(one.notes));
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-phases-')));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules', '@process-topology'), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'shim'), path.join(dir, 'node_modules', '@process-topology', 'multiprocessing'), 'dir');
      const file = path.join(dir, 'phases.ts');
      fs.writeFileSync(file, phases(12));
      const cli = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), 'check', 'phases.ts'], { cwd: dir, encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      assert.doesNotMatch(cli.stderr, /no claim/, 'the command line checks it to its end');
      const s = await startServer(dir);
      try {
        const uri = pathToFileURL(file).href;
        s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(file, 'utf8') } });
        await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
        assert.ok(s.statuses.at(-1)?.notes?.some((n) => note.test(n)), JSON.stringify(s.statuses.at(-1)));
      } finally {
        await s.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ground truth: a 4-phase program with the late sentinels is reported, and hangs under the shim; its twin completes', async () => {
    // Four phases, not twelve: the same shape, and a third of the processes to run.
    const bad = path.join(DIR, '.scale-phases-bad.ts');
    const good = path.join(DIR, '.scale-phases-good.ts');
    fs.writeFileSync(bad, phases(4, { bug: true }));
    fs.writeFileSync(good, phases(4));
    try {
      assert.deepEqual(analyzeFiles([bad], { rootDir: ROOT }).findings.map((f) => f.rule), ['deadlock']);
      assert.deepEqual(analyzeFiles([good], { rootDir: ROOT }).findings, []);
      await hangsWhileTwinCompletes(bad, good);
    } finally {
      fs.rmSync(bad, { force: true });
      fs.rmSync(good, { force: true });
    }
  });
});

describe('deadlock checker: instances with objects of their own', () => {
  it('checks the stages of a pipeline made in a loop over an array of queues as it checks distinct stage sites', () => {
    // `for (k…) new Process({ target: stage, args: [k, queues[k], queues[k + 1]] })`: one
    // allocation, 12 instances, each with its own queues. The interpreter gives each instance a
    // site of its own (they do different things), so the checker gives each its own automaton
    // and explores what it explores for the pipeline written with 12 stage functions (a
    // size the test needs: 12 instances of one allocation; the checker's reach is checker-scale's
    // 256-process tests). The buggy one puts more items than its queues and stages hold.
    for (const [bug, items] of [[false, 5], [true, 30]] as const) {
      const explore = (name: string, text: string) => {
        const { m, ex } = checkerOf(name, text);
        return { m, result: m.explorer.explore({ maxStates: DEFAULT_STATE_BUDGET }), ex };
      };
      const loop = explore('instance-flows', pipelineLoop(12, { bug, items }));
      const distinct = explore('distinct-stages', pipeline(12, { bug, items }));
      const stages = [...loop.ex.flows.keys()].filter((p): p is ObjectSite => p.kind !== 'main');
      assert.equal(stages.length, 12, 'a site per stage');
      assert.ok(stages.every((st) => st.multiplicity === 1));
      assert.equal(loop.m.instances.length, 13);
      assert.equal(new Set(loop.m.instances.map((x) => x.aut)).size, 13, 'each instance its own automaton');
      assert.equal(loop.result.exhausted, false);
      assert.equal(loop.result.states, distinct.result.states);
      assert.equal(loop.result.deadlocks.length, bug ? 1 : 0);
      assert.equal(distinct.result.deadlocks.length, bug ? 1 : 0);
      for (const d of loop.result.deadlocks) assert.ok(loop.m.explorer.replays(d));
    }
  });
});

describe('deadlock checker at scale: ground truth under the shim', () => {
  // 32 real processes take a while to start on a busy machine: the hang is proven by waiting well
  // past the time the fixed twin needed to finish.
  for (const [name, message] of [
    ['worker-array-32', /^Deadlock: worker#32 waits in get\(\) on acks, main waits in join\(\) on worker/],
    ['pipeline-32-stages', /^Deadlock: stage0 waits in put\(\) on q1, .*stage31 waits in put\(\) on q32, main waits in put\(\) on q0/],
  ] as const) {
    it(`${name}: reported, silent on the twin; the buggy program hangs, the twin completes`, async () => {
      const bad = path.join(DIR, `bad-${name}.ts`);
      const good = path.join(DIR, `good-${name}.ts`);
      const findings = analyzeFiles([bad], { rootDir: ROOT }).findings;
      assert.deepEqual(findings.map((f) => f.rule), ['deadlock']);
      assert.match(findings[0]!.message, message);
      assert.deepEqual(analyzeFiles([good], { rootDir: ROOT }).findings, []);
      await hangsWhileTwinCompletes(bad, good);
    });
  }
});
