// The ways a user writes the same program: how the shim is imported (named, renamed, namespace,
// destructured, through a re-exporting module of the project), how the main guard is written,
// how a set of worker processes is counted and made (loops with < or <=, Array.from, map and
// forEach over literals, filter, slice, conditional push), started and joined, how a consumer
// recognises its sentinel. Each helper records the choice it made as a feature (`axis:value`), so
// the report can say which ways of writing the analysis misses. Every choice here preserves the
// program's meaning: the scenarios decide what the program does, the style only how it reads.
import { Rng } from './rng';

export const SHIM = '@process-topology/multiprocessing';

export type ImportStyle = 'named' | 'renamed' | 'namespace' | 'destructured' | 'reexport';

/**
 * One generated program under construction: its randomness, its features, its modules.
 *
 * Every way of writing (an axis: `import`, `guard`, `count`, ...) is drawn with `pick`, from a
 * stream of its own (by axis and occurrence), so forcing one axis to another value (`overrides`,
 * used by the explainer to find which way of writing the analysis misses) leaves every other
 * choice of the program as it was. `rng` is for the program's data.
 */
export class Gen {
  readonly features = new Set<string>();
  readonly modules: Module[] = [];
  readonly imp: ImportStyle;
  /** For the re-export style: the project's own module re-exports all of the shim, or a list. */
  readonly reexportAll: boolean;
  readonly #seen = new Map<string, number>();
  /** Every axis drawn: the values it took (each occurrence) and its plainest value. */
  readonly axes = new Map<string, { values: string[]; plain: string }>();

  constructor(readonly rng: Rng, private readonly base: number, readonly overrides: ReadonlyMap<string, string> = new Map()) {
    this.imp = this.pick<ImportStyle>('import', [['named', 5], ['renamed', 1], ['namespace', 2], ['destructured', 2], ['reexport', 2]]);
    this.reexportAll = this.stream('reexport').chance(0.5);
  }

  feature(axis: string, value: string): void {
    this.features.add(`${axis}:${value}`);
  }

  /** A stream of its own for the `k`-th draw named `label`. */
  stream(label: string): Rng {
    const k = this.#seen.get(label) ?? 0;
    this.#seen.set(label, k + 1);
    return Rng.of(this.base, label, k);
  }

  /**
   * Draws a way of writing for `axis` (the first option is the plainest) and records it as a
   * feature; an override for the axis wins when it is one of the options.
   */
  pick<T extends string>(axis: string, options: readonly (readonly [T, number])[], record = true): T {
    const drawn = this.stream(axis).weighted(options);
    const forced = this.overrides.get(axis);
    const value = forced !== undefined && options.some(([o]) => o === forced) ? (forced as T) : drawn;
    let a = this.axes.get(axis);
    if (!a) this.axes.set(axis, (a = { values: [], plain: options[0]![0] }));
    a.values.push(value);
    if (record) this.feature(axis, value);
    return value;
  }

  /** Replaces what was recorded for `axis` (a choice the bug overrules). */
  relabel(axis: string, value: string): void {
    for (const f of [...this.features]) if (f.startsWith(`${axis}:`)) this.features.delete(f);
    this.feature(axis, value);
  }

  module(path: string): Module {
    const m = new Module(this, path);
    this.modules.push(m);
    return m;
  }

  /** The files of the program, the re-export module included when used. */
  render(header: string): { path: string; text: string }[] {
    const files = this.modules.map((m) => ({ path: m.path, text: m.render(header) }));
    if (this.imp === 'reexport') {
      const values = new Set<string>();
      const types = new Set<string>();
      for (const m of this.modules) {
        for (const v of m.values) values.add(v);
        for (const t of m.types) if (!m.values.has(t)) types.add(t);
      }
      const names = [...[...values].sort(), ...[...types].filter((t) => !values.has(t)).sort().map((t) => `type ${t}`)];
      const text = this.reexportAll
        ? `// The project's own entry to the multiprocessing shim.\nexport * from '${SHIM}';\n`
        : `// The project's own entry to the multiprocessing shim: the names it uses.\nexport { ${names.join(', ')} } from '${SHIM}';\n`;
      files.push({ path: 'mp.ts', text });
    }
    return files;
  }
}

