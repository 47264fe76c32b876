#!/usr/bin/env node
// Benchmark: the same five workloads on the shim and on CPython's multiprocessing (spawn start
// method), in one run. Not a test (npm test does not run it). See bench/README.md.
//
//   node bench/shim-vs-cpython.mjs [--runs N] [--only a,c,e] [--compiled | --tsx] [--timeout S] [--python python3]
//
// By default each workload runs three ways in every run: CPython, the shim's TypeScript twin
// compiled to JS (plain node), and the same twin through tsx (as the README tells users to run);
// --compiled or --tsx keeps one of the shim's two.
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
  const opts = { runs: 3, only: null, compiled: false, tsxOnly: false, timeout: 300, python: 'python3' };
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
    else if (a === '--tsx') opts.tsxOnly = true;
    else if (a === '--timeout') opts.timeout = Number(value());
    else if (a === '--python') opts.python = value();
    else if (a === '--help' || a === '-h') {
      console.log('node bench/shim-vs-cpython.mjs [--runs N] [--only a,b,c,d,e] [--compiled | --tsx] [--timeout S] [--python python3]');
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

/** The sides of a run: CPython, and the shim's TypeScript twins compiled (js) and through tsx. */
const SIDE_LABEL = { py: 'CPython', js: 'shim, compiled JS', tsx: 'shim, through tsx' };

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const workloads = WORKLOAD_LIST.filter((w) => !opts.only || opts.only.has(w.id));
  const pyVersion = versionOf(opts.python, ['--version']);
  const shimSides = opts.compiled ? ['js'] : opts.tsxOnly ? ['tsx'] : ['js', 'tsx'];
  const sides = ['py', ...shimSides];
  const jsDir = shimSides.includes('js') ? await compileWorkloads() : null;
  const cmdOf = (side, w) =>
    side === 'py'
      ? [opts.python, [path.join(WORKLOADS, `${w.file}.py`)]]
      : side === 'js'
        ? [process.execPath, [path.join(jsDir, `${w.file}.js`)]]
        : [process.execPath, ['--import', 'tsx', path.join(WORKLOADS, `${w.file}.ts`)]];

  console.log('# shim vs CPython multiprocessing (spawn)');
  console.log(`node ${process.version} (${shimSides.map((x) => SIDE_LABEL[x]).join('; ')}), ${pyVersion ?? `${opts.python}: not found (install CPython 3.8+, e.g. apt-get install python3)`}`);
  console.log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${opts.runs} interleaved run(s) per workload; figures are medians of the in-program elapsed seconds.\n`);

  const fresh = () => ({ times: [], err: null, phases: [], check: true });
  const state = new Map(workloads.map((w) => [w.id, { unavailable: null, sides: Object.fromEntries(sides.map((x) => [x, fresh()])) }]));

  for (let run = 1; run <= opts.runs; run++) {
    for (const w of workloads) {
      const st = state.get(w.id);
      // The sides take turns at going first, so a slow moment of the machine hits each of them.
      const order = sides.map((_, k) => sides[(k + run - 1) % sides.length]);
      const line = [];
      for (const side of order) {
        const sd = st.sides[side];
        if (side === 'py' && (!pyVersion || sd.err)) continue;
        if (side !== 'py' && (st.unavailable || sd.err)) continue;
        const [cmd, args] = cmdOf(side, w);
        const r = await runProgram(cmd, args, opts.timeout);
        if (r.unavailable) {
          st.unavailable = r.unavailable;
          line.push(`shim not available yet (missing ${r.unavailable.join(', ')})`);
        } else if (r.error) {
          sd.err = r.error;
          line.push(`${SIDE_LABEL[side]} FAILED: ${r.error}`);
        } else {
          sd.times.push(r.elapsed);
          if (r.phases) sd.phases.push(r.phases);
          if (r.check !== true) sd.check = false;
          line.push(`${SIDE_LABEL[side]} ${fmt(r.elapsed)} s${r.check === true ? '' : ' (CHECK FAILED)'}`);
        }
      }
      console.log(`run ${run} (${w.id}) ${line.join(', ')}`);
    }
  }

  console.log('');
  const rows = [];
  for (const w of workloads) {
    const st = state.get(w.id);
    const py = median(st.sides.py.times);
    const text = (side) => {
      const sd = st.sides[side];
      if (side === 'py') return !pyVersion ? 'python3 not found' : sd.err ? 'failed' : fmt(py);
      return st.unavailable ? 'not available yet' : sd.err ? 'failed' : fmt(median(sd.times));
    };
    const ratio = (side) => {
      const m = median(st.sides[side].times);
      return py && m ? (m / py).toFixed(2) : 'n/a';
    };
    console.log(`(${w.id}) ${w.title}`);
    console.log(`    CPython ${text('py')} s; ${shimSides.map((x) => `${SIDE_LABEL[x]} ${text(x)} s (${ratio(x)}x)`).join('; ')}`);
    for (const side of sides) {
      const phases = st.sides[side].phases;
      if (phases.length === 0) continue;
      const keys = Object.keys(phases[0]);
      console.log(`    ${SIDE_LABEL[side]} phases (medians): ${keys.map((k) => `${k} ${fmt(median(phases.map((p) => p[k])))} s`).join(', ')}`);
    }
    for (const side of sides) {
      if (!st.sides[side].check) console.log(`    ${SIDE_LABEL[side]}: RESULT CHECK FAILED in at least one run`);
      if (st.sides[side].err) console.log(`    ${SIDE_LABEL[side]} error: ${st.sides[side].err.split('\n').join('\n      ')}`);
    }
    const wrong = sides.filter((x) => !st.sides[x].check).map((x) => `${SIDE_LABEL[x]} wrong`);
    const check = wrong.join(', ') || (st.unavailable ? '' : 'ok');
    rows.push(`| (${w.id}) ${w.title} | ${text('py')} | ${shimSides.map((x) => `${text(x)} | ${ratio(x)}`).join(' | ')} | ${check} |`);
  }

  console.log(`\n## Summary (medians of ${opts.runs} run(s), seconds; ratio = shim / CPython)\n`);
  console.log(`| workload | CPython | ${shimSides.map((x) => `${SIDE_LABEL[x]} | ratio`).join(' | ')} | result check |`);
  console.log(`|---|---:|${shimSides.map(() => '---:|---:|').join('')}---|`);
  for (const r of rows) console.log(r);
  const anyWrong = [...state.values()].some((s) => sides.some((x) => !s.sides[x].check));
  process.exitCode = anyWrong ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
