// pool-results-dropped, both sides: each buggy fixture is reported (a warning) at the submit call
// and its fixed twin is silent; under the shim the buggy program ends without the task having run
// (its output never appears) while the twin runs it.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, COMPLETE_MS, edited, findingsOf, rulesOf } from '../helpers/rule-cases';

const ID = 'pool-results-dropped';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'applyAsync() result discarded, pool left running', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'pool.applyAsync(', task: /report q3 written/ },
  { name: 'results collected in a loop, never read, then terminate()', bad: 'bad-loop-terminate.ts', good: 'good-loop-terminate.ts', anchor: 'pool.applyAsync(', task: /thumbnail of a\.png made/ },
  { name: 'mapAsync() in a helper, dropped', bad: 'bad-map-helper.ts', good: 'good-map-helper.ts', anchor: 'pool.mapAsync(', task: /uploaded x\.txt/ },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at the submit call, silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'warning');
      assertAnchor(f, at(c.bad), c.anchor);
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: under the shim the buggy program cuts the task off, the twin runs it`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), COMPLETE_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertCompleted(b, c.bad);
      assert.doesNotMatch(b.stdout, c.task, 'the dropped task never finished');
      assertCompleted(g, c.good);
      assert.match(g.stdout, c.task);
    });
  }

  const direct = at('bad-direct.ts');

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
