// Edit-to-diagnostics latency of the language server on the 2,000-line synthetic file, over the
// real LSP connection (dist/server.js over stdio), against the TypeScript check of the same file
// measured in the same run (the machine is shared and noisy: only ratios within a run mean much).
//   node scripts/build.mjs && npx tsx bench/lsp-latency.ts [--edits N] [--phases N] [--debounce MS] [--profile] [--keep]
// --phases N: main runs only the first N blocks (5 processes each), a program the deadlock checker
// models (its 52 blocks, 260 processes, are more than it does); the edits are in block N - 1.
// Latency: from sending a didChange to the response of the diagnostic request sent right after
// it, checked to be the diagnostics of the new text. Goal: p95 <= 150 ms and <= 0.5 x the check.
// Two kinds of edits: a comment line typed at the top and deleted again (the analysis sees the
// same program: a finding only moves down and up a line), then edits of code inside a process
// function, the last consumer: one that adds a finding (its sentinel test no longer matches what
// is put, a missing-sentinel), one that removes it again, and one that changes neither (a
// constant in a test the checker does not follow), each timed on its own. Then, in this process, what one analysis of the file spends its time on (the rules, and with
// --profile the functions with the most self time, from a CPU profile; --keep saves it).
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RuleDefinition } from '../server/src/analysis/rule-context';
import { RULES } from '../server/src/analysis/rule-registry';
import { createProgram, readTsconfig } from '../server/src/analysis/program';
import { AnalysisSession } from '../server/src/lsp/session';
import { startServer } from '../test/helpers/lsp-client';
import { bigFile, phasedFile, writeWorkspace } from './analysis/generate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EDITS = arg('--edits', 20);
/** The server's debounce (initializationOptions.debounceMs); default: the server's own. */
const DEBOUNCE = process.argv.includes('--debounce') ? arg('--debounce', 20) : undefined;
const PROFILE = process.argv.includes('--profile');
const KEEP = process.argv.includes('--keep');
const PHASES = process.argv.includes('--phases') ? arg('--phases', 12) : undefined;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const median = (xs: number[]): number => percentile(xs, 50);

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/server.js')) || !fs.existsSync(path.join(ROOT, 'dist/analysis-worker.js'))) {
    throw new Error('run `node scripts/build.mjs` first');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-latency-'));
  const original = PHASES === undefined ? bigFile(2000) : phasedFile(PHASES);
  writeWorkspace(dir, new Map([['big.ts', original]]), path.join(ROOT, 'shim'));
  const file = path.join(dir, 'src', 'big.ts');
  const lines = original.split('\n');
  console.log(`LSP edit-to-diagnostics latency, ${lines.length}-line file${PHASES === undefined ? '' : ` whose main runs ${PHASES} blocks (${PHASES * 5} processes)`}, ${EDITS} edits${DEBOUNCE === undefined ? '' : `, debounce ${DEBOUNCE} ms`} (${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})\n`);

  // ---- the TypeScript check, in this process, on fresh programs ------------------------------------
  const { options, fileNames } = readTsconfig(path.join(dir, 'tsconfig.json'));
  const checks: number[] = [];
  for (let r = 0; r < 3; r++) {
    const program = createProgram({ rootNames: fileNames, options });
    const t = performance.now();
    program.getSemanticDiagnostics();
    checks.push(performance.now() - t);
  }
  const check = median(checks);

  // ---- the edits, over LSP -------------------------------------------------------------------------
  // The sentinel line of the last block: removed, the file has one missing-sentinel finding, whose
  // line tells which text the diagnostics were computed from. Edits alternate between typing a
  // comment line at the top (the finding moves down one line) and deleting it again.
  const sentinel = '  for (const _ of consumers) await q.put(null);';
  const lastBlock = PHASES === undefined ? (original.match(/^async function run\d+\(/gm) ?? []).length - 1 : PHASES - 1;
  const lastRun = lines.findIndex((l) => l.startsWith(`async function run${lastBlock}(`));
  const lastSentinel = lastRun + lines.slice(lastRun).indexOf(sentinel);
  const start = [...lines.slice(0, lastSentinel), ...lines.slice(lastSentinel + 1)].join('\n');
  /** The missing-sentinel finding sits on the last consumer's `await q.get()`, two lines into it. */
  const findingLine = (text: string): number => text.split('\n').findIndex((l) => l.startsWith(`export async function consumer${lastBlock}(`)) + 2;

  const s = await startServer(dir, {}, DEBOUNCE === undefined ? {} : { debounceMs: DEBOUNCE });
  const uri = pathToFileURL(file).href;
  interface Diag { code: string; range: { start: { line: number } } }
  const diagnostics = async (): Promise<Diag[]> =>
    (await s.connection.sendRequest<{ items: Diag[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
  let version = 1;
  const t0 = performance.now();
  s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version, text: start } });
  const first = await diagnostics();
  const cold = performance.now() - t0;
  if (!first.some((d) => d.code === 'missing-sentinel' && d.range.start.line === findingLine(start))) {
    throw new Error(`unexpected first diagnostics: ${JSON.stringify(first.map((d) => `${d.code}@${d.range.start.line}`))}`);
  }

  const latencies: number[] = [];
  const serverMs: number[] = [];
  let stale = 0;
  let text = start;
  for (let i = 0; i < EDITS + 2; i++) {
    const typing = i % 2 === 0;
    const change = typing
      ? { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: `// typing ${i}\n` }
      : { range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, text: '' };
    const ls = text.split('\n');
    text = typing ? [ls[0], `// typing ${i}`, ...ls.slice(1)].join('\n') : [ls[0], ...ls.slice(2)].join('\n');
    const statuses = s.statuses.length;
    const t = performance.now();
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [change] });
    const items = await diagnostics();
    const ms = performance.now() - t;
    const expected = findingLine(text);
    if (!items.some((d) => d.code === 'missing-sentinel' && d.range.start.line === expected)) stale++;
    if (i < 2) continue; // warm-up
    latencies.push(ms);
    const st = s.statuses.slice(statuses).at(-1);
    if (st) serverMs.push(st.ms);
  }
  // ---- edits of code inside a process function --------------------------------------------------
  // From the complete file (no finding): the last consumer's sentinel test is changed so that it
  // no longer matches the null put (a missing-sentinel finding on its get), changed back (gone),
  // and a constant in its other test is changed (nothing changes for the analysis).
  const codeLatencies = { adds: [] as number[], removes: [] as number[], neither: [] as number[] };
  const consumerLine = (t: string, needle: string): number => {
    const ls = t.split('\n');
    const from = ls.findIndex((l) => l.startsWith(`export async function consumer${lastBlock}(`));
    return from + ls.slice(from).findIndex((l) => l.includes(needle));
  };
  let codeText = original;
  let codeStale = 0;
  s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: codeText }] });
  await diagnostics();
  const codeEdit = async (needle: string, replacement: string, kind: keyof typeof codeLatencies, expectFinding: boolean, warm: boolean): Promise<void> => {
    const line = consumerLine(codeText, needle);
    const ls = codeText.split('\n');
    const old = ls[line]!;
    ls[line] = old.replace(needle, replacement);
    codeText = ls.join('\n');
    const change = { range: { start: { line, character: 0 }, end: { line, character: old.length } }, text: ls[line]! };
    const t = performance.now();
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [change] });
    const items = await diagnostics();
    const ms = performance.now() - t;
    const found = items.some((d) => d.code === 'missing-sentinel' && d.range.start.line === consumerLine(codeText, 'await q.get()'));
    if (found !== expectFinding || (!expectFinding && items.length > 0)) codeStale++;
    if (!warm) codeLatencies[kind].push(ms);
  };
  for (let i = 0; i < EDITS + 1; i++) {
    const warm = i === 0;
    await codeEdit('item === null', 'item === undefined', 'adds', true, warm);
    await codeEdit('item === undefined', 'item === null', 'removes', false, warm);
    await codeEdit(i % 2 === 0 ? 'item > 1000' : 'item > 1001', i % 2 === 0 ? 'item > 1001' : 'item > 1000', 'neither', false, warm);
  }
  const info = await s.connection.sendRequest<{ analyses: number }>('processTopology/serverInfo');
  await s.close();

  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  console.log(`TypeScript check (getSemanticDiagnostics, fresh program)   ${check.toFixed(0)} ms (median of ${checks.length})`);
  console.log(`first diagnostics after didOpen (cold server)              ${cold.toFixed(0)} ms`);
  console.log(`edit -> fresh diagnostics   p50 ${p50.toFixed(0)} ms   p95 ${p95.toFixed(0)} ms   max ${Math.max(...latencies).toFixed(0)} ms`);
  console.log(`  p95 / check = ${(p95 / check).toFixed(2)} (goal <= 0.50);  p95 <= 150 ms: ${p95 <= 150 ? 'yes' : 'no'}`);
  console.log(`  of which the server's analysis (program update + analysis, status notification): p50 ${median(serverMs).toFixed(0)} ms, p95 ${percentile(serverMs, 95).toFixed(0)} ms`);
  console.log(`  ${stale === 0 ? 'every response had the diagnostics of the new text' : `${stale} STALE responses`}`);
  console.log(`edits of code in a process function (${EDITS} of each kind):`);
  for (const [kind, xs] of Object.entries(codeLatencies)) {
    const what = kind === 'adds' ? 'adds a finding  ' : kind === 'removes' ? 'removes it      ' : 'changes neither ';
    console.log(`  ${what} p50 ${percentile(xs, 50).toFixed(0)} ms   p95 ${percentile(xs, 95).toFixed(0)} ms   max ${Math.max(...xs).toFixed(0)} ms   p95 / check = ${(percentile(xs, 95) / check).toFixed(2)}`);
  }
  console.log(`  ${codeStale === 0 ? 'every response had the diagnostics of the new text' : `${codeStale} STALE responses`}; ${info.analyses} analyses in all`);

  // ---- where one analysis spends its time, in this process -----------------------------------------
  const ruleMs = new Map<string, number>();
  const rules = RULES as Map<string, RuleDefinition>;
  for (const [id, rule] of new Map(rules)) {
    const run = rule.run;
    if (!run) continue;
    rules.set(id, {
      ...rule,
      run: (ctx) => {
        const t = performance.now();
        try {
          return run(ctx);
        } finally {
          ruleMs.set(id, (ruleMs.get(id) ?? 0) + performance.now() - t);
        }
      },
    });
  }
  const session = new AnalysisSession([dir]);
  session.setDocument(file, start);
  session.analyze(file); // cold: parse and bind
  const RUNS = 3;
  ruleMs.clear();
  const totals: number[] = [];
  const programs: number[] = [];
  let profile: inspector.Profiler.Profile | undefined;
  const inspect = PROFILE ? new inspector.Session() : undefined;
  const post = <T>(method: string, params?: object): Promise<T> => new Promise((resolve, reject) =>
    inspect!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
  if (inspect) {
    inspect.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
  }
  for (let r = 0; r < RUNS; r++) {
    session.setDocument(file, `${start}\n// run ${r}\n`);
    const t = performance.now();
    programs.push(session.analyze(file).programMs);
    totals.push(performance.now() - t);
  }
  if (inspect) {
    profile = (await post<{ profile: inspector.Profiler.Profile }>('Profiler.stop')).profile;
    inspect.disconnect();
  }
  const analysis = median(totals);
  const ruleTotal = [...ruleMs.values()].reduce((a, b) => a + b, 0) / RUNS;
  console.log(`\none analysis in this process (after an edit, source files cached): ${analysis.toFixed(0)} ms, of which the rules ${ruleTotal.toFixed(0)} ms`);
  console.log(`  slowest rules: ${[...ruleMs].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([id, ms]) => `${id} ${(ms / RUNS).toFixed(0)} ms`).join(', ')}`);
  console.log(`  program update (the edited file parsed again, the rest reused) ${median(programs).toFixed(0)} ms; extraction, topology and suppressions ${(analysis - ruleTotal - median(programs)).toFixed(0)} ms`);

  if (profile) {
    const self = new Map<string, number>();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const dt = new Map<number, number>();
    const deltas = profile.timeDeltas ?? [];
    (profile.samples ?? []).forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (deltas[i] ?? 0)));
    for (const [id, us] of dt) {
      const f = byId.get(id)!.callFrame;
      const where = f.url ? `${path.relative(ROOT, fileURLToPath(f.url.startsWith('file:') ? f.url : pathToFileURL(f.url).href))}:${f.lineNumber + 1}` : '(native)';
      const key = `${f.functionName || '(anonymous)'}  ${where}`;
      self.set(key, (self.get(key) ?? 0) + us / 1000);
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`\nCPU profile of ${RUNS} analyses, functions by self time (of ${total.toFixed(0)} ms sampled):`);
    for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${(100 * ms / total).toFixed(1).padStart(5)}%  ${key}`);
    if (KEEP) {
      const out = path.join(ROOT, 'bench', '.build', 'lsp-latency.cpuprofile');
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify(profile));
      console.log(`profile saved: ${out}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
