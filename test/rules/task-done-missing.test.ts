// task-done-missing, both sides: each buggy fixture is reported at its join() (with the consumer's
// get() related) and its fixed twin is silent; under the shim the buggy program hangs in join()
// and the twin completes. The quick fix (taskDone() in a finally after the get) removes the
// finding, and the fixed program really completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import {
  applyFix, assertAnchor, assertCompleted, assertHung, COMPLETE_MS, edited, findingsOf, HANG_MS, rulesOf, runText,
} from '../helpers/rule-cases';
import { positionOf } from '../helpers/source';

const ID = 'task-done-missing';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: '`continue` skips taskDone()', bad: 'bad-continue.ts', good: 'good-continue.ts', join: 'tasks.join();', get: ['bad-continue.ts', 'tasks.get()'], why: /skips taskDone\(\) before the next get\(\)/ },
  { name: 'a helper throws before taskDone()', bad: 'bad-error-path.ts', good: 'good-error-path.ts', join: 'payments.join();', get: ['bad-error-path.ts', 'payments.get()'], why: /an error thrown before taskDone\(\)/ },
  { name: 'nobody consumes', bad: 'bad-no-consumer.ts', good: 'good-no-consumer.ts', join: 'jobs.join();', get: undefined, why: /no process ever takes them/ },
  { name: 'a consumer in another module leaves on the sentinel unmarked', bad: 'bad-two-files.ts', good: 'good-two-files.ts', join: 'queue.join();', get: ['consumer-sentinel.ts', 'queue.get()'], why: /can finish without taskDone\(\)/ },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at join(), silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.join);
      assert.match(f.message, c.why);
      if (c.get) {
        const rel = f.related.find((r) => /get\(\)'s item can be left unmarked/.test(r.message));
        assert.ok(rel, 'the consumer get is related');
        assert.deepEqual(rel.loc.range.start, positionOf(at(c.get[0]), c.get[1]));
      } else {
        assert.ok(f.related.length > 0 && f.related.every((r) => /an item is put here/.test(r.message)));
      }
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program hangs in join() under the shim, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), HANG_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertHung(b, c.bad);
      assertCompleted(g, c.good);
    });
  }

  for (const c of CASES.filter((x) => x.get)) {
    it(`${c.name}: the quick fix wraps the work after get() in try/finally and removes the finding`, () => {
      const f = findingsOf(at(c.bad)).find((x) => x.rule === ID)!;
      const fix = f.fixes![0]!;
      assert.match(fix.title, /taskDone\(\) in a finally/);
      const fixed = applyFix(fix);
      const text = fixed.get(at(c.get![0]))!;
      assert.match(text, /\} finally \{\n\s+await \w+\.taskDone\(\);\n\s+\}/);
      // The old taskDone() calls are gone: one per item, from the finally block.
      assert.equal(text.split('.taskDone()').length - 1, 1);
      const after = rulesOf(at(c.bad), fixed);
      assert.ok(!after.includes(ID) && !after.includes('task-done-excess'), `after the fix: ${after.join(', ')}`);
    });
  }

  it('the fixed `continue` and error-path programs complete under the shim', async () => {
    const runs = ['bad-continue.ts', 'bad-error-path.ts'].map((name) => {
      const f = findingsOf(at(name)).find((x) => x.rule === ID)!;
      return runText(at(name), applyFix(f.fixes![0]!).get(at(name))!, COMPLETE_MS);
    });
    const [a, b] = await Promise.all(runs);
    assertCompleted(a!, 'fixed bad-continue.ts');
    assertCompleted(b!, 'fixed bad-error-path.ts');
    assert.match(b!.stdout, /all payments handled/);
  });

  it('is silent when the sentinel is put only after join() (join does not wait for it)', () => {
    const file = at('bad-two-files.ts');
    const overlay = edited(file, '  await queue.put(null);\n  await queue.join();', '  await queue.join();\n  await queue.put(null);');
    assert.deepEqual(rulesOf(file, overlay), []);
  });

  it('is silent when the queue reaches code that could take or mark items', () => {
    const file = at('bad-no-consumer.ts');
    const overlay = edited(file, '  await jobs.join();', "  new (await import('node:events')).EventEmitter().emit('jobs', jobs);\n  await jobs.join();");
    assert.ok(!rulesOf(file, overlay).includes(ID));
  });
});
