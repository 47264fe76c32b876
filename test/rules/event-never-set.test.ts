// event-never-set, both sides: each buggy fixture is reported at its wait() and its fixed twin is
// silent; under the shim the buggy program hangs and the twin completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, assertHung, COMPLETE_MS, edited, findingsOf, HANG_MS, rulesOf } from '../helpers/rule-cases';

const ID = 'event-never-set';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'a worker waits for an event main never sets', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'ready.wait()' },
  { name: 'main waits through a helper; the loader clears instead of setting', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'loaded.wait()' },
  { name: 'three workers made in a loop wait for a start signal never given', bad: 'bad-loop.ts', good: 'good-loop.ts', anchor: 'start.wait()' },
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

  it('is silent when the wait has a timeout', () => {
    const file = at('bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, 'await ready.wait();', 'await ready.wait(0.5);')), []);
  });

  it('is silent when a set() comes from a callback of code it cannot see (it may run)', () => {
    const file = at('bad-direct.ts');
    const overlay = edited(file, '  await w.join();', '  setTimeout(() => void ready.set(), 100);\n  await w.join();');
    assert.deepEqual(rulesOf(file, overlay), []);
  });

  it('is silent when an Event the analysis lost track of (from parsed data) is set: it may be this one', () => {
    const file = at('bad-helper.ts');
    const overlay = edited(file, "  console.log('loader: loading');", "  console.log('loader: loading');\n  const relay: { ev?: Event } = JSON.parse(process.env.RELAY ?? '{}');\n  await relay.ev?.set();");
    assert.deepEqual(rulesOf(file, overlay).filter((r) => r === ID), []);
  });
});
