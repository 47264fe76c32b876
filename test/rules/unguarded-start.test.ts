// unguarded-start, both sides: reported at the start() or Pool constructor that the main module's
// top-level code runs outside an isMainProcess() guard; silent on the guarded twins. Under the
// shim every child re-imports the module and fails when it reaches that code again (a pool keeps
// replacing its failing workers, so that program never finishes); the twins complete. The quick
// fix wraps the top-level code in the guard (importing isMainProcess when needed): the finding is
// gone and the fixed program runs.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runProgram } from '../helpers/run-program';
import { applyFix, at, COMPLETE_MS, findingsOf, HANG_MS, RULE_FIXTURES, rulesOf, runText, where } from '../helpers/rule-tester';

const DIR = path.join(RULE_FIXTURES, 'unguarded-start');
const CHILD_FAILS = /bootstrapping phase|daemonic processes are not allowed to have children/;

const CASES: { name: string; bad: string; good: string; anchor: string; output: RegExp }[] = [
  { name: 'a start at the top level', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: 'p.start()', output: /hello world/ },
  { name: 'a helper called from the top level starts workers in a loop', bad: 'bad-helper.ts', good: 'good-helper.ts', anchor: 'w.start()', output: /resized [ab]\.png/ },
  { name: 'a Pool made at the top level (namespace import)', bad: 'bad-pool.ts', good: 'good-pool.ts', anchor: 'new mp.Pool(2)', output: /\[ 2, 4, 6 \]/ },
];

describe('unguarded-start', () => {
  for (const c of CASES) {
    const bad = path.join(DIR, c.bad);
    const good = path.join(DIR, c.good);
    it(`${c.name}: reported at the start, silent on the twin`, () => {
      const findings = findingsOf(bad);
      assert.deepEqual(findings.map((f) => f.rule), ['unguarded-start']);
      assert.equal(findings[0]!.severity, 'error');
      assert.equal(at(findings[0]!), where(bad, c.anchor));
      assert.deepEqual(rulesOf(good), []);
    });

    it(`${c.name}: the children fail under the shim, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(bad, HANG_MS), runProgram(good, COMPLETE_MS)]);
      assert.match(b.stderr, CHILD_FAILS, `the buggy program's stderr: ${b.stderr}`);
      assert.doesNotMatch(b.stdout, c.output, 'the children never did their work');
      assert.equal(g.outcome, 'exited');
      assert.equal(g.code, 0, g.stderr);
      assert.doesNotMatch(g.stderr, CHILD_FAILS);
      assert.match(g.stdout, c.output);
    });

    it(`${c.name}: the quick fix guards the code, removes the finding, and the program runs`, async () => {
      const f = findingsOf(bad)[0]!;
      assert.equal(f.fixes?.[0]?.title, 'Wrap the top-level start code in if (isMainProcess()) { … }');
      const fixed = applyFix(bad, f.fixes![0]!.edits);
      assert.match(fixed, /isMainProcess\(\)\) \{\n/);
      assert.match(fixed, /import (\{[^}]*\bisMainProcess\b[^}]*\}|\* as mp) from '@process-topology\/multiprocessing'/);
      assert.deepEqual(findingsOf(bad, fixed).map((x) => x.rule), []);
      const r = await runText(bad, fixed, COMPLETE_MS);
      assert.equal(r.outcome, 'exited');
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, CHILD_FAILS);
      assert.match(r.stdout, c.output);
    });
  }
});
