// Many programs on one page (drawing/programs.ts), on real analyses: the model says which nodes,
// edges and findings are each program's; a module two programs share is drawn once per program;
// the clusters, laid out by the layered layout and by elkjs, never overlap and hold their nodes.
// Ground truth: the program the finding is attributed to is the one that hangs under the shim.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { TopologyModel } from '../../common/model';
import { analyzeFiles } from '../../server/src/analysis/analyze';
import { runLayout, type LayoutRequest } from '../../drawing/elk-layout';
import type { Box, Point, Size } from '../../drawing/layout';
import { nodeDrawing, estimateTextWidth, LABEL_FONT_PX, displayLabel } from '../../drawing/shapes';
import {
  CLUSTER_TITLE_PX, clusteredLayout, clusterFrames, findingPrograms, programFindingSummary, separatePrograms,
} from '../../drawing/programs';
import { SHARED_CONSUMER, sharedModuleWorkspace } from '../helpers/many-programs';
import { runProgram } from '../helpers/run-program';
import { GROUND_TRUTH_ENV } from '../helpers/rule-tester';
import { EXAMPLES, GOOD_EXAMPLE, ROOT } from '../helpers/paths';
import type { Workspace } from '../helpers/workspace';
import * as fs from 'node:fs';

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

function inside(inner: Box, outer: Box): boolean {
  return inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x1 <= outer.x1 && inner.y1 <= outer.y1;
}

const sizesOf = (model: TopologyModel): Map<string, Size> =>
  new Map(model.nodes.map((n) => [n.id, nodeDrawing(n, estimateTextWidth(displayLabel(n), LABEL_FONT_PX)).geom.box]));

/** Frames of the clusters at these positions; asserts they are apart and hold their nodes. */
function checkClusters(model: TopologyModel, positions: ReadonlyMap<string, Point>, waypoints: ReadonlyMap<string, Point[]>): Map<string, Box> {
  const sep = separatePrograms(model);
  const sizes = sizesOf(sep.model);
  const frames = clusterFrames(sep.clusters, new Map(sep.clusters.map((c) => [c.id, c.nodes])), positions,
    (id) => sizes.get(id)!, (ids) => sep.model.edges.filter((e) => ids.has(e.from) && ids.has(e.to)).map((e) => waypoints.get(e.id) ?? []),
    (id) => estimateTextWidth(sep.clusters.find((c) => c.id === id)!.title, CLUSTER_TITLE_PX));
  assert.equal(frames.size, sep.clusters.length);
  const list = [...frames];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) assert.ok(!overlaps(list[i]![1], list[j]![1]), `${list[i]![0]} and ${list[j]![0]} overlap`);
  }
  for (const c of sep.clusters) {
    for (const id of c.nodes) {
      const p = positions.get(id)!;
      const s = sizes.get(id)!;
      assert.ok(inside({ x0: p.x - s.width / 2, y0: p.y - s.height / 2, x1: p.x + s.width / 2, y1: p.y + s.height / 2 }, frames.get(c.id)!), `${id} outside ${c.title}`);
    }
    // No edge leaves its program.
    for (const id of c.edges) {
      const e = sep.model.edges.find((x) => x.id === id)!;
      assert.equal(sep.clusterOf.get(e.from), c.id, id);
      assert.equal(sep.clusterOf.get(e.to), c.id, id);
    }
  }
  return frames;
}

