// condition-never-notified, both sides: each buggy fixture is reported at its wait() and its fixed
// twin is silent; under the shim the buggy program hangs and the twin completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, assertHung, COMPLETE_MS, edited, findingsOf, HANG_MS, rulesOf } from '../helpers/rule-cases';

const ID = 'condition-never-notified';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'a consumer waits and nobody notifies', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'changed.wait()' },
  { name: 'main waits through a helper; the builder sets the flag but never notifies', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'cond.wait()' },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at wait(), silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.anchor);
      assert.match(f.related[0]!.message, /created here/);
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program hangs under the shim, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), HANG_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertHung(b, c.bad);
      assertCompleted(g, c.good);
    });
  }

  it('a notify by the waiting process itself does not count (it cannot wake its own wait)', () => {
    const file = at('bad-direct.ts');
    const overlay = edited(file, "    console.log('consumer: something changed');", "    console.log('consumer: something changed');\n    await changed.notify();");
    const findings = findingsOf(file, overlay).filter((f) => f.rule === ID);
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.message, /only the waiting process itself notifies/);
  });

  it('waitFor(predicate) is not claimed: the predicate may already hold', () => {
    const file = at('bad-direct.ts');
    assert.ok(!rulesOf(file, edited(file, 'await changed.wait();', 'await changed.waitFor(() => true);')).includes(ID));
  });

  it('is silent when the wait has a timeout', () => {
    const file = at('bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, 'await changed.wait();', 'await changed.wait(0.5);')), []);
  });
});
