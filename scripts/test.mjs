// `npm test`: build, type-check, install what the real-editor tests need (code-server and
// Chromium, cached under ~/.cache; Debian's neovim) while the other tests run, and run every
// test/**/*.test.ts with node's test runner.
// The last line is the count: "N passed, N failed".
//   node scripts/test.mjs [filter…]   (filters: substrings of test file paths)
//   node scripts/test.mjs --weights   (times each test file alone, two at a time, into scripts/test-weights.json)
// Files start longest first (by scripts/test-weights.json; files it does not know, in the middle):
// three run at a time, and a long file started last would run on alone after the others end.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const measure = process.argv.includes('--weights');
const filters = process.argv.slice(2).filter((a) => a !== '--weights');
const WEIGHTS = path.join(root, 'scripts/test-weights.json');

/** Test files, those that take longest first (their seconds alone, as last measured). */
function longestFirst(list) {
  let weights = {};
  try {
    weights = JSON.parse(fs.readFileSync(WEIGHTS, 'utf8'));
  } catch {
    // no weights: alphabetical
  }
  const known = Object.values(weights).sort((a, b) => a - b);
  const middle = known.length > 0 ? known[Math.floor(known.length / 2)] : 0;
  const weight = (f) => weights[path.relative(root, f).split(path.sep).join('/')] ?? middle;
  return [...list].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));
}

/** Times each file alone (two at a time, as on the 2-core machines the suite is sized for) and writes the weights. */
async function measureWeights(list) {
  const { spawn } = await import('node:child_process');
  const out = {};
  const queue = [...list];
  const one = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const rel = path.relative(root, f).split(path.sep).join('/');
      const t0 = Date.now();
      const code = await new Promise((resolve) => {
        spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', rel], { cwd: root, stdio: 'ignore' }).on('exit', resolve);
      });
      out[rel] = Math.round((Date.now() - t0) / 1000);
      console.log(`${String(out[rel]).padStart(5)} s  ${rel}${code === 0 ? '' : ` (exit ${code})`}`);
    }
  };
  await Promise.all([one(), one()]);
  const sorted = Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  fs.writeFileSync(WEIGHTS, `${JSON.stringify(sorted, null, 1)}\n`);
  console.log(`wrote ${path.relative(root, WEIGHTS)}`);
}

function step(title, cmd, args) {
  console.log(`\n▶ ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`${title} failed (exit ${r.status ?? r.signal})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

function findTests(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'fixtures' && e.name !== 'node_modules') out.push(...findTests(full));
    else if (e.isFile() && e.name.endsWith('.test.ts')) out.push(full);
  }
  return out.sort();
}

const files = longestFirst(findTests(path.join(root, 'test')).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))));
const inDir = (f, dir) => f.includes(`${path.sep}${dir}${path.sep}`);
/** What the real-editor tests need, installed (into caches outside the clone) when missing. */
const setups = [
  ...(files.some((f) => inDir(f, 'vscode') || inDir(f, 'webview')) ? [['real VS Code and Chromium (cached)', 'scripts/setup-code-server.mjs']] : []),
  ...(files.some((f) => inDir(f, 'editors')) ? [['other editors (Debian packages)', 'scripts/setup-neovim.mjs']] : []),
];
const needsSetup = (f) => inDir(f, 'vscode') || inDir(f, 'webview') || inDir(f, 'editors');

if (measure) {
  for (const [title, script] of setups) step(title, process.execPath, [script]);
  step('build', process.execPath, ['scripts/build.mjs', '--tests']);
  await measureWeights(files);
  process.exit(0);
}

// The installing (minutes on a fresh machine: Debian packages, code-server's native modules) goes
// on beside the build and the tests that do not need it; those that do start once it is done
// (test-run.mjs).
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-test-'));
const gate = path.join(work, 'setup.json');
let setupFailed = null;
const setupDone = (async () => {
  for (const [title, script] of setups) {
    console.log(`\n▶ ${title} (beside the tests that do not need it)`);
    const code = await new Promise((resolve) => {
      spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
        .on('exit', (c, signal) => resolve(c ?? signal))
        .on('error', (err) => resolve(err.message));
    });
    if (code !== 0) {
      setupFailed = `${title}: ${script} failed (exit ${code})`;
      console.log(setupFailed);
      break;
    }
  }
  fs.writeFileSync(gate, JSON.stringify(setupFailed === null ? { ok: true } : { ok: false, why: setupFailed }));
})();

step('build', process.execPath, ['scripts/build.mjs', '--tests']);
// The type check runs beside the tests (it needs no build, and the tests leave a core idle while
// they wait on processes); its verdict is counted at the end.
const tscLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-tsc-')), 'tsc.log');
const tscOut = fs.openSync(tscLog, 'w');
const typeCheck = new Promise((resolve) => {
  spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-b'], { cwd: root, stdio: ['ignore', tscOut, tscOut] })
    .on('exit', (code, signal) => resolve(code ?? signal))
    .on('error', (err) => resolve(err.message));
});
console.log(`\n▶ ${files.length} test files`);
const counts = path.join(work, 'counts.json');
const r = await new Promise((resolve) => {
  spawn(process.execPath, [
    '--import', 'tsx', 'scripts/test-run.mjs', counts, gate,
    ...files.map((f) => `${needsSetup(f) ? '@' : ''}${path.relative(root, f)}`),
  ], { cwd: root, stdio: 'inherit' }).on('exit', (status) => resolve({ status }));
});
await setupDone;
let summary = { passed: 0, failed: 1 };
try {
  summary = JSON.parse(fs.readFileSync(counts, 'utf8'));
} catch {
  console.log('the test runner wrote no counts');
}
const spans = Object.entries(summary.spans ?? {});
if (spans.length > 0) {
  const fmt = (ms) => `${(ms / 1000).toFixed(1).padStart(6)}`;
  console.log('\nslowest test files (seconds, three run at a time):');
  for (const [file, [a, b]] of [...spans].sort((x, y) => (y[1][1] - y[1][0]) - (x[1][1] - x[1][0])).slice(0, 12)) console.log(`  ${fmt(b - a)}  ${file}`);
  console.log('the last to end (seconds from the first start: start, end):');
  for (const [file, [a, b]] of [...spans].sort((x, y) => y[1][1] - x[1][1]).slice(0, 6)) console.log(`  ${fmt(a)} ${fmt(b)}  ${file}`);
}
const typeChecked = await typeCheck;
console.log(`\n▶ type check: ${typeChecked === 0 ? 'passed' : `failed (exit ${typeChecked})`}`);
if (typeChecked !== 0) console.log(fs.readFileSync(tscLog, 'utf8'));
const failed = summary.failed + (r.status !== 0 && summary.failed === 0 ? 1 : 0) + (typeChecked === 0 ? 0 : 1);
if (setupFailed !== null) console.log(`not run for want of what they need: ${setupFailed}`);
console.log(`${summary.passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
