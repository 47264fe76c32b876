// Fuzzing the real language server (dist/server.js) over LSP: a few hundred mutations of the
// examples and fixtures (cut files, token insertions and deletions, huge literals, deep nesting,
// binary bytes, very long lines, bursts of edits, cancelled requests). Every request must be
// answered, every analysis must end within its budget, the server's memory must stay bounded and
// the server must never exit. The full run (10,000 mutations) is bench/lsp-fuzz.ts.
//   FUZZ_SEED=7 FUZZ_MUTATIONS=500 node --import tsx --test test/lsp/fuzz.test.ts
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { it } from 'node:test';
import { runFuzz, summarize } from '../helpers/fuzz';
import { LoadSampler } from '../helpers/load';
import { ROOT } from '../helpers/paths';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101);
const MUTATIONS = Number(process.env.FUZZ_MUTATIONS ?? 300);
/** Budgets: one analysis, and the server's memory (resident, peak). */
const ANALYSIS_BUDGET_MS = 10_000;
const MEMORY_BUDGET_MB = 1536;

it(`the server survives ${MUTATIONS} mutations (seed ${SEED})`, { timeout: 600_000 }, async () => {
  // The analysis budget is for a machine to itself. This test runs beside other test files (and
  // their processes), and the slowest inputs here (a splice of files up to the 1 MB the analysis reads) then takes as
  // much longer as the machine is shared: the budget scales by the load seen during the run (the
  // speed itself is bench/lsp-fuzz.ts's to measure, against its anchor).
  const load = new LoadSampler().start();
  let report: Awaited<ReturnType<typeof runFuzz>>;
  try {
    report = await runFuzz({
      seed: SEED, mutations: MUTATIONS, requestTimeoutMs: 60_000, artifactsDir: path.join(ROOT, 'test-results', 'fuzz'),
    });
  } finally {
    load.stop();
  }
  console.log(summarize(report));
  assert.equal(report.serverExited, false, 'the server never exits');
  assert.deepEqual(report.failures, [], 'every request is answered, without an internal error');
  assert.equal(report.mutations, MUTATIONS);
  assert.equal(report.answered, report.requests);
  assert.ok(report.analyses > 0);
  assert.ok(report.maxAnalysisMs < ANALYSIS_BUDGET_MS * load.factor, `slowest analysis ${report.maxAnalysisMs} ms (${report.maxAnalysisAt}); budget ${ANALYSIS_BUDGET_MS} ms × load ${load.factor.toFixed(2)} per core`);
  assert.ok(![...report.analysisErrors.keys()].some((m) => /stopped/.test(m)), 'no analysis had to be stopped');
  assert.ok(report.peakRssMb < MEMORY_BUDGET_MB, `peak RSS ${report.peakRssMb} MB`);
  // Not growing without bound: the last samples are not far above those after the warm-up.
  const samples = report.rssSamplesMb;
  if (samples.length >= 8) {
    const warm = Math.max(...samples.slice(0, Math.ceil(samples.length / 4)));
    const late = Math.min(...samples.slice(-Math.ceil(samples.length / 4)));
    assert.ok(late < warm * 1.5 + 150, `RSS after warm-up ${warm} MB, at the end ${late} MB`);
  }
});
