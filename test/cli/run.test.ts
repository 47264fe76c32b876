// `process-topology run`: the built command line runs a program under the shim's runtime (tsx for
// TypeScript, plain node for JavaScript, a clear error otherwise), prints how it ended, and exits
// 0 / 1 / 2 / 3 (completed / failed / could not run / deadlock). JSON and SARIF for tools (the
// SARIF checked against the SARIF 2.1.0 schema), the trace on request, the program's arguments.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parseTrace } from '../../common/trace';
import { ROOT } from '../helpers/paths';
import { RULE_FIXTURES } from '../helpers/rule-tester';
import { cli } from '../runtime/helpers';


const DEADLOCK = path.join(RULE_FIXTURES, 'deadlock');

describe('process-topology run', () => {
  it('a deadlock: exit 3, the report on stderr; the fixed twin: exit 0 with its output', async () => {
    const [bad, good] = await Promise.all([cli(['run', 'bad-pipe-both-recv.ts'], DEADLOCK), cli(['run', 'good-pipe-both-recv.ts'], DEADLOCK)]);
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /^process-topology run: bad-pipe-both-recv\.ts with tsx \(/);
    assert.match(bad.stderr, /DeadlockError: Deadlock: every process of the program is blocked/);
    assert.match(bad.stderr, /waits in recv\(\) on Pipe end 'childEnd' .*called at bad-pipe-both-recv\.ts:5:31/);
    assert.match(bad.stderr, /process-topology run: deadlocked \(exit 3\)\n$/);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /answer to question/);
    assert.match(good.stderr, /process-topology run: completed \(exit 0\)/);
  });

  it('--format json: the outcome and the report on stdout (the program\'s stdout goes to stderr)', async () => {
    const r = await cli(['run', 'bad-join-before-send.ts', '--format', 'json'], DEADLOCK);
    assert.equal(r.code, 3, r.stderr);
    const out = JSON.parse(r.stdout) as { outcome: string; code: number; report: { kind: string; processes: { target: string | null; waits: { op: string }[] }[] } };
    assert.equal(out.outcome, 'deadlock');
    assert.equal(out.code, 3);
    assert.equal(out.report.kind, 'deadlock');
    assert.deepEqual(out.report.processes.find((p) => p.target === 'worker')!.waits.map((w) => w.op), ['get']);
  });

  it('--format sarif: the deadlock rule at the blocked calls, valid SARIF 2.1.0', async () => {
    const r = await cli(['run', 'bad-pipe-both-recv.ts', '--format', 'sarif'], DEADLOCK);
    assert.equal(r.code, 3, r.stderr);
    const log = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; relatedLocations: unknown[]; properties: { evidence: string } }[] }[] };
    const schema = JSON.parse(fs.readFileSync(require.resolve(`@microsoft/sarif-multitool-${process.platform}/sarif-2.1.0.json`), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    const [res] = log.runs[0]!.results;
    assert.equal(res!.ruleId, 'deadlock');
    assert.equal(res!.level, 'error');
    assert.equal(res!.properties.evidence, 'runtime');
    assert.equal(res!.locations[0]!.physicalLocation.artifactLocation.uri, 'bad-pipe-both-recv.ts');
    assert.deepEqual([res!.locations[0]!.physicalLocation.region.startLine].concat(res!.relatedLocations.map((l) => (l as { physicalLocation: { region: { startLine: number } } }).physicalLocation.region.startLine)).sort(), [13, 5].sort());
  });

  it('--trace FILE writes the run\'s trace; -- passes arguments; a JavaScript program runs with node', async () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'test/runtime/fixtures/.run-'));
    try {
      fs.writeFileSync(path.join(dir, 'echo.mjs'), [
        "import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';",
        'export async function echo(q) { await q.put(process.argv.length); }',
        'if (isMainProcess()) {',
        '  const q = new Queue();',
        '  const p = new Process({ target: echo, args: [q] });',
        '  p.start();',
        '  await q.get();',
        '  await p.join();',
        "  console.log(`args: ${process.argv.slice(2).join(' ')}`);",
        '  process.exitCode = Number(process.argv[2] ?? 0);',
        '}',
        '',
      ].join('\n'));
      const ok = await cli(['run', 'echo.mjs', '--trace', 'out/run.jsonl', '--', '0', '--not-an-option'], dir);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /echo\.mjs with node\n/);
      assert.match(ok.stdout, /^args: 0 --not-an-option$/m);
      const t = parseTrace(fs.readFileSync(path.join(dir, 'out/run.jsonl'), 'utf8'));
      assert.ok(t.ops.some((o) => o.op === 'put'));
      assert.equal(t.processes.size, 2);
      const failed = await cli(['run', 'echo.mjs', '--', '5'], dir);
      assert.equal(failed.code, 1, 'a program that fails: exit 1');
      assert.match(failed.stderr, /process-topology run: failed \(exit 5\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--trace unix:SOCKET streams the trace to a listener (the editor\'s Run and Watch); --reproduce FILE.json follows an editor\'s finding; the runner bundle does the same', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-cli-unix-'));
    const sock = path.join(dir, 'trace.sock');
    const received: string[] = [];
    const server = net.createServer((s) => {
      s.setEncoding('utf8');
      s.on('data', (d: string) => received.push(d));
    });
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      // The finding as an editor has it: its model's root (the repository here), its process nodes.
      const check = await cli(['check', 'examples/desk-and-pen.ts', '--format', 'json'], ROOT);
      const model = JSON.parse(check.stdout) as { root: string; nodes: { id: string; kind: string; role?: string }[]; findings: { rule: string }[] };
      const finding = model.findings.find((f) => f.rule === 'deadlock');
      assert.ok(finding);
      const spec = path.join(dir, 'finding.json');
      fs.writeFileSync(spec, JSON.stringify({ root: model.root, finding, nodes: model.nodes.filter((n) => n.kind === 'process') }));
      const r = await cli(['run', 'examples/desk-and-pen.ts', '--reproduce', spec, '--trace', `unix:${sock}`], ROOT, 'runner.js');
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /process-topology run: reproduced the deadlock finding: the run followed its trace \(7 steps\) and deadlocked as predicted/);
      const trace = parseTrace(received.join(''));
      assert.equal(trace.header.main, 'examples/desk-and-pen.ts');
      assert.ok(trace.reports.some((x) => x.kind === 'deadlock'));
      assert.equal(trace.steer.find((x) => x.outcome)?.outcome, 'reproduced');
      // Without a main node the file cannot say which process is main; the runner has no analysis for an index.
      fs.writeFileSync(spec, JSON.stringify({ root: model.root, finding, nodes: model.nodes.filter((n) => n.kind === 'process' && n.role !== 'main') }));
      const bad = await cli(['run', 'examples/desk-and-pen.ts', '--reproduce', spec], ROOT);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^process-topology: --reproduce .*finding\.json: its nodes have no main process node/);
      const runner = await cli(['run', 'examples/desk-and-pen.ts', '--reproduce', '0'], ROOT, 'runner.js');
      assert.equal(runner.code, 2);
      assert.match(runner.stderr, /--reproduce 0: this runner takes the finding as a JSON file/);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exit 2 with a one-line reason: no program, no such file, a bad option, TypeScript without tsx', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-run-'));
    try {
      fs.writeFileSync(path.join(tmp, 'main.ts'), 'console.log(1);\n');
      fs.writeFileSync(path.join(tmp, 'notes.txt'), 'hello\n');
      const cases: [string[], RegExp][] = [
        [['run'], /^process-topology: run needs a program/],
        [['run', 'missing.ts'], /^process-topology: no such program: missing\.ts/],
        [['run', 'main.ts', '--format', 'xml'], /^process-topology: unknown --format 'xml' for run/],
        [['run', 'main.ts', '--explore', 'many'], /^process-topology: --explore expects a number of runs/],
        [['run', 'main.ts', '--seed', '7'], /^process-topology: --seed expects a seed as --explore prints it/],
        [['run', 'main.ts', '--explore', '3', '--seed', 'random-1'], /cannot be combined/],
        [['run', 'notes.txt'], /not a JavaScript .* or TypeScript .* file/],
        [['run', 'main.ts'], /a TypeScript program needs tsx in its project/],
      ];
      for (const [args, message] of cases) {
        const r = await cli(args, tmp);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
