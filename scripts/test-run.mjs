// Runs the test files with node's test runner in the order given (scripts/test.mjs puts the
// longest first; `node --test` would sort them by name), three at a time, each in its own process
// that inherits this one's `--import tsx`. Files given as `@file` need what scripts/test.mjs is
// still installing (code-server, Chromium, neovim): they start once `gate` exists, and what it says
// decides whether they run (`{"ok":true}`) or are counted as failed (`{"ok":false,"why":…}`); the
// others fill the slots meanwhile, so a fresh machine's installing costs the suite no time of its
// own. Writes the spec report to stdout (each file's report in one piece, as it ends) and the
// counts (scripts/count-reporter.mjs) to the file named first.
//   node --import tsx scripts/test-run.mjs <counts.json> <gate.json> <file|@file>…
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import countReporter from './count-reporter.mjs';

const [counts, gate, ...args] = process.argv.slice(2);
// Many tests wait on real processes (a hang is proven by waiting): run a few files at once. Four
// gained under a minute of 22 and made a hang that needs its sleeps to line up come out wrong.
const CONCURRENCY = 3;
const queue = args.map((a) => (a.startsWith('@') ? { file: a.slice(1), gated: true } : { file: a, gated: false }));

const toSpec = new PassThrough({ objectMode: true });
const toCounts = new PassThrough({ objectMode: true });
toSpec.compose(spec).pipe(process.stdout);
toCounts.compose(countReporter).pipe(fs.createWriteStream(counts));

// Each run() reports its own totals: the suite's are the counts' (scripts/test.mjs prints them).
const TOTALS = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;

/** The gate's verdict once it is there; null while the installing goes on. */
function gateVerdict() {
  try {
    return JSON.parse(fs.readFileSync(gate, 'utf8'));
  } catch {
    return null;
  }
}

/** A file that could not run, reported as one failed test named after it. */
function notRun(file, why) {
  const error = new Error(why);
  error.stack = `Error: ${why}`; // (where in this script it was made says nothing)
  const data = { name: `${file}: not run`, nesting: 0, testNumber: 0, file, line: 1, column: 1, details: { duration_ms: 0, error } };
  toCounts.write({ type: 'test:fail', data });
  toSpec.write({ type: 'test:fail', data });
}

/** Runs one file; its events go to the counts as they come, and to the report when it ends. */
function runFile(file) {
  return new Promise((resolve) => {
    const events = [];
    const stream = run({ files: [file] });
    stream.on('data', (e) => {
      if (e.type === 'test:diagnostic' && e.data.nesting === 0 && TOTALS.test(e.data.message)) return;
      toCounts.write(e);
      events.push(e);
    });
    stream.on('end', () => {
      for (const e of events) toSpec.write(e);
      resolve();
    });
  });
}

await new Promise((resolve) => {
  let active = 0;
  let waiting = null;
  const next = () => {
    const verdict = gateVerdict();
    if (verdict && verdict.ok !== true) {
      for (const item of queue.filter((q) => q.gated)) notRun(item.file, verdict.why ?? 'installing what it needs failed');
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i].gated) queue.splice(i, 1);
    }
    while (active < CONCURRENCY) {
      const i = queue.findIndex((q) => !q.gated || verdict !== null);
      if (i < 0) break;
      const [item] = queue.splice(i, 1);
      active++;
      void runFile(item.file).then(() => {
        active--;
        next();
      });
    }
    if (queue.length === 0 && active === 0) return resolve();
    // Gated files left and a slot free: look at the gate again soon.
    if (queue.length > 0 && active < CONCURRENCY && waiting === null) {
      waiting = setTimeout(() => {
        waiting = null;
        next();
      }, 500);
    }
  };
  next();
});
toSpec.end();
toCounts.end();
