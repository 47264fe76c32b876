// use-after-close, both sides: each buggy fixture is reported at the use (the close related) and
// its fixed twin is silent; under the shim the buggy program fails with the shim's error and the
// twin completes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase } from '../helpers/rule-tester';

const ID = 'use-after-close';

const closed = (name: string, bad: string, good: string, use: string, close: string, error: RegExp): RuleCase => ({
  name, bad, good, anchor: use, related: [{ at: close }], relatedCount: 1, graph: true, verdict: { fails: error, exitCode: true },
});

const CASES: RuleCase[] = [
  closed('put after the queue is closed', 'bad-queue.ts', 'good-queue.ts', "log.put('finished')", 'log.close()', /Queue .* is closed/),
  closed('send after close, in the next pass of a loop', 'bad-pipe-loop.ts', 'good-pipe-loop.ts', 'outbox.send(i)', 'outbox.close()', /handle is closed/),
  closed('submit after a helper closed the pool', 'bad-pool-helper.ts', 'good-pool-helper.ts', 'pool.applyAsync(double, [4])', 'pool.close()', /Pool not running/),
  closed('a manager proxy used after shutdown()', 'bad-manager.ts', 'good-manager.ts', "scores.get('bob')", 'm.shutdown()', /cannot be used after its shutdown\(\)/),
  // Main does not wait for the child before the manager goes out of scope; the child dies of it
  // (main itself exits 0). A warning: a fast enough child would make its calls in time.
  { name: "an await-using manager's scope ends while the child it started still uses its proxy", bad: 'bad-manager-scope.ts', good: 'good-manager-scope.ts',
    anchor: "seen.set(url, 200)", related: [{ at: 'Manager.start()', message: /shut down here/ }], severity: 'warning', message: /crawler can call seen\.set\(\) after manager\.shutdown\(\)/,
    verdict: { fails: /cannot be used after its shutdown\(\)/, exitCode: false } },
];

describeRule(ID, CASES, () => {
  it('a close in one process does not close the handle another process holds', () => {
    // The printer child receives on its own copy of the end; main closing its copies is no use-after-close there.
    const file = fixture(ID, 'good-pipe-loop.ts');
    const overlay = edited(file, '  outbox.close();', '  outbox.close();\n  inbox.close();');
    assert.deepEqual(rulesOf(file, overlay).filter((r) => r === ID), []);
  });

  it('an object made anew in each pass of a loop is a new handle: no claim', () => {
    const file = fixture(ID, 'good-queue.ts');
    const overlay = edited(file, "  const log = new Queue<string>();\n  await log.put('started');\n  await log.put('finished');\n  log.close();",
      "  for (let i = 0; i < 2; i++) {\n    const log = new Queue<string>();\n    await log.put('started');\n    log.close();\n  }");
    assert.deepEqual(rulesOf(file, overlay), []);
  });
});
