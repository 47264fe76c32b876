// The shim as the oracle, on a seeded sample: one program per scenario of bench/oracle, in its
// correct version and with its injected bug (a twin pair), each run for real under the shim
// (bounded, a few at once). Two things are asserted on every program:
// - the generator is right: what it says the program does (completes with exact results, hangs,
//   fails with the shim's error, loses updates) is what the shim does;
// - the analysis agrees with the runs (no miss, no suspected false alarm), except for the known
//   disagreements listed below, each with its reason. The list must only shrink: a listed
//   disagreement that is gone fails the test until it is removed from the list.
// Plus cheap checks of the generator itself: deterministic, twins, every bug reachable, and the
// programs are valid TypeScript against the shim's types.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import { generate } from '../../bench/oracle/generate';
import { evaluate, type ProgramResult } from '../../bench/oracle/evaluate';
import { disagreements } from '../../bench/oracle/judge';
import { writeProgram } from '../../bench/oracle/run';
import { SCENARIOS } from '../../bench/oracle/scenarios';
import type { Program } from '../../bench/oracle/types';
import { DEFAULT_OPTIONS } from '../../server/src/analysis/program';
import { ROOT } from '../helpers/paths';

const SEED = 11;
const WORK = path.join(ROOT, 'test-results', `oracle-${process.pid}`);

/** For each scenario, the first index of SEED drawing it, in both versions. */
function sample(): Program[] {
  const out: Program[] = [];
  for (const s of SCENARIOS) {
    let i = 0;
    while (generate(SEED, i).scenario !== s.name) i++;
    out.push(generate(SEED, i, { variant: 'correct' }));
    if (s.bugs.length > 0) out.push(generate(SEED, i, { variant: 'bug' }));
  }
  return out;
}

/**
 * Known disagreements of today's analysis on the sample (program id -> what and why). Each reason
 * names the missing piece of meaning; test/fixtures/oracle-disagreements/ has a minimal program
 * for each class.
 */
const KNOWN: Record<string, { is: string[]; why: string }> = {};

describe('oracle: the generator', () => {
  it('is deterministic, and a program and its twin differ by the bug only', () => {
    for (let i = 0; i < 40; i++) {
      const a = generate(SEED, i);
      assert.deepEqual(generate(SEED, i), a);
      const ok = generate(SEED, i, { variant: 'correct' });
      const bug = generate(SEED, i, { variant: 'bug' });
      assert.equal(ok.scenario, bug.scenario);
      assert.equal(ok.bug, undefined);
      if (bug.variant === 'bug') {
        assert.ok(bug.bug, `${bug.id} names its bug`);
        assert.notDeepEqual(bug.files, ok.files, `${bug.id}: the bug changes the program`);
        assert.notEqual(bug.expect.effect, 'completes', `${bug.id}: a bug has an effect`);
      }
      assert.equal(ok.expect.effect, 'completes', `${ok.id}: the correct version completes`);
    }
  });

  it('reaches every bug of every scenario within a few hundred programs', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const p = generate(SEED, i, { variant: 'bug' });
      if (p.bug) seen.add(`${p.scenario}/${p.bug.kind}`);
    }
    for (const s of SCENARIOS) for (const b of s.bugs) assert.ok(seen.has(`${s.name}/${b.kind}`), `${s.name}/${b.kind} is generated`);
  });

  it('writes valid TypeScript against the shim\'s types', () => {
    const dir = path.join(WORK, 'typecheck');
    const entries: string[] = [];
    for (let i = 0; i < 30; i++) {
      for (const v of ['correct', 'bug'] as const) {
        const p = generate(SEED + 1, i, { variant: v });
        entries.push(writeProgram(p, path.join(dir, p.id)));
      }
    }
    const program = ts.createProgram({ rootNames: entries, options: { ...DEFAULT_OPTIONS, types: ['node'], lib: ['lib.es2023.d.ts'] } });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.relative(dir, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    assert.deepEqual(diags, []);
  });
});

describe('oracle: a seeded sample run under the shim', { concurrency: false }, () => {
  const programs = sample();
  let results: ProgramResult[] = [];

  before(async () => {
    results = await evaluate(programs, { workDir: WORK, concurrency: 3, policy: { runs: 1, maxRuns: 3 }, clean: true });
  });
  after(() => fs.rmSync(WORK, { recursive: true, force: true }));

  it('covers every scenario, correct and buggy', () => {
    assert.deepEqual([...new Set(programs.map((p) => p.scenario))].sort(), SCENARIOS.map((s) => s.name).sort());
    assert.ok(programs.length >= 20 && programs.length <= 40, `${programs.length} programs`);
  });

  it('the shim does what the generator says, on every program', () => {
    const wrong = results.filter((r) => !r.judgement.generator.agrees).map((r) => `${r.program.id}: ${r.judgement.generator.why}`);
    assert.deepEqual(wrong, []);
  });

  it('every known disagreement names its class among the fixtures', () => {
    const classes = fs.readdirSync(path.join(ROOT, 'test/fixtures/oracle-disagreements')).filter((d) => !d.includes('.'));
    for (const [id, k] of Object.entries(KNOWN)) assert.ok(classes.some((c) => k.why.includes(c)), `${id}: ${k.why}`);
  });

  it('the analysis agrees with the runs, but for the known disagreements', () => {
    const got: Record<string, string[]> = {};
    for (const r of results) {
      const d = disagreements(r.judgement);
      if (d.length > 0) got[r.program.id] = d;
    }
    const problems: string[] = [];
    for (const [id, d] of Object.entries(got)) {
      const known = KNOWN[id];
      if (!known) problems.push(`new disagreement ${id}: ${d.join(', ')}`);
      else if (JSON.stringify(known.is) !== JSON.stringify(d)) problems.push(`${id} changed: was ${known.is.join(', ')}, now ${d.join(', ')}`);
    }
    for (const id of Object.keys(KNOWN)) if (!got[id]) problems.push(`${id} agrees now: remove it from KNOWN`);
    assert.deepEqual(problems, []);
  });
});
