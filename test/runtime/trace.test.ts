// The trace of a run (PT_MP_TRACE): one JSON-lines stream from the main process for the whole
// program — processes with their sites, objects with their names, every operation with its call
// site and whether it blocked, who woke a blocked one, the manager's hub's operations, pool tasks,
// the deadlock report — read back by common/trace.ts and matched to the static model's nodes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { matchTrace, parseTrace, ReplayTimeline, reportConfirms, TraceError, type ParsedTrace } from '../../common/trace';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { RULE_FIXTURES } from '../helpers/rule-tester';
import { lineOf, run, RUNTIME_FIXTURES } from './helpers';

function tmp(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-trace-')), name);
}

function byTarget(t: ParsedTrace, target: string) {
  return [...t.processes.values()].filter((p) => p.target === target);
}

describe('the runtime trace', () => {
  it('records processes, objects, operations with sites, who woke whom, the manager and the pool', async () => {
    const file = path.join(RUNTIME_FIXTURES, 'trace-all.ts');
    const out = tmp('trace.jsonl');
    const o = await run(file, { env: { PT_MP_TRACE: out }, limitMs: 90_000 });
    assert.equal(o.code, 0, o.stderr);
    const t = parseTrace(fs.readFileSync(out, 'utf8'));
    assert.equal(t.header.version, 1);
    assert.equal(t.header.main, 'trace-all.ts');
    assert.equal(t.skipped, 0);
    assert.deepEqual(t.close, { t: t.close!.t, code: 0 });
    // Every process, with its role, parent and sites, and its exit code.
    const main = [...t.processes.values()].find((p) => p.role === 'main')!;
    const worker = byTarget(t, 'worker')[0]!;
    assert.equal(worker.parent, main.pid);
    assert.equal(worker.site?.line, lineOf(file, 'new Process({ target: worker'));
    assert.equal(worker.start?.line, lineOf(file, 'p.start()'));
    assert.equal(worker.exit?.code, 0);
    const manager = [...t.processes.values()].find((p) => p.role === 'manager')!;
    assert.equal(manager.site?.line, lineOf(file, 'await Manager.start()'));
    const poolWorkers = [...t.processes.values()].filter((p) => p.role === 'pool-worker');
    assert.equal(poolWorkers.length, 2);
    for (const p of poolWorkers) assert.equal(p.site?.line, lineOf(file, 'new Pool(2)'));
    // Objects with their names and sites; the manager's, hosted there.
    const named = (name: string) => [...t.objects.values()].find((x) => x.name === name)!;
    assert.equal(named('q').kind, 'queue');
    assert.deepEqual(named('q').params, { maxsize: 1 });
    assert.equal(named('q').site?.line, lineOf(file, 'new Queue<number>(1)'));
    assert.equal(named('lock').kind, 'lock');
    assert.equal(named('mine/theirs').kind, 'pipe');
    assert.equal(named('mq').kind, 'joinablequeue');
    assert.equal(named('mq').host, manager.pid);
    assert.equal(named('d').kind, 'manager.dict');
    assert.equal(named('pool').kind, 'pool');
    // Every operation has a site in the program; main's first get blocked until the worker's put woke it.
    const ops = t.ops.filter((x) => x.obj !== null);
    for (const x of ops) assert.ok(x.site && x.site.file === 'trace-all.ts', `op ${x.n} ${x.op} has a site: ${JSON.stringify(x.site)}`);
    const gets = ops.filter((x) => x.obj === named('q').id && x.op === 'get');
    assert.equal(gets.length, 2);
    assert.ok(gets[0]!.blocked && gets[0]!.pid === main.pid);
    assert.equal(gets[0]!.site!.line, lineOf(file, 'console.log(await q.get()'));
    const woke = ops.find((x) => x.n === gets[0]!.end!.by)!;
    assert.equal(woke.op, 'put');
    assert.equal(woke.pid, worker.pid);
    assert.equal(woke.site!.line, lineOf(file, 'await q.put(1)'));
    const acquire = ops.find((x) => x.op === 'acquire' && x.pid === worker.pid)!;
    assert.deepEqual(acquire.state.owners, [worker.pid]);
    assert.equal(ops.find((x) => x.op === 'release')!.state.value, 1);
    // The manager's hub reports into the same stream.
    const mput = ops.find((x) => x.obj === named('mq').id && x.op === 'put')!;
    assert.equal(mput.pid, worker.pid);
    assert.equal(mput.state.unfinished, 1);
    assert.ok(ops.some((x) => x.obj === named('d').id && x.op === 'set'));
    // Main's join of the worker, and the pool's tasks.
    const join = t.ops.find((x) => x.op === 'join' && x.on?.pid === worker.pid)!;
    assert.equal(join.pid, main.pid);
    assert.ok(join.end && join.end.t >= worker.exit!.t);
    assert.deepEqual(t.pools.filter((p) => p.op === 'submit').map((p) => p.job), [1]);
    assert.equal(t.pools.filter((p) => p.op === 'result').length, 4);
    for (const r of t.pools.filter((p) => p.op === 'result')) assert.ok(poolWorkers.some((w) => w.pid === r.worker));
    // Matched to the static model: the worker and the objects are its nodes.
    const model = analyzeFiles([file], { rootDir: RUNTIME_FIXTURES });
    const m = matchTrace(t, model);
    assert.equal(m.processes.get(main.pid)?.node, model.nodes.find((n) => n.role === 'main')!.id);
    assert.equal(m.processes.get(worker.pid)?.node, model.nodes.find((n) => n.kind === 'process' && n.target === 'worker')!.id);
    assert.equal(m.objects.get(named('q').id), model.nodes.find((n) => n.kind === 'queue' && n.label === 'q')!.id);
    assert.equal(m.objects.get(named('lock').id), model.nodes.find((n) => n.kind === 'lock')!.id);
  });

  it('a deadlocked run ends with the deadlock report; replay shows the blocked processes', async () => {
    const file = path.join(RULE_FIXTURES, 'deadlock/bad-replicated-workers.ts');
    const out = tmp('dl.jsonl');
    const o = await run(file, { env: { PT_MP_TRACE: out } });
    assert.equal(o.code, 3, o.stderr);
    const t = parseTrace(fs.readFileSync(out, 'utf8'));
    assert.equal(t.close?.code, 3);
    const dl = t.reports.find((r) => r.kind === 'deadlock')!;
    assert.equal(dl.report.kind, 'deadlock');
    assert.equal(dl.report.processes.length, 5);
    const workers = byTarget(t, 'worker');
    assert.equal(workers.length, 4);
    assert.deepEqual(workers.map((w) => w.instance).sort(), [0, 1, 2, 3]);
    const model = analyzeFiles([file], { rootDir: path.dirname(file) });
    // The run's deadlock is the one the analysis predicted (its blocked calls, line for line).
    const finding = model.findings.find((f) => f.rule === 'deadlock')!;
    assert.ok(reportConfirms(dl.report, finding, model.root));
    // Without main's blocked acquire (line 21), the prediction no longer matches the run.
    const withoutMain = finding.related.filter((r) => r.loc.range.start.line + 1 !== lineOf(file, 'await lock.acquire()', 2));
    assert.equal(withoutMain.length, finding.related.length - 1);
    assert.equal(reportConfirms(dl.report, { ...finding, related: withoutMain }, model.root), false);
    const m = matchTrace(t, model);
    const node = model.nodes.find((n) => n.kind === 'process' && n.target === 'worker')!.id;
    assert.deepEqual(workers.map((w) => m.processes.get(w.pid)).map((x) => x?.node), [node, node, node, node]);
    const timeline = new ReplayTimeline(t, 7);
    const last = timeline.stateAt(timeline.steps.length - 1);
    assert.ok(last.deadlock);
    for (const w of workers) assert.equal(last.processes[w.pid]?.state, 'blocked');
    assert.equal(timeline.steps.at(-1)!.deadlock?.kind, 'deadlock');
    // States rebuilt from checkpoints agree with a walk from the start.
    const mid = Math.floor(timeline.steps.length / 2);
    assert.deepEqual(new ReplayTimeline(t, 1_000_000).stateAt(mid), timeline.stateAt(mid));
  });

  it('writes to a Unix socket (unix:<path>)', async () => {
    const sock = tmp('trace.sock');
    const received: Buffer[] = [];
    const server = net.createServer((s) => s.on('data', (d) => received.push(d)));
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      const o = await run(path.join(RULE_FIXTURES, 'deadlock/good-pipe-both-recv.ts'), { env: { PT_MP_TRACE: `unix:${sock}` } });
      assert.equal(o.code, 0, o.stderr);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const t = parseTrace(Buffer.concat(received).toString('utf8'));
      assert.ok(t.ops.some((x) => x.op === 'recv'));
      assert.equal(t.close?.code, 0);
    } finally {
      server.close();
    }
  });

  it('rejects what is not a trace, with the line', () => {
    assert.throws(() => parseTrace('{"e":"op"}\n'), (e: unknown) => e instanceof TraceError && e.line === 1);
    assert.throws(() => parseTrace('{"e":"trace","format":"process-topology-trace","version":99}\n'), /version 99/);
    assert.throws(() => parseTrace('{"e":"trace","format":"process-topology-trace","version":1}\nnot json\n{"e":"close"}\n'), /line 2: not JSON/);
    const cut = parseTrace('{"e":"trace","format":"process-topology-trace","version":1}\n{"e":"proc","t":0,"pid":1,"name":"MainProcess","role":"main"}\n{"e":"op","t":1,"n":1,"pi');
    assert.equal(cut.processes.size, 1, 'a last line cut by a killed run is forgiven');
  });
});
