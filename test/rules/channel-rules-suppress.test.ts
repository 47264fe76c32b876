// Suppression comments work for the queue, pipe, event, condition, barrier and pool rules as their
// docs say: a `disable-next-line <id> -- reason` on the line before the anchor silences exactly
// that finding, and the docs page of each rule shows that comment.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths';
import { findingsOf } from '../helpers/rule-cases';

const CASES: [id: string, fixture: string][] = [
  ['get-without-producer', 'bad-direct.ts'],
  ['bounded-queue-full', 'bad-direct.ts'],
  ['task-done-missing', 'bad-continue.ts'],
  ['task-done-excess', 'bad-direct.ts'],
  ['event-never-set', 'bad-direct.ts'],
  ['condition-never-notified', 'bad-direct.ts'],
  ['barrier-parties-mismatch', 'bad-direct.ts'],
  ['use-after-close', 'bad-queue.ts'],
  ['wrong-pipe-end', 'bad-direct.ts'],
  ['pool-join-before-close', 'bad-direct.ts'],
  ['pool-results-dropped', 'bad-direct.ts'],
];

describe('suppressing the channel rules', () => {
  for (const [id, fixture] of CASES) {
    it(`${id}: disable-next-line with a reason silences it`, () => {
      const file = path.join(ROOT, 'test/fixtures/rules', id, fixture);
      const before = findingsOf(file);
      assert.deepEqual(before.map((f) => f.rule), [id]);
      const line = before[0]!.loc.range.start.line;
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const indent = /^\s*/.exec(lines[line]!)![0];
      lines.splice(line, 0, `${indent}// process-topology-disable-next-line ${id} -- checked by hand`);
      assert.deepEqual(findingsOf(file, new Map([[file, lines.join('\n')]])).map((f) => f.rule), []);
    });

    it(`${id}: the rule's page documents the suppression comment`, () => {
      const doc = fs.readFileSync(path.join(ROOT, 'docs/rules', `${id}.md`), 'utf8');
      assert.match(doc, new RegExp(`## Suppress\\n\`\`\`ts\\n// process-topology-disable-next-line ${id} -- \\S`));
      for (const section of ['## What it means', '## Wrong', '## Right', '## How the analyzer decides']) assert.ok(doc.includes(section), `${id}.md has ${section}`);
    });
  }
});