describe('many programs on one page', () => {
  let ws: Workspace;
  let shared: TopologyModel;
  let examples: TopologyModel;
  before(() => {
    ws = sharedModuleWorkspace();
    shared = analyzeFiles(ws.files, { rootDir: ws.dir });
    const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')).map((f) => path.join(EXAMPLES, f));
    examples = analyzeFiles(files, { rootDir: EXAMPLES });
  });
  after(() => ws.dispose());

  it('the model says which program each node, edge and finding belongs to', () => {
    assert.deepEqual(shared.programs?.map((p) => p.entry), ['forgetful.ts', 'good.ts']);
    for (const p of shared.programs!) {
      assert.ok(p.nodes.includes(SHARED_CONSUMER), `${p.entry} runs the shared consumer`);
      assert.ok(p.nodes.includes(`proc:main@${p.entry}`));
      for (const id of p.edges) assert.ok(shared.edges.some((e) => e.id === id));
    }
    // Merged, the shared consumer is one node (the same code) that reads both programs' queues.
    assert.equal(shared.nodes.filter((n) => n.id === SHARED_CONSUMER).length, 1);
    const [finding, ...rest] = shared.findings;
    assert.deepEqual(rest, []);
    assert.equal(finding!.rule, 'missing-sentinel');
    assert.equal(finding!.loc.file, 'lib.ts');
    assert.deepEqual(finding!.programs, ['forgetful.ts']);
    assert.equal(findingPrograms(shared, finding!), 'in forgetful.ts');
    assert.equal(programFindingSummary(shared, 'forgetful.ts'), '1 error');
    assert.equal(programFindingSummary(shared, 'good.ts'), 'no findings');
    // One program: the model is as before, without programs.
    const one = analyzeFiles([GOOD_EXAMPLE], { rootDir: EXAMPLES });
    assert.equal(one.programs, undefined);
    assert.ok(one.findings.every((f) => f.programs === undefined));
    // Every example is a program of its own (package.json and tsconfig.json are not).
    assert.equal(examples.programs?.length, fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts')).length);
  });

  it('ground truth: the program the finding names hangs under the shim, the other completes', { timeout: 60_000 }, async () => {
    const [forgetful, good] = await Promise.all([
      // From the repository, where `--import tsx` resolves; the programs import the shim from their folder.
      runProgram(path.join(ws.dir, 'forgetful.ts'), { hangAfterMs: 7000, cwd: ROOT, env: GROUND_TRUTH_ENV }),
      runProgram(path.join(ws.dir, 'good.ts'), { hangAfterMs: 20_000, cwd: ROOT, env: GROUND_TRUTH_ENV }),
    ]);
    assert.equal(forgetful.outcome, 'hung', forgetful.stderr);
    assert.equal(good.outcome, 'exited', good.stderr);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /^a$/m);
  });

  it('a shared module is drawn once per program; the finding marks only its program\'s copy', () => {
    const { model, clusters, clusterOf } = separatePrograms(shared);
    assert.deepEqual(clusters.map((c) => c.title), ['forgetful.ts', 'good.ts']);
    const consumers = model.nodes.filter((n) => n.label === 'consume');
    assert.equal(consumers.length, 2);
    assert.deepEqual(consumers.map((n) => clusterOf.get(n.id)), ['program:1', 'program:2']);
    // Each copy reads its own program's queue.
    for (const c of consumers) {
      const gets = model.edges.filter((e) => e.kind === 'get' && e.to === c.id);
      assert.equal(gets.length, 1);
      assert.equal(clusterOf.get(gets[0]!.from), clusterOf.get(c.id));
    }
    const f = model.findings[0]!;
    assert.ok(f.nodes.length > 0);
    for (const id of f.nodes) assert.equal(clusterOf.get(id), 'program:1', id);
    for (const id of f.edges) assert.ok(clusters[0]!.edges.includes(id), id);
    // Separating twice changes nothing more.
    assert.deepEqual(separatePrograms(model).model, model);
  });

  it('the layered layout keeps the programs apart, each node in its own frame', () => {
    for (const model of [shared, examples]) {
      const sep = separatePrograms(model);
      const titles = new Map(sep.clusters.map((c) => [c.id, estimateTextWidth(c.title, CLUSTER_TITLE_PX)]));
      const layout = clusteredLayout(sep.model, sizesOf(sep.model), sep.clusterOf, titles);
      const frames = checkClusters(model, layout.nodes, layout.waypoints);
      // The frames the layout made room for are the frames drawn around the nodes (positions are
      // rounded to whole pixels after packing).
      for (const [id, f] of layout.frames) {
        const g = frames.get(id)!;
        for (const k of ['x0', 'y0', 'x1', 'y1'] as const) assert.ok(Math.abs(g[k] - f[k]) <= 1, `${id} ${k}: ${g[k]} vs ${f[k]}`);
      }
    }
  });

  it('elkjs, program by program: the same guarantees', { timeout: 120_000 }, async () => {
    const elk = new ELK();
    for (const model of [shared, examples]) {
      const sep = separatePrograms(model);
      const sizes = sizesOf(sep.model);
      const req: LayoutRequest = {
        groups: sep.clusters.map((c) => ({ id: c.id, titleWidth: Math.ceil(estimateTextWidth(c.title, CLUSTER_TITLE_PX)) })),
        nodes: sep.model.nodes.map((n) => ({ id: n.id, ...sizes.get(n.id)!, group: sep.clusterOf.get(n.id)! })),
        edges: sep.model.edges.map((e) => ({ id: e.id, from: e.from, to: e.to })),
      };
      const res = await runLayout(req, (g) => elk.layout(g), () => performance.now());
      assert.equal(res.nodes.length, sep.model.nodes.length);
      checkClusters(model, new Map(res.nodes), new Map(res.waypoints));
    }
  });
});