const RENAMES: Record<string, string> = {
  isMainProcess: 'isMain',
  Process: 'Proc',
};

/** One source file: what it uses of the shim and of the program's other modules, and its lines. */
export class Module {
  readonly values = new Set<string>();
  readonly types = new Set<string>();
  readonly locals = new Map<string, Set<string>>();
  /** Module-level lines placed after the imports, once each (helpers such as `pause`). */
  readonly prelude = new Set<string>();
  readonly body: string[] = [];

  constructor(readonly gen: Gen, readonly path: string) {}

  /** A shim value (class, factory, function) as this module refers to it. */
  v(name: string): string {
    this.values.add(name);
    switch (this.gen.imp) {
      case 'named':
      case 'reexport':
      case 'destructured':
        return name;
      case 'renamed':
        return RENAMES[name] ?? `Mp${name}`;
      case 'namespace':
        return `mp.${name}`;
    }
  }

  /** A shim type as this module refers to it, with type arguments. */
  t(name: string, args?: string): string {
    this.types.add(name);
    const a = args ? `<${args}>` : '';
    switch (this.gen.imp) {
      case 'named':
      case 'reexport':
        return `${name}${a}`;
      case 'renamed':
        return `${RENAMES[name] ?? `Mp${name}`}${a}`;
      case 'namespace':
      case 'destructured':
        return `mp.${name}${a}`;
    }
  }

  /** A name exported by another module of the program. */
  use(from: Module | string, name: string): string {
    const path = typeof from === 'string' ? from : from.path;
    if (path === this.path) return name;
    let set = this.locals.get(path);
    if (!set) this.locals.set(path, (set = new Set()));
    set.add(name);
    return name;
  }

  /** Makes `pause(ms)` available in this module. */
  pause(): string {
    this.prelude.add(PAUSE);
    return 'pause';
  }

  /** Module-level helper declarations (a loop's type guard), once each however often they are asked for. */
  helper(lines: string[]): void {
    if (lines.length > 0) this.prelude.add(lines.join('\n').trimEnd());
  }

  add(...lines: (string | string[])[]): void {
    for (const l of lines) {
      if (Array.isArray(l)) this.body.push(...l);
      else this.body.push(l);
    }
  }

  render(header: string): string {
    const out: string[] = [header];
    const values = [...this.values].sort();
    const typeOnly = [...this.types].filter((t) => !this.values.has(t)).sort();
    const imp = this.gen.imp;
    if (values.length + typeOnly.length > 0) {
      if (imp === 'named' || imp === 'reexport') {
        const from = imp === 'named' ? SHIM : './mp.js';
        out.push(`import { ${[...values, ...typeOnly.map((t) => `type ${t}`)].join(', ')} } from '${from}';`);
      } else if (imp === 'renamed') {
        const ren = (n: string) => `${n} as ${RENAMES[n] ?? `Mp${n}`}`;
        out.push(`import { ${[...values.map(ren), ...typeOnly.map((t) => `type ${ren(t)}`)].join(', ')} } from '${SHIM}';`);
      } else {
        out.push(`import * as mp from '${SHIM}';`);
        if (imp === 'destructured' && values.length > 0) out.push(`const { ${values.join(', ')} } = mp;`);
      }
    }
    for (const [path, names] of [...this.locals].sort()) {
      out.push(`import { ${[...names].sort().join(', ')} } from './${path.replace(/\.ts$/, '.js')}';`);
    }
    if (this.prelude.size > 0) out.push('', ...this.prelude);
    out.push('', ...this.body);
    return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
  }
}

export function indent(lines: string[], n = 1): string[] {
  const pad = '  '.repeat(n);
  return lines.map((l) => (l.length > 0 ? pad + l : l));
}

/**
 * The main guard around the main code `body` (top-level statements that may `await`): the forms
 * a user writes, all equivalent under spawn.
 */
