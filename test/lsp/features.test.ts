// Every rule through the real server over LSP (dist/server.js), on its buggy fixtures: the
// diagnostic (source, code, a link to its bundled doc, related locations, a short first line), the
// code actions every finding gets ("suppress with a reason", "show documentation", the trace of a
// deadlock), the quick fixes of the mechanical rules and fix-all, each applied to the document and
// checked to make its finding go away.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Finding, TopologyModel } from '../../common/model';
import { isTraceArgs, MODEL_REQUEST } from '../../common/protocol';
import { applyEdits } from '../helpers/edits';
import { startServer, type LspSession } from '../helpers/lsp-client';
import { ROOT } from '../helpers/paths';

interface Range { start: { line: number; character: number }; end: { line: number; character: number } }
interface Diagnostic {
  range: Range;
  severity: number;
  source: string;
  code: string;
  message: string;
  codeDescription?: { href: string };
  relatedInformation?: { location: { uri: string; range: Range }; message: string }[];
}
interface Action {
  title: string;
  kind: string;
  isPreferred?: boolean;
  edit?: { changes: Record<string, { range: Range; newText: string }[]> };
  command?: { command: string; arguments: unknown[] };
}

const RULES_DIR = path.join(ROOT, 'test/fixtures/rules');
const DOCS = `${pathToFileURL(path.join(ROOT, 'docs/rules')).href}/`;
/** The mechanical quick fixes (each rule's docs/rules/<id>.md, "How to fix"). */
const MECHANICAL = ['lock-not-released', 'missing-sentinel', 'pool-join-before-close', 'unguarded-start', 'process-not-joined', 'task-done-missing'];
/** Where a mechanical rule's fix is shown when its own fixtures have none that applies in one file. */
const EXTRA_FIX_CASES: Record<string, string> = { 'missing-sentinel': path.join(ROOT, 'examples/producer-consumer-no-sentinel.ts') };

/** The buggy fixtures of each rule: `bad-*.ts`, and the `main.ts` of `bad-*` folders. */
function badFixtures(rule: string): string[] {
  return fs.readdirSync(path.join(RULES_DIR, rule)).filter((f) => f.startsWith('bad-')).sort().map((f) => {
    const full = path.join(RULES_DIR, rule, f);
    return fs.statSync(full).isDirectory() ? path.join(full, 'main.ts') : full;
  });
}

const RULES = fs.readdirSync(RULES_DIR).filter((r) => fs.statSync(path.join(RULES_DIR, r)).isDirectory() && badFixtures(r).length > 0).sort();

