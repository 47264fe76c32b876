// condition-never-notified, both sides: each buggy fixture is reported at its wait() and its fixed
// twin is silent; under the shim the buggy program hangs and the twin completes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, findingsOf, fixture, rulesOf, type RuleCase, waitsForever } from '../helpers/rule-tester';

const ID = 'condition-never-notified';

const CASES: RuleCase[] = [
  waitsForever('a consumer waits and nobody notifies', 'bad-direct.ts', 'good-direct.ts', 'changed.wait()'),
  waitsForever('main waits through a helper; the builder sets the flag but never notifies', 'bad-helper.ts', 'good-helper.ts', 'cond.wait()'),
];

describeRule(ID, CASES, () => {
  const file = fixture(ID, 'bad-direct.ts');

  it('a notify by the waiting process itself does not count (it cannot wake its own wait)', () => {
    const overlay = edited(file, "    console.log('consumer: something changed');", "    console.log('consumer: something changed');\n    await changed.notify();");
    const findings = findingsOf(file, overlay).filter((f) => f.rule === ID);
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.message, /only the waiting process itself notifies/);
  });

  it('waitFor(predicate) is not claimed: the predicate may already hold', () => {
    assert.ok(!rulesOf(file, edited(file, 'await changed.wait();', 'await changed.waitFor(() => true);')).includes(ID));
  });

  it('is silent when the wait has a timeout', () => {
    assert.deepEqual(rulesOf(file, edited(file, 'await changed.wait();', 'await changed.wait(0.5);')), []);
  });
});
