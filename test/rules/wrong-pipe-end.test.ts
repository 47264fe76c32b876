// wrong-pipe-end, both sides: each buggy fixture is reported at the call on the wrong end and its
// fixed twin is silent; under the shim the buggy program fails with the shim's error and the twin
// completes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { runProgram } from '../helpers/run-program';
import { assertAnchor, assertCompleted, assertFailed, COMPLETE_MS, edited, findingsOf, rulesOf } from '../helpers/rule-cases';

const ID = 'wrong-pipe-end';
const DIR = path.join(ROOT, 'test/fixtures/rules', ID);
const at = (f: string): string => path.join(DIR, f);

const CASES = [
  { name: 'send() on the receive-only end', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: "reader.send('ping')", error: /connection is read-only/ },
  { name: 'a child handed the send-only end calls recv()', bad: 'bad-child.ts', good: 'good-child.ts', anchor: 'conn.recv()', error: /connection is write-only/ },
] as const;

describe(ID, () => {
  for (const c of CASES) {
    it(`${c.name}: reported at the call, silent on the twin`, () => {
      const findings = findingsOf(at(c.bad));
      assert.deepEqual(findings.map((f) => f.rule), [ID]);
      const f = findings[0]!;
      assert.equal(f.severity, 'error');
      assertAnchor(f, at(c.bad), c.anchor);
      assert.match(f.message, c.error);
      assert.match(f.related[0]!.message, /one-way pipe is created here/);
      assert.ok(f.nodes.length >= 2 && f.edges.length >= 1);
      assert.deepEqual(rulesOf(at(c.good)), []);
    });

    it(`${c.name}: the buggy program fails with the shim's error, the twin completes`, async () => {
      const [b, g] = await Promise.all([runProgram(at(c.bad), COMPLETE_MS), runProgram(at(c.good), COMPLETE_MS)]);
      assertFailed(b, c.error, c.bad);
      assert.notEqual(b.code, 0);
      assertCompleted(g, c.good);
    });
  }

  it('a duplex pipe has no wrong end', () => {
    const file = at('bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, 'Pipe<string>(false)', 'Pipe<string>()')).filter((r) => r === ID), []);
  });

  it('is silent when the pipe direction is not a constant', () => {
    const file = at('bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, 'Pipe<string>(false)', "Pipe<string>(process.argv.includes('--duplex'))")).filter((r) => r === ID), []);
  });
});
