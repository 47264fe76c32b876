// `process-topology graph --format svg`: the drawing of graph.ts as one self-contained SVG string,
// for READMEs, CI artifacts and tools that cannot run the webview. Same layout (layeredLayout), same
// shapes per kind, routes, labels, finding marks and tooltips (drawing.ts); fixed light-theme colours,
// since a standalone file has no VS Code theme; label widths are estimated from their length, since
// there is no DOM to measure them. Pure and deterministic: the same model gives the same bytes.
import { displayLabel, EDGE_KINDS, NODE_KINDS, type EdgeKind, type ModelNode, type NodeKind, type TopologyModel } from '../common/model';
import {
  ARROW_MARKER,
  CATEGORIES,
  EDGE_FONT_PX,
  EMPTY_MESSAGE,
  LABEL_FONT_PX,
  MARKS,
  category,
  drawingBounds,
  edgeClasses,
  edgeLabel,
  edgeRoute,
  edgeSpread,
  edgeTitle,
  estimateTextWidth,
  findingMarks,
  nodeClasses,
  nodeDrawing,
  nodeTitle,
  polylinePoint,
  round,
  routePath,
  uniqueById,
  type Category,
  type Mark,
  type NodeGeom,
  type ShapePart,
} from './shapes';
import { layeredLayout, type Box, type Size } from './layout';

/** The light theme of graph.css (its fallback colours), fixed. */
const COLOURS = {
  bg: '#ffffff',
  fg: '#1f1f1f',
  muted: '#616161',
  border: '#d4d4d4',
  process: '#1a85ff',
  queue: '#d18616',
  lock: '#8f4fd1',
  other: '#388a34',
  error: '#e51400',
  warning: '#bf8803',
  info: '#1a85ff',
} as const;

const FONT = 'system-ui, -apple-system, "Segoe UI", Ubuntu, "DejaVu Sans", sans-serif';
const PAD = 24;
const LEGEND_GAP = 20;
const LEGEND_ROW = 28;
const LEGEND_SCALE = 0.6;
const LEGEND_FONT_PX = 11;

const CATEGORY_NAMES: Record<Category, string> = { data: 'data', control: 'life cycle', sync: 'sync' };

/** A node kind's colour, as graph.css assigns them. */
function kindColour(kind: NodeKind): string {
  switch (kind) {
    case 'process': case 'pool': case 'manager': return COLOURS.process;
    case 'queue': case 'pipe': return COLOURS.queue;
    case 'lock': case 'semaphore': case 'condition': case 'barrier': case 'event': return COLOURS.lock;
    default: return COLOURS.other;
  }
}

const CATEGORY_COLOURS: Record<Category, string> = { data: COLOURS.fg, control: COLOURS.muted, sync: COLOURS.lock };

export interface StaticSvgOptions {
  /** The document's `<title>`; by default a summary of the model. */
  title?: string;
}

