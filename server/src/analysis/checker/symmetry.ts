// Symmetry reduction: the instances of a process started N times from one site with one
// automaton are interchangeable (they run the same code on the same objects), so states that
// differ only in which of them is where are one state. Each stored state is put in a canonical
// form (the started instances of each group sorted by their local state: their block, then the
// locks they hold), which is the counter abstraction of the group (how many of its instances are
// in each local state) kept as a sorted vector; the renaming is recorded so that a trace can be
// mapped back to the instances of one real run. Symmetric instances also move once per state: the
// moves of two instances in the same local state lead to the same canonical state.
import type { Semantics } from './semantics';

export interface Group {
  first: number;
  size: number;
  /** Process site index (its started count says how many of the group run). */
  site: number;
  blockSize: number;
}

export class Symmetry {
  readonly groups: Group[] = [];
  /** Per instance, its group (or -1). */
  readonly groupOf: Int32Array;

  constructor(private readonly sem: Semantics) {
    const { instances } = sem;
    this.groupOf = new Int32Array(instances.length).fill(-1);
    for (let i = 0; i < instances.length;) {
      let j = i + 1;
      while (j < instances.length && instances[j]!.proc === instances[i]!.proc && instances[j]!.index === j - i && instances[j]!.aut === instances[i]!.aut) j++;
      const proc = instances[i]!.proc;
      const site = proc.kind === 'main' ? undefined : sem.siteIndex.get(proc);
      // Instances are started in index order: the started ones are the first of their group.
      if (j - i > 1 && site !== undefined && instances[i]!.index === 0 && sem.siteInstances[site]!.length === j - i) {
        for (let k = i; k < j; k++) this.groupOf[k] = this.groups.length;
        this.groups.push({ first: i, size: j - i, site, blockSize: sem.layoutOf[i]!.size });
      }
      i = j;
    }
  }

  private startedOf(s: Int32Array, g: Group): number {
    return Math.min(g.size, s[this.sem.startedOff + g.site]!);
  }

  /** Orders two instances of one group by everything that is theirs in a state. */
  compare(s: Int32Array, a: number, b: number, blockSize: number): number {
    const ba = this.sem.base[a]!;
    const bb = this.sem.base[b]!;
    for (let k = 0; k < blockSize; k++) {
      const d = s[ba + k]! - s[bb + k]!;
      if (d !== 0) return d;
    }
    for (const o of this.sem.ownerSlots) {
      const d = (s[o] === a + 1 ? 1 + s[o + 1]! : 0) - (s[o] === b + 1 ? 1 + s[o + 1]! : 0);
      if (d !== 0) return d;
    }
    return 0;
  }

  /**
   * Per instance, the first instance of its group in the same local state (itself if none): the
   * instances whose moves are symmetric share it. Meant for canonical states, where those are next
   * to each other; elsewhere it only finds fewer.
   */
  classes(s: Int32Array, out: Int32Array): void {
    for (let i = 0; i < out.length; i++) out[i] = i;
    for (const g of this.groups) {
      const started = this.startedOf(s, g);
      for (let p = g.first + 1; p < g.first + started; p++) {
        if (this.compare(s, p - 1, p, g.blockSize) === 0) out[p] = out[p - 1]!;
      }
      // Instances not started yet are all alike (and cannot move).
      for (let p = g.first + started + 1; p < g.first + g.size; p++) out[p] = g.first + started;
    }
  }

  /**
   * Puts a state in canonical form, in place. Returns the renaming applied (old instance -> new),
   * or undefined if none.
   */
  canonical(n: Int32Array): Int32Array | undefined {
    let rename: Int32Array | undefined;
    let old: Int32Array | undefined;
    for (const g of this.groups) {
      const started = this.startedOf(n, g);
      if (started < 2) continue;
      const src = old ?? n;
      let sorted = true;
      for (let p = g.first + 1; p < g.first + started && sorted; p++) sorted = this.compare(src, p - 1, p, g.blockSize) <= 0;
      if (sorted) continue;
      const order = Array.from({ length: started }, (_, p) => g.first + p);
      order.sort((a, b) => this.compare(src, a, b, g.blockSize) || a - b);
      if (!rename) {
        rename = new Int32Array(this.sem.instances.length);
        for (let i = 0; i < rename.length; i++) rename[i] = i;
      }
      order.forEach((inst, p) => { rename![inst] = g.first + p; });
      old ??= n.slice();
    }
    if (!rename || !old) return undefined;
    for (let i = 0; i < rename.length; i++) {
      const j = rename[i]!;
      if (j === i) continue;
      const size = this.sem.layoutOf[i]!.size;
      n.set(old.subarray(this.sem.base[i]!, this.sem.base[i]! + size), this.sem.base[j]!);
    }
    for (const o of this.sem.ownerSlots) {
      const owner = old[o]!;
      if (owner > 0 && owner <= rename.length) n[o] = rename[owner - 1]! + 1;
    }
    return rename;
  }
}
