// The disagreement classes the oracle found, each as a minimal program pair in
// test/fixtures/oracle-disagreements/<class>/: bad.ts (has the bug) and good.ts (its fixed twin).
// Asserted on every pair:
// - ground truth under the shim: bad.ts hangs, fails with the shim's error, or loses updates;
//   good.ts completes with exact results;
// - what today's analysis gets wrong on each side, as the oracle judges it (`miss:…`,
//   `false-alarm:…`): the list below. It must only shrink: when the analysis gets a side right,
//   this test fails until that side's entry is emptied (and the README line updated).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeEntry } from '../../bench/oracle/analysis';
import { disagreements, judge, observe } from '../../bench/oracle/judge';
import { mapLimit, runOnce } from '../../bench/oracle/run';
import type { Expect, Program, RunObservation } from '../../bench/oracle/types';
import { ROOT } from '../helpers/paths';

const DIR = path.join(ROOT, 'test/fixtures/oracle-disagreements');

interface Case {
  /** What bad.ts does under the shim (good.ts completes with `results`). */
  bad: Expect;
  results: Record<string, number>;
  /** Today's disagreements of the analysis on bad.ts and on good.ts. */
  today: { bad: string[]; good: string[] };
}

const hangs: Expect = { effect: 'hangs', certainty: 'always' };
const error = (message: string): Expect => ({ effect: 'error', message });
const bootstrap = error('bootstrapping phase');

const CASES: Record<string, Case> = {
  'guard-const': { bad: bootstrap, results: { exitcode: 0 }, today: { bad: [], good: [] } },
  'guard-early-return': { bad: bootstrap, results: { exitcode: 0 }, today: { bad: [], good: [] } },
  'guard-helper': { bad: bootstrap, results: { exitcode: 0 }, today: { bad: ['miss:unguarded-start'], good: [] } },
  'destructured-import': { bad: hangs, results: { done: 1 }, today: { bad: [], good: [] } },
  'start-index-one': { bad: error('cannot start a process twice'), results: { started: 1 }, today: { bad: [], good: [] } },
  'count-base-plus': { bad: hangs, results: {}, today: { bad: [], good: [] } },
  'gates-array': { bad: hangs, results: {}, today: { bad: [], good: [] } },
  'config-count-main-fn': { bad: hangs, results: { sum: 412 }, today: { bad: [], good: [] } },
  'condition-notify-one': { bad: hangs, results: { done: 1 }, today: { bad: [], good: [] } },
  'condition-no-notify': { bad: hangs, results: { sum: 6 }, today: { bad: [], good: [] } },
  'reentrant-recursion': { bad: hangs, results: { total: 5 }, today: { bad: [], good: [] } },
  'reentrant-method': { bad: hangs, results: { total: 7 }, today: { bad: [], good: [] } },
  'pipeline-last-stage': { bad: hangs, results: { sum: 15 }, today: { bad: [], good: [] } },
  'rpc-kinds': { bad: hangs, results: { total: -1 }, today: { bad: [], good: [] } },
  'catch-continue': { bad: hangs, results: { sum: 16 }, today: { bad: [], good: [] } },
  'race-own-lock': { bad: { effect: 'lost-update', exact: { count: 10 } }, results: { count: 10 }, today: { bad: [], good: [] } },
  'race-manager-dict-key': { bad: { effect: 'lost-update', exact: { red: 6, blue: 6 } }, results: { red: 6, blue: 6 }, today: { bad: [], good: [] } },
  'race-shared-array-index': { bad: { effect: 'lost-update', exact: { b0: 102, b1: 98 } }, results: { b0: 102, b1: 98 }, today: { bad: [], good: [] } },
  'pool-class-field': { bad: error('Pool is still running'), results: { sum: 14 }, today: { bad: [], good: [] } },
  'start-twice-record': { bad: error('cannot start a process twice'), results: { letters: 5 }, today: { bad: [], good: [] } },
  'philosophers-ordered': { bad: { effect: 'hangs', certainty: 'likely' }, results: {}, today: { bad: [], good: [] } },
  'falsy-sentinel': { bad: hangs, results: { total: 114 }, today: { bad: [], good: [] } },
  'barrier-main-party': { bad: hangs, results: { done: 1 }, today: { bad: [], good: [] } },
  'daemon-workers': { bad: hangs, results: { total: 30 }, today: { bad: [], good: [] } },
  'start-index-barrier': { bad: hangs, results: {}, today: { bad: [], good: [] } },
  'team-filter': { bad: hangs, results: {}, today: { bad: [], good: [] } },
  'service-class': { bad: hangs, results: { result: 6 }, today: { bad: [], good: [] } },
  'get-after-terminate': { bad: hangs, results: { sum: 14 }, today: { bad: [], good: [] } },
  'worker-dies': { bad: hangs, results: { sum: 16 }, today: { bad: [], good: [] } },
  'rpc-batch': { bad: hangs, results: { total: -1 }, today: { bad: [], good: [] } },
  'barrier-parties-length': { bad: hangs, results: { tellers: 3 }, today: { bad: [], good: [] } },
  'constant-condition-set': { bad: hangs, results: { sum: 10 }, today: { bad: [], good: [] } },
  'join-unstarted-filter': { bad: error('can only join a started process'), results: { started: 2 }, today: { bad: [], good: [] } },
  'count-slice': { bad: hangs, results: { sum: 603 }, today: { bad: [], good: [] } },
  'continue-runs-update': { bad: hangs, results: { sum: 24 }, today: { bad: [], good: [] } },
  'test-of-derived-value': { bad: hangs, results: { sum: 40 }, today: { bad: [], good: [] } },
  'handler-lookup': { bad: hangs, results: { total: 25 }, today: { bad: [], good: [] } },
  'many-kinds-queued': { bad: hangs, results: { total: 38 }, today: { bad: [], good: [] } },
  'pipeline-falsy-stop': { bad: hangs, results: { sum: 27 }, today: { bad: [], good: [] } },
  'race-lock-chosen-by-condition': { bad: { effect: 'lost-update', exact: { meals: 10 } }, results: { meals: 10 }, today: { bad: [], good: [] } },
};

