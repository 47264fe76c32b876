// The deadlock checker is bounded and can be stopped: a state budget, a time budget, and a stop
// hook the caller polls (an editor that no longer wants the result). Each says so in the model's
// notes instead of claiming anything.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AnalysisCancelled, analyzeFiles, analyzePrograms } from '../../server/src/analysis/analyze';
import { createProgram } from '../../server/src/analysis/program';
import { checkerModel } from '../../server/src/analysis/rules/deadlock';
import { ROOT } from '../helpers/paths';

// Five producers taking turns with one lock to fill a bounded queue: more states than the default budget.
const BIG = path.join(ROOT, 'test/fixtures/checker/many-lock-orders.ts');

function explorer() {
  const program = createProgram({ rootNames: [BIG] });
  const [r] = analyzePrograms(program, { rootDir: ROOT, files: [BIG] });
  assert.ok(r);
  const m = checkerModel({ extraction: r.extraction, checker: program.getTypeChecker() });
  assert.ok(m);
  return m.explorer;
}

describe('deadlock checker limits', () => {
  it('stops at the state budget', () => {
    const r = explorer().explore({ maxStates: 1000 });
    assert.equal(r.exhausted, 'states');
    assert.ok(r.states > 1000 && r.states < 1100, String(r.states));
  });

  it('stops at the time budget', () => {
    const r = explorer().explore({ maxStates: 1_000_000, maxMs: 0 });
    assert.equal(r.exhausted, 'time');
    assert.ok(r.states < 2000, `stopped at the first look at the clock: ${r.states}`);
    assert.deepEqual(r.deadlocks, []);
  });

  it('stops when the caller no longer wants the result', () => {
    let asked = 0;
    const r = explorer().explore({ maxStates: 1_000_000, shouldStop: () => ++asked >= 3 });
    assert.equal(r.exhausted, 'cancelled');
    assert.equal(asked, 3);
    assert.ok(r.states < 5000, String(r.states));
  });

  it('an analysis told to stop gives no result; one past its budget says in the notes that it claims nothing', () => {
    // The language server stops the analysis of a text a newer edit replaced: nothing half-done comes back.
    assert.throws(() => analyzeFiles([BIG], { rootDir: ROOT, shouldStop: () => true }), AnalysisCancelled);
    const budget = analyzeFiles([BIG], { rootDir: ROOT });
    assert.ok(budget.notes?.some((n) => /explored 20001 states of many-lock-orders\.ts without finishing \(budget\)/.test(n)), JSON.stringify(budget.notes));
  });
});
