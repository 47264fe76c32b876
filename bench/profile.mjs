#!/usr/bin/env node
// Where the time goes in one shim workload: runs bench/workloads/<name>.ts under `node --cpu-prof`
// (the shim passes the flag on to every child, so each process writes its own profile), then prints,
// per process, the sampled time by module and the functions with the most self time.
//
//   node bench/profile.mjs a_queue [--compiled] [--top 15] [--keep]
//
// --compiled profiles the esbuild output of the workloads (no tsx loader); --keep leaves the
// .cpuprofile files (open them in Chrome DevTools or VS Code) and prints where they are.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
if (!name) {
  console.log('node bench/profile.mjs <workload, e.g. a_queue or e_start_join> [--compiled] [--top N] [--keep] [-- workload args]');
  process.exit(1);
}
const compiled = args.includes('--compiled');
const keep = args.includes('--keep');
const topIdx = args.indexOf('--top');
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 15;
const extra = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];

let program;
let loader = [];
if (compiled) {
  const esbuild = await import('esbuild');
  const outdir = path.join(BENCH, '.build');
  const entries = fs.readdirSync(path.join(BENCH, 'workloads')).filter((f) => f.endsWith('.ts')).map((f) => path.join(BENCH, 'workloads', f));
  await esbuild.build({ entryPoints: entries, outdir, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  fs.writeFileSync(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
  program = path.join(outdir, `${name}.js`);
} else {
  program = path.join(BENCH, 'workloads', `${name}.ts`);
  loader = ['--import', 'tsx'];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-prof-'));
const run = spawnSync(process.execPath, [...loader, '--cpu-prof', `--cpu-prof-dir=${dir}`, program, ...extra], {
  cwd: ROOT,
  encoding: 'utf8',
  timeout: 600_000,
});
console.log(`# profile of ${path.relative(ROOT, program)}${compiled ? ' (compiled)' : ' (tsx)'}`);
console.log(`result: ${run.stdout.trim().split('\n').at(-1)}`);
if (run.status !== 0) console.log(`exit ${run.status ?? run.signal}\n${run.stderr}`);

const mainPid = run.pid;
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));

/** "CPU.20240101.120000.<pid>.<tid>.<seq>.cpuprofile" → pid, thread id (0: the main thread) */
const pidOf = (f) => Number(f.split('.')[3]);
const tidOf = (f) => Number(f.split('.')[4]);

function moduleOf(url) {
  if (!url) return '(native / VM)';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = path.relative(ROOT, u);
  if (u.includes('node_modules/tsx/')) return 'tsx loader';
  if (u.includes('node_modules/esbuild/')) return 'esbuild';
  if (u.startsWith('node:')) return u.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  return u;
}

function summarize(file) {
  const prof = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i + 1] ?? 0;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const total = (prof.endTime - prof.startTime) / 1000;
  const byModule = new Map();
  const byFunction = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const mod = cf.functionName.startsWith('(') ? cf.functionName : moduleOf(cf.url);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us / 1000);
    const key = `${cf.functionName || '(anonymous)'}  ${cf.url ? `${moduleOf(cf.url)}:${cf.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us / 1000);
  }
  return { total, byModule, byFunction };
}

const pct = (ms, total) => `${((100 * ms) / total).toFixed(1).padStart(5)}%`;

const rank = (f) => (pidOf(f) === mainPid ? 0 : 2) + (tidOf(f) === 0 ? 0 : 1);
for (const file of files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
  const { total, byModule, byFunction } = summarize(file);
  const role = pidOf(file) === mainPid ? 'main' : 'child';
  const thread = tidOf(file) === 0 ? '' : `, thread ${tidOf(file)} (a worker thread: tsx's off-thread loader hooks)`;
  console.log(`\n## ${role} pid ${pidOf(file)}${thread}: ${total.toFixed(0)} ms profiled`);
  console.log('by module (self time):');
  for (const [mod, ms] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
    console.log(`  ${ms.toFixed(0).padStart(7)} ms ${pct(ms, total)}  ${mod}`);
  }
  console.log(`top ${top} functions (self time):`);
  for (const [fn, ms] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${ms.toFixed(0).padStart(7)} ms ${pct(ms, total)}  ${fn}`);
  }
}

if (keep) console.log(`\nprofiles kept in ${dir}`);
else fs.rmSync(dir, { recursive: true, force: true });
