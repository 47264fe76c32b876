// Unknown or dynamic code degrades to "unknown", never to a crash or a false claim: each variant
// of the broken producer/consumer example hides where the sentinels come from, so the analysis
// must stay silent.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { isTopologyModel } from '../../common/model';
import { BROKEN_EXAMPLE, ROOT } from '../helpers/paths';

const JOIN = 'for (const c of consumers) await c.join();';

function variant(insert: string, prelude = ''): string {
  const text = fs.readFileSync(BROKEN_EXAMPLE, 'utf8');
  assert.ok(text.includes(JOIN));
  return prelude + text.replace(JOIN, `${insert}\n  ${JOIN}`);
}

function findings(text: string) {
  const model = analyzeFiles([BROKEN_EXAMPLE], { rootDir: ROOT, overlay: new Map([[BROKEN_EXAMPLE, text]]) });
  assert.ok(isTopologyModel(model));
  return model.findings.map((f) => f.rule);
}

describe('unknown code keeps the analysis silent', () => {
  it('still reports the plain broken example (control)', () => {
    assert.deepEqual(findings(variant('')), ['missing-sentinel']);
  });

  it('sentinels put from a library callback', () => {
    assert.deepEqual(findings(variant('setTimeout(() => { for (const _ of consumers) void q.put(null); }, 10);')), []);
  });

  it('sentinels put through eval', () => {
    assert.deepEqual(findings(variant("eval('for (const _ of consumers) q.put(null)');")), []);
  });

  it('sentinels put on a queue that came from `any`', () => {
    assert.deepEqual(findings(variant('const other: Queue<string | null> = (globalThis as any).sharedQueue;\n  await other.put(null); await other.put(null);')), []);
  });

  it('a sentinel of unknown value', () => {
    assert.deepEqual(findings(variant('for (const _ of consumers) await q.put(JSON.parse(process.argv[2] ?? "null"));')), []);
  });

  it('a sentinel count the analysis cannot bound', () => {
    assert.deepEqual(findings(variant('for (let i = 0; i < Number(process.argv[2]); i++) await q.put(null);')), []);
  });
});

describe('odd input does not crash the extraction', () => {
  const cases: Record<string, string> = {
    'deep recursion': 'export function f(n: number): number { return n <= 0 ? 0 : f(n - 1) + 1; }\nf(100000);',
    'mutual recursion through processes': "import { Process } from '@process-topology/multiprocessing';\nexport function a(): void { new Process({ target: b }).start(); }\nexport function b(): void { new Process({ target: a }).start(); }\na();",
    'spread of unknown and computed access': "import { Queue } from '@process-topology/multiprocessing';\nconst xs: any[] = [];\nconst q = new Queue();\nconst o: any = { [String(xs)]: q, ...xs };\no[xs.length].put(...xs);",
    'syntax errors': "import { Queue } from '@process-topology/multiprocessing';\nconst q = new Queue(;\nq.put(\n for (;;) {",
    'a huge literal': `const big = [${'1,'.repeat(50_000)}];\nconsole.log(big.length);`,
    'binary bytes': '\u0000\u0001\u0002\ufffe'.repeat(2000),
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      const model = analyzeFiles([BROKEN_EXAMPLE], { rootDir: ROOT, overlay: new Map([[BROKEN_EXAMPLE, text]]) });
      assert.ok(isTopologyModel(model));
    });
  }
});
