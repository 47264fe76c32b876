// The deadlock detector over the rule tests' ground truth, the whole of it: every blocking fixture
// (a program the rule tests prove really hangs under the shim, with the detector off) is reported
// within 2 s of its hang (× the load per core, when other test files share the machine), and the
// report names the processes, operations and lines that block. The other side, no report on a
// program that does not deadlock, is asserted where each such program's ground truth is taken:
// every fixed twin and every fixture of the other rules runs with the detector on in the rule
// tests (test/helpers/rule-tester.ts, runDetected), as do the fixed idioms and the 32-process
// twins; here the examples run too.
// The programs run a few at a time (bounded), all before the assertions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { RuntimeReport } from '@process-topology/multiprocessing';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { BROKEN_EXAMPLE, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { LoadSampler } from '../helpers/load';
import { RULE_FIXTURES } from '../helpers/rule-tester';
import { blockedCalls, lineOf, pooled, run, type Outcome } from './helpers';

/** The rules whose buggy fixtures hang (their tests assert it with the detector off). */
const BLOCKING_RULES = [
  'barrier-parties-mismatch', 'bounded-queue-full', 'condition-never-notified', 'deadlock', 'double-acquire',
  'event-never-set', 'get-without-producer', 'lock-not-released', 'lock-order-inversion', 'missing-sentinel',
  'task-done-missing',
];

/** Who blocks where: [process (MainProcess or its target), operation, needle on the line (, file, occurrence)]. */
type Blocked = [string, string, string, string?, number?];

/** Fixtures that can deadlock in more than one way (whoever takes the lock first): each way. */
const ALTERNATIVES: Record<string, Blocked[][]> = {
  'deadlock/bad-full-queue-lock.ts': [
    [['MainProcess', 'join', 'await p.join()'], ['consumer', 'get', 'await q.get()'], ['producer', 'acquire', 'await lock.acquire()']],
    [['MainProcess', 'join', 'await p.join()'], ['consumer', 'acquire', 'await lock.acquire()', undefined, 2], ['producer', 'put', 'await q.put(i)']],
  ],
};

/**
 * What each buggy program's author means to block, read from its source: the processes stuck for
 * good, in which call. (Main's `join` of a stuck child counts: it waits too.) A fixture missing
 * here is checked against the static analysis instead (see below).
 */
