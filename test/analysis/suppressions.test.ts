// Suppression comments: they silence the named rule where they stand, need a reason, and are
// reported when they silence nothing. Also the quick-fix data: applying it removes the finding.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { BROKEN_EXAMPLE, ROOT } from '../helpers/paths';
import { applyEdits } from '../helpers/edits';

const TEXT = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
const GET = '    const item = await q.get();';

function rules(text: string): string[] {
  const model = analyzeFiles([BROKEN_EXAMPLE], { rootDir: ROOT, overlay: new Map([[BROKEN_EXAMPLE, text]]) });
  return model.findings.map((f) => `${f.rule}:${f.severity}:${f.loc.range.start.line + 1}`);
}

const getLine = TEXT.split('\n').findIndex((l) => l === GET) + 1;

describe('suppression comments', () => {
  it('the broken example reports missing-sentinel at its get() (control)', () => {
    assert.deepEqual(rules(TEXT), [`missing-sentinel:error:${getLine}`]);
  });

  it('disable-next-line with a reason silences it', () => {
    const text = TEXT.replace(GET, `    // process-topology-disable-next-line missing-sentinel -- the supervisor kills the consumers\n${GET}`);
    assert.deepEqual(rules(text), []);
  });

  it('without a reason it still silences, and says the reason is missing', () => {
    const text = TEXT.replace(GET, `    // process-topology-disable-next-line missing-sentinel\n${GET}`);
    assert.deepEqual(rules(text), [`suppression-without-reason:hint:${getLine}`]);
  });

  it('a suppression of another rule silences nothing and is reported unused', () => {
    const text = TEXT.replace(GET, `    // process-topology-disable-next-line double-acquire -- not this one\n${GET}`);
    assert.deepEqual(rules(text), [`unused-suppression:hint:${getLine}`, `missing-sentinel:error:${getLine + 1}`]);
  });

  it('a disable/enable block silences the rule inside it only', () => {
    const inside = TEXT.replace('export async function consumer', '/* process-topology-disable missing-sentinel -- demo of a block */\nexport async function consumer')
      .replace('export async function producer', '/* process-topology-enable missing-sentinel */\nexport async function producer');
    assert.deepEqual(rules(inside), []);
    const outside = TEXT.replace('export async function producer', '/* process-topology-disable missing-sentinel -- only the producer */\nexport async function producer');
    assert.deepEqual(rules(outside), [`missing-sentinel:error:${getLine}`, `unused-suppression:hint:${getLine + 6}`]);
  });

  it('text that looks like a suppression inside a string is not one', () => {
    const text = TEXT.replace(GET, `    console.log('// process-topology-disable-next-line missing-sentinel -- no');\n${GET}`);
    assert.deepEqual(rules(text), [`missing-sentinel:error:${getLine + 1}`]);
  });
});

describe('quick-fix data', () => {
  it('missing-sentinel: applying the fix puts the sentinels and removes the finding', () => {
    const model = analyzeFiles([BROKEN_EXAMPLE], { rootDir: ROOT });
    const fix = model.findings[0]!.fixes![0]!;
    assert.match(fix.title, /sentinel/);
    const fixed = applyEdits(TEXT, fix.edits);
    assert.match(fixed, /await p\.join\(\);\n\s+for \(let i = 0; i < 2; i\+\+\) await q\.put\(null\);/);
    assert.deepEqual(rules(fixed), []);
  });
});