/** The whole graph of `model` as a standalone SVG document (no XML prolog), ending with a newline. */
export function staticSvg(model: TopologyModel, options: StaticSvgOptions = {}): string {
  const nodes = uniqueById(model.nodes);
  const nodeIds = new Set(nodes.map((n) => n.id));
  const edges = uniqueById(model.edges).filter((e) => nodeIds.has(e.from) && nodeIds.has(e.to));
  const marks = findingMarks(model);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const title = options.title ?? summary(model, nodes.length, edges.length);

  if (nodes.length === 0) {
    const width = Math.ceil(estimateTextWidth(EMPTY_MESSAGE, LABEL_FONT_PX)) + 2 * PAD;
    const height = 2 * PAD + LABEL_FONT_PX;
    return [
      svgOpen(0, 0, width, height, title),
      `<style>${stylesheet([], [], [])}</style>`,
      `<rect class="pt-background" x="0" y="0" width="${width}" height="${height}"/>`,
      `<text class="pt-empty" x="${PAD}" y="${PAD + LABEL_FONT_PX / 2}" dy="0.35em">${escapeXml(EMPTY_MESSAGE)}</text>`,
      '</svg>',
    ].join('\n') + '\n';
  }

  // Node shapes first: their sizes feed the layout.
  const drawings = new Map(nodes.map((n) => {
    const label = displayLabel(n);
    return [n.id, { text: label, ...nodeDrawing(n, estimateTextWidth(label, LABEL_FONT_PX)) }];
  }));
  const geoms = new Map<string, NodeGeom>([...drawings].map(([id, d]) => [id, d.geom]));
  const sizes = new Map<string, Size>([...drawings].map(([id, d]) => [id, d.geom.box]));
  const layout = layeredLayout({ ...model, nodes, edges }, sizes);
  const positions = layout.nodes;
  const { offsetOf, labelAt } = edgeSpread(edges);

  const box: Box = drawingBounds(positions, geoms, layout.waypoints)!;
  const grow = (b: Box): void => {
    box.x0 = Math.min(box.x0, b.x0); box.y0 = Math.min(box.y0, b.y0);
    box.x1 = Math.max(box.x1, b.x1); box.y1 = Math.max(box.y1, b.y1);
  };

  const usedArrows = new Set<string>();
  const edgeLines = edges.map((e) => {
    const mark = marks.edges.get(e.id);
    const route = edgeRoute(e, offsetOf.get(e.id) ?? 0, positions, geoms, layout.waypoints);
    for (const p of route) grow({ x0: p.x - 6, y0: p.y - 6, x1: p.x + 6, y1: p.y + 6 });
    const arrow = mark?.severity ?? category(e.kind);
    usedArrows.add(arrow);
    const mid = polylinePoint(route, labelAt.get(e.id) ?? 0.5);
    const label = edgeLabel(e);
    const w = estimateTextWidth(label, EDGE_FONT_PX) + 6;
    const bg = { x: round(mid.x - w / 2), y: round(mid.y - EDGE_FONT_PX / 2 - 2), width: round(w), height: EDGE_FONT_PX + 4 };
    grow({ x0: bg.x, y0: bg.y, x1: bg.x + bg.width, y1: bg.y + bg.height });
    return `<g class="${edgeClasses(e, mark)}" data-id="${escapeXml(e.id)}">`
      + `<title>${escapeXml(edgeTitle(e, byId, mark))}</title>`
      + `<path class="edge-line" d="${tidyPath(routePath(route))}" marker-end="url(#pt-arrow-${arrow})"/>`
      + `<rect class="edge-label-bg" rx="3" x="${num(bg.x)}" y="${num(bg.y)}" width="${num(bg.width)}" height="${num(bg.height)}"/>`
      + `<text class="edge-label" text-anchor="middle" dy="0.35em" x="${num(mid.x)}" y="${num(mid.y)}">${escapeXml(label)}</text>`
      + '</g>';
  });

  const nodeGroups = nodes.map((n) => {
    const d = drawings.get(n.id)!;
    const p = positions.get(n.id)!;
    const mark = marks.nodes.get(n.id);
    // Labels under small shapes may be wider than the layout box estimate; keep them inside.
    grow({ x0: p.x - d.geom.box.width / 2, y0: p.y - d.geom.box.height / 2, x1: p.x + d.geom.box.width / 2, y1: p.y + d.geom.box.height / 2 });
    const at = [d.label.x !== undefined ? ` x="${num(d.label.x)}"` : '', d.label.y !== undefined ? ` y="${num(d.label.y)}"` : ''].join('');
    return `<g class="${nodeClasses(n, mark)}" data-id="${escapeXml(n.id)}" transform="translate(${num(p.x)},${num(p.y)})">`
      + `<title>${escapeXml(nodeTitle(n, mark))}</title>`
      + d.parts.map(partXml).join('')
      + `<text class="node-label" text-anchor="middle" dy="0.35em"${at}>${escapeXml(d.text)}</text>`
      + '</g>';
  });

  // The legend, under the graph: the node kinds, edge categories and finding marks present.
  const graphWidth = box.x1 - box.x0;
  const legend = buildLegend(nodes, edges.map((e) => e.kind), marks, Math.max(graphWidth, 420));
  for (const a of legend.arrows) usedArrows.add(a);
  const x0 = Math.floor(box.x0 - PAD);
  const y0 = Math.floor(box.y0 - PAD);
  const legendY = box.y1 + LEGEND_GAP;
  const width = Math.ceil(Math.max(box.x1, box.x0 + legend.width) + PAD) - x0;
  const height = Math.ceil(legendY + legend.height + PAD) - y0;

  const kinds = NODE_KINDS.filter((k) => nodes.some((n) => n.kind === k));
  const markList = MARKS.filter((m) => [...marks.nodes.values(), ...marks.edges.values()].some((v) => v.severity === m));
  const arrows = [...CATEGORIES, ...MARKS].filter((a) => usedArrows.has(a));
  return [
    svgOpen(x0, y0, width, height, title),
    `<style>${stylesheet(kinds, markList, arrows)}</style>`,
    '<defs>',
    ...arrows.map((a) => `<marker id="pt-arrow-${a}" class="pt-arrow arrow-${a}" ${attrsXml(ARROW_MARKER.attrs)}><path d="${ARROW_MARKER.d}"/></marker>`),
    '</defs>',
    `<rect class="pt-background" x="${x0}" y="${y0}" width="${width}" height="${height}"/>`,
    '<g class="edges">',
    ...edgeLines,
    '</g>',
    '<g class="nodes">',
    ...nodeGroups,
    '</g>',
    `<g class="legend" transform="translate(${num(box.x0)},${num(legendY)})">`,
    `<path class="legend-rule" d="M0,-${LEGEND_GAP / 2}H${num(Math.max(graphWidth, legend.width))}"/>`,
    ...legend.items,
    '</g>',
    '</svg>',
  ].join('\n') + '\n';
}

