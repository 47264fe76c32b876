// Runs the test files with node's test runner in the order given (scripts/test.mjs puts the
// longest first; `node --test` would sort them by name), three at a time, each in its own process
// that inherits this one's `--import tsx`. Writes the spec report to stdout and the counts
// (scripts/count-reporter.mjs) to the file named first.
//   node --import tsx scripts/test-run.mjs <counts.json> <file>…
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import countReporter from './count-reporter.mjs';

const [counts, ...files] = process.argv.slice(2);
// Many tests wait on real processes (a hang is proven by waiting): run a few files at once. Four
// gained under a minute of 22 and made a hang that needs its sleeps to line up come out wrong.
const events = run({ files, concurrency: 3 });
const toSpec = new PassThrough({ objectMode: true });
const toCounts = new PassThrough({ objectMode: true });
events.on('data', (e) => {
  toSpec.write(e);
  toCounts.write(e);
});
events.on('end', () => {
  toSpec.end();
  toCounts.end();
});
toSpec.compose(spec).pipe(process.stdout);
toCounts.compose(countReporter).pipe(fs.createWriteStream(counts));
