// get-without-producer, both sides: each buggy fixture is reported at its get()/recv() and its
// fixed twin is silent; under the shim the buggy program hangs and the twin completes. Also: the
// rule stays silent where unknown code could produce, and leaves sentinel loops and one-way pipe
// misuse to the more specific rules.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRule, edited, fixture, rulesOf, type RuleCase, waitsForever } from '../helpers/rule-tester';

const ID = 'get-without-producer';

const CASES: RuleCase[] = [
  waitsForever('a worker gets a job main never puts', 'bad-direct.ts', 'good-direct.ts', 'jobs.get()'),
  waitsForever('recv() through a helper on a pipe whose other end never sends', 'bad-pipe-helper.ts', 'good-pipe-helper.ts', 'conn.recv()'),
  waitsForever('a consumer in another module, nobody puts', 'bad-two-files.ts', 'good-two-files.ts', ['consumers.ts', 'results.get()']),
];

describeRule(ID, CASES, () => {
  it('is silent when the queue is handed to code the analysis cannot see (it may put)', () => {
    const file = fixture(ID, 'bad-direct.ts');
    const overlay = edited(file, '  p.start();', "  p.start();\n  new (await import('node:events')).EventEmitter().emit('queue', jobs);");
    assert.ok(!rulesOf(file, overlay).includes(ID));
  });

  it('is silent when the queue goes to a process whose target it cannot see (it may put)', () => {
    const file = fixture(ID, 'bad-direct.ts');
    const overlay = edited(file, '  p.start();', '  p.start();\n  new Process({ target: (globalThis as any).feeder, args: [jobs] }).start();');
    assert.ok(!rulesOf(file, overlay).includes(ID));
  });

  it('is silent when code it cannot see runs (eval)', () => {
    const file = fixture(ID, 'bad-direct.ts');
    assert.deepEqual(rulesOf(file, edited(file, '  p.start();', "  p.start();\n  eval('jobs.put(1)');")), []);
  });

  it('is silent when the other end of the pipe is closed (recv fails with EOFError instead of waiting)', () => {
    const file = fixture(ID, 'bad-pipe-helper.ts');
    assert.deepEqual(rulesOf(file, edited(file, '  await p.join();', '  outbox.close();\n  await p.join();')), []);
  });

  it('leaves a sentinel loop on a queue nobody feeds to missing-sentinel (the more specific rule)', () => {
    const file = fixture(ID, 'bad-direct.ts');
    const overlay = edited(file, "  const job = await jobs.get();\n  console.log(`working on ${job}`);",
      '  for (;;) {\n    const job = await jobs.get();\n    if (job === null) break;\n    console.log(`working on ${job}`);\n  }');
    assert.deepEqual(rulesOf(file, overlay), ['missing-sentinel']);
  });

  it('leaves recv() on the send-only end of a one-way pipe to wrong-pipe-end', () => {
    const file = fixture(ID, 'bad-pipe-helper.ts');
    const overlay = edited(file, '  const [inbox, outbox] = Pipe<string>();\n  const p = new Process({ target: listener, args: [inbox] });',
      '  const [inbox, outbox] = Pipe<string>(false);\n  const p = new Process({ target: listener, args: [outbox] });');
    assert.deepEqual(rulesOf(file, overlay), ['wrong-pipe-end']);
  });
});
