// The suite's own runner (scripts/test-run.mjs, what `npm test` runs the files with): files marked
// as needing what `npm test` is still installing wait for the gate file while the others run;
// the gate's verdict decides whether they run or count as failed ("not run"); the counts file
// holds what passed and failed, and each file's span.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';

interface Counts {
  passed: number;
  failed: number;
  spans: Record<string, [number, number]>;
}

/** Runs the runner on `files` (`@` marks a gated one) in `dir`, and writes the gate, saying `verdict`, `gateAfterMs` later. */
async function runner(dir: string, files: string[], verdict: object, gateAfterMs: number): Promise<{ code: number | null; out: string; counts: Counts }> {
  const counts = path.join(dir, 'counts.json');
  const gate = path.join(dir, 'gate.json');
  fs.rmSync(gate, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // (a nested run would skip its files)
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/test-run.mjs'), counts, gate, ...files], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => fs.writeFileSync(gate, JSON.stringify(verdict)), gateAfterMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, out, counts: JSON.parse(fs.readFileSync(counts, 'utf8')) as Counts };
}

describe('the suite runner', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-runner-'));
  // Plain test files (no TypeScript: the runner runs without tsx here), each recording when it started.
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), body);
  write('package.json', '{"type":"module","private":true}');
  for (const name of ['editor', 'plain']) {
    write(`${name}.test.mjs`, [
      "import { it } from 'node:test';",
      "import * as fs from 'node:fs';",
      `it('${name} runs', () => { fs.writeFileSync('${name}.started', String(Date.now())); });`,
      `it('${name} runs again', () => {});`,
    ].join('\n'));
  }

  it('runs the gated file once the gate says ok, after the others have started, and counts every test', async () => {
    const before = Date.now();
    const r = await runner(dir, ['@editor.test.mjs', 'plain.test.mjs'], { ok: true }, 4000);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual({ passed: r.counts.passed, failed: r.counts.failed }, { passed: 4, failed: 0 }, r.out);
    const started = (name: string) => Number(fs.readFileSync(path.join(dir, `${name}.started`), 'utf8')) - before;
    assert.ok(started('plain') < 4000, `the file that needs nothing started before the gate (${started('plain')} ms)`);
    assert.ok(started('editor') >= 4000, `the gated file waited for the gate (${started('editor')} ms)`);
    assert.deepEqual(Object.keys(r.counts.spans).sort(), ['editor.test.mjs', 'plain.test.mjs']);
    assert.match(r.out, /✔ editor runs/);
  });

  it('counts each gated file as one failed test, "not run", when the gate says the install failed', async () => {
    const r = await runner(dir, ['@editor.test.mjs', 'plain.test.mjs'], { ok: false, why: 'scripts/setup-code-server.mjs failed (exit 1)' }, 300);
    assert.deepEqual({ passed: r.counts.passed, failed: r.counts.failed }, { passed: 2, failed: 1 }, r.out);
    assert.match(r.out, /editor\.test\.mjs: not run/);
    assert.match(r.out, /scripts\/setup-code-server\.mjs failed \(exit 1\)/);
    assert.doesNotMatch(r.out, /✔ editor runs/);
  });
});