const EXPECTED: Record<string, Blocked[]> = {
  'barrier-parties-mismatch/bad-direct.ts': [['MainProcess', 'join', 'await w.join()'], ['phase', 'wait', 'await gate.wait()'], ['phase', 'wait', 'await gate.wait()']],
  'barrier-parties-mismatch/bad-helper.ts': [['MainProcess', 'wait', 'await b.wait()'], ['helper', 'wait', 'await b.wait()']],
  'bounded-queue-full/bad-direct.ts': [['MainProcess', 'put', 'await readings.put(']],
  'bounded-queue-full/bad-helper-loop.ts': [['MainProcess', 'join', 'await prod.join()'], ['producer', 'put', 'await chunks.put(chunk)']],
  'bounded-queue-full/bad-two-producers.ts': [['MainProcess', 'join', 'await p.join()'], ['produce', 'put', 'await results.put(id * 100)']],
  'condition-never-notified/bad-direct.ts': [['MainProcess', 'join', 'await c.join()'], ['consumer', 'wait', 'await changed.wait()']],
  'condition-never-notified/bad-helper.ts': [['MainProcess', 'wait', 'await cond.wait()']],
  'deadlock/bad-join-before-send.ts': [['MainProcess', 'join', 'await p.join()'], ['worker', 'get', 'await q.get()']],
  'deadlock/bad-notify-before-wait.ts': [['MainProcess', 'join', 'await p.join()'], ['waiter', 'wait', 'await cond.wait()']],
  'deadlock/bad-pipe-both-recv.ts': [['MainProcess', 'recv', 'await parentEnd.recv()'], ['child', 'recv', 'await conn.recv()']],
  'deadlock/bad-replicated-workers.ts': [
    ['MainProcess', 'acquire', 'await lock.acquire()', undefined, 2], ['worker', 'get', 'await replies.get()'],
    ['worker', 'acquire', 'await lock.acquire()'], ['worker', 'acquire', 'await lock.acquire()'], ['worker', 'acquire', 'await lock.acquire()'],
  ],
  'deadlock/bad-three-cycle.ts': [['MainProcess', 'join', 'await p.join()'], ['relay', 'get', 'await inbox.get()'], ['relay', 'get', 'await inbox.get()'], ['relay', 'get', 'await inbox.get()']],
  'double-acquire/bad-direct.ts': [['MainProcess', 'join', 'await p.join()'], ['worker', 'acquire', 'await lock.acquire(); // the log']],
  'double-acquire/bad-helper.ts': [['MainProcess', 'join', 'await p.join()'], ['worker', 'acquire', 'await lock.withLock(']],
  'double-acquire/bad-loop.ts': [['MainProcess', 'join', 'await p.join()'], ['worker', 'acquire', 'await lock.acquire()']],
  'double-acquire/bad-semaphore.ts': [['MainProcess', 'join', 'await p.join()'], ['worker', 'acquire', 'await slots.acquire(); // a third']],
  'double-acquire/bad-two-files/main.ts': [['MainProcess', 'join', 'await p.join()'], ['batch', 'acquire', 'await lock.acquire()', 'ledger.ts']],
  'event-never-set/bad-direct.ts': [['MainProcess', 'join', 'await w.join()'], ['worker', 'wait', 'await ready.wait()']],
  'event-never-set/bad-helper.ts': [['MainProcess', 'wait', 'await loaded.wait()']],
  'event-never-set/bad-loop.ts': [['MainProcess', 'join', 'await r.join()'], ['racer', 'wait', 'await start.wait()'], ['racer', 'wait', 'await start.wait()'], ['racer', 'wait', 'await start.wait()']],
  'get-without-producer/bad-direct.ts': [['MainProcess', 'join', 'await p.join()'], ['worker', 'get', 'await jobs.get()']],
  // (The recv is made in the helper: its line, the first frame outside the shim, as the analysis anchors it.)
  'get-without-producer/bad-pipe-helper.ts': [['MainProcess', 'join', 'await p.join()'], ['listener', 'recv', 'return conn.recv()']],
  'get-without-producer/bad-two-files.ts': [['MainProcess', 'join', 'await c.join()'], ['collect', 'get', 'await results.get()', 'consumers.ts']],
  'lock-not-released/bad-early-return.ts': [['MainProcess', 'join', 'await full.join()'], ['pack', 'acquire', 'await lock.acquire()']],
  'lock-not-released/bad-helper-throw.ts': [['MainProcess', 'acquire', 'await lock.acquire()', undefined, 2]],
  'lock-not-released/bad-loop-break.ts': [['MainProcess', 'join', 'await a.join()'], ['auditor', 'acquire', 'await lock.acquire()', undefined, 2]],
  'lock-not-released/bad-never-two-files/main.ts': [['MainProcess', 'join', 'await second.join()'], ['service', 'acquire', 'await lock.acquire()', 'setup.ts']],
  'lock-order-inversion/bad-direct.ts': [['MainProcess', 'join', 'await a.join()'], ['payroll', 'acquire', 'await audit.acquire()'], ['report', 'acquire', 'await accounts.acquire()', undefined, 2]],
  'lock-order-inversion/bad-helper-loop.ts': [['MainProcess', 'join', 'await w.join()'], ['copyJob', 'acquire', 'await second.acquire()'], ['copyJob', 'acquire', 'await second.acquire()']],
  'lock-order-inversion/bad-swapped-args.ts': [['MainProcess', 'join', 'await t1.join()'], ['transfer', 'acquire', 'await to.withLock('], ['transfer', 'acquire', 'await to.withLock(']],
  'lock-order-inversion/bad-two-files/main.ts': [['MainProcess', 'join', 'await a.join()'], ['restock', 'acquire', 'await warehouse.acquire()', 'inventory.ts'], ['stocktake', 'acquire', 'await shelf.acquire()']],
  'missing-sentinel/bad-helper-loop.ts': [['MainProcess', 'join', 'await c.join()'], ['drain', 'get', 'await jobs.get()']],
  'task-done-missing/bad-continue.ts': [['MainProcess', 'join', 'await tasks.join()'], ['worker', 'get', 'await tasks.get()']],
  'task-done-missing/bad-error-path.ts': [['MainProcess', 'join', 'await payments.join()']],
  'task-done-missing/bad-no-consumer.ts': [['MainProcess', 'join', 'await jobs.join()']],
  'task-done-missing/bad-two-files.ts': [['MainProcess', 'join', 'await queue.join()']],
  '../../../examples/producer-consumer-no-sentinel.ts': [['MainProcess', 'join', 'await c.join()'], ['consumer', 'get', 'await q.get()'], ['consumer', 'get', 'await q.get()']],
};

interface Fixture {
  key: string;
  file: string;
  blocking: boolean;
}

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const rule of fs.readdirSync(RULE_FIXTURES).sort()) {
    const dir = path.join(RULE_FIXTURES, rule);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const e of fs.readdirSync(dir).sort()) {
      if (!/^(bad|good)-/.test(e)) continue;
      const full = path.join(dir, e);
      const file = fs.statSync(full).isDirectory() ? path.join(full, 'main.ts') : full;
      if (!/\.(ts|mts|js|mjs)$/.test(file) || !fs.existsSync(file)) continue;
      if (e.startsWith('bad-') && BLOCKING_RULES.includes(rule)) out.push({ key: path.relative(RULE_FIXTURES, file).split(path.sep).join('/'), file, blocking: true });
    }
  }
  for (const [file, blocking] of [[BROKEN_EXAMPLE, true], [GOOD_EXAMPLE, false]] as const) {
    out.push({ key: path.relative(RULE_FIXTURES, file).split(path.sep).join('/'), file, blocking });
  }
  return out;
}

