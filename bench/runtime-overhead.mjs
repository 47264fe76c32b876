#!/usr/bin/env node
// Benchmark: what the shim's runtime side (call sites, the wait report, the deadlock detector, the
// trace) costs, on the five workloads of shim-vs-cpython.mjs, in one run beside the shim as it was
// before it (commit a4778c1 by default, built into a temporary folder). Not a test. See README.md.
//
//   node bench/runtime-overhead.mjs [--runs N] [--only a,c,e] [--base COMMIT] [--compiled] [--quick] [--timeout S]
//
// Variants, interleaved in every run (their order rotates):
//   before   the shim at the base commit (no runtime side)
//   default  the shim now, as a user runs it: call sites and the deadlock detector on, no trace
//   trace    the shim now with PT_MP_TRACE writing the full trace to a file
// Goals (docs/runtime-trace.md, the runtime issue): default ≤ 1.03 × before, trace ≤ 1.50 × before.
// --quick: small sizes (a smoke run that the programs still work; its figures mean little).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const WORKLOADS = path.join(BENCH, 'workloads');

const WORKLOAD_LIST = [
  { id: 'a', file: 'a_queue', title: 'Queue: 50,000 small items child → parent', quick: '5000' },
  { id: 'b', file: 'b_pipe', title: 'Pipe: 5,000 round trips parent ↔ child', quick: '500' },
  { id: 'c', file: 'c_value_lock', title: 'Value + Lock: 2 processes × 5,000 locked increments', quick: '500' },
  { id: 'd', file: 'd_pool_map', title: 'Pool(2).map(x*x) over 100,000 items', quick: '10000' },
  { id: 'e', file: 'e_start_join', title: 'start + join 10 processes', quick: '3' },
];

function parseArgs(argv) {
  const opts = { runs: 5, only: null, base: 'a4778c1', compiled: false, quick: false, timeout: 300 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') opts.runs = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (a === '--only') opts.only = new Set(value().split(',').map((s) => s.trim()));
    else if (a === '--base') opts.base = value();
    else if (a === '--compiled') opts.compiled = true;
    else if (a === '--quick') opts.quick = true;
    else if (a === '--timeout') opts.timeout = Number(value());
    else if (a === '--help' || a === '-h') {
      console.log('node bench/runtime-overhead.mjs [--runs N] [--only a,b,c,d,e] [--base COMMIT] [--compiled] [--quick] [--timeout S]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

/** The shim at `commit`, compiled with the repository's TypeScript into a fresh folder. */
function buildBase(commit, into) {
  fs.mkdirSync(into, { recursive: true });
  const archive = execFileSync('git', ['archive', '--format=tar', commit, 'shim', 'tsconfig.base.json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', into], { input: archive });
  // Its type declarations (@types/node) from the repository's dependencies.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(into, 'node_modules'), 'dir');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(into, 'shim')], { cwd: into, stdio: 'inherit' });
  return path.join(into, 'shim');
}

/**
 * A folder of the workloads that imports `shim` as @process-topology/multiprocessing (a symlink
 * in its node_modules); with `compiled`, the TypeScript compiled to ES modules first (esbuild).
 */
async function workloadDir(into, shim, compiled) {
  fs.mkdirSync(path.join(into, 'node_modules', '@process-topology'), { recursive: true });
  fs.symlinkSync(shim, path.join(into, 'node_modules', '@process-topology', 'multiprocessing'), 'dir');
  fs.writeFileSync(path.join(into, 'package.json'), '{ "type": "module" }\n');
  const sources = fs.readdirSync(WORKLOADS).filter((f) => f.endsWith('.ts'));
  if (compiled) {
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: sources.map((f) => path.join(WORKLOADS, f)), outdir: into, format: 'esm', platform: 'node', target: 'node20', bundle: false, logLevel: 'warning' });
  } else {
    for (const f of sources) fs.copyFileSync(path.join(WORKLOADS, f), path.join(into, f));
  }
  return into;
}

function runProgram(args, env, cwd, timeoutS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone
      }
      const tail = err.trim().split('\n').slice(-6).join('\n');
      if (timedOut) return resolve({ error: `timed out after ${timeoutS} s\n${tail}` });
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
      let parsed = null;
      try {
        parsed = line ? JSON.parse(line) : null;
      } catch {
        parsed = null;
      }
      if (code !== 0 || !parsed) return resolve({ error: `exit ${code}, no result line\n${tail}` });
      resolve(parsed);
    });
  });
}

