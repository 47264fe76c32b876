// deadlock, both sides: the model checker reports each communication deadlock with a trace and is
// silent on the fixed twin; under the shim the buggy program really hangs and the twin completes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { BROKEN_EXAMPLE, ROOT } from '../helpers/paths';
import { describeRule, fixture, modelOf, rulesOf, withText, type RuleCase } from '../helpers/rule-tester';
import { positionOf } from '../helpers/source';

const ID = 'deadlock';

/** A deadlock of fixture `base` (bad-/good-<base>.ts) with a blocked operation at `blocked`. */
function shape(name: string, base: string, blocked: string): RuleCase {
  const bad = fixture(ID, `bad-${base}.ts`);
  return {
    name, bad, good: fixture(ID, `good-${base}.ts`), several: true, graph: true, verdict: { hangs: true },
    check: (findings, model) => {
      const anchors = findings.flatMap((f) => [f.loc, ...f.related.map((r) => r.loc)]).map((l) => l.range.start);
      assert.ok(anchors.some((p) => p.line === positionOf(bad, blocked).line), `a blocked operation at ${blocked}`);
      const trace = findings[0]!.trace;
      assert.ok(trace && trace.length > 0, 'the trace that reaches the deadlock');
      for (const step of trace) {
        assert.ok(model.nodes.some((n) => n.id === step.process), `trace step names a process of the model: ${step.process}`);
        assert.equal(step.loc.file, path.relative(ROOT, bad));
      }
    },
  };
}

const CASES: RuleCase[] = [
  shape('both ends of a pipe recv first', 'pipe-both-recv', 'conn.recv()'),
  shape('a join on a child that waits for a message sent after the join', 'join-before-send', 'q.get()'),
  shape('a producer blocked on a full queue whose consumer waits for the lock the producer holds', 'full-queue-lock', 'lock.acquire()'),
  shape('a three-process cycle', 'three-cycle', 'inbox.get()'),
  shape('a condition notified only before anyone waits', 'notify-before-wait', 'cond.wait()'),
  shape('four identical workers, the first holding the lock main needs to reply', 'replicated-workers', 'replies.get()'),
  shape('a pool of two workers for three tasks that meet at a barrier of three', 'pool-barrier', 'b.wait()'),
  shape('pool tasks waiting for an event main sets after reading their results', 'pool-event', 'go.wait()'),
  shape('a server that answers on the reply queue each message names, except for one kind of request', 'reply-by-field', 'await replies.get();'),
  shape('pool tasks that each wait on their own queue, filled by tasks submitted after them', 'pool-own-queues', 'parts.get()'),
  shape("imap's results in the order of the items: main waits for the first, whose task waits for main", 'imap-order', 'published!.wait()'),
  shape('main waits on the event a Process subclass holds before it sends the null its loop ends on', 'subclass-fields', 'this.docs.get()'),
  shape('main waits for a cell of a shared array that is set without a notify, and then reads the whole array', 'array-status-cell', 'cond.waitFor('),
];

describeRule(ID, CASES, () => {
  it('stays silent where a more specific rule explains the same wait (missing-sentinel)', () => {
    assert.deepEqual(rulesOf(BROKEN_EXAMPLE), ['missing-sentinel']);
  });

  it('N consumers and N-1 sentinels: missing-sentinel, not deadlock', () => {
    assert.deepEqual(rulesOf(fixture('missing-sentinel', 'bad-helper-loop.ts')), ['missing-sentinel']);
  });

  it('says so when the state budget runs out instead of claiming safety', () => {
    const model = analyzeFiles([fixture(ID, 'bad-three-cycle.ts')], { rootDir: ROOT, stateBudget: 3 });
    assert.deepEqual(model.findings, []);
    assert.ok(model.notes?.some((n) => /budget/.test(n)), JSON.stringify(model.notes));
  });

  it('stays silent when unknown code could wake the waiter', () => {
    const bad = fixture(ID, 'bad-join-before-send.ts');
    const text = fs.readFileSync(bad, 'utf8').replace('await p.join();', "eval('q.put(\"go\")');\n  await p.join();");
    assert.deepEqual(modelOf(bad, withText(bad, text)).findings, []);
  });
});
