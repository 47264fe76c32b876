// task-done-excess, both sides: each buggy fixture is reported at the extra taskDone() and its
// fixed twin is silent; under the shim the buggy program fails with "task_done() called too many
// times" and the twin completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, assertFailed, COMPLETE_MS, edited, findingsOf, rulesOf } from '../helpers/rule-cases';

const ID = 'task-done-excess';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'main marks one more than it took', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'orders.taskDone();', occurrence: 2 },
  { name: 'the worker and its helper both mark each item', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'files.taskDone();', occurrence: 2 },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at the extra taskDone(), silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.anchor, c.occurrence);
      assert.match(f.message, /task_done\(\) called too many times/);
      assert.ok(f.related.some((r) => /items are taken here/.test(r.message)));
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program fails with the shim's error, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), COMPLETE_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertFailed(b, /task_done\(\) called too many times/, c.bad);
      assert.notEqual(b.code, 0);
      assertCompleted(g, c.good);
    });
  }

  it('is silent when items are marked by a process that did not take them', () => {
    const file = at('bad-helper.ts');
    // Main marks items too, without getting any: per-process counts cannot tell who marks what.
    const overlay = edited(file, '  await w.join();', '  await files.taskDone();\n  await w.join();');
    assert.deepEqual(rulesOf(file, overlay).filter((r) => r === ID), []);
  });

  it('counts along paths: a taskDone() in each branch after one get() is one mark', () => {
    const file = at('good-direct.ts');
    const overlay = edited(file, '    await orders.taskDone();', "    if (order === 'soup') await orders.taskDone();\n    else await orders.taskDone();");
    assert.deepEqual(rulesOf(file, overlay), []);
  });
});
