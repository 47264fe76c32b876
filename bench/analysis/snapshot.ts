// Findings snapshot, to prove an optimisation changes no result: writes the model of every input
// below to one JSON file per input; run it before and after a change and compare the folders.
//   npx tsx bench/analysis/snapshot.ts <out-dir> [--mutations N] [--like <earlier-dir>]   (node scripts/build.mjs first)
//   npx tsx bench/analysis/snapshot.ts --compare <before-dir> <after-dir> [--new-node-key K]…
// (--new-node-key: a node attribute the change adds to the model, left out of the comparison.)
// Inputs: the CLI (`check --format json`) on examples/ and on the benchmark's generated programs;
// in process, every example and rule/extraction fixture on its own, and N seeded mutations of them.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { mutate, Prng } from '../../test/helpers/fuzz';
import { bigFile, project, writeWorkspace } from './generate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'expected' && e.name !== 'node_modules') out.push(...sourcesUnder(p)); }
    else if (/\.tsx?$/.test(e.name) && !e.name.startsWith('.')) out.push(p);
  }
  return out.sort();
}

function snapshot(out: string, mutations: number, like: string | undefined): void {
  const t0 = performance.now();
  fs.mkdirSync(out, { recursive: true });
  const write = (name: string, data: string): void => fs.writeFileSync(path.join(out, name.replace(/[/\\]/g, '__') + '.json'), data);
  const cli = (cwd: string, name: string): void => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'check', '--format', 'json'], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status === null || r.status > 1) throw new Error(`cli on ${name}: ${r.stderr}`);
    write(`cli-${name}`, r.stdout.split(pathToRootUrl(cwd)).join('<root>'));
  };
  cli(path.join(ROOT, 'examples'), 'examples');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-snap-'));
  try {
    const big = path.join(base, 'big');
    writeWorkspace(big, new Map([['big.ts', bigFile(2000)]]), path.join(ROOT, 'shim'));
    cli(big, 'bench-big');
    const many = path.join(base, 'project');
    writeWorkspace(many, project(200), path.join(ROOT, 'shim'));
    cli(many, 'bench-project');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  const files = [...sourcesUnder(path.join(ROOT, 'examples')), ...sourcesUnder(path.join(ROOT, 'test/fixtures'))];
  for (const f of files) {
    write(path.relative(ROOT, f), JSON.stringify(analyzeFiles([f], { rootDir: ROOT }), null, 1));
  }
  // Mutants are drawn from the inputs of an earlier snapshot when given, so that a fixture added
  // since does not change which mutants are compared.
  const mutable = like ? fs.readFileSync(path.join(like, '_inputs.txt'), 'utf8').split('\n').filter(Boolean).map((f) => path.join(ROOT, f)) : files;
  fs.writeFileSync(path.join(out, '_inputs.txt'), mutable.map((f) => path.relative(ROOT, f)).join('\n'));
  const rng = new Prng(20240605);
  const texts = mutable.map((f) => fs.readFileSync(f, 'utf8'));
  for (let m = 0; m < mutations; m++) {
    const k = rng.int(0, mutable.length - 1);
    let text = texts[k]!;
    // A few mutations in a row: most single ones only break the syntax.
    for (let j = rng.int(1, 3); j > 0; j--) text = mutate(rng, text, texts).text;
    let result: string;
    try {
      result = JSON.stringify(analyzeFiles([mutable[k]!], { rootDir: ROOT, overlay: new Map([[mutable[k]!, text]]) }), null, 1);
    } catch (err) {
      // TypeScript itself overflows its stack on some deeply nested mutants: record, compare too.
      result = JSON.stringify({ error: err instanceof Error ? err.message : String(err) });
    }
    write(`mutation-${String(m).padStart(4, '0')}`, result);
  }
  console.log(`wrote ${fs.readdirSync(out).length} snapshots to ${out} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

function pathToRootUrl(dir: string): string {
  return JSON.stringify(new URL(`file://${dir}`).href).slice(1, -1);
}

interface Model { findings?: { rule: string }[]; notes?: string[]; nodes?: Record<string, unknown>[] }

function compare(before: string, after: string, newNodeKeys: readonly string[] = []): number {
  let diffs = 0;
  const names = [...new Set([...fs.readdirSync(before), ...fs.readdirSync(after)])].filter((n) => !n.startsWith('_')).sort();
  let findings = 0;
  for (const n of names) {
    const a = fs.existsSync(path.join(before, n)) ? fs.readFileSync(path.join(before, n), 'utf8') : undefined;
    const b = fs.existsSync(path.join(after, n)) ? fs.readFileSync(path.join(after, n), 'utf8') : undefined;
    if (a === undefined || b === undefined) { console.log(`${n}: only ${a === undefined ? 'after' : 'before'}`); diffs++; continue; }
    const ma = JSON.parse(a) as Model;
    const mb = JSON.parse(b) as Model;
    for (const n of mb.nodes ?? []) for (const k of newNodeKeys) delete n[k];
    findings += ma.findings?.length ?? 0;
    const strip = (m: Model): string => JSON.stringify({ ...m, notes: undefined });
    if (strip(ma) !== strip(mb)) {
      diffs++;
      console.log(`${n}: model differs (findings ${ma.findings?.length ?? 0} -> ${mb.findings?.length ?? 0})`);
    } else if (JSON.stringify(ma.notes) !== JSON.stringify(mb.notes)) {
      // Notes are reported, not counted: a budget note may rightly go away.
      console.log(`${n}: notes ${JSON.stringify(ma.notes)} -> ${JSON.stringify(mb.notes)}`);
    }
  }
  console.log(`${names.length} inputs, ${findings} findings before, ${diffs} differing models`);
  return diffs;
}

if (process.argv[2] === '--compare') {
  const keys = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--new-node-key' ? [a] : []));
  process.exitCode = compare(process.argv[3]!, process.argv[4]!, keys) === 0 ? 0 : 1;
} else {
  const mi = process.argv.indexOf('--mutations');
  const li = process.argv.indexOf('--like');
  snapshot(path.resolve(process.argv[2] ?? 'snapshot'), mi > 0 ? Number(process.argv[mi + 1]) : 300, li > 0 ? path.resolve(process.argv[li + 1]!) : undefined);
}
