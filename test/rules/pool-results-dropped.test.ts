// pool-results-dropped, both sides: each buggy fixture is reported (a warning) at the submit call
// and its fixed twin is silent; under the shim the buggy program ends without the task having run
// (its output never appears) while the twin runs it.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertCompleted, describeRule, edited, fixture, rulesOf, type RuleCase, type Verdict } from '../helpers/rule-tester';

const ID = 'pool-results-dropped';

/** The buggy program ends without the task's output; the twin prints it. */
const cutOff = (task: RegExp): Verdict => ({
  says: 'under the shim the buggy program cuts the task off, the twin runs it',
  check: (b, g) => {
    assertCompleted(b, 'the buggy program');
    assert.doesNotMatch(b.stdout, task, 'the dropped task never finished');
    assertCompleted(g, 'the fixed twin');
    assert.match(g.stdout, task);
  },
});

const CASES: RuleCase[] = [
  { name: 'applyAsync() result discarded, pool left running', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'pool.applyAsync(',
    graph: true, verdict: cutOff(/report q3 written/) },
  { name: 'results collected in a loop, never read, then terminate()', bad: 'bad-loop-terminate.ts', good: 'good-loop-terminate.ts', anchor: 'pool.applyAsync(',
    graph: true, verdict: cutOff(/thumbnail of a\.png made/) },
  { name: 'mapAsync() in a helper, dropped', bad: 'bad-map-helper.ts', good: 'good-map-helper.ts', anchor: 'pool.mapAsync(',
    graph: true, verdict: cutOff(/uploaded x\.txt/) },
];

describeRule(ID, CASES, () => {
  const direct = fixture(ID, 'bad-direct.ts');

  it('a callback reads the result', () => {
    const overlay = edited(direct, "pool.applyAsync(writeReport, ['q3']);", "pool.applyAsync(writeReport, ['q3'], { callback: (name) => console.log(name) });");
    assert.deepEqual(rulesOf(direct, overlay), []);
  });

  it('closing and joining the pool lets the task finish', () => {
    const overlay = edited(direct, "  console.log('main done');", "  pool.close();\n  await pool.join();");
    assert.deepEqual(rulesOf(direct, overlay), []);
  });

  it('results read through a union of AsyncResults count as read', () => {
    const overlay = edited(direct, "  pool.applyAsync(writeReport, ['q3']);",
      "  const both = [pool.applyAsync(writeReport, ['q3']), pool.applyAsync(writeReport, ['q4'])];\n  for (const r of both) await r.get();");
    assert.deepEqual(rulesOf(direct, overlay), []);
  });

  it('is silent when the AsyncResult reaches code that may read it', () => {
    const overlay = edited(direct, "  pool.applyAsync(writeReport, ['q3']);", "  new (await import('node:events')).EventEmitter().emit('job', pool.applyAsync(writeReport, ['q3']));");
    assert.deepEqual(rulesOf(direct, overlay), []);
  });
});
