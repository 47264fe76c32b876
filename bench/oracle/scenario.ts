// What a scenario is: one kind of realistic program (a work queue, a pipeline, dining
// philosophers, ...) that the generator writes in many styles, with the bugs it knows how to
// inject and the effect each has under the shim. Scenarios draw all their random choices before
// they look at the bug, so a program and its buggy twin read the same except for the bug.
import type { Expect } from './types';
import type { Gen, Module } from './style';

export interface BugKind {
  kind: string;
  /** The rules.md rule that names this bug. */
  rule: string;
  weight: number;
  note: string;
}

export interface Built {
  expect: Expect;
  /** Child processes a run starts at most. */
  processes: number;
}

export interface Scenario {
  name: string;
  weight: number;
  bugs: BugKind[];
  /**
   * Writes the program into `g`'s modules. `drawn` is the bug kind drawn for this program (also
   * for its correct version, so that both are shaped for the same bug: the twin of a bounded-queue
   * bug has the bounded queue); `buggy` says whether to inject it.
   */
  build(g: Gen, drawn: string, buggy: boolean): Built;
}

/**
 * Where the program's functions live: targets in the entry or in `workers.ts`, helpers beside the
 * targets or in `util.ts`: the "several modules" axis. (Never a helper of the entry used by a
 * worker module: the child would import the entry again.)
 */
export interface Layout {
  main: Module;
  targets: Module;
  helpers: Module;
}

export function layout(g: Gen): Layout {
  const main = g.module('main.ts');
  const shape = g.pick('modules', [['single', 5], ['workers-module', 3], ['workers-and-util', 2]]);
  if (shape === 'single') return { main, targets: main, helpers: main };
  const targets = g.module('workers.ts');
  if (shape === 'workers-module') return { main, targets, helpers: targets };
  return { main, targets, helpers: g.module('util.ts') };
}

/**
 * How the main code holds its shared objects: plain locals, a record of them (optionally
 * destructured back), or the fields of a class with methods.
 */
export type Holder = 'locals' | 'record' | 'class';

export function holder(g: Gen, allowed: Holder[] = ['locals', 'record', 'class']): Holder {
  const weights: Record<Holder, number> = { locals: 3, record: 2, class: 2 };
  return g.pick('holder', allowed.map((a) => [a, weights[a]] as const));
}

/** Exported `function` or exported `const` arrow: both spawnable targets. */
export function fnStyle(g: Gen): 'function' | 'arrow' {
  return g.pick<'function' | 'arrow'>('target-form', [['function', 4], ['arrow', 1]]);
}

/** An exported async function (target), in either form. */
export function exportAsync(form: 'function' | 'arrow', name: string, params: string, body: string[], ret = ''): string[] {
  if (form === 'function') return [`export async function ${name}(${params})${ret ? `: ${ret}` : ''} {`, ...body.map((l) => (l ? `  ${l}` : l)), '}'];
  return [`export const ${name} = async (${params})${ret ? `: ${ret}` : ''} => {`, ...body.map((l) => (l ? `  ${l}` : l)), '};'];
}
