// Many programs on one page (the command line's graph of a folder, the panel of a module that two
// entries import): each program drawn apart, as a titled cluster. A model of several programs says
// which nodes, edges and findings are each program's (`TopologyModel.programs`); a module that two
// programs share has the same ids in both, though each program has its own objects at run time:
// `separatePrograms` gives such nodes one copy per program, so that no cluster reaches into another.
// Then the clusters are laid out one by one and packed in rows, each in a frame with its entry file
// on top. Pure (no DOM): the webview, the static SVG and the layout worker share it.
import type { Finding, ModelEdge, ModelNode, ModelProgram, Severity, TopologyModel } from '../common/model';
import { boxAround, layeredLayout, DEFAULT_LAYOUT, type Box, type LayoutOptions, type LayoutResult, type Point, type Size } from './layout';

export interface ProgramCluster {
  /** `program:<n>`, n from 1 in model order. */
  id: string;
  entry: string;
  /** A module no entry runs, analyzed on its own. */
  module: boolean;
  /** What the frame says: the entry file. */
  title: string;
  /** Ids (in the separated model) of its nodes and edges. */
  nodes: string[];
  edges: string[];
}

export interface SeparatedModel {
  /** The model with a copy per program of each node and edge that programs share. */
  model: TopologyModel;
  /** One per program, in model order; empty for a model of one program. */
  clusters: ProgramCluster[];
  /** Node id (of the separated model) -> its cluster's id. */
  clusterOf: Map<string, string>;
}

/** Space between a cluster's content and its frame. */
export const CLUSTER_PAD = 16;
/** Height of the band on top of a frame that holds its title. */
export const CLUSTER_TITLE_HEIGHT = 26;
export const CLUSTER_TITLE_PX = 13;
/** Space between two frames. */
export const CLUSTER_GAP = 40;

/** The title of a program's frame, its legend entry and its findings' tag. */
export function programTitle(p: Pick<ModelProgram, 'entry' | 'module'>): string {
  return p.module ? `${p.entry} (module, no entry runs it)` : p.entry;
}

function copyId(id: string, cluster: number): string {
  return `${id}~p${cluster}`;
}

/**
 * Gives every program its own nodes and edges: what a program shares with one before it is copied
 * (ids `<id>~p<n>`), and each finding points at the copies of the programs that report it.
 */
export function separatePrograms(model: TopologyModel): SeparatedModel {
  const programs = Array.isArray(model.programs) ? model.programs : [];
  if (programs.length < 2) return { model, clusters: [], clusterOf: new Map() };
  const nodeById = new Map<string, ModelNode>();
  for (const n of model.nodes) if (!nodeById.has(n.id)) nodeById.set(n.id, n);
  const edgeById = new Map<string, ModelEdge>();
  for (const e of model.edges) if (!edgeById.has(e.id)) edgeById.set(e.id, e);
  const nodeOrder = new Map([...nodeById.keys()].map((id, i) => [id, i]));
  const edgeOrder = new Map([...edgeById.keys()].map((id, i) => [id, i]));

  const nodes: ModelNode[] = [];
  const edges: ModelEdge[] = [];
  const clusters: ProgramCluster[] = [];
  const clusterOf = new Map<string, string>();
  const nodeOwned = new Set<string>();
  const edgeOwned = new Set<string>();
  /** Per program: model id -> the id it has in that program. */
  const idIn: Map<string, string>[] = [];
  const edgeIn: Map<string, string>[] = [];
  programs.forEach((p, i) => {
    const n = i + 1;
    const cluster: ProgramCluster = {
      id: `program:${n}`, entry: p.entry, module: p.module === true, title: programTitle(p), nodes: [], edges: [],
    };
    const ids = new Map<string, string>();
    const mine = [...new Set(p.nodes)].filter((id) => nodeById.has(id)).sort((a, b) => nodeOrder.get(a)! - nodeOrder.get(b)!);
    for (const id of mine) {
      const own = nodeOwned.has(id) ? copyId(id, n) : id;
      nodeOwned.add(id);
      ids.set(id, own);
      nodes.push(own === id ? nodeById.get(id)! : { ...nodeById.get(id)!, id: own });
      cluster.nodes.push(own);
      clusterOf.set(own, cluster.id);
    }
    const eids = new Map<string, string>();
    const mineEdges = [...new Set(p.edges)].filter((id) => edgeById.has(id)).sort((a, b) => edgeOrder.get(a)! - edgeOrder.get(b)!);
    for (const id of mineEdges) {
      const e = edgeById.get(id)!;
      const own = edgeOwned.has(id) ? copyId(id, n) : id;
      edgeOwned.add(id);
      eids.set(id, own);
      const from = ids.get(e.from) ?? e.from;
      const to = ids.get(e.to) ?? e.to;
      edges.push(own === id && from === e.from && to === e.to ? e : { ...e, id: own, from, to });
      cluster.edges.push(own);
    }
    idIn.push(ids);
    edgeIn.push(eids);
    clusters.push(cluster);
  });
  // What no program lists (not made by the analysis, but a model may come from a file) stays as is.
  for (const n of nodeById.values()) if (!nodeOwned.has(n.id)) nodes.push(n);
  for (const e of edgeById.values()) if (!edgeOwned.has(e.id)) edges.push(e);

  const indexOf = new Map(programs.map((p, i) => [p.entry, i]));
  const findings = model.findings.map((f): Finding => {
    const listed = (Array.isArray(f.programs) ? f.programs : []).map((e) => indexOf.get(e)).filter((i): i is number => i !== undefined);
    if (listed.length === 0) return f;
    const remap = (ids: readonly string[] | undefined, maps: Map<string, string>[]): string[] => {
      const out: string[] = [];
      for (const id of Array.isArray(ids) ? ids : []) {
        const mapped = listed.map((i) => maps[i]!.get(id)).filter((x): x is string => x !== undefined);
        for (const m of mapped.length > 0 ? mapped : [id]) if (!out.includes(m)) out.push(m);
      }
      return out;
    };
    const out: Finding = { ...f, nodes: remap(f.nodes, idIn), edges: remap(f.edges, edgeIn) };
    if (Array.isArray(f.trace)) {
      // A trace is one program's run: its steps name that program's processes.
      const first = listed[0]!;
      out.trace = f.trace.map((s) => ({ ...s, process: idIn[first]!.get(s.process) ?? s.process }));
    }
    return out;
  });
  const separated: TopologyModel = {
    ...model, nodes, edges, findings,
    programs: clusters.map((c, i) => ({ entry: c.entry, ...(programs[i]!.module ? { module: true } : {}), nodes: c.nodes, edges: c.edges })),
  };
  return { model: separated, clusters, clusterOf };
}

