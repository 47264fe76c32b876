// Value, RawValue, SharedArray and RawArray, run for real through fixtures/values-cases.ts.
//
// CPython cases of section E (cpython-cases.md) ported here: MP-39, MP-40, MP-41. Adapted: `lock`
// objects that are not locks raise TypeError (Python: AttributeError); Python's ctypes types as
// typecodes (`Value(c_int, 5)`) do not apply, typecode letters only; `arr[a:b]` is `slice(a, b)`
// and `arr[a:b] = xs` is `setSlice(a, b, xs)`.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, runCaseOf, assertCaught } from './helpers';

const CASES = path.join(FIXTURES, 'values-cases.ts');
const SUMS = [680, 1306, 2240, 3061, 3062, 3064, 3067, 3071, 3785, 4616];
const BAD_TYPECODE = /bad typecode/;

interface Failure {
  name: string;
  message: string;
}

const runCase = async <T = Record<string, unknown>>(name: string): Promise<T> => (await runCaseOf<T>(CASES, name, 120)).out;

const fails = assertCaught;

describe('Value and SharedArray', { concurrency: true }, () => {
  it('MP-39: each typecode round-trips through a child, with Value and RawValue', async () => {
    const out = await runCase<Record<string, unknown>>('roundTrip');
    const expected = {
      initial: [4343, 3.625, -232, 2 ** 33, 'x'],
      after: [24234, -4.25, 234, 2 ** 34, 'y'],
      exitcode: 0,
    };
    assert.deepEqual(out, { Value: expected, RawValue: expected });
  });

  it('MP-40: lock options (default RLock, given lock, none) and invalid typecodes', async () => {
    const out = await runCase<Record<string, unknown>>('valueLocks');
    const sync = { synchronized: true, getLock: true, getObj: true };
    const raw = { synchronized: false, getLock: false, getObj: false };
    assert.deepEqual(out.default, sync);
    assert.equal(out.defaultLockIsRLock, true);
    assert.deepEqual(out.nullLock, sync);
    assert.equal(out.givenLockIsIt, true);
    assert.equal(out.givenRLockIsIt, true);
    assert.deepEqual(out.noLock, raw);
    assert.deepEqual(out.raw, raw);
    fails(out.notALock as Failure, 'TypeError', "'navalue' has no method 'acquire'");
    for (const key of ['badTypecode', 'badRawTypecode', 'badArray', 'badRawArray']) fails(out[key] as Failure, 'TypeError', BAD_TYPECODE);
    assert.deepEqual(out.defaults, [0, 0, '\0']);
  });

  it('MP-41: arrays index, slice, assign slices, get prefix sums from a child; new arrays are zeroed', async () => {
    const out = await runCase<Record<string, unknown>>('arrays');
    for (const kind of ['SharedArray', 'RawArray']) {
      assert.deepEqual(
        out[kind],
        {
          basics: { length: 10, third: 821, slice: [934, 821, 150, 233, 548], last: 831 },
          afterSlice: [680, 626, 934, 821, 1, 2, 3, 4, 714, 831],
          sums: SUMS,
          exitcode: 0,
        },
        kind,
      );
    }
    const zero = { length: 10, values: Array(10).fill(0) };
    const ten = Array.from({ length: 10 }, (_, i) => i);
    assert.deepEqual(out.zeros, [zero, ten, zero, ten, zero, ten]);
    const locks = out.locks as Record<string, unknown>;
    assert.deepEqual(locks.default, { synchronized: true, getLock: true, getObj: true });
    assert.equal(locks.given, true);
    assert.deepEqual(locks.none, { synchronized: false, getLock: false, getObj: false });
    assert.deepEqual(locks.raw, { synchronized: false, getLock: false, getObj: false });
    fails(locks.notALock as Failure, 'TypeError', "'notalock' has no method 'acquire'");
    assert.deepEqual(out.chars, ['h', 'i', '!']);
  });

  it("stores wrap and round as the C type does; wrong types and indexes fail with ctypes' messages", async () => {
    const out = await runCase<Record<string, unknown>>('ranges');
    assert.deepEqual(out.wraps, {
      b: -56,
      B: 0,
      h: -25536,
      H: 65535,
      i: -(2 ** 31),
      I: 2 ** 32 - 1,
      q: -(2 ** 40),
      L: 2 ** 40,
      f: Math.fround(0.1),
      d: 0.1,
      dInf: '-Infinity',
      fNaN: 'NaN',
    });
    assert.equal(out.bigint, -12345678901);
    const errors = out.errors as Record<string, Failure>;
    fails(errors.floatForInt, 'TypeError', 'int expected instead of float');
    fails(errors.stringForDouble, 'TypeError', 'must be real number, not str');
    fails(errors.twoChars, 'TypeError', 'one character bytes, bytearray or integer expected');
    fails(errors.setWrong, 'TypeError', 'int expected instead of str');
    fails(errors.index, 'RangeError', 'invalid index');
    fails(errors.negativeIndex, 'RangeError', 'invalid index');
    fails(errors.sliceSize, 'RangeError', 'Can only assign sequence of same size');
    fails(errors.negativeSize, 'RangeError', 'Array length must be >= 0');
    assert.equal(out.negativeIndexOk, 7);
    assert.deepEqual(out.slices, [[0, 7], [0, 0], [], [0, 0, 0, 7]]);
    assert.equal(out.unicode, '\u00e9');
  });

  it('get then set without the lock loses updates (4 processes x 500); under getLock() the count is exact', async () => {
    const out = await runCase<{ unlocked: number; locked: number; expected: number }>('race');
    assert.equal(out.expected, 2000);
    assert.ok(out.unlocked > 0 && out.unlocked < out.expected, `unlocked increments gave ${out.unlocked}: no update was lost`);
    assert.equal(out.locked, out.expected);
  });

  it("each access waits while another process holds the value's lock; getObj() does not", async () => {
    const out = await runCase<{ raw: { value: number; seconds: number }; locked: { value: number; seconds: number }; exitcode: number }>(
      'accessTakesLock',
    );
    assert.equal(out.raw.value, 1);
    assert.ok(out.raw.seconds < 0.4, `getObj().get() took ${out.raw.seconds} s`);
    assert.equal(out.locked.value, 99, 'get() waited for the holder, which set 99 before releasing');
    assert.ok(out.locked.seconds >= 0.5 && out.locked.seconds < 2.5, `get() took ${out.locked.seconds} s (the holder kept the lock 1 s)`);
    assert.equal(out.exitcode, 0);
  });
});
