// Adopting the analysis in a codebase that already has findings: `check --baseline FILE`
// (written by `--write-baseline`) reports only findings the baseline does not hold, matched by
// rule, file, anchor code and neighbourhood so that edits around them do not bring them back;
// `check --changed-since REF` analyzes only the programs that reach a file changed since a git
// ref. The built command line, on scratch copies of the examples (and a real git repository).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Finding, TopologyModel } from '../../common/model';
import { matchBaseline, type BaselineEntry } from '../../server/src/cli/baseline';
import { DIST, EXAMPLES } from '../helpers/paths';

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scratch(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  fs.cpSync(EXAMPLES, path.join(dir, 'examples'), { recursive: true });
  return dir;
}

const BROKEN = 'examples/producer-consumer-no-sentinel.ts';
const SENTINELS_BEFORE = 'for (const c of consumers) await c.join();';

function edit(dir: string, file: string, change: (text: string) => string): void {
  const f = path.join(dir, file);
  const before = fs.readFileSync(f, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the edit of ${file} changes it`);
  fs.writeFileSync(f, after);
}

function findingsOf(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /\[[a-z-]+\]$/.test(l)).map((l) => `${l.split(':')[0]} ${/\[([a-z-]+)\]$/.exec(l)![1]}`);
}

describe('check --baseline', () => {
  let dir = '';
  let pristine = '';
  before(() => {
    pristine = scratch('pt-baseline-');
  });
  after(() => {
    fs.rmSync(pristine, { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the examples with a baseline of all their findings in .process-topology/baseline.json. */
  function withBaseline(): { all: string[] } {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-baseline-case-')));
    fs.cpSync(path.join(pristine, 'examples'), path.join(dir, 'examples'), { recursive: true });
    const all = findingsOf(cli(['check', 'examples'], dir).stdout);
    const w = cli(['check', 'examples', '--baseline', '.process-topology/baseline.json', '--write-baseline'], dir);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, '');
    assert.equal(w.stderr, `process-topology: wrote ${all.length} findings to .process-topology/baseline.json\n`);
    return { all };
  }

  it('--write-baseline records every finding by rule, file, code and neighbourhood, with no line numbers', () => {
    const { all } = withBaseline();
    assert.ok(all.includes(`${BROKEN} missing-sentinel`), all.join(', '));
    const written = JSON.parse(fs.readFileSync(path.join(dir, '.process-topology/baseline.json'), 'utf8')) as { version: number; tool: string; findings: BaselineEntry[] };
    assert.equal(written.version, 1);
    assert.equal(written.tool, 'process-topology');
    assert.equal(written.findings.length, all.length);
    const entry = written.findings.find((e) => e.rule === 'missing-sentinel')!;
    // Paths are relative to the baseline's folder, so any working directory reads it the same.
    assert.equal(entry.file, `../${BROKEN}`);
    assert.equal(entry.code, 'q.get()');
    assert.equal(entry.line, 'const item = await q.get();');
    assert.match(entry.context, /^[0-9a-f]{16}$/);
    assert.ok(!/"(line|character)":\s*\d/.test(JSON.stringify(written)), 'no positions');
  });

  it('a check against it shows nothing and exits 0, from the project folder or another one', () => {
    withBaseline();
    const r = cli(['check', 'examples', '--baseline', '.process-topology/baseline.json'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'No problems found.\n');
    assert.match(r.stderr, /^process-topology: \d+ findings in the baseline \.process-topology\/baseline\.json not shown\n$/);
    fs.mkdirSync(path.join(dir, 'elsewhere'));
    const fromElsewhere = cli(['check', '../examples', '--baseline', '../.process-topology/baseline.json'], path.join(dir, 'elsewhere'));
    assert.equal(fromElsewhere.code, 0, fromElsewhere.stdout + fromElsewhere.stderr);
    assert.equal(fromElsewhere.stdout, 'No problems found.\n');
  });

  it('keeps matching across edits: lines inserted above, a new neighbour line, an edited anchor line, the finding moved down the file', () => {
    withBaseline();
    const check = (): ReturnType<typeof cli> => cli(['check', 'examples', '--baseline', '.process-topology/baseline.json', '--format', 'json'], dir);
    const assertQuiet = (what: string): void => {
      const r = check();
      const model = JSON.parse(r.stdout) as TopologyModel;
      assert.deepEqual(model.findings.map((f) => `${f.loc.file}:${f.loc.range.start.line} ${f.rule}`), [], `after ${what}`);
      assert.equal(r.code, 0, what);
    };
    edit(dir, BROKEN, (t) => `// Inserted at the top.\n// Two lines, and a blank one.\n\n${t}`);
    assertQuiet('lines inserted above');
    edit(dir, BROKEN, (t) => t.replace('  for (;;) {\n    const item = await q.get();', '  for (;;) {\n    console.log("waiting");\n    const item = await q.get();'));
    assertQuiet('a new line right above the anchor');
    edit(dir, BROKEN, (t) => t.replace('const item = await q.get();', 'const item   =   await q.get(); // the next job'));
    assertQuiet('the anchor line reformatted and commented');
    edit(dir, BROKEN, (t) => t.replace(/(export async function consumer[\s\S]*?\n}\n)([\s\S]*?)(\nif \(isMainProcess\(\)\))/, (_, consumer: string, middle: string, tail: string) => `${middle}\n${consumer}${tail}`));
    assertQuiet('the consumer moved below the producer');
  });

  it('reports what is new: the same problem in another file, a second copy in the same file, and exits 1', () => {
    withBaseline();
    fs.copyFileSync(path.join(dir, BROKEN), path.join(dir, 'examples/copy-of-broken.ts'));
    let r = cli(['check', 'examples', '--baseline', '.process-topology/baseline.json'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(findingsOf(r.stdout), ['examples/copy-of-broken.ts missing-sentinel']);
    fs.rmSync(path.join(dir, 'examples/copy-of-broken.ts'));
    // A second consumer function with the same body, also started: its get() is a new finding.
    edit(dir, BROKEN, (t) => t
      .replace('export async function producer', `export async function consumer2(q: Queue<string | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}

export async function producer`)
      .replace('const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));',
        'const consumers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));\n  consumers.push(new Process({ target: consumer2, args: [q] }));'));
    r = cli(['check', 'examples', '--baseline', '.process-topology/baseline.json', '--format', 'json'], dir);
    assert.equal(r.code, 1, r.stderr);
    const model = JSON.parse(r.stdout) as TopologyModel;
    const all = JSON.parse(cli(['check', 'examples', '--format', 'json'], dir).stdout) as TopologyModel;
    const gets = all.findings.filter((f) => f.loc.file === BROKEN && f.rule === 'missing-sentinel');
    assert.ok(gets.length >= 2, `both consumers' get() are findings: ${JSON.stringify(gets.map((f) => f.loc.range.start))}`);
    const second = fs.readFileSync(path.join(dir, BROKEN), 'utf8').split('\n').findIndex((l, i, lines) => l.includes('await q.get()') && lines[i - 2]?.includes('consumer2'));
    assert.deepEqual(model.findings.map((f) => [f.loc.file, f.loc.range.start.line, f.rule]), gets.filter((f) => f.loc.range.start.line === second).map((f) => [f.loc.file, f.loc.range.start.line, f.rule]));
  });

  it('says which baseline entries are gone once fixed; SARIF output holds only the new findings', () => {
    withBaseline();
    edit(dir, BROKEN, (t) => t.replace(SENTINELS_BEFORE, `for (const _ of consumers) await q.put(null);\n  ${SENTINELS_BEFORE}`));
    const r = cli(['check', 'examples', '--baseline', '.process-topology/baseline.json'], dir);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /1 baseline entry is no longer found \(fixed\?\); --write-baseline drops it/);
    fs.copyFileSync(path.join(pristine, BROKEN), path.join(dir, 'examples/copy.ts'));
    const sarif = cli(['check', 'examples', '--baseline', '.process-topology/baseline.json', '--format', 'sarif'], dir);
    assert.equal(sarif.code, 1);
    const log = JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    assert.deepEqual(log.runs[0]!.results.map((x) => [x.ruleId, x.locations[0]!.physicalLocation.artifactLocation.uri]), [['missing-sentinel', 'examples/copy.ts']]);
  });

  for (const [what, content, reason] of [
    ['a missing baseline', undefined, /no baseline file nope\.json \(write one with --write-baseline\)/],
    ['a baseline that is not JSON', '{ nope', /the baseline nope\.json is not JSON/],
    ['another tool\'s file', '{"findings": []}', /nope\.json is not a process-topology baseline/],
    ['an entry without its keys', '{"version": 1, "tool": "process-topology", "findings": [{"rule": "x"}]}', /finding 1 lacks rule, file, code, line or context/],
  ] as const) {
    it(`exits 2 with a one-line reason on ${what}`, () => {
      const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-baseline-bad-')));
      try {
        fs.copyFileSync(path.join(pristine, BROKEN), path.join(d, 'main.ts'));
        if (content !== undefined) fs.writeFileSync(path.join(d, 'nope.json'), content);
        const r = cli(['check', 'main.ts', '--baseline', 'nope.json'], d);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, reason);
      } finally {
        fs.rmSync(d, { recursive: true, force: true });
      }
    });
  }

  it('--write-baseline without --baseline, or with --changed-since, is a usage error', () => {
    assert.match(cli(['check', 'examples', '--write-baseline'], pristine).stderr, /--write-baseline needs --baseline FILE/);
    assert.match(cli(['check', 'examples', '--baseline', 'b.json', '--write-baseline', '--changed-since', 'HEAD'], pristine).stderr, /does not go with --changed-since/);
    assert.match(cli(['graph', 'examples', '--format', 'dot', '--baseline', 'b.json'], pristine).stderr, /are for check/);
  });
});