/** `who op file:line` of an expectation, as blockedCalls() writes them. */
function expectedCalls(f: Fixture, list: Blocked[]): string[] {
  return list.map(([who, op, needle, other, occurrence]) => {
    const file = other ? path.join(path.dirname(f.file), other) : f.file;
    return `${who} ${op} ${path.relative(path.dirname(f.file), file).split(path.sep).join('/')}:${lineOf(file, needle, occurrence)}`;
  }).sort();
}

/** For a blocking fixture the table above does not know: the lines the static analysis names. */
function analysisLines(file: string): Set<string> {
  const model = analyzeFiles([file], { rootDir: path.dirname(file) });
  const lines = new Set<string>();
  for (const f of model.findings) for (const l of [f.loc, ...f.related.map((r) => r.loc)]) lines.add(`${l.file}:${l.range.start.line + 1}`);
  return lines;
}

function describeRun(o: Outcome): string {
  return `exit ${o.code ?? o.signal} after ${o.ms} ms (${o.outcome})\n${o.stderr.slice(0, 3000)}`;
}

describe('the deadlock detector on every fixture of the rule tests', () => {
  const all = fixtures();
  const results = new Map<string, Outcome>();
  const load = new LoadSampler();

  before(async () => {
    // The programs that hang run one at a time: the 2 s is the detector's, not the time this test's
    // own other runs keep the CPUs from a 33-process program. Those that complete run three at once;
    // their bound only catches a hang, and is wide.
    // (A 33-process program takes over 25 s to start on a loaded 2-core machine: the limit only
    // ends a run the detector failed to end.)
    const go = (f: (typeof all)[number]) => () => run(f.file, { limitMs: f.blocking ? 90_000 : 120_000 });
    const hanging = all.filter((f) => f.blocking);
    const completing = all.filter((f) => !f.blocking);
    // The 2 s is for a machine to itself: beside other test files it scales by the load seen.
    load.start();
    const a = await pooled(hanging.map(go), 1);
    load.stop();
    const b = await pooled(completing.map(go), 3);
    hanging.forEach((f, k) => results.set(f.key, a[k]!));
    completing.forEach((f, k) => results.set(f.key, b[k]!));
  });

  it('covers the suite: every blocking rule has buggy fixtures, and they all run', () => {
    assert.ok(all.filter((f) => f.blocking).length >= 35, `blocking fixtures: ${all.filter((f) => f.blocking).length}`);
    for (const rule of BLOCKING_RULES) assert.ok(all.some((f) => f.blocking && f.key.startsWith(`${rule}/`)), rule);
  });

  for (const f of all) {
    if (f.blocking) {
      it(`${f.key}: reported within 2 s of the hang, naming who blocks where`, () => {
        const o = results.get(f.key)!;
        assert.equal(o.outcome, 'exited', `it was not ended by the detector: ${describeRun(o)}`);
        assert.equal(o.code, 3, `the deadlock exit code: ${describeRun(o)}`);
        assert.match(o.stderr, /DeadlockError: Deadlock: every process of the program is blocked/);
        const report = o.reports.find((r) => r.kind === 'deadlock') as RuntimeReport | undefined;
        assert.ok(report, 'the report file has the deadlock report');
        // The hang began with the last operation, or the last process to block or end; stalledMs
        // is an upper bound of the time since (the detector's clock ticks every 200 ms).
        const bound = 2000 * load.factor;
        assert.ok(report.stalledMs !== null && report.stalledMs <= bound, `reported ${report.stalledMs} ms after the hang began (bound 2000 ms × load ${load.factor.toFixed(2)} per core)`);
        const got = blockedCalls(report);
        const want = EXPECTED[f.key];
        const ways = ALTERNATIVES[f.key];
        if (want) {
          assert.deepEqual(got, expectedCalls(f, want));
        } else if (ways) {
          const options = ways.map((w) => expectedCalls(f, w));
          assert.ok(options.some((o) => JSON.stringify(o) === JSON.stringify(got)), `one of ${JSON.stringify(options)}: ${JSON.stringify(got)}`);
        } else {
          const lines = analysisLines(f.file);
          assert.ok(got.some((c) => lines.has(c.split(' ')[2]!)), `a blocked call at a line the analysis names (${[...lines].join(', ')}): ${got.join('; ')}`);
        }
        for (const p of report.processes) if (p.state === 'blocked') assert.deepEqual(p.busy, []);
      });
    } else {
      it(`${f.key}: runs with no deadlock report`, () => {
        const o = results.get(f.key)!;
        assert.doesNotMatch(o.stderr, /DeadlockError/, describeRun(o));
        assert.deepEqual(o.reports.filter((r) => r.kind === 'deadlock'), []);
        assert.equal(o.outcome, 'exited', `it did not finish: ${describeRun(o)}`);
        assert.equal(o.code, 0, describeRun(o));
      });
    }
  }
});

// (ROOT keeps the paths of the examples relative to the rule fixtures readable in test names.)
void ROOT;
