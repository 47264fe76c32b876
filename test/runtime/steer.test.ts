// Steered replay (`run --reproduce`): the real processes follow a static deadlock finding's trace
// and the detector confirms the predicted state — for every deadlock finding with a trace among
// the rule fixtures; and where the analysis over-approximates (a path the program never takes),
// the run says at which step and why it left the trace, and ends instead of hanging.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { RULE_FIXTURES } from '../helpers/rule-tester';
import { cli, pooled, RUNTIME_FIXTURES } from './helpers';


interface Outcome {
  outcome: string;
  note: string;
  steer: { outcome: string; at: number | null; why: string | null; done: number; steps: number } | null;
  report: { kind: string } | null;
}

/** Every buggy rule fixture, and the indexes of its deadlock findings that have a trace. */
function findingsWithTraces(): { file: string; index: number; steps: number }[] {
  const out: { file: string; index: number; steps: number }[] = [];
  for (const rule of fs.readdirSync(RULE_FIXTURES).sort()) {
    for (const e of fs.readdirSync(path.join(RULE_FIXTURES, rule)).sort()) {
      if (!e.startsWith('bad-')) continue;
      const full = path.join(RULE_FIXTURES, rule, e);
      const file = fs.statSync(full).isDirectory() ? path.join(full, 'main.ts') : full;
      if (!fs.existsSync(file)) continue;
      analyzeFiles([file], { rootDir: path.dirname(file) }).findings.forEach((f, index) => {
        if (f.rule === 'deadlock' && f.trace && f.trace.length > 0) out.push({ file, index, steps: f.trace.length });
      });
    }
  }
  return out;
}

describe('steered replay', () => {
  const cases = findingsWithTraces();

  it('there are deadlock findings with traces to reproduce', () => {
    assert.ok(cases.length >= 7, JSON.stringify(cases.map((c) => path.relative(RULE_FIXTURES, c.file))));
  });

  it('reproduces the trace of every deadlock finding of the rule fixtures', async () => {
    // One at a time: a steered run declares a step that never came once every process has been
    // quiet for a while, and a 33-process program beside other runs on a busy 2-core machine can
    // look quiet while its processes wait for the CPU. For the same reason a run that stalled
    // ("never came") gets a second try; one that took another path than the trace does not.
    const reproduce = (c: (typeof cases)[number]) => cli(['run', path.basename(c.file), '--reproduce', String(c.index), '--format', 'json'], path.dirname(c.file));
    const results = await pooled(cases.map((c) => async () => {
      const first = await reproduce(c);
      return first.code === 4 && /never came/.test(first.stdout) ? reproduce(c) : first;
    }), 1);
    results.forEach((r, k) => {
      const c = cases[k]!;
      const what = `${path.relative(RULE_FIXTURES, c.file)} finding ${c.index}`;
      assert.equal(r.code, 3, `${what}: ${r.stdout}\n${r.stderr}`);
      const o = JSON.parse(r.stdout) as Outcome;
      assert.equal(o.outcome, 'deadlock', what);
      assert.equal(o.report?.kind, 'deadlock', what);
      assert.deepEqual({ outcome: o.steer?.outcome, done: o.steer?.done, steps: o.steer?.steps }, { outcome: 'reproduced', done: c.steps, steps: c.steps }, what);
      assert.match(o.note, /^reproduced the deadlock finding: the run followed its trace \(\d+ steps?\) and deadlocked as predicted$/, what);
    });
  });

  it('reports the divergence where the analysis over-approximates, and ends the run', async () => {
    const file = path.join(RUNTIME_FIXTURES, 'steer-overapprox.ts');
    const model = analyzeFiles([file], { rootDir: RUNTIME_FIXTURES });
    const f = model.findings.find((x) => x.rule === 'deadlock')!;
    assert.ok(f.trace?.some((s) => s.op === 'main: acquire lock'), 'the analysis predicts main taking the lock');
    const [text, json] = await Promise.all([
      cli(['run', 'steer-overapprox.ts', '--reproduce', 'deadlock'], RUNTIME_FIXTURES),
      cli(['run', 'steer-overapprox.ts', '--reproduce', 'deadlock', '--format', 'json'], RUNTIME_FIXTURES),
    ]);
    assert.equal(text.code, 4, text.stderr);
    assert.match(text.stderr, /process-topology run: diverged at step 2 of 2: the next step, "main: acquire lock" at steer-overapprox\.ts:20, never came: MainProcess /);
    assert.equal(json.code, 4, json.stderr);
    const o = JSON.parse(json.stdout) as Outcome;
    assert.equal(o.steer?.outcome, 'diverged');
    assert.equal(o.steer?.at, 1);
    assert.equal(o.steer?.done, 1);
    assert.equal(o.report, null, 'no deadlock: the real run has none');
  });

  it('says when a finding has no trace to follow', async () => {
    const r = await cli(['run', 'bad-direct.ts', '--reproduce', '0'], path.join(RULE_FIXTURES, 'get-without-producer'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^process-topology: --reproduce: the get-without-producer finding has no trace to follow/);
  });
});
