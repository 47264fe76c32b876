// unguarded-start, both sides: reported at the start() or Pool constructor that the main module's
// top-level code runs outside an isMainProcess() guard; silent on the guarded twins. Under the
// shim every child re-imports the module and fails when it reaches that code again (a pool keeps
// replacing its failing workers, so that program never finishes); the twins complete. The quick
// fix wraps the top-level code in the guard (importing isMainProcess when needed): the finding is
// gone and the fixed program runs.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  assertCompleted, COMPLETE_MS, describeRule, findingsOf, fixedText, fixture, HANG_MS, runText, withText, type RuleCase, type Verdict,
} from '../helpers/rule-tester';

const ID = 'unguarded-start';
const CHILD_FAILS = /bootstrapping phase|daemonic processes are not allowed to have children/;

/** The children fail and never do their work (`output`); the guarded twin does it. */
const childrenFail = (output: RegExp): Verdict => ({
  says: 'the children fail under the shim, the twin completes',
  badMs: HANG_MS,
  check: (b, g) => {
    assert.match(b.stderr, CHILD_FAILS, `the buggy program's stderr: ${b.stderr}`);
    assert.doesNotMatch(b.stdout, output, 'the children never did their work');
    assertCompleted(g, 'the fixed twin');
    assert.doesNotMatch(g.stderr, CHILD_FAILS);
    assert.match(g.stdout, output);
  },
});

const CASES: (RuleCase & { output: RegExp })[] = [
  { name: 'a start at the top level', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'p.start()', output: /hello world/, verdict: childrenFail(/hello world/) },
  { name: 'a helper called from the top level starts workers in a loop', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'w.start()',
    output: /resized [ab]\.png/, verdict: childrenFail(/resized [ab]\.png/) },
  { name: 'a Pool made at the top level (namespace import)', bad: 'bad-pool.ts', good: 'good-pool.ts', anchor: 'new mp.Pool(2)',
    output: /\[ 2, 4, 6 \]/, verdict: childrenFail(/\[ 2, 4, 6 \]/) },
];

describeRule(ID, CASES, () => {
  for (const c of CASES) {
    const bad = fixture(ID, c.bad);
    it(`${c.name}: the quick fix guards the code, removes the finding, and the program runs`, async () => {
      const f = findingsOf(bad)[0]!;
      assert.equal(f.fixes?.[0]?.title, 'Wrap the top-level start code in if (isMainProcess()) { … }');
      const fixed = fixedText(f.fixes![0]!, bad);
      assert.match(fixed, /isMainProcess\(\)\) \{\n/);
      assert.match(fixed, /import (\{[^}]*\bisMainProcess\b[^}]*\}|\* as mp) from '@process-topology\/multiprocessing'/);
      assert.deepEqual(findingsOf(bad, withText(bad, fixed)).map((x) => x.rule), []);
      const r = await runText(bad, fixed, COMPLETE_MS);
      assertCompleted(r, 'the fixed program');
      assert.doesNotMatch(r.stderr, CHILD_FAILS);
      assert.match(r.stdout, c.output);
    });
  }
});
