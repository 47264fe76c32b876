// `check --format sarif` against the SARIF 2.1.0 JSON schema as Microsoft's SARIF SDK ships it
// (@microsoft/sarif-multitool-<platform>/sarif-2.1.0.json, the whole schema, not a trimmed copy),
// validated with ajv and ajv-formats, so `format: uri-reference` and friends are checked too.
// Run after `node scripts/build.mjs`: node --import tsx --test test/cli/sarif.test.ts
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Location, TopologyModel } from '../../common/model';
import { formatSarif } from '../../server/src/cli/formats';
import { BROKEN_EXAMPLE, DIST, ROOT } from '../helpers/paths';
import { positionOf } from '../helpers/source';

const SCHEMA_PACKAGE = `@microsoft/sarif-multitool-${process.platform}`;

function sarifValidator(): ValidateFunction {
  const file = require.resolve(`${SCHEMA_PACKAGE}/sarif-2.1.0.json`);
  const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  // The real schema: every definition SARIF 2.1.0 has, not a hand-made subset.
  assert.match(String(schema.title), /SARIF\) Version 2\.1\.0 JSON Schema/);
  assert.ok(Object.keys(schema.definitions as object).length > 50);
  const ajv = new Ajv2020({ allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

const validate = sarifValidator();

function assertValid(log: unknown): void {
  const ok = validate(log);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
}

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface SarifRegion { startLine: number; startColumn: number }
interface SarifLocation {
  physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: SarifRegion };
  message?: { text: string };
  id?: number;
}
interface SarifLog {
  runs: {
    tool: { driver: { rules: { id: string }[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      locations: SarifLocation[];
      relatedLocations: SarifLocation[];
      codeFlows?: { threadFlows: { locations: { location: SarifLocation }[] }[] }[];
    }[];
  }[];
}

describe('check --format sarif', () => {
  it('validates against the SARIF 2.1.0 schema on examples/, with the rule and its related locations', () => {
    const r = cli(['check', 'examples/', '--format', 'sarif']);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout) as SarifLog;
    assertValid(log);

    const run = log.runs[0]!;
    // Every result names its rule, and its ruleIndex points at that rule's descriptor.
    for (const x of run.results) assert.equal(run.tool.driver.rules[x.ruleIndex]!.id, x.ruleId);
    const file = path.relative(ROOT, BROKEN_EXAMPLE).split(path.sep).join('/');
    const sentinel = run.results.filter((x) => x.ruleId === 'missing-sentinel'
      && x.locations[0]!.physicalLocation.artifactLocation.uri === file);
    assert.equal(sentinel.length, 1, JSON.stringify(run.results.map((x) => x.ruleId)));
    const result = sentinel[0]!;
    assert.equal(result.level, 'error');
    const get = positionOf(BROKEN_EXAMPLE, 'q.get()');
    assert.deepEqual(result.locations[0]!.physicalLocation.artifactLocation, { uri: file, uriBaseId: '%SRCROOT%' });
    assert.deepEqual(result.locations[0]!.physicalLocation.region.startLine, get.line + 1);

    // The related location is where the producers put into q (no sentinel among those puts).
    assert.ok(result.relatedLocations.length >= 1, JSON.stringify(result));
    const put = positionOf(BROKEN_EXAMPLE, 'q.put(');
    const related = result.relatedLocations[0]!;
    assert.equal(related.id, 1);
    assert.match(related.message?.text ?? '', /^q is put here/);
    assert.equal(related.physicalLocation.artifactLocation.uri, file);
    assert.equal(related.physicalLocation.region.startLine, put.line + 1);
    assert.equal(related.physicalLocation.region.startColumn, put.character + 1);
    assert.ok(run.originalUriBaseIds['%SRCROOT%']!.uri.endsWith('/'));
  });

  it('validates with an empty result list', () => {
    const r = cli(['check', 'examples/producer-consumer.ts', '--format', 'sarif']);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout) as SarifLog;
    assertValid(log);
    assert.deepEqual(log.runs[0]!.results, []);
  });

  it('percent-encodes file paths with spaces, #, % and non-ASCII letters into valid URI references', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt sarif '));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.mkdirSync(path.join(dir, 'my dir'));
    const name = 'brökén #1 100%.ts';
    fs.copyFileSync(BROKEN_EXAMPLE, path.join(dir, 'my dir', name));
    const r = cli(['check', '.', '--format', 'sarif'], dir);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout) as SarifLog;
    assertValid(log);
    const result = log.runs[0]!.results[0]!;
    const uri = result.locations[0]!.physicalLocation.artifactLocation.uri;
    assert.equal(uri, 'my%20dir/br%C3%B6k%C3%A9n%20%231%20100%25.ts');
    assert.equal(decodeURIComponent(uri), `my dir/${name}`);
    assert.equal(result.relatedLocations[0]!.physicalLocation.artifactLocation.uri, uri);
    // Resolving against %SRCROOT% gives the file back.
    const base = log.runs[0]!.originalUriBaseIds['%SRCROOT%']!.uri;
    assert.equal(fs.realpathSync(new URL(uri, base)), fs.realpathSync(path.join(dir, 'my dir', name)));
  });

  it('validates traces as code flows, every severity, and files outside the root', () => {
    const loc = (file: string, line: number): Location => ({
      file, range: { start: { line, character: 4 }, end: { line, character: 12 } },
    });
    const model: TopologyModel = {
      version: 1,
      root: 'file:///home/me/my%20app',
      nodes: [],
      edges: [],
      findings: [
        {
          rule: 'deadlock', severity: 'error', message: 'main and worker wait for each other',
          loc: loc('src/app.ts', 10),
          related: [{ message: 'worker waits here', loc: loc('src/worker.ts', 3) }, { message: '', loc: loc('src/b.ts', 0) }],
          trace: [
            { process: 'proc:main', op: 'join worker', loc: loc('src/app.ts', 10) },
            { process: 'proc:worker@src/app.ts:4', op: 'get q', loc: loc('src/worker.ts', 3) },
          ],
          nodes: [], edges: [],
        },
        { rule: 'unjoined-process', severity: 'warning', message: 'w', loc: loc('../lib/x.ts', 1), related: [], nodes: [], edges: [] },
        { rule: 'shared-file', severity: 'info', message: 'i', loc: loc('/abs/other root/y.ts', 2), related: [], nodes: [], edges: [] },
        { rule: 'shared-file', severity: 'hint', message: 'h', loc: loc('D:/code/z.ts', 2), related: [], trace: [], nodes: [], edges: [] },
      ],
    };
    const log = JSON.parse(formatSarif(model, '1.2.3')) as SarifLog;
    assertValid(log);
    const [deadlock, warning, info, hint] = log.runs[0]!.results;
    assert.deepEqual(log.runs[0]!.results.map((x) => x.level), ['error', 'warning', 'note', 'note']);
    assert.deepEqual(log.runs[0]!.results.map((x) => x.ruleId), ['deadlock', 'unjoined-process', 'shared-file', 'shared-file']);
    assert.equal(deadlock!.relatedLocations.length, 2);
    assert.equal(deadlock!.relatedLocations[1]!.message, undefined);
    assert.deepEqual(deadlock!.codeFlows![0]!.threadFlows[0]!.locations.map((l) => l.location.message?.text),
      ['proc:main: join worker', 'proc:worker@src/app.ts:4: get q']);
    assert.equal(hint!.codeFlows, undefined, 'an empty trace is no code flow');
    assert.deepEqual(warning!.locations[0]!.physicalLocation.artifactLocation, { uri: '../lib/x.ts', uriBaseId: '%SRCROOT%' });
    assert.deepEqual(info!.locations[0]!.physicalLocation.artifactLocation, { uri: 'file:///abs/other%20root/y.ts' });
    assert.deepEqual(hint!.locations[0]!.physicalLocation.artifactLocation, { uri: 'file:///D:/code/z.ts' });
  });

  it('the validator rejects what the schema forbids (it is not a no-op)', () => {
    const r = cli(['check', 'examples/', '--format', 'sarif']);
    const log = JSON.parse(r.stdout) as SarifLog;
    assertValid(log);
    const i = log.runs[0]!.results.findIndex((x) => x.relatedLocations.length > 0);
    assert.ok(i >= 0);
    const bad = structuredClone(log);
    bad.runs[0]!.results[i]!.locations[0]!.physicalLocation.artifactLocation.uri = 'a b.ts';
    assert.equal(validate(bad), false);
    const bad2 = structuredClone(log);
    bad2.runs[0]!.results[i]!.level = 'fatal';
    assert.equal(validate(bad2), false);
    const bad3 = structuredClone(log);
    bad3.runs[0]!.results[i]!.relatedLocations[0]!.id = -5;
    assert.equal(validate(bad3), false);
    const bad4 = structuredClone(log) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    delete bad4.runs[0]!.results[i]!.message;
    assert.equal(validate(bad4), false);
  });
});