describe('baseline matching (pure)', () => {
  const finding = (rule: string, line: number): Finding => ({
    rule, severity: 'error', message: '', loc: { file: 'a.ts', range: { start: { line, character: 0 }, end: { line, character: 1 } } }, related: [], nodes: [], edges: [],
  });
  const entry = (rule: string, code: string, lineText: string, context: string, file = 'a.ts'): BaselineEntry => ({ rule, file, code, line: lineText, context, message: '' });

  it('prefers the strictest match, so a looser one does not take the entry another finding matches exactly', () => {
    // Two findings with the same code; the baseline holds only the second's exact entry.
    const findings = [finding('r', 1), finding('r', 9)];
    const entries = [entry('r', 'q.get()', 'x = q.get()', 'AAA'), entry('r', 'q.get()', 'x = q.get()', 'BBB')];
    const m = matchBaseline(findings, entries, [entry('r', 'q.get()', 'x = q.get()', 'BBB')]);
    assert.deepEqual(m.known, [findings[1]]);
    assert.deepEqual(m.fresh, [findings[0]]);
  });

  it('falls back to code alone, then matches nothing across rules or files', () => {
    const findings = [finding('r', 1)];
    const entries = [entry('r', 'q.get()', 'changed line', 'changed')];
    assert.equal(matchBaseline(findings, entries, [entry('r', 'q.get()', 'old line', 'old')]).known.length, 1);
    assert.equal(matchBaseline(findings, entries, [entry('other-rule', 'q.get()', 'changed line', 'changed')]).known.length, 0);
    assert.equal(matchBaseline(findings, entries, [entry('r', 'q.get()', 'changed line', 'changed', 'b.ts')]).known.length, 0);
  });

  it('counts: one entry accounts for one finding', () => {
    const findings = [finding('r', 1), finding('r', 2), finding('r', 3)];
    const e = entry('r', 'q.get()', 'x', 'c');
    const m = matchBaseline(findings, [e, e, e], [e, e]);
    assert.equal(m.known.length, 2);
    assert.equal(m.fresh.length, 1);
    assert.equal(m.gone.length, 0);
  });
});

