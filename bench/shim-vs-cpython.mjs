#!/usr/bin/env node
// Benchmark: the same five workloads on the shim and on CPython's multiprocessing (spawn start
// method), in one run. Not a test (npm test does not run it). See bench/README.md.
//
//   node bench/shim-vs-cpython.mjs [--runs N] [--only a,c,e] [--compiled] [--timeout S] [--python python3]
//
// Each workload is a small program pair in bench/workloads/ (X.py and X.ts) that times itself from
// inside, after its imports, and prints one JSON line {"elapsed": s, "check": bool, ...}. The pairs
// run N times, interleaved (CPython and shim alternate which goes first), and the medians are
// reported with the ratio shim / CPython. A TypeScript workload whose API the shim does not export
// yet prints {"unavailable": [...]}: it is reported as "not available yet" and the others still run.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const WORKLOADS = path.join(BENCH, 'workloads');

const WORKLOAD_LIST = [
  { id: 'a', file: 'a_queue', title: 'Queue: 50,000 small items child → parent' },
  { id: 'b', file: 'b_pipe', title: 'Pipe: 5,000 round trips parent ↔ child' },
  { id: 'c', file: 'c_value_lock', title: 'Value + Lock: 2 processes × 5,000 locked increments' },
  { id: 'd', file: 'd_pool_map', title: 'Pool(2).map(x*x) over 100,000 items' },
  { id: 'e', file: 'e_start_join', title: 'start + join 10 processes' },
];

