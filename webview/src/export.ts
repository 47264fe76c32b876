// Export of the drawing as it looks: a self-contained SVG (the theme's colours resolved and written
// as presentation attributes, never `style` attributes, which the page's CSP forbids) and a PNG
// drawn from it on a canvas.
import type { Box } from '../../drawing/layout';

/** The CSS properties that make the drawing look as it does, copied as SVG presentation attributes. */
const PROPS = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-dasharray', 'opacity',
  'font-family', 'font-size', 'font-weight', 'visibility',
] as const;

const PAD = 24;

export interface ExportedSvg {
  svg: string;
  width: number;
  height: number;
}

/** The drawing in `svgEl` as a standalone SVG document covering `bounds` (graph coordinates). */
export function exportSvg(svgEl: SVGSVGElement, bounds: Box, title: string, background: string): ExportedSvg {
  const clone = svgEl.cloneNode(true) as SVGSVGElement;
  const from = [svgEl, ...svgEl.querySelectorAll('*')];
  const to = [clone, ...clone.querySelectorAll('*')];
  const drop: Element[] = [];
  for (let i = 0; i < from.length; i++) {
    const src = from[i]!;
    const dst = to[i]!;
    const cls = src.getAttribute('class') ?? '';
    if (/\b(toggle|edge-hit|node-leaving)\b/.test(cls)) { drop.push(dst); continue; }
    const cs = getComputedStyle(src);
    if (cs.display === 'none' && src.tagName !== 'marker' && !src.closest('defs')) { drop.push(dst); continue; }
    for (const a of ['tabindex', 'role', 'aria-describedby', 'aria-current', 'aria-hidden']) dst.removeAttribute(a);
    if (i === 0 || src.tagName === 'g' && !/\b(node|edge|node-body)\b/.test(cls)) continue;
    for (const p of PROPS) {
      const v = cs.getPropertyValue(p);
      if (v && v !== 'normal' && !(p === 'visibility' && v === 'visible')) dst.setAttribute(p, v);
    }
  }
  for (const d of drop) d.remove();
  const width = Math.ceil(bounds.x1 - bounds.x0 + 2 * PAD);
  const height = Math.ceil(bounds.y1 - bounds.y0 + 2 * PAD);
  const x0 = Math.floor(bounds.x0 - PAD);
  const y0 = Math.floor(bounds.y0 - PAD);
  clone.querySelector('.viewport')?.removeAttribute('transform');
  // The page's own state (classes, data-* for tests, the pan layer's CSS transform) is not the picture's.
  for (const a of [...clone.getAttributeNames()]) if (a === 'class' || a === 'style' || a.startsWith('data-')) clone.removeAttribute(a);
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('viewBox', `${x0} ${y0} ${width} ${height}`);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.setAttribute('role', 'img');
  clone.setAttribute('aria-label', title);
  const ns = 'http://www.w3.org/2000/svg';
  const doc = svgEl.ownerDocument;
  const bg = doc.createElementNS(ns, 'rect');
  for (const [k, v] of Object.entries({ x: x0, y: y0, width, height, fill: background })) bg.setAttribute(k, String(v));
  const t = doc.createElementNS(ns, 'title');
  t.textContent = title;
  clone.insertBefore(bg, clone.firstChild);
  clone.insertBefore(t, clone.firstChild);
  return { svg: new XMLSerializer().serializeToString(clone), width, height };
}

/** A PNG (as a data: URL) of an exported SVG, at up to twice its size within canvas limits. */
export async function exportPng(svg: ExportedSvg, doc: Document): Promise<string> {
  const scale = Math.max(0.05, Math.min(2, 8192 / svg.width, 8192 / svg.height, Math.sqrt(40e6 / (svg.width * svg.height))));
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.svg)}`;
  await img.decode();
  const canvas = doc.createElement('canvas');
  canvas.width = Math.max(1, Math.round(svg.width * scale));
  canvas.height = Math.max(1, Math.round(svg.height * scale));
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no canvas');
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/png');
}
