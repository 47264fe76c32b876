// The full fuzz run of the language server: 10,000 mutations of the examples and fixtures through
// the real server over LSP (test/helpers/fuzz.ts; `npm test` runs a few hundred of them).
//   node scripts/build.mjs && npx tsx bench/lsp-fuzz.ts [--seed N] [--mutations N]
// Prints progress every 500 mutations and a summary: requests answered, analysis times, the
// server's peak and sampled resident memory, analysis errors by message, and failures (each with
// the input that caused it, saved under test-results/fuzz/). Exit status 1 on any failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFuzz, summarize } from '../test/helpers/fuzz';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/analysis-worker.js'))) throw new Error('run `node scripts/build.mjs` first');
  const seed = arg('--seed', 1);
  const mutations = arg('--mutations', 10_000);
  const report = await runFuzz({
    seed, mutations, requestTimeoutMs: 60_000, artifactsDir: path.join(ROOT, 'test-results', 'fuzz'),
    progressEvery: 500, log: (line) => console.log(line),
  });
  console.log(`\n${summarize(report)}`);
  // The server's own guarantees, then the analysis budget (a runaway analysis is stopped by the
  // server at its hard limit, but it is still a bug of the analysis, with its input saved).
  const server = !report.serverExited && report.failures.length === 0 && report.answered === report.requests && report.peakRssMb < 1536;
  const budget = report.maxAnalysisMs < 10_000;
  console.log(`\nserver: ${server ? 'PASS' : 'FAIL'} (${report.answered} of ${report.requests} requests answered, ${report.failures.length} failures, exited: ${report.serverExited ? 'yes' : 'no'}, peak RSS ${Math.round(report.peakRssMb)} MB of a 1536 MB budget)`);
  console.log(`analysis budget: ${budget ? 'PASS' : 'FAIL'} (slowest analysis ${report.maxAnalysisMs} ms of a 10000 ms budget${budget ? '' : '; see the analysis errors above'})`);
  process.exit(server && budget ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
