// event-never-set, both sides: each buggy fixture is reported at its wait() and its fixed twin is
// silent; under the shim the buggy program hangs and the twin completes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase, waitsForever } from '../helpers/rule-tester';

const ID = 'event-never-set';

const CASES: RuleCase[] = [
  waitsForever('a worker waits for an event main never sets', 'bad-direct.ts', 'good-direct.ts', 'ready.wait()'),
  waitsForever('main waits through a helper; the loader clears instead of setting', 'bad-helper.ts', 'good-helper.ts', 'loaded.wait()'),
  waitsForever('three workers made in a loop wait for a start signal never given', 'bad-loop.ts', 'good-loop.ts', 'start.wait()'),
];

describeRule(ID, CASES, () => {
  it('is silent when the wait has a timeout', () => {
    const file = fixture(ID, 'bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, 'await ready.wait();', 'await ready.wait(0.5);')), []);
  });

  it('is silent when a set() comes from a callback of code it cannot see (it may run)', () => {
    const file = fixture(ID, 'bad-direct.ts');
    const overlay = edited(file, '  await w.join();', '  setTimeout(() => void ready.set(), 100);\n  await w.join();');
    assert.deepEqual(rulesOf(file, overlay), []);
  });

  it('is silent when an Event the analysis lost track of (from parsed data) is set: it may be this one', () => {
    const file = fixture(ID, 'bad-helper.ts');
    const overlay = edited(file, "  console.log('loader: loading');", "  console.log('loader: loading');\n  const relay: { ev?: Event } = JSON.parse('{}');\n  await relay.ev?.set();");
    assert.deepEqual(rulesOf(file, overlay).filter((r) => r === ID), []);
  });
});