export function guard(g: Gen, m: Module, body: string[]): string[] {
  const style = g.pick('guard', [
    ['if', 4], ['const', 2], ['main-fn', 2], ['early-return', 2], ['helper', 1], ['else', 1], ['catch', 1],
  ]);
  const isMain = m.v('isMainProcess');
  switch (style) {
    case 'if':
      return [`if (${isMain}()) {`, ...indent(body), '}'];
    case 'const':
      return [`const inMain = ${isMain}();`, 'if (inMain) {', ...indent(body), '}'];
    case 'main-fn':
      return ['async function main(): Promise<void> {', ...indent(body), '}', '', `if (${isMain}()) await main();`];
    case 'early-return':
      return ['async function main(): Promise<void> {', `  if (!${isMain}()) return;`, ...indent(body), '}', '', 'await main();'];
    case 'helper':
      return ['function isLauncher(): boolean {', `  return ${isMain}();`, '}', '', 'if (isLauncher()) {', ...indent(body), '}'];
    case 'else':
      return [`if (!${isMain}()) {`, '  // a child re-imports this module: it has nothing to do here', '} else {', ...indent(body), '}'];
    default:
      return [
        'async function main(): Promise<void> {', ...indent(body), '}', '',
        `if (${isMain}()) {`,
        '  main().catch((err: unknown) => {',
        '    console.error(err);',
        '    process.exitCode = 1;',
        '  });',
        '}',
      ];
  }
}

export const NAMES = ['ada', 'bo', 'cy', 'dee', 'eli', 'fay', 'gus', 'hal', 'ivy', 'jo', 'kit', 'lou'];

/** How a count is written where it is used: a literal, a named constant, a config field. */
export interface CountRef {
  /** The expression that reads the count. */
  expr: string;
  /** Top-level declarations it needs (in the entry module). */
  decls: string[];
}

export function countRef(g: Gen, n: number, name: string): CountRef {
  const style = g.pick('count-ref', [['literal', 3], ['const', 3], ['config', 2]]);
  if (style === 'literal') return { expr: String(n), decls: [] };
  if (style === 'const') return { expr: name.toUpperCase(), decls: [`const ${name.toUpperCase()} = ${n};`] };
  return { expr: `SETTINGS.${name}`, decls: [`const SETTINGS = { ${name}: ${n}, verbose: false };`] };
}

/** A set of processes: the lines that make it, the array that holds them, how many. */
export interface Crew {
  decls: string[];
  lines: string[];
  /** The array expression (`workers`, `this.workers`). */
  list: string;
  count: number;
  /** The count as the code can read it again (the array's length or the same constant). */
  countExpr: string;
}

/**
 * Makes `n` processes with `make(index)` (a `new Process(...)` expression; `index` a 0-based
 * expression in scope), in one of the ways the issue lists: counted loops with `<` or `<=`, a
 * bound written `BASE + 1`, `Array.from`, `map`/`forEach` over a literal, `filter` of a roster,
 * `slice` of a name list, conditional `push`. `field` holds them in `this.<name>` (already
 * declared as an array) instead of a new local.
 */
