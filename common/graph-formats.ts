// Graph text formats of the topology model: Graphviz DOT and Mermaid. Pure (no Node, no DOM), so the
// command line (`graph --format dot|mermaid`) and the graph webview's export both use them.
import { displayLabel, type ModelEdge, type NodeKind, type TopologyModel } from './model';

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const DOT_SHAPES: Partial<Record<NodeKind, string>> = {
  process: 'box', queue: 'cylinder', pipe: 'cds', lock: 'diamond', pool: 'box3d', manager: 'component',
  semaphore: 'octagon', event: 'circle', condition: 'doublecircle', barrier: 'box', value: 'square',
  array: 'record', dict: 'tab', list: 'record', namespace: 'hexagon', file: 'note',
};

/** `put`, `get ×3`, `get (loop)`: the edge's kind and how often it runs. */
export function edgeText(e: Pick<ModelEdge, 'kind' | 'count'>): string {
  const count = e.count === 'loop' ? ' (loop)' : e.count === 'several' ? ' ×n'
    : typeof e.count === 'number' && e.count > 1 ? ` ×${e.count}` : '';
  return `${e.kind}${count}`;
}

/** The strongest severity of the findings on each node and edge. */
function flagged(model: TopologyModel): Map<string, 'error' | 'warning'> {
  const out = new Map<string, 'error' | 'warning'>();
  for (const f of model.findings) {
    if (f.severity !== 'error' && f.severity !== 'warning') continue;
    for (const id of [...(f.nodes ?? []), ...(f.edges ?? [])]) {
      if (out.get(id) !== 'error') out.set(id, f.severity);
    }
  }
  return out;
}

export function formatDot(model: TopologyModel): string {
  const lines = ['digraph topology {', '  rankdir=LR;', '  node [fontname="sans-serif"];', '  edge [fontname="sans-serif", fontsize=10];'];
  const marks = flagged(model);
  const colour = (id: string): string => {
    const m = marks.get(id);
    return m === 'error' ? ', color=red, fontcolor=red' : m === 'warning' ? ', color=orange, fontcolor=orange' : '';
  };
  for (const n of model.nodes) {
    const style = n.kind === 'process' ? ', style=rounded' : n.kind === 'pool' ? ', style=dashed' : '';
    const shape = DOT_SHAPES[n.kind] === 'record' ? 'box' : DOT_SHAPES[n.kind] ?? 'ellipse';
    lines.push(`  ${quote(n.id)} [label=${quote(displayLabel(n))}, shape=${shape}${style}${colour(n.id)}];`);
  }
  const ids = new Set(model.nodes.map((n) => n.id));
  for (const e of model.edges) {
    if (!ids.has(e.from) || !ids.has(e.to)) continue;
    const style = e.kind === 'spawn' || e.kind === 'join' || e.kind === 'terminate' ? ', style=dashed' : '';
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)} [label=${quote(edgeText(e))}${style}${colour(e.id)}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Mermaid flowchart node shapes per kind: `open` and `close` wrap the quoted label. */
const MERMAID_SHAPES: Partial<Record<NodeKind, [string, string]>> = {
  process: ['(', ')'], pool: ['[[', ']]'], manager: ['[/', '/]'], queue: ['[(', ')]'], pipe: ['>', ']'],
  lock: ['{', '}'], semaphore: ['{{', '}}'], event: ['((', '))'], condition: ['(((', ')))'],
  barrier: ['[\\', '/]'], file: ['[/', '\\]'],
};

export function formatMermaid(model: TopologyModel): string {
  const ids = new Map(model.nodes.map((n, i) => [n.id, `n${i}`]));
  const text = (s: string): string => s.replace(/"/g, '#quot;').replace(/\r?\n/g, ' ');
  const lines = ['flowchart LR'];
  for (const n of model.nodes) {
    const [open, close] = MERMAID_SHAPES[n.kind] ?? ['[', ']'];
    lines.push(`  ${ids.get(n.id)!}${open}"${text(displayLabel(n))}"${close}`);
  }
  const marks = flagged(model);
  const styled: string[] = [];
  let link = 0;
  for (const e of model.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (!from || !to) continue;
    lines.push(`  ${from} -->|"${text(edgeText(e))}"| ${to}`);
    const m = marks.get(e.id);
    if (m) styled.push(`  linkStyle ${link} stroke:${m === 'error' ? 'red' : 'orange'},stroke-width:2px`);
    link++;
  }
  for (const n of model.nodes) {
    const m = marks.get(n.id);
    if (m) styled.push(`  style ${ids.get(n.id)!} stroke:${m === 'error' ? 'red' : 'orange'},stroke-width:2px`);
  }
  lines.push(...styled);
  return lines.join('\n') + '\n';
}
