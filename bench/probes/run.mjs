#!/usr/bin/env node
// Probe sets: programs written by someone who had not read the analysis (helpers given only the
// shim's API and Python's semantics), each bug `pNN.ts` with its fixed twin `fNN.ts`, and correct
// programs `cNN.ts` that look risky; TRUTH.md says what each does under the shim (it was run there
// several times, scheduled seeds too). Once a set's misses have been worked on it no longer measures
// code the project has never seen, but it still catches a change that loses what it fixed.
// Not a test; the built CLI is used (run `node scripts/build.mjs` first).
//
//   node bench/probes/run.mjs [J K …]   (default: every set)
//
// A bug program counts as found when the analysis reports an error or a warning on it; a twin or a
// correct program is flagged when it reports any. (Whether a finding names the bug TRUTH.md
// describes is for a person to read: the list of findings is printed with --verbose.)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../dist/cli.js');
const verbose = process.argv.includes('--verbose');
const asked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const sets = asked.length > 0 ? asked : fs.readdirSync(HERE).filter((d) => fs.statSync(path.join(HERE, d)).isDirectory()).sort();
if (!fs.existsSync(CLI)) {
  console.error('bench/probes: no dist/cli.js; run node scripts/build.mjs first');
  process.exit(2);
}

let failed = false;
for (const set of sets) {
  const dir = path.join(HERE, set);
  const programs = fs.readdirSync(dir).filter((f) => /^[pfc]\d+\.ts$/.test(f)).sort();
  const tally = { p: [0, 0], f: [0, 0], c: [0, 0] };
  const misses = [];
  const flagged = [];
  for (const file of programs) {
    const r = spawnSync(process.execPath, [CLI, 'check', file, '--no-progress'], { cwd: dir, encoding: 'utf8' });
    const findings = r.stdout.split('\n').filter((l) => / (error|warning) /.test(l));
    const kind = file[0];
    tally[kind][1]++;
    if (findings.length > 0) tally[kind][0]++;
    if (kind === 'p' && findings.length === 0) misses.push(file);
    if (kind !== 'p' && findings.length > 0) flagged.push(`${file}: ${findings[0].trim()}`);
    if (verbose) for (const f of findings) console.log(`  ${set}/${f.trim()}`);
  }
  console.log(`${set}: bugs found ${tally.p[0]}/${tally.p[1]}, twins flagged ${tally.f[0]}/${tally.f[1]}, correct programs flagged ${tally.c[0]}/${tally.c[1]}`);
  if (misses.length > 0) console.log(`  missed: ${misses.join(' ')}`);
  for (const f of flagged) console.log(`  flagged: ${f}`);
  if (flagged.length > 0) failed = true;
}
process.exit(failed ? 1 : 0);
