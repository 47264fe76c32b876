// The manager and pool examples, run for real as a user runs them (`tsx examples/<file>.ts`),
// checking what they print; the echo server is also driven by clients of the test's own.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { EXAMPLES } from '../helpers/paths';
import { groupMembers, killGroup, runToEnd, startCase, waitUntil } from './helpers';

const example = (name: string) => path.join(EXAMPLES, name);

function finalCount(stdout: string): number {
  const m = /^final: (\d+)/m.exec(stdout);
  assert.ok(m, `no "final:" line in:\n${stdout}`);
  return Number(m[1]);
}

/** Connects to 127.0.0.1:port, sends `lines`, collects one answer per line, hangs up. */
function echoClient(port: number, lines: string[], seconds = 60): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no echo within ${seconds} s (got ${answers.length})`));
    }, seconds * 1000);
    const answers: string[] = [];
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        answers.push(pending.slice(0, i));
        pending = pending.slice(i + 1);
      }
      if (answers.length === lines.length) socket.end();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answers);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    for (const line of lines) socket.write(`${line}\n`);
  });
}

function workerLines(stdout: string): { pid: number; client: number }[] {
  return [...stdout.matchAll(/^worker (\d+) serves client (\d+)$/gm)].map((m) => ({ pid: Number(m[1]), client: Number(m[2]) }));
}

describe('examples/ (pools and managers)', { concurrency: 3 }, () => {
  it('manager-counter.ts runs; without a lock the final count is between 0 and the start', async () => {
    const run = await runToEnd(example('manager-counter.ts'), ['6'], 180);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^start: 6, decrements: 6$/m);
    const final = finalCount(run.stdout);
    assert.ok(final >= 0 && final <= 6, `final ${final}`);
    await waitUntil(() => groupMembers(run.pid).length === 0, 10, 'no process of the program to be left');
  });

  it('manager-counter-locked.ts always ends at exactly 0 (several runs)', async () => {
    const runs = await Promise.all([0, 1, 2].map(() => runToEnd(example('manager-counter-locked.ts'), ['5'], 240)));
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^start: 5, decrements: 5$/m);
      assert.equal(finalCount(run.stdout), 0);
    }
  });

  it('pool-apply.ts: apply and applyAsync give the squares; the tasks run in at most 3 worker processes', async () => {
    const run = await runToEnd(example('pool-apply.ts'), [], 180);
    assert.equal(run.code, 0, run.stderr);
    const squares = [0, 1, 4, 9, 16, 25];
    const apply = /^apply: (\[.*\]) in ([\d.]+) s$/m.exec(run.stdout);
    const applyAsync = /^applyAsync: (\[.*\]) in ([\d.]+) s$/m.exec(run.stdout);
    assert.ok(apply && applyAsync, run.stdout);
    assert.deepEqual(JSON.parse(apply[1]!), squares);
    assert.deepEqual(JSON.parse(applyAsync[1]!), squares);
    assert.ok(Number(apply[2]) >= 6 * 0.3 - 0.1, `apply ran the 6 tasks one after another: ${apply[2]} s`);
    const ran = [...run.stdout.matchAll(/^(\d+) run (-?\d+)$/gm)].map((m) => ({ pid: Number(m[1]), n: Number(m[2]) }));
    assert.equal(ran.length, 3 + 6 + 6);
    const pids = new Set(ran.map((r) => r.pid));
    assert.ok(pids.size >= 1 && pids.size <= 3, `${pids.size} worker processes`);
    assert.ok(!pids.has(run.pid), 'the tasks ran in worker processes, not in main');
  });

  it('pool-echo-server.ts (demo): three clients get their lines back in upper case, then it stops', async () => {
    const run = await runToEnd(example('pool-echo-server.ts'), [], 180);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^listening on 127\.0\.0\.1:\d+$/m);
    for (const c of [1, 2, 3]) {
      assert.match(run.stdout, new RegExp(`^client ${c} got: HELLO FROM CLIENT ${c}$`, 'm'));
      assert.match(run.stdout, new RegExp(`^client ${c} got: BYE FROM CLIENT ${c}$`, 'm'));
    }
    const workers = workerLines(run.stdout);
    assert.deepEqual(workers.map((w) => w.client).sort(), [1, 2, 3]);
    assert.ok(!workers.some((w) => w.pid === run.pid), 'connections are served by pool workers');
    assert.match(run.stdout, /^server stopped after 3 connections$/m);
  });

  it('pool-echo-server.ts --serve 4: clients of the test are echoed by at most 2 workers; the server then ends', async () => {
    const prog = startCase(example('pool-echo-server.ts'), ['--serve', '4']);
    try {
      await waitUntil(() => /^listening on 127\.0\.0\.1:\d+$/m.test(prog.stdout()), 60, 'the server to listen');
      const port = Number(/^listening on 127\.0\.0\.1:(\d+)$/m.exec(prog.stdout())![1]);
      const clients = [1, 2, 3, 4].map((c) => echoClient(port, [`line one of ${c}`, `line two of ${c}`, 'ümlaut ok']));
      const answers = await Promise.all(clients);
      answers.forEach((a, i) => assert.deepEqual(a, [`LINE ONE OF ${i + 1}`, `LINE TWO OF ${i + 1}`, 'ÜMLAUT OK']));
      const exit = await prog.exited;
      assert.equal(exit.code, 0, prog.stderr());
      const workers = workerLines(prog.stdout());
      assert.equal(workers.length, 4);
      const pids = new Set(workers.map((w) => w.pid));
      assert.ok(pids.size <= 2, `Pool(2): ${pids.size} worker processes served`);
      assert.ok(!pids.has(prog.pid));
      assert.match(prog.stdout(), /^server stopped after 4 connections$/m);
      await waitUntil(() => groupMembers(prog.pid).length === 0, 10, 'no process of the server to be left');
    } finally {
      killGroup(prog.pid, 'SIGKILL');
    }
  });
});
