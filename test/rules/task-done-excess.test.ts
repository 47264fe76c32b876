// task-done-excess, both sides: each buggy fixture is reported at the extra taskDone() and its
// fixed twin is silent; under the shim the buggy program fails with "task_done() called too many
// times" and the twin completes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase } from '../helpers/rule-tester';

const ID = 'task-done-excess';
const TOO_MANY = /task_done\(\) called too many times/;

const CASES: RuleCase[] = [
  { name: 'main marks one more than it took', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: ['bad-direct.ts', 'orders.taskDone();', 2],
    message: TOO_MANY, related: [{ message: /items are taken here/ }], graph: true, verdict: { fails: TOO_MANY, exitCode: true } },
  { name: 'the worker and its helper both mark each item', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: ['bad-helper.ts', 'files.taskDone();', 2],
    message: TOO_MANY, related: [{ message: /items are taken here/ }], graph: true, verdict: { fails: TOO_MANY, exitCode: true } },
];

describeRule(ID, CASES, () => {
  it('is silent when items are marked by a process that did not take them', () => {
    const file = fixture(ID, 'bad-helper.ts');
    // Main marks items too, without getting any: per-process counts cannot tell who marks what.
    const overlay = edited(file, '  await w.join();', '  await files.taskDone();\n  await w.join();');
    assert.deepEqual(rulesOf(file, overlay).filter((r) => r === ID), []);
  });

  it('counts along paths: a taskDone() in each branch after one get() is one mark', () => {
    const file = fixture(ID, 'good-direct.ts');
    const overlay = edited(file, '    await orders.taskDone();', "    if (order === 'soup') await orders.taskDone();\n    else await orders.taskDone();");
    assert.deepEqual(rulesOf(file, overlay), []);
  });
});
