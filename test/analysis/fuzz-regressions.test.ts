// Inputs the language server's fuzzing found (bench/lsp-fuzz.ts) that hung, overflowed the stack
// or ran out of memory in the analysis. Each must now give an answer: findings, or a note saying
// what was not checked.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import type { TopologyModel } from '../../common/model';
import { ROOT } from '../helpers/paths';

// An overlay file beside the examples, so the shim resolves as in a real project.
const FILE = path.join(ROOT, 'examples', '__fuzz_regression__.ts');

function analyze(lines: string[]): TopologyModel {
  return analyzeFiles([FILE], { rootDir: ROOT, overlay: new Map([[FILE, lines.join('\n')]]) });
}

const IMPORT = "import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';";

describe('inputs found by fuzzing', () => {
  it('a name declared twice around an unguarded start: the finding, without a fix, and no endless loop', () => {
    const model = analyze([
      IMPORT,
      'export const pause = 1;',
      'export async function backup() {}',
      'const p = new Process({ target: backup }); p.start();',
      'const pause = 2;',
      'export function f() { return pause; }',
    ]);
    const unguarded = model.findings.filter((f) => f.rule === 'unguarded-start');
    assert.equal(unguarded.length, 1);
    assert.deepEqual(unguarded[0]!.fixes ?? [], [], 'no guard can be placed around a redeclared name');
  });

  it('a Process subclass whose field constructs itself: no stack overflow', () => {
    const model = analyze([
      IMPORT,
      'export class Counter extends Process { c = new Counter(); async run() {} }',
      'if (isMainProcess()) { const k = new Counter(); k.start(); await k.join(); }',
    ]);
    assert.ok(model.nodes.some((n) => n.kind === 'process' && n.label === 'Counter'), JSON.stringify(model.nodes.map((n) => n.label)));
  });

  it('a loop that starts a billion processes: the checker declines, with a note, instead of running out of memory', () => {
    const model = analyze([
      IMPORT,
      'export async function w(q: Queue<number | null>) { for (;;) { const x = await q.get(); if (x === null) break; } }',
      'if (isMainProcess()) {',
      '  const q = new Queue<number | null>();',
      '  const ps: Process[] = [];',
      '  for (let job = 0; job < 1e9; job++) { const p = new Process({ target: w, args: [q] }); p.start(); ps.push(p); }',
      '  for (const p of ps) await q.put(null);',
      '  for (const p of ps) await p.join();',
      '}',
    ]);
    assert.ok(model.notes?.some((n) => /\d{9,} processes are more than the deadlock checker models \(256\)/.test(n)), JSON.stringify(model.notes));
    assert.deepEqual(model.findings.map((f) => f.rule), []);
  });

  it('huge constant lengths (Array.from({ length: 1e9 }), new Array, repeat, padStart, a length set): an answer within the memory, no claim on the count', () => {
    const before = process.memoryUsage().rss;
    const t = Date.now();
    const model = analyze([
      IMPORT,
      'const WORKERS = 1_000_000_000;',
      'export async function worker(id: number, jobs: Queue<string | null>) {',
      '  for (;;) { const job = await jobs.get(); if (job === null) return; console.log(id, job); }',
      '}',
      'if (isMainProcess()) {',
      '  const jobs = new Queue<string | null>();',
      '  const pad = "x".repeat(WORKERS) + "y".padStart(WORKERS);',
      '  const slots = new Array(WORKERS);',
      '  const more: number[] = []; more.length = WORKERS; const keys = [...more.keys(), ...slots, ...pad];',
      '  const workers = Array.from({ length: WORKERS + 1 }, (_, id) => new Process({ target: worker, args: [id, jobs] }));',
      '  workers.forEach((w) => w.start());',
      '  for (let i = 0; i < workers.length; i++) await jobs.put(null);',
      '  for (const w of workers) await w.join();',
      '  console.log(keys.length);',
      '}',
    ]);
    assert.deepEqual(model.findings.map((f) => f.rule), [], 'one sentinel per worker: nothing to report');
    assert.ok(process.memoryUsage().rss - before < 512 * 1024 * 1024, 'well within the memory');
    assert.ok(Date.now() - t < 30_000, `${Date.now() - t} ms`);
  });

  it('endless loops nested 80 deep around a receive (the 10,000-mutation run\'s slowest input): given up on with a note naming the code, nothing claimed', () => {
    const depth = 80;
    const t = Date.now();
    const model = analyze([
      IMPORT,
      'export async function worker(q: Queue<number>) { await q.get(); }',
      'let n = 0;',
      'for (;;) { '.repeat(depth) + 'n = n + 1; const q = new Queue<number>(); await q.get(); ' + '} '.repeat(depth),
      'if (isMainProcess()) { const q = new Queue<number>(); const p = new Process({ target: worker, args: [q] }); p.start(); await p.join(); }',
    ]);
    assert.deepEqual(model.findings.map((f) => f.rule), [], 'code not followed: no claim');
    assert.ok(model.notes?.some((n) => /the main code of __fuzz_regression__\.ts is too costly to follow/.test(n)), JSON.stringify(model.notes));
    assert.ok(Date.now() - t < 30_000, `${Date.now() - t} ms`);
  });

  it('an args list that a typo made thousands of elements long (the 300-mutation run\'s slowest input): answered without asking TypeScript to type it', () => {
    const t = Date.now();
    const model = analyze([
      "import { Lock, Process, isMainProcess } from '@process-topology/multiprocessing';",
      'export async function pack(lock: Lock, items: number) { await lock.acquire(); await lock.release(); void items; }',
      'if (isMainProcess()) {',
      '  const lock = new Lock();',
      `  const empty = new Process({ target: pack, args: [lock${'{'.repeat(4946)}arguments (${'{'.repeat(54)}, 0] });`,
      '  empty.start();',
      '  await empty.join();',
      '}',
    ]);
    // Typing one element of that list typed all 4,946 of them, each nested 54 deep: 14 s. The rule
    // asks TypeScript only about values of a reasonable size, in lists of a reasonable length.
    assert.deepEqual(model.findings.filter((f) => f.rule === 'unsendable-value').map((f) => f.message), []);
    assert.ok(Date.now() - t < 10_000, `${Date.now() - t} ms`);
  });

  it('5,000 puts in the body of two consumers\' loop (the run\'s out-of-memory input): an answer within the memory, no claim', () => {
    const before = process.memoryUsage().rss;
    const t = Date.now();
    const model = analyze([
      IMPORT,
      'export async function drain(q: Queue<number>, results: Queue<number>) {',
      '  let total = 0;',
      '  for (let more = true; more; ) {',
      '    ' + 'await q.put(1); '.repeat(5000),
      '    const n = await q.get();',
      '    if (n < 0) more = false;',
      '    else total += n;',
      '  }',
      '  await results.put(total);',
      '}',
      'if (isMainProcess()) {',
      '  const q = new Queue<number>();',
      '  const results = new Queue<number>();',
      '  const a = new Process({ target: drain, args: [q, results] });',
      '  const b = new Process({ target: drain, args: [q, results] });',
      '  a.start(); b.start();',
      '  await q.put(-1);',
      '  console.log(await results.get(), await results.get());',
      '  await a.join(); await b.join();',
      '}',
    ]);
    // Each consumer puts more than it takes: the checker's search does not end within its budget.
    assert.deepEqual(model.findings.filter((f) => f.rule === 'deadlock').map((f) => f.rule), []);
    assert.ok(model.notes?.some((n) => /without finishing/.test(n)), JSON.stringify(model.notes));
    assert.ok(process.memoryUsage().rss - before < 512 * 1024 * 1024, `${Math.round((process.memoryUsage().rss - before) / 1048576)} MB more`);
    assert.ok(Date.now() - t < 60_000, `${Date.now() - t} ms`);
  });
});
