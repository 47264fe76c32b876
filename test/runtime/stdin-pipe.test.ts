// A deadlocked program whose stdin is an open pipe it never reads (a program run in an editor's
// terminal, which passes what the user types on to it): the deadlock is still proven. The detector
// once asked `handle === process.stdin`, which creates the stdin stream, whose pipe handle then
// looked like a reason to wait for input in every later check (the program hung unreported).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BROKEN_EXAMPLE } from '../helpers/paths';
import { blockedCalls, pooled, run } from './helpers';

describe('stdin open on a pipe', () => {
  it('a deadlock is still found (five runs at once, with the monitor\'s debug checks on)', async () => {
    // stdin stays open (written only long after the limit), as an editor terminal keeps it.
    const runs = await pooled(Array.from({ length: 5 }, () => () => run(BROKEN_EXAMPLE, {
      stdin: '', stdinAfterMs: 120_000, limitMs: 60_000, env: { PT_MP_DEBUG: 'monitor' },
    })), 5);
    for (const r of runs) {
      assert.equal(r.outcome, 'exited', `killed after 60 s: the deadlock went unreported\n${r.stderr.split('\n').slice(-8).join('\n')}`);
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual(blockedCalls(r.reports.at(-1)!).map((c) => c.split(' ').slice(0, 2).join(' ')), ['MainProcess join', 'consumer get', 'consumer get']);
      assert.doesNotMatch(r.stderr, /busy with stdin/);
    }
  });
});