export function crew(g: Gen, m: Module, o: { name: string; n: number; make: (index: string) => string; field?: boolean; axis?: string }): Crew {
  const { name, n, make } = o;
  const style = g.pick(o.axis ?? 'count', [
    ['loop-lt', 3], ['loop-le', 2], ['base-plus', 1], ['array-from', 2], ['map-literal', 2], ['foreach-literal', 2],
    ['filter', 2], ['slice', 2], ['cond-push', 2], ['while', 1],
  ]);
  const sr = g.stream('count-shape');
  const list = o.field ? `this.${name}` : name;
  const P = m.t('Process');
  const declare = o.field ? [] : [`const ${name}: ${P}[] = [];`];
  const up = name.toUpperCase();
  const decls: string[] = [];
  let lines: string[];
  let countExpr = `${list}.length`;
  switch (style) {
    case 'loop-lt': {
      const c = countRef(g, n, `${name}Count`);
      decls.push(...c.decls);
      countExpr = c.expr;
      lines = [...declare, `for (let i = 0; i < ${c.expr}; i++) {`, `  ${list}.push(${make('i')});`, '}'];
      break;
    }
    case 'loop-le': {
      const c = countRef(g, n, `${name}Count`);
      decls.push(...c.decls);
      countExpr = c.expr;
      lines = [...declare, `for (let k = 1; k <= ${c.expr}; k++) {`, `  const p = ${make('k - 1')};`, `  ${list}.push(p);`, '}'];
      break;
    }
    case 'base-plus':
      decls.push(`const ${up}_BASE = ${n - 1};`);
      countExpr = `${up}_BASE + 1`;
      lines = [...declare, `for (let i = 0; i < ${up}_BASE + 1; i++) ${list}.push(${make('i')});`];
      break;
    case 'array-from': {
      const c = countRef(g, n, `${name}Count`);
      decls.push(...c.decls);
      const expr = `Array.from({ length: ${c.expr} }, (_, i) => ${make('i')})`;
      lines = o.field ? [`${list}.push(...${expr});`] : [`const ${name} = ${expr};`];
      break;
    }
    case 'map-literal': {
      const lit = sr.chance(0.5) ? `[${NAMES.slice(0, n).map((s) => `'${s}'`).join(', ')}]` : `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
      const expr = `${lit}.map((_, i) => ${make('i')})`;
      lines = o.field ? [`${list}.push(...${expr});`] : [`const ${name} = ${expr};`];
      break;
    }
    case 'foreach-literal': {
      const lit = `[${NAMES.slice(0, n).map((s) => `'${s}'`).join(', ')}]`;
      lines = [...declare, `${lit}.forEach((label, i) => {`, `  ${list}.push(${make('i')});`, '});'];
      break;
    }
    case 'filter': {
      const roster: string[] = [];
      let active = 0;
      let k = 0;
      while (active < n) {
        const on = sr.chance(0.7) || roster.length === 0 ? active < n : false;
        roster.push(`{ name: '${NAMES[k++ % NAMES.length]}', active: ${on} }`);
        if (on) active++;
      }
      if (roster.length === n) roster.splice(sr.int(0, n), 0, `{ name: '${NAMES[k % NAMES.length]}', active: false }`);
      decls.push(`const ${up}_ROSTER = [${roster.join(', ')}];`);
      const expr = `${up}_ROSTER.filter((r) => r.active).map((r, i) => ${make('i')})`;
      lines = o.field ? [`${list}.push(...${expr});`] : [`const ${name} = ${expr};`];
      break;
    }
    case 'slice': {
      const total = n + sr.int(1, 3);
      decls.push(`const ${up}_NAMES = [${NAMES.slice(0, total).map((s) => `'${s}'`).join(', ')}];`);
      const fromEnd = sr.chance(0.4);
      const sl = fromEnd ? `slice(${total - n})` : `slice(0, ${n})`;
      const expr = `${up}_NAMES.${sl}.map((who, i) => ${make('i')})`;
      lines = o.field ? [`${list}.push(...${expr});`] : [`const ${name} = ${expr};`];
      break;
    }
    case 'cond-push': {
      const specs: string[] = [];
      let w = 0;
      while (w < n) {
        if (sr.chance(0.3)) specs.push(`{ role: 'monitor' }`);
        specs.push(`{ role: 'worker' }`);
        w++;
      }
      if (specs.length === n) specs.push(`{ role: 'monitor' }`);
      decls.push(`const ${up}_SPECS = [${specs.join(', ')}];`);
      lines = [...declare, `for (const spec of ${up}_SPECS) {`, `  if (spec.role !== 'worker') continue;`, `  ${list}.push(${make(`${list}.length`)});`, '}'];
      break;
    }
    default: {
      const c = countRef(g, n, `${name}Count`);
      decls.push(...c.decls);
      countExpr = c.expr;
      lines = [...declare, 'let made = 0;', `while (made < ${c.expr}) {`, `  ${list}.push(${make('made')});`, '  made += 1;', '}'];
    }
  }
  return { decls, lines, list, count: n, countExpr };
}

export function startAll(g: Gen, list: string): string[] {
  const s = g.pick('start', [['for-of', 3], ['forEach', 2], ['index', 1]]);
  if (s === 'for-of') return [`for (const w of ${list}) w.start();`];
  if (s === 'forEach') return [`${list}.forEach((w) => w.start());`];
  return [`for (let i = 0; i < ${list}.length; i++) ${list}[i]!.start();`];
}

export function joinAll(g: Gen, list: string): string[] {
  const s = g.pick('join', [['for-of', 3], ['all', 2], ['reverse', 1]]);
  if (s === 'for-of') return [`for (const w of ${list}) await w.join();`];
  if (s === 'all') return [`await Promise.all(${list}.map((w) => w.join()));`];
  return [`for (let i = ${list}.length - 1; i >= 0; i--) await ${list}[i]!.join();`];
}

/**
 * Puts `count` sentinels (`value`) on `q`: `count` is a crew (one per member, written several
 * ways) and `short` leaves one out (the injected missing-sentinel bug).
 */
export function sentinels(g: Gen, c: Crew, q: string, value: string, short: boolean): string[] {
  const s = g.pick('sentinels', [['for-of', 3], ['counted', 2], ['all', 2]]);
  if (!short) {
    if (s === 'for-of') return [`for (const _ of ${c.list}) await ${q}.put(${value});`];
    if (s === 'counted') return [`for (let i = 0; i < ${c.countExpr}; i++) await ${q}.put(${value});`];
    return [`await Promise.all(${c.list}.map(() => ${q}.put(${value})));`];
  }
  if (s === 'for-of') return [`for (const _ of ${c.list}.slice(1)) await ${q}.put(${value});`];
  if (s === 'counted') return [`for (let i = 1; i < ${c.countExpr}; i++) await ${q}.put(${value});`];
  return [`await Promise.all(${c.list}.slice(0, -1).map(() => ${q}.put(${value})));`];
}

/**
 * A consumer loop: takes items from `get` (an expression that awaits one) until the sentinel
 * `null`, running `body` with the item in `item`. Items are never 0 or empty, so every test of
 * the sentinel below means the same: `=== null`, `== null`, `!item`, `typeof`, assignment in the
 * `while` condition, a `for` whose update takes the next item, a flag, a type guard helper.
 * `body` may `continue`; `exit` is the statement that leaves (break, or return when the loop ends
 * the function).
 */
export function consumeLoop(g: Gen, get: string, itemType: string, body: string[], opts: { canReturn: boolean; numeric: boolean }): { pre: string[]; lines: string[] } {
  const styles: [string, number][] = [
    ['eq-null', 3], ['loose-null', 1], ['not', 2], ['while-assign', 2], ['for-update', 1], ['flag', 1], ['guard-fn', 1],
  ];
  if (opts.numeric) styles.push(['typeof', 1]);
  if (opts.canReturn) styles.push(['return', 2]);
  const s = g.pick('stop-test', styles);
  const pre: string[] = [];
  switch (s) {
    case 'eq-null':
      return { pre, lines: ['for (;;) {', `  const item = ${get};`, '  if (item === null) break;', ...indent(body), '}'] };
    case 'loose-null':
      return { pre, lines: ['while (true) {', `  const item = ${get};`, '  if (item == null) break;', ...indent(body), '}'] };
    case 'not':
      return { pre, lines: ['for (;;) {', `  const item = ${get};`, '  if (!item) break;', ...indent(body), '}'] };
    case 'typeof':
      return { pre, lines: ['for (;;) {', `  const item = ${get};`, `  if (typeof item !== 'number') break;`, ...indent(body), '}'] };
    case 'return':
      return { pre, lines: ['while (true) {', `  const item = ${get};`, '  if (item === null) return;', ...indent(body), '}'] };
    case 'while-assign':
      return { pre, lines: [`let item: ${itemType} | null;`, `while ((item = ${get}) !== null) {`, ...indent(body), '}'] };
    case 'for-update':
      return { pre, lines: [`for (let item = ${get}; item !== null; item = ${get}) {`, ...indent(body), '}'] };
    case 'flag':
      return { pre, lines: ['let open = true;', 'while (open) {', `  const item = ${get};`, '  if (item === null) {', '    open = false;', '    continue;', '  }', ...indent(body), '}'] };
    default:
      pre.push(`function isStop(v: unknown): v is null {`, '  return v === null;', '}', '');
      return { pre, lines: ['for (;;) {', `  const item = ${get};`, '  if (isStop(item)) break;', ...indent(body), '}'] };
  }
}

/** `const pause = ...`: the one timer the programs use, always short. */
export const PAUSE = 'const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));';
