// wrong-pipe-end, both sides: each buggy fixture is reported at the call on the wrong end and its
// fixed twin is silent; under the shim the buggy program fails with the shim's error and the twin
// completes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase } from '../helpers/rule-tester';

const ID = 'wrong-pipe-end';
const oneWay = { message: /one-way pipe is created here/ };

const CASES: RuleCase[] = [
  { name: 'send() on the receive-only end', bad: 'bad-direct.ts', good: 'good-direct.ts', anchor: "reader.send('ping')",
    message: /connection is read-only/, related: [oneWay], graph: true, verdict: { fails: /connection is read-only/, exitCode: true } },
  { name: 'a child handed the send-only end calls recv()', bad: 'bad-child.ts', good: 'good-child.ts', anchor: 'conn.recv()',
    message: /connection is write-only/, related: [oneWay], graph: true, verdict: { fails: /connection is write-only/, exitCode: true } },
];

describeRule(ID, CASES, () => {
  it('a duplex pipe has no wrong end', () => {
    const file = fixture(ID, 'bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, 'Pipe<string>(false)', 'Pipe<string>()')).filter((r) => r === ID), []);
  });

  it('is silent when the pipe direction is not a constant', () => {
    const file = fixture(ID, 'bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, 'Pipe<string>(false)', "Pipe<string>(process.argv.includes('--duplex'))")).filter((r) => r === ID), []);
  });
});
