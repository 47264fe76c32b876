// The rules as a whole: every rule file is registered, has its user-facing page and its tests, and
// what is derived from the definitions (the registry, the settings schema in package.json, the
// README's tables and docs links) is up to date with them (scripts/generate-rules.ts --check).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { RULES } from '../../server/src/analysis/rule-registry';
import { ROOT } from '../helpers/paths';

const RULES_DIR = path.join(ROOT, 'server/src/analysis/rules');

it('registers every file of rules/, each defining the rule it is named after', () => {
  const files = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
  assert.deepEqual([...RULES.keys()].sort(), files);
  for (const [id, def] of RULES) {
    assert.equal(def.id, id);
    assert.match(id, /^[a-z]+(-[a-z]+)*$/);
    assert.equal(def.docs, `docs/rules/${id}.md`);
    assert.ok(def.summary.length > 10 && def.summary.endsWith('.'), `${id}: a one-sentence summary`);
  }
});

it('gives every rule a docs page: its default severity, what it means, why, wrong and right, how to fix, how it decides, how to suppress', () => {
  for (const def of RULES.values()) {
    const page = path.join(ROOT, def.docs);
    assert.ok(fs.existsSync(page), `${def.docs} exists`);
    const text = fs.readFileSync(page, 'utf8');
    assert.match(text, new RegExp(`^# ${def.id}\\n`), `${def.docs} is titled with the id`);
    assert.match(text, new RegExp(`\\*\\*Severity:\\*\\* ${def.severity}\\b`), `${def.docs} states the default severity ${def.severity}`);
    if (!def.run) continue; // the suppression hints' pages say what the comment should be instead
    for (const section of ['## What it means', '## Wrong', '## Right', '## How to fix', '## How the analyzer decides']) {
      assert.ok(text.includes(`\n${section}\n`), `${def.docs} has ${section}`);
    }
    assert.match(text, /\n## Why it (hangs|fails|matters|is wrong)\n/, `${def.docs} says why it hangs or fails`);
    assert.match(text, new RegExp(`## Suppress\\n[\\s\\S]*?\`\`\`ts\\n// process-topology-disable-next-line ${def.id} -- \\S`), `${def.docs} shows its suppression comment`);
  }
  const pages = fs.readdirSync(path.join(ROOT, 'docs/rules')).map((f) => f.replace(/\.md$/, '')).sort();
  assert.deepEqual(pages, [...RULES.keys()].sort(), 'no page of a rule that does not exist');
});

it('gives every rule its tests: a test file and bad/good fixtures, or (suppression hints) the suppression tests', () => {
  const suppressionTests = fs.readFileSync(path.join(ROOT, 'test/analysis/suppressions.test.ts'), 'utf8');
  for (const def of RULES.values()) {
    if (!def.run) {
      assert.ok(suppressionTests.includes(`${def.id}:`), `test/analysis/suppressions.test.ts checks ${def.id}`);
      continue;
    }
    assert.ok(fs.existsSync(path.join(ROOT, 'test/rules', `${def.id}.test.ts`)), `test/rules/${def.id}.test.ts exists`);
    const fixtures = fs.readdirSync(path.join(ROOT, 'test/fixtures/rules', def.id));
    assert.ok(fixtures.some((f) => f.startsWith('bad-')), `${def.id} has a buggy fixture`);
    assert.ok(fixtures.some((f) => f.startsWith('good-')), `${def.id} has a fixed twin`);
  }
});

it('keeps the registry, the settings schema and the README tables generated from the definitions', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate-rules.ts', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
