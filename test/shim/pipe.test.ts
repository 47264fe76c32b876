// Pipe and Connection, run for real through fixtures/pipe-cases.ts.
//
// CPython cases of section C (cpython-cases.md) ported here: MP-20, MP-21, MP-22, MP-23, MP-24.
// MP-25 in part: `multiprocessing.connection.wait()` and `Process.sentinel` are not part of the
// shim's API (shim-api.md), so its wait-over-sentinels parts do not apply; its timeout parts are
// ported with `poll(timeout)` (nothing to read: false after the timeout; a message: true at once;
// a negative timeout: at once). MP-24 reads its readers concurrently, each until EOFError, in
// place of `wait(readers)`. MP-22's `with a, b:` is `using` (Symbol.dispose closes the end).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, runCaseOf, assertCaught } from './helpers';

const CASES = path.join(FIXTURES, 'pipe-cases.ts');

interface Failure {
  name: string;
  message: string;
  seconds: number;
}
interface Timed<T> {
  value: T;
  seconds: number;
}

const runCase = async <T = Record<string, unknown>>(name: string): Promise<T> => (await runCaseOf<T>(CASES, name, 120)).out;

const fails = assertCaught;

describe('Pipe', { concurrency: true }, () => {
  it('MP-20: Pipe(false) gives a receive-only end and a send-only end', async () => {
    const out = await runCase<Record<string, Failure> & { sent: null; received: number; reader: unknown; writer: unknown }>('simplex');
    assert.equal(out.sent, null);
    assert.equal(out.received, 1);
    assert.deepEqual(out.reader, { readable: true, writable: false });
    assert.deepEqual(out.writer, { readable: false, writable: true });
    fails(out.readerSend, 'ProcessError', 'connection is read-only');
    fails(out.readerSendBytes, 'ProcessError', 'connection is read-only');
    fails(out.writerRecv, 'ProcessError', 'connection is write-only');
    fails(out.writerRecvBytes, 'ProcessError', 'connection is write-only');
    fails(out.writerPoll, 'ProcessError', 'connection is write-only');
  });

  it('MP-21: sendBytes(buf, offset, size) sends that slice; bad bounds fail with Python messages', async () => {
    const out = await runCase('sendBytesSlices');
    assert.deepEqual(out, {
      got: ['abcdefghijklmnopqrstuvwxyz', 'fghijklmnopqrstuvwxyz', 'hijklmno', '', ''],
      errors: [
        'RangeError: buffer length < offset',
        'RangeError: buffer length < offset + size',
        'RangeError: buffer length < offset + size',
        'RangeError: offset is negative',
        'RangeError: size is negative',
      ],
      wide: 'CD',
      nothingLeft: false,
    });
  });

  it('MP-22: `using` closes both ends; a closed end fails with "handle is closed"; close() twice is fine', async () => {
    const out = await runCase<Record<string, unknown>>('closing');
    assert.deepEqual(out.inside, { got: 1729, closed: [false, false] });
    assert.deepEqual(out.after, [true, true]);
    for (const key of ['recvA', 'recvB', 'send', 'poll']) fails(out[key] as Failure, 'ProcessError', 'handle is closed');
    assert.equal(out.closeAgain, null);
  });

  it('MP-23: empty messages count, poll() does not consume, a slow sequence keeps every boundary', async () => {
    const out = await runCase<{ before: boolean; polls: boolean[]; empty: number; got: string[]; exitcode: number; eof: Failure }>('pollStrings');
    assert.equal(out.before, false);
    assert.deepEqual(out.polls, [true, true]);
    assert.equal(out.empty, 0);
    assert.deepEqual(out.got, ['hello', '', 'a', 'b', '', 'bye', '', 'lop']);
    assert.equal(out.exitcode, 0);
    fails(out.eof, 'EOFError', '');
  });

  it('MP-23: messages are not merged; poll() answers true until the message is read', async () => {
    const out = await runCase<{ first: Timed<boolean>[]; steps: unknown[]; exitcode: number }>('dontMerge');
    assert.equal(out.first[0]!.value, false);
    assert.ok(out.first[0]!.seconds < 1);
    assert.equal(out.first[1]!.value, false);
    assert.ok(out.first[1]!.seconds >= 0 && out.first[1]!.seconds < 1.1);
    assert.deepEqual(out.steps, ['a', true, true, 'b', true, true, true, 'cd']);
    assert.equal(out.exitcode, 0);
  });

  it("MP-23: a child's poll() takes no part of a message; the parent reads a whole one", async () => {
    const out = await runCase<{ got: string; exitcode: number }>('boundaries');
    assert.ok(['first', 'second'].includes(out.got), out.got);
    assert.equal(out.exitcode, 0);
  });

  it('MP-24: four writers, the parent closes its copies after start(); every reader ends with EOFError', async () => {
    const out = await runCase('manyReaders');
    assert.deepEqual(out, { fast: { eofs: 4, same: true, count: 40 }, slow: { eofs: 4, same: true, count: 40 } });
  });

  it('MP-25 (poll parts): poll(0.5) times out, a message makes poll(20) answer at once, poll(-1) answers at once', async () => {
    const out = await runCase<Record<string, Timed<boolean>>>('pollTimeouts');
    assert.equal(out.nothing!.value, false);
    assert.ok(out.nothing!.seconds >= 0.4 && out.nothing!.seconds < 1.5, `${out.nothing!.seconds}`);
    assert.equal(out.something!.value, true);
    assert.ok(out.something!.seconds < 0.4);
    assert.equal(out.negative!.value, false);
    assert.ok(out.negative!.seconds < 1);
  });

  it('send/recv copy values; recvBytes() of a send() gives its bytes, and sendBytes() of those recv()s the object', async () => {
    const out = await runCase<Record<string, unknown>>('objectsAndBytes');
    assert.deepEqual(out.back, { isDate: true, map: [['x', 1]], bytes: [1, 2, 3], nested: [1, 'two', null] });
    assert.equal(out.rawIsBytes, true);
    assert.deepEqual(out.again, { isDate: true, time: true, map: [['x', 1]] });
    fails(out.unsendable as Failure, 'TypeError', /^cannot send the message\.fn: the function 'callback' cannot be copied/);
    assert.deepEqual(out.nothingLeft, [false, false]);
  });

  it('duplex: a child echoes; EOFError once its copy is closed; sending to a closed end fails', async () => {
    const out = await runCase<{ answers: string[]; eof: Failure; exitcode: number; afterEof: Failure }>('duplexEcho');
    assert.deepEqual(out.answers, ['HELLO', 'WORLD']);
    fails(out.eof, 'EOFError', '');
    assert.equal(out.exitcode, 0);
    fails(out.afterEof, 'ProcessError', '[Errno 32] Broken pipe');
  });

  it('EOF comes only when every copy of the other end is closed, after the messages still queued', async () => {
    assert.deepEqual(await runCase('eofWaitsForEveryCopy'), { early: 'Empty', late: '2 then EOFError', exitcode: 0 });
  });

  it('a process that exits closes its copies: the reader gets every message, then EOFError', async () => {
    assert.deepEqual(await runCase('eofWhenHolderExits'), { n: 10, end: 'EOFError' });
  });

  it('a Connection sent inside a queue item works in the receiving process', async () => {
    assert.deepEqual(await runCase('endInQueueItem'), { matches: true, eof: 'EOFError', exitcode: 0 });
  });

  it('recvBytes(maxlength): negative fails; a longer message fails with "bad message length" and ends reading', async () => {
    const out = await runCase<Record<string, unknown>>('maxlength');
    fails(out.negative as Failure, 'RangeError', 'negative maxlength');
    assert.equal(out.fits, '0123456789');
    fails(out.tooLong as Failure, 'ProcessError', 'bad message length');
    assert.deepEqual(out.duplexAfter, { readable: false, writable: true, closed: false });
    fails(out.simplex as Failure, 'ProcessError', 'bad message length');
    assert.equal(out.simplexClosed, true);
  });

  it('a Process subclass carrying both ends in its fields (MP-09 shape) talks to its child', async () => {
    assert.deepEqual(await runCase('subclassCarriesEnds'), { answers: ['HELLO', 'WORLD'], exitcode: 0 });
  });
});
