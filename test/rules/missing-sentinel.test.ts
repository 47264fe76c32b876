// missing-sentinel, both sides: the analyzer reports each buggy program and stays silent on its
// fixed twin, and under the shim the buggy one really hangs while the twin completes. The message
// names the sentinel as the loop tests it (`undefined` is not `null`: `m !== undefined` goes on
// when null comes).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { it } from 'node:test';
import { BROKEN_EXAMPLE, GOOD_EXAMPLE } from '../helpers/paths';
import { describeRule, findingsOf, fixture, withText, type RuleCase } from '../helpers/rule-tester';

const CASES: RuleCase[] = [
  { name: 'no sentinel at all (the example)', bad: BROKEN_EXAMPLE, good: GOOD_EXAMPLE, verdict: { hangs: true } },
  { name: 'three consumers from a helper loop, two sentinels', bad: 'bad-helper-loop.ts', good: 'good-helper-loop.ts', verdict: { hangs: true } },
];

describeRule('missing-sentinel', CASES, () => {
  it('the sentinel is named as the loop tests it: null, or undefined', () => {
    const bad = fixture('missing-sentinel', 'bad-helper-loop.ts');
    const [nullFinding] = findingsOf(bad);
    assert.match(nullFinding!.message, /^3 consumers wait for a null sentinel on jobs, but only 2 can be put/);
    const text = fs.readFileSync(bad, 'utf8').split('number | null').join('number | undefined').replace('if (job === null) return;', 'if (job === undefined) return;')
      .split('await jobs.put(null);').join('await jobs.put(undefined);');
    const [undefinedFinding, ...more] = findingsOf(bad, withText(bad, text));
    assert.deepEqual(more, []);
    assert.match(undefinedFinding!.message, /^3 consumers wait for an undefined sentinel on jobs, but only 2 can be put/);
  });
});
