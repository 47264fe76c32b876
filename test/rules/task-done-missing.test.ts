// task-done-missing, both sides: each buggy fixture is reported at its join() (with the consumer's
// get() related) and its fixed twin is silent; under the shim the buggy program hangs in join()
// and the twin completes. The quick fix (taskDone() in a finally after the get) removes the
// finding, and the fixed program really completes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  applyFix, assertCompleted, COMPLETE_MS, describeRule, edited, findingsOf, fixture, rulesOf, runText, type RuleCase,
} from '../helpers/rule-tester';

const ID = 'task-done-missing';
const UNMARKED = /get\(\)'s item can be left unmarked/;

const CASES: (RuleCase & { get?: [string, string] })[] = [
  { name: '`continue` skips taskDone()', bad: 'bad-continue.ts', good: 'good-continue.ts', anchor: 'tasks.join();',
    message: /skips taskDone\(\) before the next get\(\)/, get: ['bad-continue.ts', 'tasks.get()'], related: [{ at: ['bad-continue.ts', 'tasks.get()'], message: UNMARKED }],
    graph: true, verdict: { hangs: true } },
  { name: 'a helper throws before taskDone()', bad: 'bad-error-path.ts', good: 'good-error-path.ts', anchor: 'payments.join();',
    message: /an error thrown before taskDone\(\)/, get: ['bad-error-path.ts', 'payments.get()'], related: [{ at: ['bad-error-path.ts', 'payments.get()'], message: UNMARKED }],
    graph: true, verdict: { hangs: true } },
  { name: 'nobody consumes', bad: 'bad-no-consumer.ts', good: 'good-no-consumer.ts', anchor: 'jobs.join();',
    message: /no process ever takes them/, everyRelated: /an item is put here/, graph: true, verdict: { hangs: true } },
  { name: 'a consumer in another module leaves on the sentinel unmarked', bad: 'bad-two-files.ts', good: 'good-two-files.ts', anchor: 'queue.join();',
    message: /can finish without taskDone\(\)/, get: ['consumer-sentinel.ts', 'queue.get()'], related: [{ at: ['consumer-sentinel.ts', 'queue.get()'], message: UNMARKED }],
    graph: true, verdict: { hangs: true } },
];

describeRule(ID, CASES, () => {
  for (const c of CASES) {
    const get = c.get;
    if (!get) continue;
    it(`${c.name}: the quick fix wraps the work after get() in try/finally and removes the finding`, () => {
      const bad = fixture(ID, c.bad);
      const f = findingsOf(bad).find((x) => x.rule === ID)!;
      const fix = f.fixes![0]!;
      assert.match(fix.title, /taskDone\(\) in a finally/);
      const fixed = applyFix(fix);
      const text = fixed.get(fixture(ID, get[0]))!;
      assert.match(text, /\} finally \{\n\s+await \w+\.taskDone\(\);\n\s+\}/);
      // The old taskDone() calls are gone: one per item, from the finally block.
      assert.equal(text.split('.taskDone()').length - 1, 1);
      const after = rulesOf(bad, fixed);
      assert.ok(!after.includes(ID) && !after.includes('task-done-excess'), `after the fix: ${after.join(', ')}`);
    });
  }

  it('the fixed `continue` and error-path programs complete under the shim', async () => {
    const runs = ['bad-continue.ts', 'bad-error-path.ts'].map((name) => {
      const bad = fixture(ID, name);
      const f = findingsOf(bad).find((x) => x.rule === ID)!;
      return runText(bad, applyFix(f.fixes![0]!).get(bad)!, COMPLETE_MS);
    });
    const [a, b] = await Promise.all(runs);
    assertCompleted(a!, 'fixed bad-continue.ts');
    assertCompleted(b!, 'fixed bad-error-path.ts');
    assert.match(b!.stdout, /all payments handled/);
  });

  it('is silent when the sentinel is put only after join() (join does not wait for it)', () => {
    const file = fixture(ID, 'bad-two-files.ts');
    const overlay = edited(file, '  await queue.put(null);\n  await queue.join();', '  await queue.join();\n  await queue.put(null);');
    assert.deepEqual(rulesOf(file, overlay), []);
  });

  it('is silent when the queue reaches code that could take or mark items', () => {
    const file = fixture(ID, 'bad-no-consumer.ts');
    const overlay = edited(file, '  await jobs.join();', "  new (await import('node:events')).EventEmitter().emit('jobs', jobs);\n  await jobs.join();");
    assert.ok(!rulesOf(file, overlay).includes(ID));
  });
});
