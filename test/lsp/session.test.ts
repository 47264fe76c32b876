// The language server's analysis session (server/src/lsp/session.ts): analyzing only the entries
// that can reach the edited file gives exactly the model the whole-project analysis gives for it,
// and cached source files follow edits of open documents and of the disk.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { analyzePrograms, mergeModels, programsContaining } from '../../server/src/analysis/analyze';
import { createProgram, DEFAULT_OPTIONS, readTsconfig } from '../../server/src/analysis/program';
import ts from 'typescript';
import { AnalysisSession, reparse } from '../../server/src/lsp/session';
import { mutate, Prng } from '../helpers/fuzz';
import { makeWorkspace, type Workspace } from '../helpers/workspace';

/** A syntax tree as a list: each node's kind, span, and an identifier's or a literal's text. */
function shape(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const stack: ts.Node[] = [sf];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(`${ts.SyntaxKind[n.kind]}:${n.pos}:${n.end}${ts.isIdentifier(n) || ts.isStringLiteralLike(n) || ts.isNumericLiteral(n) ? `:${n.text}` : ''}`);
    const children: ts.Node[] = [];
    ts.forEachChild(n, (c) => {
      children.push(c);
    });
    stack.push(...children.reverse());
  }
  return out;
}

const SHIM = "'@process-topology/multiprocessing'";