/** A fixture file as the judge sees a generated program. */
function asProgram(file: string, expect: Expect): Program {
  return {
    id: path.relative(DIR, file), seed: 0, index: 0, scenario: 'fixture', variant: expect.effect === 'completes' ? 'correct' : 'bug',
    expect, features: [], files: [], processes: 0, axes: {},
  };
}

/** Runs until the claim is settled: a likely hang or a lost update gets up to three runs. */
async function runsOf(file: string, expect: Expect): Promise<RunObservation[]> {
  const p = asProgram(file, expect);
  const runs: RunObservation[] = [];
  const settled = () => {
    if (runs.length === 0) return false;
    if (runs.length >= 3) return true;
    const o = observe(p, runs);
    if (expect.effect === 'lost-update') return o.lost;
    if (expect.effect === 'hangs' && expect.certainty === 'likely') return o.hung > 0;
    return true;
  };
  while (!settled()) {
    const { stdout: _o, stderr: _e, ...r } = await runOnce(file);
    runs.push(r);
  }
  return runs;
}

describe('oracle disagreement fixtures', () => {
  it('every class folder is listed, with both sides', () => {
    const folders = fs.readdirSync(DIR).filter((d) => fs.statSync(path.join(DIR, d)).isDirectory()).sort();
    assert.deepEqual(folders, Object.keys(CASES).sort());
    for (const f of folders) for (const side of ['bad.ts', 'good.ts']) assert.ok(fs.existsSync(path.join(DIR, f, side)), `${f}/${side}`);
    const readme = fs.readFileSync(path.join(DIR, 'README.md'), 'utf8');
    for (const f of folders) assert.match(readme, new RegExp(`\\b${f}\\b`), `README.md describes ${f}`);
  });

  it('ground truth under the shim, and what the analysis gets wrong today', async () => {
    const jobs = Object.entries(CASES).flatMap(([name, c]) => [
      { name, side: 'bad' as const, expect: c.bad },
      { name, side: 'good' as const, expect: { effect: 'completes', results: c.results } as Expect },
    ]);
    const problems: string[] = [];
    await mapLimit(jobs, 3, async ({ name, side, expect }) => {
      const file = path.join(DIR, name, `${side}.ts`);
      const p = asProgram(file, expect);
      const runs = await runsOf(file, expect);
      const j = judge(p, runs, analyzeEntry(file));
      if (!j.generator.agrees) problems.push(`${name}/${side}.ts under the shim: ${j.generator.why}`);
      const today = CASES[name]!.today[side];
      const now = disagreements(j);
      if (JSON.stringify(now) !== JSON.stringify(today)) problems.push(`${name}/${side}.ts: the analysis's disagreements were [${today.join(', ')}], now [${now.join(', ')}]`);
    });
    assert.deepEqual(problems.sort(), []);
  });
});
