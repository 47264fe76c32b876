// The analysis benchmark: our analysis against the TypeScript check of the same input, measured
// in one run (the machine is shared and noisy, so only ratios within a run mean anything).
//   npx tsx bench/analysis/run.ts [--runs N] [--no-cold]
// 1. In one process, on the 2,000-line file: TypeScript's program creation and full check
//    (semantic diagnostics), and our analysis (extraction + topology + rules), each on a fresh
//    program, interleaved run by run. Goal: analysis <= 0.5 x (program creation + check). Also
//    printed: the stricter ratio against the semantic check alone, the same ratios in CPU time
//    (steadier than wall time when other jobs share the cores), and the time of each rule.
// 2. The deadlock checker on every example: states explored, time, whether it finished; then on
//    generated programs of the shapes it must check up to 256 processes (pipelines of distinct
//    stages, worker arrays, workers waiting for replies under a lock, pools), correct and buggy.
//    `--checker` runs only this part.
// 3. Cold command lines on the 200-file project: `process-topology check` against `tsc --noEmit`.
//    Goal: <= 1.5 x.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { analyzePrograms } from '../../server/src/analysis/analyze';
import { createProgram, readTsconfig } from '../../server/src/analysis/program';
import type { AnalysisStats } from '../../server/src/analysis/rule-context';
import { lockedRequests, pipeline, poolTasks, workerArray } from '../../test/helpers/process-shapes';
import { bigFile, phasedFile, project, writeWorkspace } from './generate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const COLD = !process.argv.includes('--no-cold');
const CHECKER_ONLY = process.argv.includes('--checker');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall and CPU milliseconds of `f` (CPU: this process's user + system time). */
function measure<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = f();
  const wall = performance.now() - t;
  const u = process.cpuUsage(c);
  return { value, wall, cpu: (u.user + u.system) / 1000 };
}

interface Sample { wall: number; cpu: number }
const sample = (xs: Sample[]): Sample => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });

interface InProcess {
  create: Sample;
  check: Sample;
  analysis: Sample;
  /** Medians over the runs, per rule and phase. */
  phases: Map<string, number>;
  states: number;
  deadlockMs: number;
  exhausted: number;
  programs: number;
  nodes: number;
  findings: number;
}

function inProcess(dir: string): InProcess {
  const { options, fileNames } = readTsconfig(path.join(dir, 'tsconfig.json'));
  const creates: Sample[] = [];
  const checks: Sample[] = [];
  const analyses: Sample[] = [];
  const phases = new Map<string, number[]>();
  let last: AnalysisStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
  let summary = { programs: 0, nodes: 0, findings: 0 };
  const check = (): void => {
    const p = measure(() => createProgram({ rootNames: fileNames, options }));
    creates.push(p);
    checks.push(measure(() => p.value.getSemanticDiagnostics()));
  };
  const analysis = (): void => {
    // Program creation (parse) is shared work; the analysis is what runs on top of it.
    const program = createProgram({ rootNames: fileNames, options });
    const stats: AnalysisStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
    const m = measure(() => analyzePrograms(program, { rootDir: dir, files: fileNames, stats }));
    analyses.push(m);
    last = stats;
    const add = (k: string, v: number): void => { phases.set(k, [...(phases.get(k) ?? []), v]); };
    add('extraction', stats.extractMs ?? 0);
    add('topology', stats.topologyMs ?? 0);
    for (const [id, ms] of Object.entries(stats.ruleMs ?? {})) add(id, ms);
    summary = {
      programs: m.value.length,
      nodes: m.value.reduce((n, x) => n + x.model.nodes.length, 0),
      findings: m.value.reduce((n, x) => n + x.model.findings.length, 0),
    };
  };
  for (let r = 0; r < RUNS; r++) {
    // Alternate the order so that a slow spell of the machine does not always hit the same side.
    if (r % 2 === 0) { check(); analysis(); } else { analysis(); check(); }
  }
  return {
    create: sample(creates), check: sample(checks), analysis: sample(analyses),
    phases: new Map([...phases].map(([k, v]) => [k, median(v)])),
    states: last.deadlockStates, deadlockMs: last.deadlockMs, exhausted: last.budgetExhausted, ...summary,
  };
}

