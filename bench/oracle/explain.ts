// Why does the analysis disagree with a program? The explainer regenerates the program with its
// ways of writing forced back to the plainest (one axis at a time, then all, then the fewest
// needed), and sees which change makes each disagreement go: "a missed hang that is found once
// the shim is imported by name" names the missing piece of meaning (a destructured import). A
// disagreement that stays with every axis plain is the scenario's own shape ("core"). The
// verdicts of the variants are judged from the generator's claims (assumedRuns): the generator is
// checked against the shim by the test sample and by every benchmark run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeEntry } from './analysis';
import { generate, type GenerateOptions } from './generate';
import { assumedRuns, disagreements, judge } from './judge';
import { writeProgram } from './run';
import type { Program } from './types';

export interface Explanation {
  /** The disagreement (`miss:blocking`, `false-alarm:unguarded-start`, ...). */
  what: string;
  /**
   * Axes whose plain value makes it go (`guard:const`: it goes with `guard:if`). Each entry
   * alone suffices; `together` lists a set needed jointly; `core` when nothing of the style
   * explains it.
   */
  alone: string[];
  together: string[];
  core: boolean;
}

export class Explainer {
  #n = 0;

  constructor(private readonly workDir: string) {
    fs.mkdirSync(workDir, { recursive: true });
  }

  /** The disagreements of `p` judged from the generator's claims. */
  judgeAssumed(p: Program): string[] {
    const dir = path.join(this.workDir, `x${this.#n++}`);
    const entry = writeProgram(p, dir);
    try {
      return disagreements(judge(p, assumedRuns(p), analyzeEntry(entry)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Explains each of `what` (default: the disagreements judged without runs) for program `p`. */
  explain(p: Program, what?: readonly string[], opts: GenerateOptions = {}): Explanation[] {
    const variant = p.variant;
    const regen = (overrides: Map<string, string>) => generate(p.seed, p.index, { ...opts, variant, overrides });
    const items = what ?? this.judgeAssumed(p);
    const plainable = Object.entries(p.axes).filter(([, a]) => a.values.some((v) => v !== a.plain)).map(([axis]) => axis).sort();
    const cache = new Map<string, string[]>();
    const verdict = (overrides: Map<string, string>): string[] => {
      const key = [...overrides].sort().join(',');
      let d = cache.get(key);
      if (!d) cache.set(key, (d = this.judgeAssumed(regen(overrides))));
      return d;
    };
    const plainOf = (axes: readonly string[]) => new Map(axes.map((a) => [a, p.axes[a]!.plain]));
    const label = (axis: string) => `${axis}:${[...new Set(p.axes[axis]!.values.filter((v) => v !== p.axes[axis]!.plain))].join('+')}`;
    const out: Explanation[] = [];
    for (const item of items) {
      const alone = plainable.filter((a) => !verdict(plainOf([a])).includes(item));
      if (alone.length > 0) {
        out.push({ what: item, alone: alone.map(label), together: [], core: false });
        continue;
      }
      if (verdict(plainOf(plainable)).includes(item)) {
        out.push({ what: item, alone: [], together: [], core: true });
        continue;
      }
      // Jointly: drop axes from the all-plain set while the disagreement stays gone.
      let needed = [...plainable];
      for (const a of plainable) {
        const without = needed.filter((x) => x !== a);
        if (!verdict(plainOf(without)).includes(item)) needed = without;
      }
      out.push({ what: item, alone: [], together: needed.map(label), core: false });
    }
    return out;
  }
}

/** One line per explanation: `miss:blocking <- import:destructured | guard:const` or `(core)`. */
export function describeExplanation(e: Explanation): string {
  if (e.core) return `${e.what} <- (core: the scenario's own shape)`;
  if (e.alone.length > 0) return `${e.what} <- ${e.alone.join(' | ')}`;
  return `${e.what} <- ${e.together.join(' & ')} (together)`;
}
