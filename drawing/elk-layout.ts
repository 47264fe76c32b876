// The elkjs `layered` layout of the view graph: the request the page sends to the layout worker,
// the ELK graph made from it, and the result read back as node centres and edge bend points.
// Pure (no DOM, no elkjs import), so it runs in the worker and in the tests alike.
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { Point } from './layout';

export interface LayoutRequestNode {
  id: string;
  width: number;
  height: number;
  /** The main process goes in the first layer. */
  first?: boolean;
}

export interface LayoutRequestEdge {
  id: string;
  from: string;
  to: string;
  /** Laid out from `to` to `from` (life-cycle edges follow the spawn between the same two nodes). */
  reversed?: boolean;
  /** The width of the edge's label: the space between layers leaves room for the labels. */
  labelWidth?: number;
}

export interface LayoutRequest {
  nodes: LayoutRequestNode[];
  edges: LayoutRequestEdge[];
}

export interface LayoutResponse {
  /** Node centres. */
  nodes: [string, Point][];
  /** Bend points of each edge between its two ends, ordered from `from` to `to`. */
  waypoints: [string, Point[]][];
  /** Centres of edge labels, where ELK placed them. */
  labels: [string, Point][];
  /** Milliseconds elkjs took. */
  ms: number;
}

/** Messages between the page and the layout worker. */
export type ToWorker = { id: number; request: LayoutRequest };
export type FromWorker = { id: number; response: LayoutResponse } | { id: number; error: string };

/**
 * Large graphs trade some crossing reduction for speed. Edge labels are drawn on the edges (not
 * placed by ELK, whose label dummies would add a layer per label): the layers are spread apart
 * by about the widest label instead.
 */
export function layoutOptions(nodeCount: number, labelWidth = 40): Record<string, string> {
  // Measured (bench/graph): network-simplex node placement and model-order constraints cost the
  // most; Brandes-Köpf placement with a low thoroughness keeps 1,000 nodes within seconds.
  const big = nodeCount > 200;
  const huge = nodeCount > 1500;
  return {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.edgeRouting': 'POLYLINE',
    'elk.layered.spacing.nodeNodeBetweenLayers': String(Math.round(Math.max(56, Math.min(120, labelWidth + 28)))),
    'elk.layered.spacing.edgeNodeBetweenLayers': '16',
    'elk.spacing.nodeNode': '26',
    'elk.spacing.edgeNode': '14',
    'elk.spacing.edgeEdge': '10',
    'elk.spacing.componentComponent': '48',
    'elk.separateConnectedComponents': 'true',
    'elk.aspectRatio': '1.6',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    'elk.layered.thoroughness': big ? '1' : '7',
    'elk.layered.crossingMinimization.greedySwitch.type': big ? 'OFF' : 'TWO_SIDED',
    ...(huge ? { 'elk.layered.layering.strategy': 'LONGEST_PATH' } : {}),
    'elk.randomSeed': '1',
  };
}

export function toElkGraph(req: LayoutRequest): ElkNode {
  const ids = new Set(req.nodes.map((n) => n.id));
  const edges: ElkExtendedEdge[] = [];
  for (const e of req.edges) {
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to) continue;
    const [s, t] = e.reversed ? [e.to, e.from] : [e.from, e.to];
    edges.push({ id: e.id, sources: [s], targets: [t] });
  }
  // The widest label but a few outliers.
  const widths = req.edges.map((e) => e.labelWidth ?? 0).sort((a, b) => a - b);
  const labelWidth = widths.length === 0 ? 0 : widths[Math.floor(widths.length * 0.9)]!;
  return {
    id: 'root',
    layoutOptions: layoutOptions(req.nodes.length, labelWidth),
    children: req.nodes.map((n) => ({
      id: n.id, width: n.width, height: n.height,
      ...(n.first ? { layoutOptions: { 'elk.layered.layering.layerConstraint': 'FIRST' } } : {}),
    })),
    edges,
  };
}

const r1 = (v: number): number => Math.round(v * 10) / 10;

/** Reads the laid-out ELK graph back: centres, bend points in the edge's own direction, labels. */
export function fromElkGraph(graph: ElkNode, req: LayoutRequest, ms: number): LayoutResponse {
  const nodes: [string, Point][] = (graph.children ?? []).map((c) => [c.id, { x: r1((c.x ?? 0) + (c.width ?? 0) / 2), y: r1((c.y ?? 0) + (c.height ?? 0) / 2) }]);
  const reversed = new Set(req.edges.filter((e) => e.reversed).map((e) => e.id));
  const waypoints: [string, Point[]][] = [];
  const labels: [string, Point][] = [];
  for (const e of (graph.edges ?? []) as ElkExtendedEdge[]) {
    const section = e.sections?.[0];
    const bends = (section?.bendPoints ?? []).map((p) => ({ x: r1(p.x), y: r1(p.y) }));
    waypoints.push([e.id, reversed.has(e.id) ? bends.reverse() : bends]);
  }
  return { nodes, waypoints, labels, ms: Math.round(ms) };
}
