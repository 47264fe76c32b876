// No false report, ever: a program whose shim calls are all blocked while something else will
// still wake it (a timer, stdin, an HTTP request or response, a child process that is not a shim
// process, a timeout that will expire) is not called deadlocked, and runs to its end. Each with real
// processes; where a control variant drops the waker, the detector does report it (so the silence
// is the detector seeing the waker, not the detector being off).
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { run, RUNTIME_FIXTURES, type Outcome } from './helpers';

const at = (name: string) => path.join(RUNTIME_FIXTURES, name);

function assertCompletedSilently(o: Outcome): void {
  assert.doesNotMatch(o.stderr, /DeadlockError|Deadlock:/, o.stderr);
  assert.deepEqual(o.reports.map((r) => r.kind), []);
  assert.equal(o.outcome, 'exited', `it did not finish: ${o.stderr}`);
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stdout, /^done$/m);
}

function assertReported(o: Outcome): void {
  assert.equal(o.code, 3, `${o.outcome} ${o.code}: ${o.stderr}`);
  assert.match(o.stderr, /DeadlockError: Deadlock:/);
  assert.deepEqual(o.reports.map((r) => r.kind), ['deadlock']);
}

describe('no false deadlock report', () => {
  it('a timer: main puts from a setTimeout callback, 1.5 s after the child blocked', async () => {
    const [plain, unrefd, none] = await Promise.all([
      run(at('wait-timer.ts')),
      run(at('wait-timer.ts'), { args: ['--unref'] }),
      run(at('wait-timer.ts'), { args: ['--none'] }),
    ]);
    assertCompletedSilently(plain);
    assert.match(plain.stdout, /consumer got late/);
    assertCompletedSilently(unrefd); // an unref()'d timer still fires while a shim call waits
    assertReported(none);
  });

  it('a timer in a child: main waits in recv() while the child sleeps before it sends', async () => {
    const o = await run(at('wait-timer-child.ts'));
    assertCompletedSilently(o);
    assert.match(o.stdout, /^awake$/m);
  });

  it('stdin: main waits for a line (written 2.5 s later) that the child needs', async () => {
    const o = await run(at('wait-stdin.ts'), { stdin: 'hello from the test\n', stdinAfterMs: 2500 });
    assertCompletedSilently(o);
    assert.match(o.stdout, /consumer got hello from the test/);
  });

  it('stdin that never comes: still running after 6 s, never reported', async () => {
    const o = await run(at('wait-stdin.ts'), { stdin: '', stdinAfterMs: 60_000, limitMs: 6000 });
    assert.equal(o.outcome, 'killed', o.stderr);
    assert.match(o.stdout, /^ready$/m);
    assert.doesNotMatch(o.stderr, /DeadlockError/);
    assert.deepEqual(o.reports, []);
  });

  it('stdin that never comes, under the tsx command (its channel to the program is not the program\'s stdin): never reported', async () => {
    const o = await run(at('wait-stdin.ts'), { via: 'tsx-command', stdin: '', stdinAfterMs: 60_000, limitMs: 6000 });
    assert.equal(o.outcome, 'killed', o.stderr);
    assert.match(o.stdout, /^ready$/m);
    assert.doesNotMatch(o.stderr, /DeadlockError/);
    assert.deepEqual(o.reports, []);
  });

  for (const variant of [[], ['--unref']]) {
    it(`an HTTP server${variant.length ? " (unref()'d)" : ''}: the request that unblocks the child comes 2 s later`, async () => {
      let sent = false;
      const o = await run(at('wait-http.ts'), {
        args: variant,
        onStdout: (out) => {
          const m = /PORT (\d+)/.exec(out);
          if (!m || sent) return;
          sent = true;
          setTimeout(() => void fetch(`http://127.0.0.1:${m[1]}/from-the-test`).catch(() => {}), 2000);
        },
      });
      assertCompletedSilently(o);
      assert.match(o.stdout, /consumer got \/from-the-test/);
    });
  }

  it('an HTTP response: main waits 2 s for the answer before it puts what the child needs', async () => {
    const server = http.createServer((_req, res) => setTimeout(() => res.end('answer'), 2000));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const o = await run(at('wait-fetch.ts'), { args: [`http://127.0.0.1:${port}/`] });
      assertCompletedSilently(o);
      assert.match(o.stdout, /consumer got answer/);
    } finally {
      server.close();
    }
  });

  it('a child process that is not a shim process: main puts once `sleep 1.5` ends', async () => {
    const [o, none] = await Promise.all([run(at('wait-os-child.ts')), run(at('wait-os-child.ts'), { args: ['--none'] })]);
    assertCompletedSilently(o);
    assert.match(o.stdout, /consumer got after sleep/);
    assertReported(none);
  });

  it('timeouts that will expire: get, acquire, wait, poll, barrier, join and a pool result, in main and a child', async () => {
    const o = await run(at('wait-timeouts.ts'), { limitMs: 60_000 });
    assertCompletedSilently(o);
    for (const line of ['child: get timed out', 'child: acquire -> false', 'child: wait -> false', 'child: poll -> false', 'child: barrier broke',
      'main: semaphore -> false', 'main: recv poll -> false', 'main: result timed out', 'main: result 2500']) {
      assert.ok(o.stdout.includes(line), `${line} in\n${o.stdout}`);
    }
  });
});
