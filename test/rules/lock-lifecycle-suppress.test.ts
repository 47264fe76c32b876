// Suppression comments work for the lock, lifecycle, spawn and race rules as their docs say: a
// `disable-next-line <id> -- reason` on the line before the anchor silences exactly that finding,
// and each rule's page has the documented sections, including that comment.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { findingsOf, RULE_FIXTURES } from '../helpers/rule-tester';

const CASES: [id: string, fixture: string][] = [
  ['double-acquire', 'bad-direct.ts'],
  ['lock-order-inversion', 'bad-direct.ts'],
  ['lock-not-released', 'bad-early-return.ts'],
  ['release-unheld', 'bad-twice.ts'],
  ['join-unstarted', 'bad-conditional.ts'],
  ['start-twice', 'bad-restart.ts'],
  ['daemon-has-children', 'bad-direct.ts'],
  ['unguarded-start', 'bad-direct.ts'],
  ['target-not-spawnable', 'bad-arrow.ts'],
  ['unsendable-value', 'bad-function-arg.ts'],
  ['process-not-joined', 'bad-direct.ts'],
  ['unsynchronized-update', 'bad-value.ts'],
  ['shared-file-race', 'bad-constant-path.ts'],
];

describe('suppressing the lock, lifecycle, spawn and race rules', () => {
  for (const [id, fixture] of CASES) {
    it(`${id}: disable-next-line with a reason silences it`, () => {
      const file = path.join(RULE_FIXTURES, id, fixture);
      const before = findingsOf(file);
      assert.deepEqual(before.map((f) => f.rule), [id]);
      const line = before[0]!.loc.range.start.line;
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const indent = /^\s*/.exec(lines[line]!)![0];
      lines.splice(line, 0, `${indent}// process-topology-disable-next-line ${id} -- checked by hand`);
      assert.deepEqual(findingsOf(file, lines.join('\n')).map((f) => f.rule), []);
    });

    it(`${id}: the rule's page documents it and its suppression comment`, () => {
      const doc = fs.readFileSync(path.join(ROOT, 'docs/rules', `${id}.md`), 'utf8');
      assert.match(doc, new RegExp(`^# ${id}\\n`));
      assert.match(doc, new RegExp(`## Suppress\\n\`\`\`ts\\n// process-topology-disable-next-line ${id} -- \\S`));
      for (const section of ['## What it means', '## Wrong', '## Right', '## How to fix', '## How the analyzer decides']) {
        assert.ok(doc.includes(section), `${id}.md has ${section}`);
      }
      assert.match(doc, /## Why it (hangs|fails|matters|is wrong)/, `${id}.md says why it hangs or fails`);
    });
  }
});
