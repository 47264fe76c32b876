// The analysis benchmark: our analysis against the TypeScript check of the same input, measured
// in one run (the machine is shared and noisy, so only ratios within a run mean anything).
//   npx tsx bench/analysis/run.ts [--runs N]
// 1. In one process, on the 2,000-line file: TypeScript's full check (semantic diagnostics) and our
//    analysis (extraction + rules), each on a fresh program. Goal: analysis <= 0.5 x check.
// 2. Cold command lines on the 200-file project: `process-topology check` against `tsc --noEmit`.
//    Goal: <= 1.5 x.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { analyzePrograms } from '../../server/src/analysis/analyze';
import { createProgram, readTsconfig } from '../../server/src/analysis/program';
import { bigFile, project, writeWorkspace } from './generate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

let lastStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };

function inProcess(dir: string): { check: number; analysis: number; programs: number; nodes: number; findings: number } {
  const { options, fileNames } = readTsconfig(path.join(dir, 'tsconfig.json'));
  const checks: number[] = [];
  const analyses: number[] = [];
  let summary = { programs: 0, nodes: 0, findings: 0 };
  for (let r = 0; r < RUNS; r++) {
    // Program creation (parse + bind) is shared work; time what each does on top of it.
    const p1 = createProgram({ rootNames: fileNames, options });
    let t = performance.now();
    p1.getSemanticDiagnostics();
    checks.push(performance.now() - t);
    const p2 = createProgram({ rootNames: fileNames, options });
    t = performance.now();
    const stats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
    const results = analyzePrograms(p2, { rootDir: dir, files: fileNames, stats });
    analyses.push(performance.now() - t);
    lastStats = stats;
    summary = {
      programs: results.length,
      nodes: results.reduce((n, x) => n + x.model.nodes.length, 0),
      findings: results.reduce((n, x) => n + x.model.findings.length, 0),
    };
  }
  return { check: median(checks), analysis: median(analyses), ...summary };
}

function cold(dir: string): { tsc: number; ours: number } {
  const tscs: number[] = [];
  const ours: number[] = [];
  const time = (args: string[]): number => {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
    const ms = performance.now() - t;
    // tsc exits 1 or 2 on type errors, we exit 1 on findings: both still did the whole job.
    if (r.status === null || r.status > 2) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    return ms;
  };
  for (let r = 0; r < RUNS; r++) {
    tscs.push(time([path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']));
    ours.push(time([path.join(ROOT, 'dist/cli.js'), 'check']));
  }
  return { tsc: median(tscs), ours: median(ours) };
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-bench-'));
const big = path.join(base, 'big');
writeWorkspace(big, new Map([['big.ts', bigFile(2000)]]), path.join(ROOT, 'shim'));
const many = path.join(base, 'project');
writeWorkspace(many, project(200), path.join(ROOT, 'shim'));
if (!fs.existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('run `npm run build` first');

const lines = fs.readFileSync(path.join(big, 'src/big.ts'), 'utf8').split('\n').length;
console.log(`analysis benchmark, ${RUNS} runs each, medians (${os.cpus().length} cores)\n`);
const a = inProcess(big);
console.log(`2,000-line file (${lines} lines): ${a.programs} program(s), ${a.nodes} nodes, ${a.findings} findings`);
console.log(`  TypeScript check   ${a.check.toFixed(0)} ms`);
console.log(`  our analysis       ${a.analysis.toFixed(0)} ms   ratio ${(a.analysis / a.check).toFixed(2)} (goal <= 0.50)`);
console.log(`  deadlock checker   ${lastStats.deadlockStates} states in ${lastStats.deadlockMs} ms, budget ran out in ${lastStats.budgetExhausted} program(s)`);
const b = inProcess(many);
console.log(`200-file project: ${b.programs} programs, ${b.nodes} nodes, ${b.findings} findings`);
console.log(`  TypeScript check   ${b.check.toFixed(0)} ms`);
console.log(`  our analysis       ${b.analysis.toFixed(0)} ms   ratio ${(b.analysis / b.check).toFixed(2)}`);
console.log(`  deadlock checker   ${lastStats.deadlockStates} states in ${lastStats.deadlockMs} ms, budget ran out in ${lastStats.budgetExhausted} program(s)`);
const c = cold(many);
console.log(`cold command lines on the 200-file project:`);
console.log(`  tsc --noEmit              ${c.tsc.toFixed(0)} ms`);
console.log(`  process-topology check    ${c.ours.toFixed(0)} ms   ratio ${(c.ours / c.tsc).toFixed(2)} (goal <= 1.50)`);
const d = cold(big);
console.log(`cold command lines on the 2,000-line file:`);
console.log(`  tsc --noEmit              ${d.tsc.toFixed(0)} ms`);
console.log(`  process-topology check    ${d.ours.toFixed(0)} ms   ratio ${(d.ours / d.tsc).toFixed(2)}`);
fs.rmSync(base, { recursive: true, force: true });
