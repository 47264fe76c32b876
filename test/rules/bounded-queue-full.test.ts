// bounded-queue-full, both sides: each buggy fixture is reported at the first put that cannot
// complete and its fixed twin is silent; under the shim the buggy program hangs and the twin
// completes. Also: counts follow paths, and the rule is silent on puts that cannot wait and on
// counts it cannot know.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, assertHung, COMPLETE_MS, edited, findingsOf, HANG_MS, rulesOf } from '../helpers/rule-cases';

const ID = 'bounded-queue-full';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'main puts three into a queue of two', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'readings.put(', message: /at most 2 items, and 3 can be put while no process ever gets/ },
  { name: 'a producer loop through a helper outruns a consumer that takes two', bad: 'bad-helper-loop.ts', good: 'good-helper-loop.ts', anchor: 'chunks.put(chunk)', message: /5 can be put while only 2 can ever be taken/ },
  { name: 'two producer processes fill a queue nobody reads', bad: 'bad-two-producers.ts', good: 'good-two-producers.ts', anchor: 'results.put(id * 100)', message: /at most 3 items, and 4 can be put/ },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at the put that cannot complete, silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.anchor);
      assert.match(f.message, c.message);
      assert.match(f.related[0]!.message, /created here with maxsize/);
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program hangs under the shim, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), HANG_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertHung(b, c.bad);
      assertCompleted(g, c.good);
    });
  }

  const direct = at('bad-direct.ts');

  it('counts puts along paths: one put per pass through an if/else is one put', () => {
    const overlay = edited(direct, 'for (let i = 0; i < 3; i++) {\n    await readings.put(i * 10);',
      'for (let i = 0; i < 2; i++) {\n    if (i % 2) await readings.put(i);\n    else await readings.put(i * 10);');
    assert.deepEqual(rulesOf(direct, overlay), []);
  });

  it('is silent when the put cannot wait (a timeout makes it fail with Full instead)', () => {
    assert.deepEqual(rulesOf(direct, edited(direct, 'await readings.put(i * 10);', 'await readings.put(i * 10, true, 1);')), []);
  });

  it('is silent when the number of puts is unknown', () => {
    assert.ok(!rulesOf(direct, edited(direct, 'i < 3;', 'i < Number(process.argv[2]);')).includes(ID));
  });

  it('is silent when the queue reaches code that could take items', () => {
    const overlay = edited(direct, '  for (let i = 0;', "  new (await import('node:events')).EventEmitter().emit('drain', readings);\n  for (let i = 0;");
    assert.ok(!rulesOf(direct, overlay).includes(ID));
  });
});
