// Children of a program run through tsx import a compiled copy of it instead of registering tsx
// (shim/src/child-build.ts): they run the program's code from the copy, share module state with
// the main module's top level as under tsx, and their errors still name the .ts sources.
// PT_MP_CHILD_TSX=1 (and anything the copy cannot stand for) keeps tsx in the child.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, result, startCase } from './helpers';

const CASES = path.join(FIXTURES, 'child-build-cases.ts');
const TARGETS = path.join(FIXTURES, 'child-build-targets.ts');
const FACADE = path.join(FIXTURES, 'child-build-facade.ts');

async function runCase(name: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCase(CASES, [name], env, 'tsx');
  const exit = await p.exited;
  return { code: exit.code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('children of a tsx program', { concurrency: true }, () => {
  it('run the compiled copy of the program (no tsx), with the state the main module set', { timeout: 120_000 }, async () => {
    const run = await runCase('where', { PT_MP_CHILD_TSX: '' });
    assert.equal(run.code, 0, run.stderr);
    const out = result<{ got: { file: string; state: string }[]; codes: number[] }>(run.stdout);
    assert.deepEqual(out.codes, [0, 0]);
    for (const g of out.got) {
      assert.match(g.file, /\/node_modules\/\.cache\/process-topology-mp\/[0-9a-f]+-[0-9a-f]+\/[\w-]+\.mjs$/);
      assert.equal(g.state, 'set by the main module');
    }
  });

  it("report a child's error with the .ts source's line (source maps)", { timeout: 120_000 }, async () => {
    const run = await runCase('error', { PT_MP_CHILD_TSX: '' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(result<{ code: number }>(run.stdout).code, 1);
    assert.match(run.stderr, /^Process Process-1:\nError: boom from the child\n\s+at .*fail \(.*child-build-targets\.ts:28:9\)/m);
    assert.ok(!run.stderr.includes('.mjs'), run.stderr);
  });

  it('PT_MP_CHILD_TSX=1 runs the sources through tsx in the child', { timeout: 120_000 }, async () => {
    const run = await runCase('where', { PT_MP_CHILD_TSX: '1' });
    assert.equal(run.code, 0, run.stderr);
    const out = result<{ got: { file: string; state: string }[] }>(run.stdout);
    for (const g of out.got) {
      assert.equal(g.file, `file://${TARGETS}`);
      assert.equal(g.state, 'set by the main module');
    }
  });

  it("a program that re-exports the whole shim through a facade: its children find every name (they run the sources)", { timeout: 120_000 }, async () => {
    const p = startCase(FACADE, [], { PT_MP_CHILD_TSX: '' }, 'tsx');
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.stderr());
    assert.deepEqual(result<{ got: string[]; codes: number[] }>(p.stdout()), { got: ['function', 'function'], codes: [0, 0] });
  });

  it('programs started at the same time build their first copy once between them: every child finds its files', { timeout: 180_000 }, async () => {
    // A copy of the cases in a folder of their own: a build nobody has made yet, as in a fresh
    // clone whose test files start together (one run's children were loading a copy another run
    // had just removed to put its own in place).
    const dir = fs.mkdtempSync(path.join(FIXTURES, '.first-build-'));
    try {
      for (const f of ['child-build-cases.ts', 'child-build-targets.ts']) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
      const runs = await Promise.all(Array.from({ length: 6 }, async () => {
        const p = startCase(path.join(dir, 'child-build-cases.ts'), ['where'], { PT_MP_CHILD_TSX: '' }, 'tsx');
        const exit = await p.exited;
        return { code: exit.code, stdout: p.stdout(), stderr: p.stderr() };
      }));
      for (const run of runs) {
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(result<{ codes: number[] }>(run.stdout).codes, [0, 0], run.stderr);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