function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (s) => (s === null || s === undefined ? 'n/a' : s.toFixed(3));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const workloads = WORKLOAD_LIST.filter((w) => !opts.only || opts.only.has(w.id));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-runtime-bench-'));
  try {
    const baseShim = buildBase(opts.base, path.join(tmp, 'base'));
    const dirs = {
      before: await workloadDir(path.join(tmp, 'w-before'), baseShim, opts.compiled),
      now: await workloadDir(path.join(tmp, 'w-now'), path.join(ROOT, 'shim'), opts.compiled),
    };
    const tsx = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const traceFile = path.join(tmp, 'trace.jsonl');
    const variants = [
      { id: 'before', dir: dirs.before, env: {} },
      { id: 'default', dir: dirs.now, env: {} },
      { id: 'trace', dir: dirs.now, env: { PT_MP_TRACE: traceFile } },
    ];
    // Only the runtime's own switches differ between the variants.
    for (const k of Object.keys(process.env)) if (k.startsWith('PT_MP_') && k !== 'PT_MP_SETPRIV') delete process.env[k];

    console.log('# the shim\'s runtime side: its cost against the shim before it');
    console.log(`base ${opts.base}; node ${process.version} (${opts.compiled ? 'compiled JS, no loader' : 'TypeScript through tsx'})${opts.quick ? '; QUICK sizes (a smoke run)' : ''}`);
    console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`${opts.runs} interleaved run(s); figures are medians of the in-program elapsed seconds.\n`);

    const times = new Map(workloads.map((w) => [w.id, { before: [], default: [], trace: [], traceBytes: [] }]));
    let failed = false;
    for (let run = 1; run <= opts.runs; run++) {
      for (const w of workloads) {
        const order = variants.map((_, k) => variants[(k + run) % variants.length]);
        const line = [];
        for (const v of order) {
          const file = path.join(v.dir, `${w.file}.${opts.compiled ? 'js' : 'ts'}`);
          const args = [...(opts.compiled ? [] : ['--import', tsx]), file, ...(opts.quick ? [w.quick] : [])];
          fs.rmSync(traceFile, { force: true });
          const r = await runProgram(args, v.env, v.dir, opts.timeout);
          if (r.error || r.check !== true) {
            failed = true;
            line.push(`${v.id} FAILED${r.error ? `: ${r.error}` : ' (result check)'}`);
            continue;
          }
          times.get(w.id)[v.id].push(r.elapsed);
          if (v.id === 'trace') times.get(w.id).traceBytes.push(fs.existsSync(traceFile) ? fs.statSync(traceFile).size : 0);
          line.push(`${v.id} ${fmt(r.elapsed)} s`);
        }
        console.log(`run ${run} (${w.id}) ${line.join(', ')}`);
      }
    }

    console.log('\n## Summary (medians, seconds; ratios against the shim before)\n');
    console.log('| workload | before | default | default / before (goal ≤ 1.03) | trace | trace / before (goal ≤ 1.50) | trace size |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const w of workloads) {
      const t = times.get(w.id);
      const b = median(t.before);
      const d = median(t.default);
      const tr = median(t.trace);
      const ratio = (x) => (b && x ? (x / b).toFixed(3) : 'n/a');
      const size = median(t.traceBytes);
      console.log(`| (${w.id}) ${w.title} | ${fmt(b)} | ${fmt(d)} | ${ratio(d)} | ${fmt(tr)} | ${ratio(tr)} | ${size === null ? 'n/a' : `${(size / 1024).toFixed(0)} KiB`} |`);
    }
    process.exitCode = failed ? 1 : 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
