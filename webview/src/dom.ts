// Small DOM builders the page's parts share (main.ts's toolbar and findings, live-panel.ts's run
// section): an element with a class and text, and a button with its tooltip. No inline styles or
// handlers: the page runs under a strict CSP.

export function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function button(doc: Document, cls: string, text: string, title: string): HTMLButtonElement {
  const b = el(doc, 'button', `pt-button ${cls}`, text);
  b.type = 'button';
  b.title = title;
  return b;
}