function parseArgs(argv) {
  const opts = { runs: 3, only: null, compiled: false, timeout: 300, python: 'python3' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') opts.runs = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (a === '--only') opts.only = new Set(value().split(',').map((s) => s.trim()));
    else if (a === '--compiled') opts.compiled = true;
    else if (a === '--timeout') opts.timeout = Number(value());
    else if (a === '--python') opts.python = value();
    else if (a === '--help' || a === '-h') {
      console.log('node bench/shim-vs-cpython.mjs [--runs N] [--only a,b,c,d,e] [--compiled] [--timeout S] [--python python3]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

/** Run one program in its own process group; resolve with its result line or an error. */
function runProgram(cmd, args, timeoutS) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
        // already gone
      }
    }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ error: `cannot run ${cmd}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL'); // leftovers of a failed run, if any
      } catch {
        // the group is gone, as it should be
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
      if (code !== 0 || !parsed) return resolve({ error: `exit ${code ?? signal}, no result line\n${tail}` });
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

/** Compile the TypeScript workloads to plain ES modules (bench/.build/) with esbuild. */
async function compileWorkloads() {
  const esbuild = await import('esbuild');
  const outdir = path.join(BENCH, '.build');
  fs.rmSync(outdir, { recursive: true, force: true });
  const entries = fs.readdirSync(WORKLOADS).filter((f) => f.endsWith('.ts')).map((f) => path.join(WORKLOADS, f));
  await esbuild.build({ entryPoints: entries, outdir, format: 'esm', platform: 'node', target: 'node20', bundle: false, logLevel: 'warning' });
  // ES modules like their sources; `./common.js` imports resolve to the compiled siblings, and the
  // shim resolves from the repository's node_modules.
  fs.writeFileSync(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
  return outdir;
}

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim() : null;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const workloads = WORKLOAD_LIST.filter((w) => !opts.only || opts.only.has(w.id));
  const pyVersion = versionOf(opts.python, ['--version']);
  const jsDir = opts.compiled ? await compileWorkloads() : null;
  const shimCmd = (w) =>
    jsDir ? [process.execPath, [path.join(jsDir, `${w.file}.js`)]] : [process.execPath, ['--import', 'tsx', path.join(WORKLOADS, `${w.file}.ts`)]];
  const pyCmd = (w) => [opts.python, [path.join(WORKLOADS, `${w.file}.py`)]];

  console.log('# shim vs CPython multiprocessing (spawn)');
  console.log(`node ${process.version} (${jsDir ? 'compiled JS, no loader' : 'TypeScript through tsx'}), ${pyVersion ?? `${opts.python}: not found`}`);
  console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${opts.runs} interleaved run(s) per workload; figures are medians of the in-program elapsed seconds.\n`);

  const state = new Map(workloads.map((w) => [w.id, { py: [], shim: [], pyErr: null, shimErr: null, unavailable: null, pyPhases: [], shimPhases: [], checks: { py: true, shim: true } }]));

  for (let run = 1; run <= opts.runs; run++) {
    for (const w of workloads) {
      const st = state.get(w.id);
      const order = run % 2 === 1 ? ['py', 'shim'] : ['shim', 'py'];
      const line = [];
      for (const side of order) {
        if (side === 'py' && (!pyVersion || st.pyErr)) continue;
        if (side === 'shim' && (st.unavailable || st.shimErr)) continue;
        const [cmd, args] = side === 'py' ? pyCmd(w) : shimCmd(w);
        const r = await runProgram(cmd, args, opts.timeout);
        const label = side === 'py' ? 'CPython' : 'shim';
        if (r.unavailable) {
          st.unavailable = r.unavailable;
          line.push(`shim not available yet (missing ${r.unavailable.join(', ')})`);
        } else if (r.error) {
          st[`${side}Err`] = r.error;
          line.push(`${label} FAILED: ${r.error}`);
        } else {
          st[side].push(r.elapsed);
          if (r.phases) st[`${side}Phases`].push(r.phases);
          if (r.check !== true) st.checks[side] = false;
          line.push(`${label} ${fmt(r.elapsed)} s${r.check === true ? '' : ' (CHECK FAILED)'}`);
        }
      }
      console.log(`run ${run} (${w.id}) ${line.join(', ')}`);
    }
  }

  console.log('');
  const rows = [];
  for (const w of workloads) {
    const st = state.get(w.id);
    const py = median(st.py);
    const shim = median(st.shim);
    const ratio = py && shim ? shim / py : null;
    const shimText = st.unavailable ? 'not available yet' : st.shimErr ? 'failed' : `${fmt(shim)} s`;
    const pyText = !pyVersion ? 'python3 not found' : st.pyErr ? 'failed' : `${fmt(py)} s`;
    console.log(`(${w.id}) ${w.title}`);
    console.log(`    CPython ${pyText}   shim ${shimText}   ratio shim/CPython ${ratio ? `${ratio.toFixed(2)}×` : 'n/a'}`);
    for (const side of ['py', 'shim']) {
      const phases = st[`${side}Phases`];
      if (phases.length === 0) continue;
      const keys = Object.keys(phases[0]);
      const parts = keys.map((k) => `${k} ${fmt(median(phases.map((p) => p[k])))} s`);
      console.log(`    ${side === 'py' ? 'CPython' : 'shim   '} phases (medians): ${parts.join(', ')}`);
    }
    for (const side of ['py', 'shim']) {
      if (!st.checks[side]) console.log(`    ${side === 'py' ? 'CPython' : 'shim'}: RESULT CHECK FAILED in at least one run`);
      if (st[`${side}Err`]) console.log(`    ${side === 'py' ? 'CPython' : 'shim'} error: ${st[`${side}Err`].split('\n').join('\n      ')}`);
    }
    const check = [st.checks.py ? '' : 'CPython wrong', st.checks.shim ? '' : 'shim wrong'].filter(Boolean).join(', ') || (st.unavailable ? '' : 'ok');
    rows.push(`| (${w.id}) ${w.title} | ${pyText.replace(' s', '')} | ${shimText.replace(' s', '')} | ${ratio ? ratio.toFixed(2) : 'n/a'} | ${check} |`);
  }

  console.log('\n## Summary (medians of ' + opts.runs + ' run(s), seconds)\n');
  console.log('| workload | CPython | shim | shim / CPython | result check |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) console.log(r);
  const anyWrong = [...state.values()].some((s) => !s.checks.py || !s.checks.shim);
  process.exitCode = anyWrong ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
