// Branches on one fact go the same way: before a process's flow becomes an automaton, a branch
// whose test is fixed once made (a `const` or a parameter compared with constants: see
// flow-walk.ts `branchKey`) and is tested again later in the same block has the rest of the block
// moved into each of its ways, where the later tests are decided. Without it the automaton treats
// `if (parallel) start()` … `if (parallel) { get(); join(); }` as two free choices, and the path
// that skips the start but takes the get is a deadlock no run can reach.
//
// What is decided in a block holds for the rest of that block and what it calls or loops over,
// not outside it (a loop's next pass, another call of a function, may test other values): the
// same scoping as the flow walker's decisions. The rest of a block is copied once per way, so the
// splits a path may nest and the copies in all are bounded; past them branches stay free choices.
import type ts from 'typescript';
import type { Flow } from '../facts';
import { branchKey, FlowWalkMemo, type BranchFlow } from '../passes/flow-walk';

/** Nested splits on one path (each doubles what follows it). */
const MAX_SPLITS = 6;
/** Flow nodes the copies may add to one process in all. */
const MAX_COPIED = 20_000;

export function correlateBranches(flow: Flow, checker: ts.TypeChecker): Flow {
  const memo = new FlowWalkMemo();
  const keyOf = (f: BranchFlow): { key: string; flip: boolean } | undefined => (f.guard ? undefined : branchKey(f, checker, memo));
  const sizes = new WeakMap<Flow, number>();
  const size = (f: Flow): number => {
    let n = sizes.get(f);
    if (n !== undefined) return n;
    switch (f.k) {
      case 'seq': n = 1 + f.items.reduce((a, x) => a + size(x), 0); break;
      case 'branch': n = 1 + f.alts.reduce((a, x) => a + size(x), 0); break;
      case 'loop': case 'call': n = 1 + size(f.body); break;
      case 'try': n = 1 + size(f.body) + (f.handler ? size(f.handler) : 0) + (f.finalizer ? size(f.finalizer) : 0); break;
      default: n = 1;
    }
    sizes.set(f, n);
    return n;
  };
  // The keys tested in a flow, for "is it tested again later".
  const testedIn = new WeakMap<Flow, ReadonlySet<string>>();
  const tested = (f: Flow): ReadonlySet<string> => {
    let set = testedIn.get(f);
    if (set) return set;
    const out = new Set<string>();
    const add = (x: Flow): void => { for (const k of tested(x)) out.add(k); };
    switch (f.k) {
      case 'seq': f.items.forEach(add); break;
      case 'branch': {
        const k = keyOf(f);
        if (k) out.add(k.key);
        f.alts.forEach(add);
        break;
      }
      case 'loop': case 'call': add(f.body); break;
      case 'try': add(f.body); if (f.handler) add(f.handler); if (f.finalizer) add(f.finalizer); break;
      default: break;
    }
    testedIn.set(f, (set = out));
    return set;
  };
  let copied = 0;

  const spec = (f: Flow, decided: ReadonlyMap<string, boolean>, splits: number): Flow => {
    switch (f.k) {
      case 'op': case 'exit': return f;
      case 'branch': {
        const k = keyOf(f);
        const known = k ? decided.get(k.key) : undefined;
        // Way 0 is taken when the key is true (false when flipped).
        if (k && known !== undefined) return spec(f.alts[known !== k.flip ? 0 : 1]!, decided, splits);
        return { ...f, alts: f.alts.map((a) => spec(a, decided, splits)) };
      }
      case 'seq': {
        const items: Flow[] = [];
        for (let i = 0; i < f.items.length; i++) {
          const x = f.items[i]!;
          const k = x.k === 'branch' ? keyOf(x) : undefined;
          if (x.k === 'branch' && k && !decided.has(k.key) && splits < MAX_SPLITS) {
            const rest = f.items.slice(i + 1);
            const restSize = rest.reduce((a, r) => a + size(r), 0);
            if (rest.some((r) => tested(r).has(k.key)) && copied + restSize <= MAX_COPIED) {
              copied += restSize;
              const alts = x.alts.map((alt, j) => {
                const value = (j === 0) !== k.flip;
                return spec({ k: 'seq', items: [alt, ...rest] }, new Map(decided).set(k.key, value), splits + 1);
              });
              items.push({ ...x, alts });
              return { k: 'seq', items };
            }
          }
          items.push(spec(x, decided, splits));
        }
        return { k: 'seq', items };
      }
      case 'loop': return { ...f, body: spec(f.body, decided, splits) };
      case 'call': return { ...f, body: spec(f.body, decided, splits) };
      case 'try': {
        const out: Flow = { ...f, body: spec(f.body, decided, splits) };
        if (f.handler) out.handler = spec(f.handler, decided, splits);
        if (f.finalizer) out.finalizer = spec(f.finalizer, decided, splits);
        return out;
      }
      default: return f;
    }
  };
  return spec(flow, new Map(), 0);
}
