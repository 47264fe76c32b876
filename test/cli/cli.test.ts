// The built command line, run as a user runs it: output formats and exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isTopologyModel, type TopologyModel } from '../../common/model';
import { BROKEN_EXAMPLE, DIST, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { positionOf } from '../helpers/source';

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('process-topology check', () => {
  it('prints the missing-sentinel finding of examples/ and exits 1', () => {
    const r = cli(['check', 'examples/']);
    assert.equal(r.code, 1, r.stderr);
    const pos = positionOf(BROKEN_EXAMPLE, 'q.get()');
    const line = `examples/producer-consumer-no-sentinel.ts:${pos.line + 1}:${pos.character + 1}  error  `;
    const findings = r.stdout.split('\n').filter((l) => l.includes('[missing-sentinel]'));
    assert.equal(findings.length, 1, r.stdout);
    assert.ok(findings[0]!.startsWith(line), findings[0]);
    assert.match(r.stdout, /1 problem \(1 error, 0 warnings\)/);
  });

  it('exits 0 on the good example alone', () => {
    const r = cli(['check', path.relative(ROOT, GOOD_EXAMPLE)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No problems found/);
  });

  it('prints the model with --format json', () => {
    const r = cli(['check', 'examples/', '--format', 'json']);
    assert.equal(r.code, 1);
    const model = JSON.parse(r.stdout) as TopologyModel;
    assert.ok(isTopologyModel(model));
    assert.equal(model.findings.length, 1);
    assert.ok(model.nodes.filter((n) => n.kind === 'queue').length >= 2);
  });

  it('prints SARIF 2.1.0 with --format sarif', () => {
    const r = cli(['check', 'examples/', '--format', 'sarif']);
    assert.equal(r.code, 1);
    const log = JSON.parse(r.stdout) as { version: string; runs: { results: { ruleId: string; locations: unknown[] }[] }[] };
    assert.equal(log.version, '2.1.0');
    assert.deepEqual(log.runs[0]!.results.map((x) => x.ruleId), ['missing-sentinel']);
  });

  it('turns a rule off with --rule id=off, and exits 0', () => {
    const r = cli(['check', 'examples/', '--rule', 'missing-sentinel=off']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  for (const [args, reason] of [
    [['check', 'no/such/dir'], /no such file or folder: no\/such\/dir/],
    [['check', 'examples/', '--format', 'yaml'], /unknown --format 'yaml'/],
    [['check', 'examples/', '--bogus'], /Unknown option '--bogus'/],
    [['check', 'examples/', '--rule', 'no-such-rule=off'], /unknown rule 'no-such-rule'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['graph', 'examples/'], /graph needs --format/],
  ] as const) {
    it(`exits 2 with a one-line reason: ${args.join(' ')}`, () => {
      const r = cli([...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, reason);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }

  it('exits 2 on a binary file and on a broken tsconfig', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-cli-'));
    fs.writeFileSync(path.join(dir, 'blob.ts'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
    let r = cli(['check', 'blob.ts'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /blob\.ts is not a text file/);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{ "compilerOptions": { "strict": ');
    r = cli(['check'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tsconfig\.json/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});

describe('process-topology graph', () => {
  it('writes DOT and Mermaid with every node', () => {
    const dot = cli(['graph', path.relative(ROOT, GOOD_EXAMPLE), '--format', 'dot']);
    assert.equal(dot.code, 0, dot.stderr);
    assert.match(dot.stdout, /^digraph topology \{/);
    assert.match(dot.stdout, /label="producer ×3"/);
    assert.match(dot.stdout, /label="consumer ×2"/);
    const mermaid = cli(['graph', path.relative(ROOT, GOOD_EXAMPLE), '--format', 'mermaid']);
    assert.equal(mermaid.code, 0);
    assert.match(mermaid.stdout, /^flowchart LR/);
    assert.equal((mermaid.stdout.match(/-->\|/g) ?? []).length, 7);
  });

  it('writes a self-contained html page with --out', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-graph-')), 'graph.html');
    const r = cli(['graph', 'examples/', '--format', 'html', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const html = fs.readFileSync(out, 'utf8');
    assert.match(html, /Content-Security-Policy/);
    assert.doesNotMatch(html, /<script[^>]+src=/, 'no external scripts');
    assert.match(html, /"missing-sentinel"/);
  });
});
