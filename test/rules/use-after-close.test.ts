// use-after-close, both sides: each buggy fixture is reported at the use (the close related) and
// its fixed twin is silent; under the shim the buggy program fails with the shim's error and the
// twin completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, assertFailed, COMPLETE_MS, edited, findingsOf, rulesOf } from '../helpers/rule-cases';
import { positionOf } from '../helpers/source';

const ID = 'use-after-close';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'put after the queue is closed', bad: 'bad-queue.ts', good: 'good-queue.ts', use: "log.put('finished')", close: 'log.close()', error: /Queue .* is closed/ },
  { name: 'send after close, in the next pass of a loop', bad: 'bad-pipe-loop.ts', good: 'good-pipe-loop.ts', use: 'outbox.send(i)', close: 'outbox.close()', error: /handle is closed/ },
  { name: 'submit after a helper closed the pool', bad: 'bad-pool-helper.ts', good: 'good-pool-helper.ts', use: 'pool.applyAsync(double, [4])', close: 'pool.close()', error: /Pool not running/ },
  { name: 'a manager proxy used after shutdown()', bad: 'bad-manager.ts', good: 'good-manager.ts', use: "scores.get('bob')", close: 'm.shutdown()', error: /cannot be used after its shutdown\(\)/ },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at the use, silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.use);
      assert.deepEqual(f.related.map((r) => r.loc.range.start), [positionOf(at(c.bad), c.close)]);
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program fails with the shim's error, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), COMPLETE_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertFailed(b, c.error, c.bad);
      assert.notEqual(b.code, 0);
      assertCompleted(g, c.good);
    });
  }

  it('a close in one process does not close the handle another process holds', () => {
    // The printer child receives on its own copy of the end; main closing its copies is no use-after-close there.
    const file = at('good-pipe-loop.ts');
    const overlay = edited(file, '  outbox.close();', '  outbox.close();\n  inbox.close();');
    assert.deepEqual(rulesOf(file, overlay).filter((r) => r === ID), []);
  });

  it('an object made anew in each pass of a loop is a new handle: no claim', () => {
    const file = at('good-queue.ts');
    const overlay = edited(file, "  const log = new Queue<string>();\n  await log.put('started');\n  await log.put('finished');\n  log.close();",
      "  for (let i = 0; i < 2; i++) {\n    const log = new Queue<string>();\n    await log.put('started');\n    log.close();\n  }");
    assert.deepEqual(rulesOf(file, overlay), []);
  });
});