describe('analysis session', () => {
  let ws: Workspace;
  before(() => {
    ws = makeWorkspace();
  });
  after(() => ws.dispose());

  it('gives every file the model the whole-project analysis gives it', { timeout: 300_000 }, () => {
    const program = createProgram({ rootNames: ws.files, options: DEFAULT_OPTIONS });
    const full = analyzePrograms(program, { rootDir: ws.dir, files: ws.files });
    const root = pathToFileURL(ws.dir).href;
    const session = new AnalysisSession([ws.dir]);
    let narrowed = 0;
    for (const file of ws.files) {
      const expected = mergeModels(root, programsContaining(full, file));
      const got = session.analyze(file);
      assert.deepEqual(got.model, expected, path.relative(ws.dir, file));
      if (got.entries < ws.files.length) narrowed++;
    }
    // Most files are modules imported by few others: their analysis skips the other entries.
    assert.ok(narrowed > ws.files.length / 2, `${narrowed} of ${ws.files.length} analyses narrowed`);
  });

  it('analyzes only the edited module and its importers', () => {
    const session = new AnalysisSession([ws.dir]);
    const worker = path.join(ws.dir, 'fixtures/extraction/multi-file/worker.ts');
    const out = session.analyze(worker);
    assert.equal(out.entries, 2, 'worker.ts and main.ts, which imports it');
    assert.deepEqual(out.model.nodes.map((n) => `${n.kind}:${n.label}`).sort(), ['process:consume', 'process:main', 'queue:makeQueue()']);
  });

  it('analyzes every file for a script: its declarations are global, reachable without an import', () => {
    const scripts = makeWorkspace({
      examples: false,
      fixtures: false,
      extra: {
        'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', moduleDetection: 'legacy', strict: true, types: [] }, include: ['*.ts'] }),
        'helpers.ts': 'async function produceAll(q: { put(v: number | null): Promise<void> }) {\n  await q.put(1);\n}\n',
        'main.ts': `import { Process, Queue, isMainProcess } from ${SHIM};\n\nexport async function worker(q: Queue<number | null>) {\n  await produceAll(q);\n}\n\nif (isMainProcess()) {\n  const q = new Queue<number | null>();\n  const p = new Process({ target: worker, args: [q] });\n  p.start();\n  await q.get();\n  await q.get();\n  await p.join();\n}\n`,
        'other.ts': `import { Queue } from ${SHIM};\n\nexport const q = new Queue<number>();\n`,
      },
    });
    try {
      const session = new AnalysisSession([scripts.dir]);
      const helpers = path.join(scripts.dir, 'helpers.ts');
      const out = session.analyze(helpers);
      assert.equal(out.entries, 3);
      const { options, fileNames } = readTsconfig(path.join(scripts.dir, 'tsconfig.json'));
      const program = createProgram({ rootNames: fileNames, options });
      const expected = mergeModels(pathToFileURL(scripts.dir).href, programsContaining(analyzePrograms(program, { rootDir: scripts.dir, files: fileNames }), helpers));
      assert.deepEqual(out.model, expected);
      assert.ok(out.model.edges.some((e) => e.kind === 'put' && e.locs.some((l) => l.file === 'helpers.ts')), 'main reaches the global helper');
    } finally {
      scripts.dispose();
    }
  });

  it('parses edits incrementally into the same trees a fresh parse gives', () => {
    const rng = new Prng(42);
    const corpus = ws.files.map((f) => fs.readFileSync(f, 'utf8'));
    const create = (text: string): ts.SourceFile => ts.createSourceFile('/x/a.ts', text, ts.ScriptTarget.ES2022, true);
    let checked = 0;
    for (let round = 0; round < 20; round++) {
      let text = rng.pick(corpus);
      let sf = create(text);
      for (let step = 0; step < 15; step++) {
        const m = mutate(rng, text, corpus);
        if (m.text.length > 200_000 || /deep|huge|long/.test(m.kind)) continue; // big inputs: slow, and the same code path
        sf = reparse(sf, m.text, () => create(m.text));
        text = m.text;
        assert.deepEqual(shape(sf), shape(create(text)), `round ${round} step ${step} (${m.kind})`);
        checked++;
      }
    }
    assert.ok(checked > 150, `${checked} edits checked`);
  });

  it('gives the same model after incremental edits as after a fresh start', () => {
    const small = makeWorkspace({ fixtures: false });
    try {
      const rng = new Prng(7);
      const corpus = small.files.map((f) => fs.readFileSync(f, 'utf8'));
      const session = new AnalysisSession([small.dir]);
      const file = path.join(small.dir, 'examples', 'producer-consumer-no-sentinel.ts');
      let text = fs.readFileSync(file, 'utf8');
      session.analyze(file);
      for (let step = 0; step < 8; step++) {
        const m = mutate(rng, text, corpus);
        if (m.text.length > 100_000) continue;
        text = m.text;
        session.setDocument(file, text);
        const incremental = session.analyze(file).model;
        const fresh = new AnalysisSession([small.dir]);
        fresh.setDocument(file, text);
        assert.deepEqual(incremental, fresh.analyze(file).model, `step ${step} (${m.kind})`);
      }
    } finally {
      small.dispose();
    }
  });

  it('leaves out a file TypeScript cannot parse or bind, instead of failing every analysis of its project', () => {
    // 1,200 nested functions on one line: past what the parser or the binder can recurse into.
    const deep = path.join(ws.dir, 'junk', 'deep.ts');
    fs.mkdirSync(path.dirname(deep), { recursive: true });
    fs.writeFileSync(deep, `${'function f() {'.repeat(1200)}${'}'.repeat(1200)}\n`);
    try {
      const session = new AnalysisSession([ws.dir]);
      const worker = path.join(ws.dir, 'fixtures/extraction/multi-file/worker.ts');
      assert.deepEqual(session.analyze(worker).model.nodes.map((n) => `${n.kind}:${n.label}`).sort(), ['process:consume', 'process:main', 'queue:makeQueue()']);
      const out = session.analyze(deep);
      assert.match(out.skipped ?? '', /cannot parse|nests \d+ levels deep/);
      assert.deepEqual(out.model.notes, [`junk/deep.ts is not analyzed: ${out.skipped}`]);
      // Edited back to something ordinary, it is analyzed again.
      session.setDocument(deep, 'export const x = 1;\n');
      assert.equal(session.analyze(deep).skipped, undefined);
    } finally {
      fs.rmSync(path.dirname(deep), { recursive: true, force: true });
    }
  });

  it('reuses a file\'s last outcome when an edit elsewhere cannot change it, and only then', () => {
    const session = new AnalysisSession([ws.dir]);
    const main = path.join(ws.dir, 'fixtures/extraction/multi-file/main.ts');
    const worker = path.join(ws.dir, 'fixtures/extraction/multi-file/worker.ts');
    const unrelated = path.join(ws.dir, 'examples/pipe-ping-pong.ts');
    const first = session.analyze(worker);
    // An edit of a module that neither imports worker.ts nor is imported by its programs.
    session.setDocument(unrelated, `${fs.readFileSync(unrelated, 'utf8')}\n// edited\n`);
    const again = session.analyze(worker);
    assert.equal(session.reused, 1);
    assert.deepEqual(again.model, first.model);
    // An edit of its importer (main.ts, the entry): analyzed again, with the new text's finding.
    session.setDocument(main, fs.readFileSync(main, 'utf8').replace('await q.put(null);', ''));
    assert.deepEqual(session.analyze(worker).model.findings.map((f) => f.rule), ['missing-sentinel']);
    assert.equal(session.reused, 1);
    // A new importer of worker.ts (a new file: the client says so, as its watcher does).
    const extra = path.join(ws.dir, 'fixtures/extraction/multi-file/second-entry.ts');
    const extraText = `import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';
import { consume } from './worker.js';
if (isMainProcess()) {
  const q = new Queue<string | null>();
  const c = new Process({ target: consume, args: [q] });
  c.start();
  await c.join();
}
`;
    fs.writeFileSync(extra, extraText);
    try {
      session.invalidateListings();
      const widened = session.analyze(worker);
      assert.equal(session.reused, 1, 'the entries changed: analyzed again');
      assert.equal(widened.entries, 3);
      // Whatever is reused is what a fresh session computes.
      session.setDocument(unrelated, '// emptied\n');
      const reused = session.analyze(worker);
      assert.equal(session.reused, 2);
      const fresh = new AnalysisSession([ws.dir]);
      fresh.setDocument(main, fs.readFileSync(main, 'utf8').replace('await q.put(null);', ''));
      assert.deepEqual(reused.model, fresh.analyze(worker).model);
    } finally {
      fs.rmSync(extra);
    }
  });

  it('follows open documents and the disk, reusing unchanged source files', () => {
    const session = new AnalysisSession([ws.dir]);
    const main = path.join(ws.dir, 'fixtures/extraction/multi-file/main.ts');
    const worker = path.join(ws.dir, 'fixtures/extraction/multi-file/worker.ts');
    const text = fs.readFileSync(main, 'utf8');
    const rules = (): string[] => session.analyze(worker).model.findings.map((f) => f.rule);
    assert.deepEqual(rules(), []);
    const cached = session.cachedSourceFiles;
    session.setDocument(main, text.replace('await q.put(null);', ''));
    assert.deepEqual(rules(), ['missing-sentinel'], 'the unsaved edit of the producer counts');
    assert.equal(session.cachedSourceFiles, cached, 'the edited file replaced its old version in the cache');
    session.removeDocument(main);
    assert.deepEqual(rules(), [], 'closed: the disk version counts again');
    fs.writeFileSync(main, text.replace('await q.put(null);', ''));
    try {
      // mtime resolution: make sure the stamp differs from the cached one.
      fs.utimesSync(main, new Date(), new Date(Date.now() + 5000));
      assert.deepEqual(rules(), ['missing-sentinel'], 'a change on disk counts');
    } finally {
      fs.writeFileSync(main, text);
    }
  });
});
