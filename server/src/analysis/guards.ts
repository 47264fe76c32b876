// What a branch guard (facts.ts `BranchGuard`) says of a value: whether `item === null`,
// `msg.kind === 'add'` or `!ok` holds of what a put or send carries, as far as the abstract value
// tells (undefined: it cannot tell). Shared by the checker's message tokens and the interpreter's
// grouping of operations that carry equivalent values.
import type { AbsValue, BranchGuard, ConstValue } from './facts';

export function guardAnswer(g: BranchGuard, v: AbsValue): boolean | undefined {
  let at = project(v, g.path);
  if (at === undefined) return undefined;
  if (g.map) {
    // A function of the value (`x % 7`): known of constants only.
    if (at === 'object') return undefined;
    const mapped = g.map.f(at.v);
    if (mapped === undefined) return undefined;
    at = mapped;
  }
  return testOn(g, at);
}

/** The value at a field path: a constant, 'object' for a non-null object, or undefined when unknown. */
function project(v: AbsValue, path: readonly string[]): { v: ConstValue } | 'object' | undefined {
  let cur: AbsValue = v;
  for (const key of path) {
    if (cur.t === 'record') {
      const f = cur.fields.get(key);
      if (!f) return { v: undefined };
      cur = f;
    } else if (cur.t === 'coll') {
      if (key === 'length') {
        if (typeof cur.length !== 'number') return undefined;
        return { v: cur.length };
      }
      if (!/^\d+$/.test(key) || cur.items.length !== cur.length) return undefined;
      cur = cur.items[Number(key)] ?? { t: 'const', v: undefined };
    } else if (cur.t === 'const') {
      if (typeof cur.v === 'string' && key === 'length') return { v: cur.v.length };
      return cur.v === null || cur.v === undefined ? undefined : { v: undefined };
    } else if (cur.t === 'union') {
      const answers = cur.alts.map((a) => project(a, [key]));
      if (answers.some((a) => a === undefined)) return undefined;
      const first = JSON.stringify(answers[0]);
      if (!answers.every((a) => JSON.stringify(a) === first)) return undefined;
      const a0 = answers[0]!;
      if (a0 === 'object') return undefined;
      cur = { t: 'const', v: a0.v };
    } else {
      return undefined;
    }
  }
  switch (cur.t) {
    case 'const': return { v: cur.v };
    case 'record': case 'coll': case 'obj': case 'fn': case 'pending': return 'object';
    case 'union': {
      const answers = cur.alts.map((a) => project(a, []));
      if (answers.some((a) => a === undefined)) return undefined;
      const keys = new Set(answers.map((a) => JSON.stringify(a)));
      return keys.size === 1 ? answers[0] : undefined;
    }
    default: return undefined;
  }
}

function testOn(g: BranchGuard, at: { v: ConstValue } | 'object'): boolean {
  if (g.test === 'typeof') return (at === 'object' ? 'object' : at.v === null ? 'object' : typeof at.v) === g.value;
  if (at === 'object') return g.test === 'truthy';
  switch (g.test) {
    case 'eq': return at.v === g.value;
    case 'nullish': return at.v === null || at.v === undefined;
    case 'truthy': return !!at.v;
    default: return false;
  }
}

/** A text that identifies what a guard tests (for keys): equal texts, equal tests. */
export function guardText(g: BranchGuard): string {
  return `${g.path.join('.')}|${g.map ? `${g.map.key}|` : ''}${g.test}|${g.test === 'eq' || g.test === 'typeof' ? JSON.stringify(g.value === undefined ? '(undefined)' : g.value) : ''}`;
}
