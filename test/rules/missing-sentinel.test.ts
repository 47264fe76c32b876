// missing-sentinel, both sides: the analyzer reports each buggy program and stays silent on its
// fixed twin, and under the shim the buggy one really hangs while the twin completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { BROKEN_EXAMPLE, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';

const DIR = path.join(ROOT, 'test/fixtures/rules/missing-sentinel');
const PAIRS: [string, string, string][] = [
  ['no sentinel at all (the example)', BROKEN_EXAMPLE, GOOD_EXAMPLE],
  ['three consumers from a helper loop, two sentinels', path.join(DIR, 'bad-helper-loop.ts'), path.join(DIR, 'good-helper-loop.ts')],
];

function rules(file: string): string[] {
  return analyzeFiles([file], { rootDir: ROOT }).findings.map((f) => f.rule);
}

describe('missing-sentinel', () => {
  for (const [name, bad, good] of PAIRS) {
    it(`${name}: reported on the buggy program, silent on its twin`, () => {
      assert.deepEqual(rules(bad), ['missing-sentinel']);
      assert.deepEqual(rules(good), []);
    });

    it(`${name}: the buggy program hangs under the shim, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(bad, 6000), runProgram(good, 30_000)]);
      assert.equal(b.outcome, 'hung', `the buggy program exited: ${b.stderr}`);
      assert.equal(g.outcome, 'exited', 'the fixed twin finished');
      assert.equal(g.code, 0, g.stderr);
    });
  }
});