describe('check --changed-since', () => {
  let repo = '';
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
  const CONSUMER = `import type { Queue } from '@process-topology/multiprocessing';
export async function consumer(q: Queue<string | null>) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
  }
}
`;
  const MAIN = `import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';
import { consumer } from './lib/consumer.js';
export { consumer };
if (isMainProcess()) {
  const q = new Queue<string | null>();
  const workers = [1, 2].map(() => new Process({ target: consumer, args: [q] }));
  for (const w of workers) w.start();
  await q.put('job');
  await q.put(null);
  for (const w of workers) await w.join();
}
`;
  before(() => {
    repo = scratch('pt-changed-');
    fs.mkdirSync(path.join(repo, 'app/lib'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'app/main.ts'), MAIN);
    fs.writeFileSync(path.join(repo, 'app/lib/consumer.ts'), CONSUMER);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'start');
    git('tag', 'base');
  });
  after(() => {
    if (repo) fs.rmSync(repo, { recursive: true, force: true });
  });

  it('with nothing changed, analyzes no program: exit 0 though the tree has errors', () => {
    const all = cli(['check', '.'], repo);
    assert.equal(all.code, 1);
    assert.ok(findingsOf(all.stdout).includes('app/main.ts missing-sentinel') || findingsOf(all.stdout).includes('app/lib/consumer.ts missing-sentinel'), all.stdout);
    const r = cli(['check', '.', '--changed-since', 'base'], repo);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'No problems found.\n');
    assert.match(r.stderr, /^process-topology: 0 of \d+ files changed since base; analyzing the programs that reach them\n$/);
  });

  it('an edited file: only its program\'s findings (uncommitted, then committed)', () => {
    edit(repo, BROKEN, (t) => `${t}// touched\n`);
    let r = cli(['check', '.', '--changed-since', 'base'], repo);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(findingsOf(r.stdout), [`${BROKEN} missing-sentinel`]);
    git('commit', '-q', '-am', 'touch');
    r = cli(['check', '.', '--changed-since', 'base'], repo);
    assert.deepEqual(findingsOf(r.stdout), [`${BROKEN} missing-sentinel`]);
    r = cli(['check', '.', '--changed-since', 'HEAD'], repo);
    assert.deepEqual(findingsOf(r.stdout), []);
  });

  it('a module edited: the programs that import it are analyzed', () => {
    fs.writeFileSync(path.join(repo, 'app/lib/consumer.ts'), `${CONSUMER}// a comment\n`);
    const r = cli(['check', '.', '--changed-since', 'HEAD', '--format', 'json'], repo);
    const model = JSON.parse(r.stdout) as TopologyModel;
    const files = new Set(model.findings.map((f) => f.loc.file));
    assert.ok(model.findings.some((f) => f.rule === 'missing-sentinel'), JSON.stringify(model.findings.map((f) => [f.loc.file, f.rule])));
    assert.ok([...files].every((f) => f.startsWith('app/')), [...files].join(', '));
    git('checkout', '-q', '--', 'app/lib/consumer.ts');
  });

  it('a new untracked file is analyzed; a tsconfig.json change analyzes every program', () => {
    fs.copyFileSync(path.join(repo, BROKEN), path.join(repo, 'examples/new-file.ts'));
    let r = cli(['check', '.', '--changed-since', 'HEAD'], repo);
    assert.deepEqual(findingsOf(r.stdout), ['examples/new-file.ts missing-sentinel']);
    fs.rmSync(path.join(repo, 'examples/new-file.ts'));
    edit(repo, 'examples/tsconfig.json', (t) => `${t}\n`);
    r = cli(['check', '.', '--changed-since', 'HEAD'], repo);
    assert.match(r.stderr, /examples\/tsconfig\.json changed since HEAD: every program is analyzed/);
    assert.deepEqual(findingsOf(r.stdout), findingsOf(cli(['check', '.'], repo).stdout));
    git('checkout', '-q', '--', 'examples/tsconfig.json');
  });

  it('a bad ref, an option for a ref, or no repository: exit 2 with a one-line reason', () => {
    for (const [ref, cwd, reason] of [
      ['no-such-ref', repo, /unknown git ref 'no-such-ref'/],
      ['--output=x', repo, /expects a git ref/],
      ['HEAD', path.join(repo, '..'), /is not in a git repository/],
    ] as const) {
      const r = cli(['check', cwd === repo ? '.' : path.join(repo, BROKEN), `--changed-since=${ref}`], cwd);
      assert.equal(r.code, 2, `${ref}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, reason);
    }
  });
});