/** What a program's findings amount to: "1 error, 2 warnings", "no findings". */
export function programFindingSummary(model: Pick<TopologyModel, 'findings'>, entry: string): string {
  const count = new Map<Severity, number>();
  for (const f of model.findings) if (Array.isArray(f.programs) && f.programs.includes(entry)) count.set(f.severity, (count.get(f.severity) ?? 0) + 1);
  const parts: string[] = [];
  for (const [sev, one, many] of [['error', 'error', 'errors'], ['warning', 'warning', 'warnings'], ['info', 'info', 'infos'], ['hint', 'hint', 'hints']] as const) {
    const n = count.get(sev) ?? 0;
    if (n > 0) parts.push(`${n} ${n === 1 ? one : many}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

/** Which programs a finding belongs to, in words: "in a.ts", "in a.ts and b.ts"; empty when the model has one program. */
export function findingPrograms(model: Pick<TopologyModel, 'programs'>, f: Pick<Finding, 'programs'>): string {
  const programs = Array.isArray(model.programs) ? model.programs : [];
  if (programs.length < 2 || !Array.isArray(f.programs) || f.programs.length === 0) return '';
  const titles = f.programs.map((e) => programTitle(programs.find((p) => p.entry === e) ?? { entry: e }));
  return `in ${titles.length === 1 ? titles[0] : `${titles.slice(0, -1).join(', ')} and ${titles[titles.length - 1]}`}`;
}

/** The box around some nodes (centres and sizes) and the bend points of edges between them. */
export function contentBox(
  ids: Iterable<string>,
  positions: ReadonlyMap<string, Point>,
  sizeOf: (id: string) => Size,
  waypoints: Iterable<readonly Point[]> = [],
): Box | undefined {
  const box: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  const add = (b: Box): void => {
    box.x0 = Math.min(box.x0, b.x0); box.y0 = Math.min(box.y0, b.y0);
    box.x1 = Math.max(box.x1, b.x1); box.y1 = Math.max(box.y1, b.y1);
  };
  let any = false;
  for (const id of ids) {
    const p = positions.get(id);
    if (!p) continue;
    any = true;
    add(boxAround(p, sizeOf(id)));
  }
  if (!any) return undefined;
  for (const pts of waypoints) for (const p of pts) add(boxAround(p, { width: 0, height: 0 }, 12));
  return box;
}

/** A cluster's frame around its content: padded, with the title band on top, as wide as the title at least. */
export function clusterFrame(content: Box, titleWidth: number): Box {
  const x0 = content.x0 - CLUSTER_PAD;
  return {
    x0, y0: content.y0 - CLUSTER_PAD - CLUSTER_TITLE_HEIGHT,
    x1: Math.max(content.x1 + CLUSTER_PAD, x0 + titleWidth + 2 * CLUSTER_PAD), y1: content.y1 + CLUSTER_PAD,
  };
}

/** Where a frame's title sits: its left end, on the middle of the band. */
export function titleAnchor(frame: Box): Point {
  return { x: frame.x0 + CLUSTER_PAD * 0.75, y: frame.y0 + CLUSTER_TITLE_HEIGHT / 2 + 4 };
}

/**
 * Places frames in rows, in order, left to right, wrapping so that the whole is about as wide as
 * 1.6 times its height (a screen): how far each frame moves.
 */
export function packFrames(frames: readonly { id: string; box: Box }[], gap = CLUSTER_GAP): Map<string, Point> {
  const out = new Map<string, Point>();
  if (frames.length === 0) return out;
  const w = (b: Box): number => b.x1 - b.x0;
  const h = (b: Box): number => b.y1 - b.y0;
  const area = frames.reduce((s, f) => s + (w(f.box) + gap) * (h(f.box) + gap), 0);
  const rowWidth = Math.max(...frames.map((f) => w(f.box)), Math.sqrt(area * 1.6));
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const f of frames) {
    if (x > 0 && x + w(f.box) > rowWidth) { x = 0; y += rowHeight + gap; rowHeight = 0; }
    out.set(f.id, { x: x - f.box.x0, y: y - f.box.y0 });
    x += w(f.box) + gap;
    rowHeight = Math.max(rowHeight, h(f.box));
  }
  return out;
}

const LAYERS_PER_CLUSTER = 100_000;

export interface ClusteredLayout extends LayoutResult {
  /** Each cluster's frame, in graph coordinates. */
  frames: Map<string, Box>;
}

/**
 * The layered layout of each cluster on its own, the clusters packed in rows (`packFrames`). Nodes
 * of no cluster form one more group, without a frame. Edges between clusters get no bend points.
 */
export function clusteredLayout(
  model: TopologyModel,
  sizes: ReadonlyMap<string, Size>,
  clusterOf: ReadonlyMap<string, string>,
  titleWidths: ReadonlyMap<string, number>,
  options: LayoutOptions = DEFAULT_LAYOUT,
): ClusteredLayout {
  const groups = new Map<string, ModelNode[]>();
  for (const n of model.nodes) {
    const key = clusterOf.get(n.id) ?? '';
    const list = groups.get(key) ?? [];
    list.push(n);
    groups.set(key, list);
  }
  const sizeOf = (id: string): Size => sizes.get(id) ?? { width: 80, height: 36 };
  const parts: { id: string; layout: LayoutResult; box: Box; framed: boolean }[] = [];
  for (const [key, nodes] of groups) {
    const ids = new Set(nodes.map((n) => n.id));
    const edges = model.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
    const layout = layeredLayout({ ...model, nodes, edges }, sizes, options);
    const content = contentBox(ids, layout.nodes, sizeOf, layout.waypoints.values())!;
    const framed = key !== '';
    parts.push({ id: key, layout, box: framed ? clusterFrame(content, titleWidths.get(key) ?? 0) : content, framed });
  }
  const shifts = packFrames(parts.map((p) => ({ id: p.id, box: p.box })));
  const result: ClusteredLayout = { nodes: new Map(), waypoints: new Map(), layers: new Map(), frames: new Map() };
  parts.forEach((p, i) => {
    const d = shifts.get(p.id)!;
    const move = (q: Point): Point => ({ x: Math.round(q.x + d.x), y: Math.round(q.y + d.y) });
    for (const [id, q] of p.layout.nodes) result.nodes.set(id, move(q));
    for (const [id, pts] of p.layout.waypoints) result.waypoints.set(id, pts.map(move));
    // Each cluster's columns are its own (mergePositions places a new node in its column).
    for (const [id, l] of p.layout.layers) result.layers.set(id, i * LAYERS_PER_CLUSTER + l);
    if (p.framed) result.frames.set(p.id, { x0: p.box.x0 + d.x, y0: p.box.y0 + d.y, x1: p.box.x1 + d.x, y1: p.box.y1 + d.y });
  });
  return result;
}

/** Each cluster's frame around where its nodes are now (after a layout, during an animation). */
export function clusterFrames(
  clusters: readonly Pick<ProgramCluster, 'id'>[],
  members: ReadonlyMap<string, readonly string[]>,
  positions: ReadonlyMap<string, Point>,
  sizeOf: (id: string) => Size,
  waypointsOf: (ids: ReadonlySet<string>) => Iterable<readonly Point[]>,
  titleWidth: (id: string) => number,
): Map<string, Box> {
  const frames = new Map<string, Box>();
  for (const c of clusters) {
    const ids = new Set(members.get(c.id) ?? []);
    const content = contentBox(ids, positions, sizeOf, waypointsOf(ids));
    if (content) frames.set(c.id, clusterFrame(content, titleWidth(c.id)));
  }
  return frames;
}
