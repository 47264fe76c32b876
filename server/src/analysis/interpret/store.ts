// The interpreter's mutable state (variables of scopes, properties of objects) with an undo trail,
// so that the alternatives of an unknown condition can each run from the same state and then be
// joined: run one, take what it changed, undo it, run the next, then set every changed place to
// the join of its values. The trail is kept only while some mark is open (a branch or a loop
// being joined); straight-line concrete code changes the state in place.
import { join, UNDEFINED, type HeapObj, type Value } from './values';

interface Entry {
  map: Map<unknown, Value>;
  key: unknown;
  had: boolean;
  old: Value | undefined;
}

export interface Mark {
  readonly at: number;
  readonly clock: number;
  /** Lengths of append-only lists the interpreter keeps (sites made, processes to run), undone too. */
  readonly lists: readonly number[];
}

/** The places an alternative changed, with their values at its end. */
export type Diff = Map<Map<unknown, Value>, Map<unknown, Value | typeof ABSENT>>;

export const ABSENT = Symbol('absent');

export class Store {
  private readonly trail: Entry[] = [];
  private open = 0;
  private time = 0;
  /** Owner object of each property map (to know whether it was made after a mark). */
  private readonly owners = new WeakMap<Map<unknown, Value>, HeapObj>();

  constructor(private readonly lists: { length: number }[]) {}

  /** A monotonic clock: objects remember when they were made. */
  tick(): number {
    return ++this.time;
  }

  own(o: HeapObj): void {
    this.owners.set(o.props as Map<unknown, Value>, o);
  }

  set(map: Map<unknown, Value>, key: unknown, v: Value): void {
    if (this.open > 0) this.trail.push({ map, key, had: map.has(key), old: map.get(key) });
    map.set(key, v);
    this.time++;
  }

  delete(map: Map<unknown, Value>, key: unknown): void {
    if (!map.has(key)) return;
    if (this.open > 0) this.trail.push({ map, key, had: true, old: map.get(key) });
    map.delete(key);
    this.time++;
  }

  mark(): Mark {
    this.open++;
    return { at: this.trail.length, clock: ++this.time, lists: this.lists.map((l) => l.length) };
  }

  /** What changed since the mark: every place touched, with its current value. */
  diff(m: Mark): Diff {
    const out: Diff = new Map();
    for (let i = m.at; i < this.trail.length; i++) {
      const e = this.trail[i]!;
      let keys = out.get(e.map);
      if (!keys) out.set(e.map, (keys = new Map()));
      if (!keys.has(e.key)) keys.set(e.key, e.map.has(e.key) ? e.map.get(e.key)! : ABSENT);
    }
    return out;
  }

  /** Back to the state at the mark (the mark stays open). */
  undo(m: Mark): void {
    while (this.trail.length > m.at) {
      const e = this.trail.pop()!;
      if (e.had) e.map.set(e.key, e.old!);
      else e.map.delete(e.key);
    }
    this.time++;
  }

  /** Drops what was appended to the interpreter's lists since the mark. */
  truncate(m: Mark): void {
    this.lists.forEach((l, i) => { l.length = m.lists[i]!; });
  }

  close(m: Mark): void {
    void m;
    this.open--;
    if (this.open === 0) this.trail.length = 0;
  }

  /**
   * After the alternatives ran from the mark's state (and were undone): each place any of them
   * changed gets the join of its values (a place one alternative did not touch keeps its value
   * there; an object made by one alternative only takes that one's values).
   */
  joinDiffs(m: Mark, diffs: readonly Diff[], combine?: (perAlternative: readonly Value[]) => Value | undefined): void {
    const places = new Map<Map<unknown, Value>, Set<unknown>>();
    for (const d of diffs) {
      for (const [map, keys] of d) {
        let set = places.get(map);
        if (!set) places.set(map, (set = new Set()));
        for (const k of keys.keys()) set.add(k);
      }
    }
    for (const [map, keys] of places) {
      const owner = this.owners.get(map);
      const fresh = owner !== undefined && owner.born > m.clock;
      for (const key of keys) {
        const vals: Value[] = [];
        let absent = false;
        for (const d of diffs) {
          const touched = d.get(map);
          const v = touched && touched.has(key) ? touched.get(key)! : map.has(key) ? map.get(key)! : ABSENT;
          if (v === ABSENT) {
            if (!fresh || (touched && touched.has(key))) absent = true;
          } else {
            vals.push(v);
          }
        }
        if (vals.length === 0) {
          this.delete(map, key);
          continue;
        }
        // Every alternative has a value: the caller may know what their choice means (a flag
        // set one way on each side of a test of a received value is that test).
        const combined = combine && !absent && vals.length === diffs.length ? combine(vals) : undefined;
        if (combined) {
          this.set(map, key, combined);
          continue;
        }
        // A property one alternative added and another did not is undefined there.
        if (absent && typeof key === 'string') vals.push(UNDEFINED);
        this.set(map, key, join(vals));
      }
    }
  }
}
