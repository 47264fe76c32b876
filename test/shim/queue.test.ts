// Queue, run for real through fixtures/queue-cases.ts: items cross real processes via the hub.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, runCaseOf } from './helpers';

const CASES = path.join(FIXTURES, 'queue-cases.ts');

interface Failure {
  name: string;
  message: string;
  empty: boolean;
  full: boolean;
  seconds: number;
}

const runCase = async <T = Record<string, unknown>>(name: string): Promise<T> => (await runCaseOf<T>(CASES, name)).out;

const range = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}:${i}`);

function assertFailure(f: Failure | null, cls: 'Empty' | 'Full', minSeconds = 0, maxSeconds = 0.2): void {
  assert.ok(f, `expected ${cls}`);
  assert.equal(f.name, cls);
  assert.equal(cls === 'Empty' ? f.empty : f.full, true, `instanceof ${cls}`);
  assert.ok(f.seconds >= minSeconds && f.seconds <= maxSeconds, `${cls} after ${f.seconds} s`);
}

describe('Queue', { concurrency: true }, () => {
  it('is FIFO across processes', async () => {
    const out = await runCase<{ items: string[]; exitcode: number }>('fifo');
    assert.deepEqual(out, { items: range('p', 100), exitcode: 0 });
  });

  it('receives every item from several producers, each producer in order', async () => {
    const out = await runCase<{ items: string[]; exitcodes: number[]; emptyAfter: boolean }>('manyProducers');
    assert.deepEqual(out.exitcodes, [0, 0, 0, 0]);
    assert.equal(out.emptyAfter, true);
    assert.deepEqual([...out.items].sort(), ['a', 'b', 'c', 'd'].flatMap((t) => range(t, 50)).sort());
    for (const tag of ['a', 'b', 'c', 'd']) {
      assert.deepEqual(out.items.filter((i) => i.startsWith(`${tag}:`)), range(tag, 50), `order of ${tag}`);
    }
  });

  it('maxsize: put with a timeout rejects with Full; putNowait and put(block=false) at once', async () => {
    const out = await runCase<{
      timed: Failure;
      nowait: Failure;
      nonBlocking: Failure;
      state: unknown;
      first: string;
      rest: string[];
    }>('full');
    assertFailure(out.timed, 'Full', 0.25, 3);
    assertFailure(out.nowait, 'Full');
    assertFailure(out.nonBlocking, 'Full');
    assert.deepEqual(out.state, { full: true, qsize: 2, empty: false });
    assert.equal(out.first, 'a');
    assert.deepEqual(out.rest, ['b', 'c']);
  });

  it('a child blocks in put() on a full queue until main gets', async () => {
    const out = await runCase('fullAcrossProcesses');
    assert.deepEqual(out, {
      whileBlocked: { qsize: 1, full: true, alive: true },
      items: range('p', 3),
      exitcode: 0,
    });
  });

  it('get with a timeout rejects with Empty; getNowait, get(block=false) and negative timeouts at once', async () => {
    const out = await runCase<{ timed: Failure; nowait: Failure; nonBlocking: Failure; negative: Failure; state: unknown }>(
      'empty',
    );
    assertFailure(out.timed, 'Empty', 0.25, 3);
    assertFailure(out.nowait, 'Empty');
    assertFailure(out.nonBlocking, 'Empty');
    assertFailure(out.negative, 'Empty');
    assert.deepEqual(out.state, { empty: true, qsize: 0, full: false });
  });

  it("a child's timed get is answered with Empty by the hub", async () => {
    const out = await runCase<{ answer: string; exitcode: number }>('emptyInChild');
    assert.equal(out.exitcode, 0);
    const m = /^Empty after ([\d.]+)$/.exec(out.answer);
    assert.ok(m, out.answer);
    assert.ok(Number(m[1]) >= 0.25 && Number(m[1]) < 3, out.answer);
  });

  it('an item is not lost when its producer exits right after put (join before get does not hang)', async () => {
    const out = await runCase('putThenExit');
    assert.deepEqual(out, { exitcode: 0, length: 1_000_000 });
  });

  it('items are structured-cloned, and a Queue inside an item arrives as a working queue', async () => {
    const out = await runCase('richValues');
    assert.deepEqual(out, {
      answer: { isDate: true, year: 2024, map: [['x', 1], ['y', 2]], bytes: [1, 2, 3], replyIsQueue: true },
      exitcode: 0,
    });
  });

  it('a child can create a queue and share it with a grandchild', async () => {
    const out = await runCase('grandchild');
    assert.deepEqual(out, { items: [...range('grand', 3), 'exit:0'], exitcode: 0 });
  });

  it('an unsendable item fails at put, naming it; a closed queue refuses put and get', async () => {
    const out = await runCase<{ unsendable: Failure; sizeAfter: number; putClosed: Failure; getClosed: Failure }>('misuse');
    assert.equal(out.unsendable.name, 'TypeError');
    assert.match(out.unsendable.message, /^cannot send the queue item\.fn: the function 'callback' cannot be copied/);
    assert.equal(out.sizeAfter, 0);
    for (const f of [out.putClosed, out.getClosed]) {
      assert.equal(f.name, 'ProcessError');
      assert.match(f.message, /^Queue \S+ is closed$/);
    }
  });
});
