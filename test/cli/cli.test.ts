// The built command line, run as a user runs it: output formats and exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { displayLabel, isTopologyModel, type ModelNode, type TopologyModel } from '../../common/model';
import { staticSvg } from '../../drawing/static-svg';
import { BROKEN_EXAMPLE, DIST, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import { positionOf } from '../helpers/source';
import { sharedModuleWorkspace } from '../helpers/many-programs';
import { separatePrograms } from '../../drawing/programs';

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('process-topology check', () => {
  it('prints the missing-sentinel finding of examples/ and exits 1', () => {
    const r = cli(['check', 'examples/']);
    assert.equal(r.code, 1, r.stderr);
    const pos = positionOf(BROKEN_EXAMPLE, 'q.get()');
    const line = `examples/producer-consumer-no-sentinel.ts:${pos.line + 1}:${pos.character + 1}  error  `;
    const findings = r.stdout.split('\n').filter((l) => l.includes('[missing-sentinel]'));
    assert.equal(findings.length, 1, r.stdout);
    assert.ok(findings[0]!.startsWith(line), findings[0]);
    // The racy examples add warnings; the errors are the broken twins': the missing sentinel, and
    // desk-and-pen.ts's deadlock (which needs an unlucky interleaving).
    assert.match(r.stdout, /\d+ problems? \(2 errors, \d+ warnings?\)/);
    const deadlock = r.stdout.split('\n').filter((l) => l.includes('[deadlock]'));
    assert.equal(deadlock.length, 1, r.stdout);
    assert.match(deadlock[0]!, /^examples\/desk-and-pen\.ts:\d+:\d+  error  Deadlock: first waits in get\(\) on pens, second waits in acquire\(\) on desk/);
  });

  it('knows the standard library: a put of an array element is no sentinel', () => {
    // The bundled compiler must find lib.*.d.ts beside it; without it `item` below is an error
    // type that might be null, and the missing sentinel goes unreported.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-cli-lib-'));
    try {
      fs.writeFileSync(path.join(dir, 'main.ts'), [
        "import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';",
        'export async function worker(q: Queue<string | null>) {',
        '  for (;;) { const item = await q.get(); if (item === null) break; }',
        '}',
        'if (isMainProcess()) {',
        '  const q = new Queue<string | null>();',
        '  const ws = [new Process({ target: worker, args: [q] }), new Process({ target: worker, args: [q] })];',
        '  for (const w of ws) w.start();',
        "  for (const item of ['a', 'b'].map((s) => s.toUpperCase())) await q.put(item);",
        '  await q.put(null);',
        '  for (const w of ws) await w.join();',
        '}',
        '',
      ].join('\n'));
      const r = cli(['check', 'main.ts'], dir);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /2 consumers wait for a null sentinel on q, but only 1 can be put.*\[missing-sentinel\]/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 0 on the good example alone', () => {
    const r = cli(['check', path.relative(ROOT, GOOD_EXAMPLE)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No problems found/);
  });

  it('prints the model with --format json', () => {
    const r = cli(['check', 'examples/', '--format', 'json']);
    assert.equal(r.code, 1);
    const model = JSON.parse(r.stdout) as TopologyModel;
    assert.ok(isTopologyModel(model));
    assert.deepEqual(model.findings.filter((f) => f.severity === 'error').map((f) => f.rule).sort(), ['deadlock', 'missing-sentinel']);
    assert.ok(model.nodes.filter((n) => n.kind === 'queue').length >= 2);
  });

  it('prints SARIF 2.1.0 with --format sarif', () => {
    const r = cli(['check', 'examples/', '--format', 'sarif']);
    assert.equal(r.code, 1);
    const log = JSON.parse(r.stdout) as { version: string; runs: { results: { ruleId: string; locations: unknown[] }[] }[] };
    assert.equal(log.version, '2.1.0');
    const ids = log.runs[0]!.results.map((x) => x.ruleId);
    assert.ok(ids.includes('missing-sentinel'), ids.join(', '));
  });

  it('turns a rule off with --rule id=off, and exits 0', () => {
    const r = cli(['check', 'examples/', '--rule', 'missing-sentinel=off', '--rule', 'deadlock=off']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  for (const [args, reason] of [
    [['check', 'no/such/dir'], /no such file or folder: no\/such\/dir/],
    [['check', 'examples/', '--format', 'yaml'], /unknown --format 'yaml'/],
    [['check', 'examples/', '--bogus'], /Unknown option '--bogus'/],
    [['check', 'examples/', '--rule', 'no-such-rule=off'], /unknown rule 'no-such-rule'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['graph', 'examples/'], /graph needs --format/],
  ] as const) {
    it(`exits 2 with a one-line reason: ${args.join(' ')}`, () => {
      const r = cli([...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, reason);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }

  it('exits 2 on a binary file and on a broken tsconfig', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-cli-'));
    fs.writeFileSync(path.join(dir, 'blob.ts'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
    let r = cli(['check', 'blob.ts'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /blob\.ts is not a text file/);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{ "compilerOptions": { "strict": ');
    r = cli(['check'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tsconfig\.json/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});

describe('process-topology graph', () => {
  it('writes DOT and Mermaid with every node', () => {
    const dot = cli(['graph', path.relative(ROOT, GOOD_EXAMPLE), '--format', 'dot']);
    assert.equal(dot.code, 0, dot.stderr);
    assert.match(dot.stdout, /^digraph topology \{/);
    assert.match(dot.stdout, /label="producer ×3"/);
    assert.match(dot.stdout, /label="consumer ×2"/);
    const mermaid = cli(['graph', path.relative(ROOT, GOOD_EXAMPLE), '--format', 'mermaid']);
    assert.equal(mermaid.code, 0);
    assert.match(mermaid.stdout, /^flowchart LR/);
    assert.equal((mermaid.stdout.match(/-->\|/g) ?? []).length, 7);
  });

  it('writes a self-contained html page with --out', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-graph-')), 'graph.html');
    const r = cli(['graph', 'examples/', '--format', 'html', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const html = fs.readFileSync(out, 'utf8');
    assert.match(html, /Content-Security-Policy/);
    assert.doesNotMatch(html, /<script[^>]+src=/, 'no external scripts');
    assert.match(html, /"missing-sentinel"/);
  });
});

/** An element of the tiny XML reader below. */
interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A small well-formedness check and reader for the SVG (no DOM, no browser): tags must balance, one
 * root, attribute values double-quoted without `<` and unique per tag, no stray `<` or `&` in text,
 * only the five XML entities and character references. Throws on the first problem.
 */
function parseXml(src: string): XmlElement {
  const token = /<!--[\s\S]*?-->|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*(\/?)>|([^<]+)|([\s\S])/g;
  const decode = (s: string, where: string): string => {
    const bad = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(s);
    if (bad) throw new Error(`bare & in ${where}: ${s.slice(bad.index, bad.index + 20)}`);
    return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => (
      { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]
      ?? String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)));
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (const m of src.matchAll(token)) {
    const [whole, close, name, attrText, selfClose, text, stray] = m;
    if (stray !== undefined) throw new Error(`stray ${JSON.stringify(stray)} at ${m.index}: ${src.slice(m.index, m.index + 40)}`);
    if (text !== undefined) {
      const top = stack[stack.length - 1];
      if (!top) {
        if (text.trim() !== '') throw new Error(`text outside the root: ${text.slice(0, 40)}`);
        continue;
      }
      top.text += decode(text, `<${top.name}>`);
      continue;
    }
    if (name === undefined) continue; // a comment
    if (close) {
      const open = stack.pop();
      if (!open || open.name !== name || attrText || selfClose) throw new Error(`</${name}> does not close <${open?.name}> at ${m.index}`);
      continue;
    }
    const attrs = new Map<string, string>();
    for (const a of attrText!.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
      if (attrs.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]} in ${whole}`);
      attrs.set(a[1]!, decode(a[2]!, `${name}@${a[1]}`));
    }
    const el: XmlElement = { name: name!, attrs, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw new Error('more than one root element');
    else root = el;
    if (!selfClose) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

function descendants(el: XmlElement): XmlElement[] {
  return el.children.flatMap((c) => [c, ...descendants(c)]);
}

function classList(el: XmlElement): string[] {
  return (el.attrs.get('class') ?? '').split(/\s+/).filter((c) => c.length > 0);
}

describe('process-topology graph --format svg', () => {
  // The analysis of examples/ takes a while: run each command once, for every test below.
  let svgRun: ReturnType<typeof cli> | undefined;
  let jsonRun: ReturnType<typeof cli> | undefined;
  const svgOfExamples = () => (svgRun ??= cli(['graph', 'examples/', '--format', 'svg']));
  const modelOfExamples = (): TopologyModel => {
    jsonRun ??= cli(['graph', 'examples/', '--format', 'json']);
    assert.equal(jsonRun.code, 0, jsonRun.stderr);
    return JSON.parse(jsonRun.stdout) as TopologyModel;
  };

  it('draws examples/ as a well-formed standalone SVG: one node group per node, one edge path per edge, finding marks', () => {
    const r = svgOfExamples();
    assert.equal(r.code, 0, r.stderr);
    const model = modelOfExamples();
    assert.ok(model.nodes.length >= 6 && model.edges.length >= 10 && model.findings.length >= 1);

    const svg = r.stdout;
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" '), 'no XML prolog, the svg root first');
    assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
    assert.doesNotMatch(svg, /<script|<foreignObject|href=|var\(--/, 'self-contained: no script, no links, no theme variables');
    const root = parseXml(svg);
    assert.equal(root.name, 'svg');
    const [vx, vy, vw, vh] = root.attrs.get('viewBox')!.split(' ').map(Number);
    assert.ok([vx, vy, vw, vh].every(Number.isFinite), root.attrs.get('viewBox'));
    assert.equal(root.attrs.get('width'), String(vw));
    assert.equal(root.attrs.get('height'), String(vh));
    assert.ok(vw! > 200 && vh! > 100);
    assert.equal(root.children[0]!.name, 'title');
    const all = descendants(root);

    // Nodes: one <g class="node …"> per model node, with its id, kind class and tooltip.
    const nodeGroups = all.filter((e) => e.name === 'g' && classList(e)[0] === 'node');
    assert.equal((svg.match(/<g class="node[ "]/g) ?? []).length, model.nodes.length);
    assert.deepEqual(nodeGroups.map((g) => g.attrs.get('data-id')).sort(), model.nodes.map((n) => n.id).sort());
    const byId = new Map<string, ModelNode>(model.nodes.map((n) => [n.id, n]));
    for (const g of nodeGroups) {
      const node = byId.get(g.attrs.get('data-id')!)!;
      assert.ok(classList(g).includes(`kind-${node.kind}`));
      assert.equal(g.children[0]!.name, 'title');
      assert.match(g.children[0]!.text, new RegExp(`^${node.kind} `));
      assert.match(g.attrs.get('transform')!, /^translate\(-?[\d.]+,-?[\d.]+\)$/);
      const shapes = g.children.filter((c) => classList(c).includes('shape'));
      assert.ok(shapes.length >= 1);
      // The same shapes per kind as the webview: rounded rectangles for processes, cylinders for queues.
      if (node.kind === 'process') assert.ok(shapes.every((s) => s.name === 'rect' && s.attrs.get('rx') === '8'));
      if (node.kind === 'queue') assert.equal(g.children.filter((c) => classList(c).includes('shape-detail')).length, 1);
      assert.equal(g.children.find((c) => c.name === 'text')!.text, displayLabel(node));
    }

    // Edges: one edge path per model edge, with an arrow and its kind label.
    const edgeGroups = all.filter((e) => e.name === 'g' && classList(e)[0] === 'edge');
    const edgePaths = all.filter((e) => e.name === 'path' && classList(e).includes('edge-line') && !all.some((l) => classList(l).includes('legend-item') && l.children.includes(e)));
    assert.equal(edgeGroups.length, model.edges.length);
    assert.equal(edgePaths.length, model.edges.length);
    assert.deepEqual(edgeGroups.map((g) => g.attrs.get('data-id')).sort(), model.edges.map((e) => e.id).sort());
    for (const g of edgeGroups) {
      const edge = model.edges.find((e) => e.id === g.attrs.get('data-id'))!;
      const path = g.children.filter((c) => c.name === 'path');
      assert.equal(path.length, 1);
      assert.match(path[0]!.attrs.get('d')!, /^M-?[\d.]+,-?[\d.]+[LC]/);
      const marker = /^url\(#(.+)\)$/.exec(path[0]!.attrs.get('marker-end')!)![1]!;
      assert.ok(all.some((e) => e.name === 'marker' && e.attrs.get('id') === marker), marker);
      assert.ok(g.children.find((c) => c.name === 'text')!.text.startsWith(edge.kind));
      assert.equal(g.children[0]!.name, 'title');
    }

    // Finding marks: the nodes and edges of each finding carry the strongest severity class; nothing else does.
    assert.ok(model.findings.some((f) => f.rule === 'missing-sentinel' && f.severity === 'error' && f.nodes.length + f.edges.length >= 2));
    const strongest = new Map<string, string>();
    for (const sev of ['info', 'warning', 'error'] as const) {
      for (const f of model.findings) {
        if ((f.severity === 'error' || f.severity === 'warning' ? f.severity : 'info') !== sev) continue;
        for (const id of [...f.nodes, ...f.edges]) strongest.set(id, sev);
      }
    }
    for (const sev of ['error', 'warning', 'info']) {
      const marked = [...nodeGroups, ...edgeGroups].filter((g) => classList(g).includes(`finding-${sev}`)).map((g) => g.attrs.get('data-id')).sort();
      assert.deepEqual(marked, [...strongest].filter(([, s]) => s === sev).map(([id]) => id).sort(), sev);
    }
    assert.match(svg, /\.node\.finding-error \.shape[^{]*\{[^}]*stroke:#e51400/, 'fixed error colour');

    // The legend names the kinds present.
    const legendKinds = all.filter((e) => classList(e).includes('legend-node')).flatMap(classList).filter((c) => c.startsWith('kind-')).sort();
    assert.deepEqual(legendKinds, [...new Set(model.nodes.map((n) => `kind-${n.kind}`))].sort());
    assert.match(svg, />error finding</);
  });

  it('draws several programs apart: a frame titled with each entry, a shared module once per program, the legend says whose findings', () => {
    const ws = sharedModuleWorkspace();
    try {
      const json = cli(['graph', '.', '--format', 'json'], ws.dir);
      assert.equal(json.code, 0, json.stderr);
      const model = JSON.parse(json.stdout) as TopologyModel;
      assert.deepEqual(model.programs?.map((p) => p.entry), ['forgetful.ts', 'good.ts']);
      assert.deepEqual(model.findings.map((f) => [f.rule, f.loc.file, f.programs]), [['missing-sentinel', 'lib.ts', ['forgetful.ts']]]);
      // The text says which program a finding in the shared module is in; SARIF too.
      const text = cli(['check', '.'], ws.dir);
      assert.equal(text.code, 1, text.stderr);
      assert.match(text.stdout, /^lib\.ts:\d+:\d+  error  .*ever put.* \(in forgetful\.ts\)  \[missing-sentinel\]$/m);
      const sarif = JSON.parse(cli(['check', '.', '--format', 'sarif'], ws.dir).stdout) as { runs: { results: { properties?: { programs: string[] } }[] }[] };
      assert.deepEqual(sarif.runs[0]!.results.map((r) => r.properties?.programs), [['forgetful.ts']]);
      const r = cli(['graph', '.', '--format', 'svg'], ws.dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(staticSvg(model), r.stdout, 'the CLI draws the model it prints as json');
      const all = descendants(parseXml(r.stdout));
      assert.match(all.find((e) => e.name === 'title')!.text, /^Process topology: 2 programs, /);

      // One frame per program, titled with its entry file, apart from each other.
      const programs = all.filter((e) => e.name === 'g' && classList(e).includes('program'));
      assert.deepEqual(programs.map((g) => g.attrs.get('data-program')), ['forgetful.ts', 'good.ts']);
      const frames = new Map(programs.map((g) => {
        const rect = g.children.find((c) => c.name === 'rect')!;
        const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(rect.attrs.get(k)));
        assert.equal(g.children.find((c) => c.name === 'text')!.text, g.attrs.get('data-program'));
        return [g.attrs.get('data-program')!, { x0: x!, y0: y!, x1: x! + w!, y1: y! + h! }];
      }));
      const [a, b] = [...frames.values()];
      assert.ok(a!.x1 <= b!.x0 || b!.x1 <= a!.x0 || a!.y1 <= b!.y0 || b!.y1 <= a!.y0, 'the frames overlap');

      // Every node inside its program's frame; the shared module's consumer drawn in both.
      const { clusters } = separatePrograms(model);
      const frameOf = new Map(clusters.flatMap((c) => c.nodes.map((id) => [id, frames.get(c.entry)!])));
      const nodeGroups = all.filter((e) => e.name === 'g' && classList(e)[0] === 'node');
      assert.equal(nodeGroups.length, model.nodes.length + 1);
      assert.equal(nodeGroups.filter((g) => g.children.find((c) => c.name === 'text')!.text === 'consume').length, 2);
      const at = (g: XmlElement): { x: number; y: number } => {
        const [, x, y] = /^translate\((-?[\d.]+),(-?[\d.]+)\)$/.exec(g.attrs.get('transform')!)!;
        return { x: Number(x), y: Number(y) };
      };
      const within = (p: { x: number; y: number }, f: { x0: number; y0: number; x1: number; y1: number }): boolean =>
        p.x > f.x0 && p.x < f.x1 && p.y > f.y0 && p.y < f.y1;
      for (const g of nodeGroups) assert.ok(within(at(g), frameOf.get(g.attrs.get('data-id')!)!), g.attrs.get('data-id'));
      // The finding marks forgetful.ts's consumer and queue, nothing in good.ts.
      const marked = nodeGroups.filter((g) => classList(g).includes('finding-error'));
      assert.ok(marked.length >= 1);
      for (const g of marked) assert.ok(within(at(g), frames.get('forgetful.ts')!), g.attrs.get('data-id'));
      assert.ok(nodeGroups.some((g) => g.children.find((c) => c.name === 'text')!.text === 'consume' && !classList(g).includes('finding-error')));

      // The legend says which program each finding belongs to.
      const legend = all.filter((e) => classList(e).includes('legend-program')).map((e) => e.children.map((c) => c.text).join(''));
      const line = positionOf(path.join(ws.dir, 'lib.ts'), 'q.get()').line + 1;
      assert.deepEqual(legend, [`forgetful.ts: 1 error (missing-sentinel at lib.ts:${line})`, '1 other program: no findings']);

      // The page carries the programs to the same drawing (tested in Chromium: test/webview).
      const html = cli(['graph', '.', '--format', 'html', '--out', 'graph.html'], ws.dir);
      assert.equal(html.code, 0, html.stderr);
      assert.match(fs.readFileSync(path.join(ws.dir, 'graph.html'), 'utf8'), /"programs":\[\{"entry":"forgetful.ts"/);
    } finally {
      ws.dispose();
    }
  });

  it('is deterministic: the same model gives the same bytes, and --out writes them', () => {
    const a = svgOfExamples();
    const model = modelOfExamples();
    assert.equal(staticSvg(model), a.stdout, 'the CLI draws the model it prints as json');
    assert.equal(staticSvg(structuredClone(model)), staticSvg(model));
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-svg-')), 'graph.svg');
    const r = cli(['graph', 'examples/', '--format', 'svg', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(fs.readFileSync(out, 'utf8'), a.stdout);
  });

  it('is listed in the usage and in the format error', () => {
    assert.match(cli(['--help']).stdout, /graph .*--format json\|dot\|mermaid\|html\|svg/);
    const r = cli(['graph', 'examples/', '--format', 'png']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected json\|dot\|mermaid\|html\|svg/);
  });

  it('escapes labels and messages, and draws an empty model as a message', () => {
    const loc = { file: 'a <b>.ts', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
    const model: TopologyModel = {
      version: 1, root: 'file:///x',
      nodes: [
        { id: 'proc:main', kind: 'process', role: 'main', label: 'main', loc },
        { id: 'ev&"1"', kind: 'event', label: 'done <&> "x" \u0001', loc },
        { id: 'lk', kind: 'lock', label: 'lk', loc },
      ],
      edges: [
        { id: 'e<1>', kind: 'set', from: 'proc:main', to: 'ev&"1"', locs: [loc] },
        { id: 'e2', kind: 'acquire', from: 'proc:main', to: 'lk', count: 'loop', locs: [loc] },
        { id: 'self', kind: 'release', from: 'proc:main', to: 'proc:main', locs: [] },
        { id: 'dangling', kind: 'put', from: 'proc:main', to: 'nowhere', locs: [] },
      ],
      findings: [{ rule: 'r', severity: 'warning', message: 'a & b < c', loc, related: [], nodes: ['lk'], edges: ['e2'] }],
    };
    const root = parseXml(staticSvg(model));
    const all = descendants(root);
    const ev = all.find((e) => e.attrs.get('data-id') === 'ev&"1"')!;
    assert.equal(ev.children.find((c) => c.name === 'text')!.text, 'done <&> "x" \ufffd');
    assert.ok(all.some((e) => e.attrs.get('data-id') === 'e<1>'));
    assert.equal(all.filter((e) => classList(e)[0] === 'edge').length, 3, 'the dangling edge is not drawn');
    const lk = all.find((e) => e.attrs.get('data-id') === 'lk')!;
    assert.ok(classList(lk).includes('finding-warning'));
    assert.match(lk.children[0]!.text, /warning: a & b < c \[r\]/);
    assert.equal(lk.children.find((c) => classList(c).includes('shape'))!.name, 'path', 'locks are diamonds');

    const empty = parseXml(staticSvg({ ...model, nodes: [], edges: [], findings: [] }));
    assert.equal(empty.name, 'svg');
    assert.ok(descendants(empty).some((e) => e.text === 'No processes found in this file'));
  });
});