function svgOpen(x0: number, y0: number, width: number, height: number, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="pt-svg" width="${width}" height="${height}" viewBox="${x0} ${y0} ${width} ${height}" role="img" aria-label="${escapeXml(title)}">\n<title>${escapeXml(title)}</title>`;
}

function summary(model: TopologyModel, nodes: number, edges: number): string {
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const parts = [count(nodes, 'node', 'nodes'), count(edges, 'edge', 'edges')];
  const errors = model.findings.filter((f) => f.severity === 'error').length;
  const warnings = model.findings.filter((f) => f.severity === 'warning').length;
  if (errors > 0) parts.push(count(errors, 'error', 'errors'));
  if (warnings > 0) parts.push(count(warnings, 'warning', 'warnings'));
  return `Process topology: ${parts.join(', ')}`;
}

interface Legend {
  items: string[];
  width: number;
  height: number;
  arrows: string[];
}

/** Legend entries flow left to right, wrapping at `maxWidth`; one row each for nodes, edges, findings. */
function buildLegend(
  nodes: readonly ModelNode[],
  edgeKinds: readonly EdgeKind[],
  marks: ReturnType<typeof findingMarks>,
  maxWidth: number,
): Legend {
  const items: string[] = [];
  const arrows: string[] = [];
  let x = 0;
  let y = LEGEND_ROW / 2;
  let width = 0;
  const place = (w: number, xml: (x: number, y: number) => string): void => {
    if (x > 0 && x + w > maxWidth) { x = 0; y += LEGEND_ROW; }
    items.push(xml(x, y));
    x += w + 18;
    width = Math.max(width, x - 18);
  };
  const newRow = (): void => { if (x > 0) { x = 0; y += LEGEND_ROW; } };
  const text = (tx: number, ty: number, s: string): string =>
    `<text class="legend-label" x="${num(tx)}" y="${num(ty)}" dy="0.35em">${escapeXml(s)}</text>`;

  for (const kind of NODE_KINDS) {
    if (!nodes.some((n) => n.kind === kind)) continue;
    const glyph = nodeDrawing({ kind }, 0);
    const gw = 2 * glyph.geom.hw * LEGEND_SCALE;
    const w = gw + 6 + estimateTextWidth(kind, LEGEND_FONT_PX);
    place(w, (lx, ly) => `<g class="legend-item"><g class="legend-node kind-${kind}" transform="translate(${num(lx + gw / 2)},${num(ly)}) scale(${LEGEND_SCALE})">`
      + glyph.parts.map(partXml).join('') + '</g>' + text(lx + gw + 6, ly, kind) + '</g>');
  }
  newRow();
  for (const cat of CATEGORIES) {
    const kinds = EDGE_KINDS.filter((k) => category(k) === cat && edgeKinds.includes(k));
    if (kinds.length === 0) continue;
    arrows.push(cat);
    const label = `${CATEGORY_NAMES[cat]}: ${kinds.join(', ')}`;
    const w = 34 + estimateTextWidth(label, LEGEND_FONT_PX);
    place(w, (lx, ly) => `<g class="legend-item legend-edge cat-${cat}">`
      + `<path class="edge-line" d="M${num(lx)},${num(ly)}H${num(lx + 28)}" marker-end="url(#pt-arrow-${cat})"/>`
      + text(lx + 34, ly, label) + '</g>');
  }
  newRow();
  const all = [...marks.nodes.values(), ...marks.edges.values()];
  for (const mark of MARKS) {
    if (!all.some((m) => m.severity === mark)) continue;
    const label = `${mark === 'info' ? 'info or hint' : mark} finding`;
    const w = 26 + estimateTextWidth(label, LEGEND_FONT_PX);
    place(w, (lx, ly) => `<g class="legend-item"><g class="legend-node finding-${mark}">`
      + `<rect class="shape" x="${num(lx)}" y="${num(ly - 7)}" width="20" height="14" rx="4"/></g>`
      + text(lx + 26, ly, label) + '</g>');
  }
  const height = x === 0 ? y - LEGEND_ROW / 2 : y + LEGEND_ROW / 2;
  return { items, width, height, arrows };
}

function partXml(part: ShapePart): string {
  const attrs = Object.fromEntries(Object.entries(part.attrs).map(([k, v]) => [k, k === 'd' ? tidyPath(String(v)) : v]));
  return `<${part.tag} class="${part.cls}" ${attrsXml(attrs)}/>`;
}

function attrsXml(attrs: Readonly<Record<string, string | number>>): string {
  return Object.entries(attrs).map(([k, v]) => `${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`).join(' ');
}

/** A number with at most one decimal, never "-0". */
function num(v: number): string {
  const r = Math.round(v * 10) / 10;
  return String(r === 0 ? 0 : r);
}

/** Path data with every number rounded to one decimal (estimates give long floats). */
function tidyPath(d: string): string {
  return d.replace(/-?\d*\.\d+(?:e-?\d+)?/g, (m) => num(Number(m)));
}

/** Text for XML content and attribute values; characters XML 1.0 forbids become U+FFFD. */
export function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function tint(colour: string, percent: number): string {
  const c = parseInt(colour.slice(1), 16);
  const b = parseInt(COLOURS.bg.slice(1), 16);
  const mix = (shift: number): number => {
    const fg = (c >> shift) & 0xff;
    const bg = (b >> shift) & 0xff;
    return Math.round(fg * percent / 100 + bg * (1 - percent / 100));
  };
  return `#${[16, 8, 0].map((s) => mix(s).toString(16).padStart(2, '0')).join('')}`;
}

/** graph.css with the light theme's colours filled in, for the kinds, marks and arrows present. */
function stylesheet(kinds: readonly NodeKind[], marks: readonly Mark[], arrows: readonly string[]): string {
  const holders = (suffix: string, cls: string): string => `.node${cls} ${suffix},.legend-node${cls} ${suffix}`;
  const rules = [
    `.pt-background{fill:${COLOURS.bg}}`,
    `text{font-family:${FONT};font-size:${LABEL_FONT_PX}px;fill:${COLOURS.fg}}`,
    `.pt-empty{fill:${COLOURS.muted}}`,
    '.shape{stroke-width:1.5px}',
    '.shape-detail{fill:none;stroke-width:1.5px}',
    ...kinds.map((k) => {
      const c = kindColour(k);
      return `${holders('.shape', `.kind-${k}`)}{fill:${tint(c, 14)};stroke:${c}}`
        + `${holders('.shape-stack', `.kind-${k}`)}{fill:${tint(c, 8)}}`
        + `${holders('.shape-detail', `.kind-${k}`)}{stroke:${c}}`;
    }),
    '.node.role-main .shape{stroke-width:2.5px}',
    '.node.kind-pool .shape,.node.daemon .shape,.legend-node.kind-pool .shape{stroke-dasharray:5 3}',
    ...marks.map((m) => {
      const c = COLOURS[m];
      return `${holders('.shape', `.finding-${m}`)}{fill:${tint(c, 14)};stroke:${c}${m === 'info' ? '' : ';stroke-width:2.5px'}}`
        + `${holders('.shape-stack', `.finding-${m}`)}{fill:${tint(c, 8)}}`
        + `${holders('.shape-detail', `.finding-${m}`)}{stroke:${c}}`
        + (m === 'info' ? '' : `.node.finding-${m} .node-label{font-weight:600}`);
    }),
    `.edge-line{fill:none;stroke:${COLOURS.fg};stroke-width:1.4px;stroke-opacity:0.85}`,
    `.edge-label{font-size:${EDGE_FONT_PX}px;fill:${COLOURS.fg}}`,
    `.edge-label-bg{fill:${COLOURS.bg};fill-opacity:0.9}`,
    `.cat-control .edge-line{stroke:${COLOURS.muted};stroke-dasharray:6 4}.cat-control .edge-label{fill:${COLOURS.muted}}`,
    `.cat-sync .edge-line{stroke:${COLOURS.lock};stroke-dasharray:2 3}.cat-sync .edge-label{fill:${COLOURS.lock}}`,
    ...marks.map((m) => `.edge.finding-${m} .edge-line{stroke:${COLOURS[m]}${m === 'info' ? '' : ';stroke-width:2.5px;stroke-opacity:1'}}`
      + `.edge.finding-${m} .edge-label{fill:${COLOURS[m]}${m === 'info' ? '' : ';font-weight:600'}}`),
    '.pt-arrow path{stroke:none}',
    ...arrows.map((a) => `.arrow-${a} path{fill:${a in CATEGORY_COLOURS ? CATEGORY_COLOURS[a as Category] : COLOURS[a as Mark]}}`),
    `.legend-rule{fill:none;stroke:${COLOURS.border}}`,
    `.legend-label{font-size:${LEGEND_FONT_PX}px;fill:${COLOURS.fg}}`,
  ];
  return '\n' + rules.join('\n') + '\n';
}