describe('every rule over LSP', () => {
  let s: LspSession;
  let version = 1;
  before(async () => {
    s = await startServer(ROOT, {}, { docsBase: DOCS });
  });
  after(async () => {
    await s.close();
  });

  const open = (file: string, text: string): string => {
    const uri = pathToFileURL(file).href;
    s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: ++version, text } });
    return uri;
  };
  const change = (uri: string, text: string): void => {
    s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text }] });
  };
  const close = (uri: string): void => {
    s.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  };
  const diagnostics = async (uri: string): Promise<Diagnostic[]> =>
    (await s.connection.sendRequest<{ items: Diagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
  const actions = (uri: string, d: Diagnostic, only?: string[]): Promise<Action[]> =>
    s.connection.sendRequest<Action[]>('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d], ...(only ? { only } : {}) } });
  const model = async (uri: string): Promise<TopologyModel> => {
    const m = await s.connection.sendRequest<TopologyModel | null>(MODEL_REQUEST, { textDocument: { uri } });
    assert.ok(m);
    return m;
  };
  const count = (ds: readonly Diagnostic[], rule: string): number => ds.filter((d) => d.code === rule).length;
  const edited = (text: string, uri: string, a: Action): string => {
    const edits = a.edit?.changes[uri];
    assert.ok(edits && edits.length > 0, `${a.title} edits the document`);
    return applyEdits(text, edits.map((e) => ({ file: 'x', ...e })));
  };

  for (const rule of RULES) {
    it(`${rule}: diagnostics with doc links and related sites; suppress, documentation and trace actions; suppressing with a reason silences it`, { timeout: 300_000 }, async () => {
      let suppressed = false;
      for (const file of badFixtures(rule)) {
        const entryUri = open(file, fs.readFileSync(file, 'utf8'));
        // A finding can sit in another module of the program (a helper in a second file): the
        // diagnostic is that document's, once it is open.
        const entryFindings = (await model(entryUri)).findings.filter((f) => f.rule === rule);
        assert.ok(entryFindings.length > 0, `${path.relative(RULES_DIR, file)}: a ${rule} finding`);
        const anchored = path.resolve(ROOT, entryFindings[0]!.loc.file);
        const name = path.relative(RULES_DIR, anchored);
        const text = fs.readFileSync(anchored, 'utf8');
        const uri = anchored === file ? entryUri : open(anchored, text);
        try {
          const ds = await diagnostics(uri);
          const mine = ds.filter((d) => d.code === rule);
          assert.ok(mine.length > 0, `${name}: a ${rule} diagnostic among ${ds.map((d) => d.code).join(', ')}`);
          const findings = (await model(uri)).findings;
          for (const d of mine) {
            assert.equal(d.source, 'process-topology');
            assert.equal(d.codeDescription?.href, `${DOCS}${rule}.md`);
            assert.ok(fs.existsSync(fileURLToPath(d.codeDescription.href)), `${name}: the rule doc ships with the extension`);
            const first = d.message.split('\n')[0]!;
            assert.ok(first.length >= 12 && first.length <= 120, `${name}: a short first line: "${first}"`);
            // The finding behind the diagnostic: every other site is a related location.
            const f: Finding | undefined = findings.find((x) => x.rule === rule && x.loc.range.start.line === d.range.start.line
              && x.loc.range.start.character === d.range.start.character);
            assert.ok(f, `${name}: the model has the finding`);
            assert.equal(d.relatedInformation?.length ?? 0, f.related.length, `${name}: related locations`);
            for (const r of d.relatedInformation ?? []) assert.ok(fs.existsSync(fileURLToPath(r.location.uri)), r.location.uri);
            const as = await actions(uri, d);
            const titles = as.map((a) => a.title);
            assert.ok(titles.includes(`Suppress ${rule} on this line (give a reason)`), `${name}: ${titles.join(' | ')}`);
            const doc = as.find((a) => a.title === `Show documentation for ${rule}`);
            assert.deepEqual(doc?.command, { title: 'Show documentation', command: 'processTopology.showRuleDoc', arguments: [rule] });
            if (f.trace && f.trace.length > 0) {
              const step = as.find((a) => a.command?.command === 'processTopology.showTrace');
              assert.ok(step, `${name}: a trace to step through: ${titles.join(' | ')}`);
              const args = step.command!.arguments[0];
              assert.ok(isTraceArgs(args));
              // The interleaving, then every operation that waits forever in the state it reaches.
              assert.equal(args.steps.length, f.trace.length + 1 + f.related.length);
              assert.deepEqual(args.steps.map((x) => x.label).slice(0, f.trace.length), f.trace.map((t) => t.op));
              assert.deepEqual(args.steps[f.trace.length]!.range, d.range);
            }
          }
          if (!suppressed) {
            // Suppress the first finding as the action does, then give the reason it asks for.
            const d = mine[0]!;
            const suppress = (await actions(uri, d)).find((a) => a.title.startsWith('Suppress'))!;
            const without = edited(text, uri, suppress);
            change(uri, without);
            const asked = await diagnostics(uri);
            assert.equal(count(asked, 'suppression-without-reason'), 1, `${name}: a reason is asked for`);
            assert.equal(count(asked, rule), mine.length - 1, `${name}: the suppressed finding is gone`);
            change(uri, without.replace(`${rule} -- \n`, `${rule} -- checked by hand: the fixture is buggy on purpose\n`));
            const silenced = await diagnostics(uri);
            assert.equal(count(silenced, rule), mine.length - 1, `${name}: still silenced with a reason`);
            assert.equal(count(silenced, 'suppression-without-reason') + count(silenced, 'unused-suppression'), 0);
            suppressed = true;
          }
        } finally {
          close(uri);
          if (uri !== entryUri) close(entryUri);
        }
      }
    });
  }

  for (const rule of MECHANICAL) {
    it(`${rule}: the quick fix edits the document and its finding goes away`, { timeout: 300_000 }, async () => {
      let fixed = 0;
      for (const file of [...badFixtures(rule), ...(EXTRA_FIX_CASES[rule] ? [EXTRA_FIX_CASES[rule]] : [])]) {
        const name = path.relative(ROOT, file);
        const text = fs.readFileSync(file, 'utf8');
        const uri = open(file, text);
        try {
          const before = await diagnostics(uri);
          const d = before.find((x) => x.code === rule);
          // (In the two-file fixtures the finding can sit in the other module.)
          if (!d) continue;
          // Fixes that only edit this file (a fix may also reach into another module of the program).
          const fixes = (await actions(uri, d)).filter((a) => a.kind === 'quickfix' && a.edit && !a.title.startsWith('Suppress')
            && Object.keys(a.edit.changes).every((u) => u === uri));
          for (const fix of fixes) {
            assert.equal(fix.isPreferred, true);
            change(uri, edited(text, uri, fix));
            const after = await diagnostics(uri);
            assert.equal(count(after, rule), count(before, rule) - 1, `${name}: "${fix.title}" removes its finding`);
            change(uri, text);
            fixed++;
          }
        } finally {
          close(uri);
        }
      }
      assert.ok(fixed > 0, `a ${rule} fix was applied`);
    });
  }

  it('fix-all applies the mechanical fixes of a document at once', { timeout: 300_000 }, async () => {
    let files = 0;
    for (const rule of MECHANICAL) {
      for (const file of badFixtures(rule)) {
        const text = fs.readFileSync(file, 'utf8');
        const uri = open(file, text);
        try {
          const before = await diagnostics(uri);
          const findings = (await model(uri)).findings.filter((f) => MECHANICAL.includes(f.rule) && f.fixes?.[0]
            && f.fixes[0].edits.every((e) => path.resolve(ROOT, e.file) === file));
          if (findings.length === 0) continue;
          const all = await actions(uri, before[0]!, ['source.fixAll']);
          assert.equal(all.length, 1, path.relative(ROOT, file));
          assert.equal(all[0]!.kind, 'source.fixAll.processTopology');
          change(uri, edited(text, uri, all[0]!));
          const after = await diagnostics(uri);
          for (const f of findings) assert.equal(count(after, f.rule), count(before, f.rule) - findings.filter((g) => g.rule === f.rule).length, `${path.relative(ROOT, file)}: ${f.rule}`);
          files++;
        } finally {
          close(uri);
        }
      }
    }
    assert.ok(files >= MECHANICAL.length - 1, `fix-all checked on ${files} files`);
  });
});