function report(title: string, a: InProcess, goal: boolean): void {
  const anchor = { wall: a.create.wall + a.check.wall, cpu: a.create.cpu + a.check.cpu };
  const r = (x: number, y: number): string => (x / y).toFixed(2);
  console.log(`${title}: ${a.programs} program(s), ${a.nodes} nodes, ${a.findings} findings`);
  console.log(`  TypeScript program creation   ${a.create.wall.toFixed(0)} ms wall, ${a.create.cpu.toFixed(0)} ms CPU`);
  console.log(`  TypeScript semantic check     ${a.check.wall.toFixed(0)} ms wall, ${a.check.cpu.toFixed(0)} ms CPU`);
  console.log(`  our analysis                  ${a.analysis.wall.toFixed(0)} ms wall, ${a.analysis.cpu.toFixed(0)} ms CPU`);
  console.log(`  ratio analysis / (creation + check)   wall ${r(a.analysis.wall, anchor.wall)}, CPU ${r(a.analysis.cpu, anchor.cpu)}${goal ? '   (goal <= 0.50)' : ''}`);
  console.log(`  ratio analysis / check alone          wall ${r(a.analysis.wall, a.check.wall)}, CPU ${r(a.analysis.cpu, a.check.cpu)}`);
  const rules = [...a.phases].filter(([k]) => k !== 'extraction' && k !== 'topology').sort((x, y) => y[1] - x[1]);
  const ruleSum = rules.reduce((n, [, v]) => n + v, 0);
  console.log(`  phases (median ms wall): extraction ${a.phases.get('extraction')?.toFixed(1)}, topology ${a.phases.get('topology')?.toFixed(1)}, all rules ${ruleSum.toFixed(1)}`);
  // A rule that first asks for paths shared with others (process-paths.ts) is charged for the walk.
  console.log(`  rules (median ms wall): ${rules.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  console.log(`  deadlock checker: ${a.states} states in ${a.deadlockMs.toFixed(0)} ms, budget ran out in ${a.exhausted} program(s)`);
}

/** The deadlock checker on each example on its own: states, time, and whether it finished. */
function examples(): void {
  const dir = path.join(ROOT, 'examples');
  const { options } = readTsconfig(path.join(dir, 'tsconfig.json'));
  console.log('deadlock checker on the examples (median of the runs):');
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const file = path.join(dir, name);
    const ms: number[] = [];
    let stats: AnalysisStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
    let deadlocks = 0;
    for (let r = 0; r < Math.min(RUNS, 5); r++) {
      const program = createProgram({ rootNames: [file], options });
      stats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
      const results = analyzePrograms(program, { rootDir: dir, files: [file], stats });
      ms.push(stats.deadlockMs);
      deadlocks = results.reduce((n, x) => n + x.model.findings.filter((f) => f.rule === 'deadlock').length, 0);
    }
    const state = stats.budgetExhausted > 0 ? 'BUDGET RAN OUT' : 'finished';
    console.log(`  ${name.padEnd(36)} ${String(stats.deadlockStates).padStart(6)} states ${median(ms).toFixed(1).padStart(7)} ms  ${state}, ${deadlocks} deadlock finding(s)`);
  }
}

/** The deadlock checker on the shapes it must check at scale: states, time (median), findings. */
function scale(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-scale-'));
  writeWorkspace(dir, new Map(), path.join(ROOT, 'shim'));
  const shapes: [string, (n: number, bug: boolean) => string][] = [
    ['pipeline of distinct stages', (n, bug) => pipeline(n, bug ? { bug, items: 2 * n + 8 } : {})],
    ['array of identical workers', (n, bug) => workerArray(n, { bug })],
    ['workers waiting for replies under a lock', (n, bug) => lockedRequests(n, { bug })],
    ['pool whose tasks put under a lock', (n, bug) => poolTasks(n, { bug })],
  ];
  console.log('deadlock checker at scale (median of the runs; bug: the buggy variant):');
  for (const [name, make] of shapes) {
    for (const n of [32, 64, 256]) {
      for (const bug of [false, true]) {
        // The buggy pipeline needs more items than its 2n places: too many states at 256.
        if (bug && name.startsWith('pipeline') && n > 64) continue;
        const file = path.join(dir, 'src', 'shape.ts');
        fs.writeFileSync(file, make(n, bug));
        const ms: number[] = [];
        let stats: AnalysisStats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
        let found = 0;
        for (let r = 0; r < Math.min(RUNS, 3); r++) {
          const program = createProgram({ rootNames: [file], options: readTsconfig(path.join(dir, 'tsconfig.json')).options });
          stats = { deadlockStates: 0, deadlockMs: 0, budgetExhausted: 0 };
          const results = analyzePrograms(program, { rootDir: dir, files: [file], stats });
          ms.push(stats.deadlockMs);
          found = results.reduce((k, x) => k + x.model.findings.filter((f) => f.rule === 'deadlock').length, 0);
        }
        const state = stats.budgetExhausted > 0 ? 'BUDGET RAN OUT' : 'finished';
        console.log(`  ${`${name}, ${n}${bug ? ', bug' : ''}`.padEnd(52)} ${String(stats.deadlockStates).padStart(6)} states ${median(ms).toFixed(0).padStart(6)} ms  ${state}, ${found} deadlock finding(s)`);
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
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
// The same text, main running its first 12 blocks: 60 processes, which the deadlock checker models.
const phased = path.join(base, 'phased');
writeWorkspace(phased, new Map([['big.ts', phasedFile(12)]]), path.join(ROOT, 'shim'));
const many = path.join(base, 'project');
writeWorkspace(many, project(200), path.join(ROOT, 'shim'));
if (COLD && !fs.existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('run `npm run build` first');

const lines = fs.readFileSync(path.join(big, 'src/big.ts'), 'utf8').split('\n').length;
console.log(`analysis benchmark, ${RUNS} runs each, medians (${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})\n`);
if (!CHECKER_ONLY) {
  report(`2,000-line file (${lines} lines)`, inProcess(big), true);
  report('200-file project', inProcess(many), false);
}
examples();
scale();
if (COLD && !CHECKER_ONLY) {
  const c = cold(many);
  console.log(`cold command lines on the 200-file project:`);
  console.log(`  tsc --noEmit              ${c.tsc.toFixed(0)} ms`);
  console.log(`  process-topology check    ${c.ours.toFixed(0)} ms   ratio ${(c.ours / c.tsc).toFixed(2)} (goal <= 1.50)`);
  const d = cold(big);
  console.log(`cold command lines on the 2,000-line file:`);
  console.log(`  tsc --noEmit              ${d.tsc.toFixed(0)} ms`);
  console.log(`  process-topology check    ${d.ours.toFixed(0)} ms   ratio ${(d.ours / d.tsc).toFixed(2)}`);
  const p = cold(phased);
  console.log(`cold command lines on the same file, main running 12 blocks (60 processes, checked for deadlocks):`);
  console.log(`  tsc --noEmit              ${p.tsc.toFixed(0)} ms`);
  console.log(`  process-topology check    ${p.ours.toFixed(0)} ms   ratio ${(p.ours / p.tsc).toFixed(2)} (goal <= 1.50)`);
}
console.log(`(load at the end ${os.loadavg()[0]!.toFixed(1)})`);
fs.rmSync(base, { recursive: true, force: true });
