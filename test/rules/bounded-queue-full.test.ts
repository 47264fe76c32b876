// bounded-queue-full, both sides: each buggy fixture is reported at the first put that cannot
// complete and its fixed twin is silent; under the shim the buggy program hangs and the twin
// completes. Also: counts follow paths, and the rule is silent on puts that cannot wait and on
// counts it cannot know.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase } from '../helpers/rule-tester';

const ID = 'bounded-queue-full';
const created = { message: /created here with maxsize/ };

const CASES: RuleCase[] = [
  { name: 'main puts three into a queue of two', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'readings.put(',
    message: /at most 2 items, and 3 can be put while no process ever gets/, related: [created], graph: true, verdict: { hangs: true } },
  { name: 'a producer loop through a helper outruns a consumer that takes two', bad: 'bad-helper-loop.ts', good: 'good-helper-loop.ts', anchor: 'chunks.put(chunk)',
    message: /5 can be put while only 2 can ever be taken/, related: [created], graph: true, verdict: { hangs: true } },
  { name: 'two producer processes fill a queue nobody reads', bad: 'bad-two-producers.ts', good: 'good-two-producers.ts', anchor: 'results.put(id * 100)',
    message: /at most 3 items, and 4 can be put/, related: [created], graph: true, verdict: { hangs: true } },
];

describeRule(ID, CASES, () => {
  const direct = fixture(ID, 'bad-direct.ts');

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
