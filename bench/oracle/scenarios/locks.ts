// Scenarios built on locks: dining philosophers over an array of forks taken by computed index,
// bank tellers moving money between accounts guarded by per-account locks (ordered by id, by a
// conditional destructuring, or by one bank lock), a ledger class whose method calls another that
// takes the same lock (RLock needed), and workers that skip a release on an early exit.
import { consumeLoop, crew, guard, indent, joinAll, startAll, type Gen } from '../style';
import { exportAsync, fnStyle, layout, type Built, type Scenario } from '../scenario';

/** The pause between the first and the second lock: wide enough that every process holds its first. */
const HOLD_MS = 500;

export const philosophers: Scenario = {
  name: 'philosophers',
  weight: 2,
  bugs: [{ kind: 'naive-order', rule: 'lock-order-inversion', weight: 1, note: 'every philosopher takes the left fork first: a cycle of waits' }],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    for (const p of ['Lock', 'Barrier', 'Value', 'Process']) g.feature('primitive', p);
    g.feature('index', 'computed');
    const N = r.int(2, 5);
    const rounds = r.int(1, 2);
    const order = g.pick('order', [['min-max', 2], ['cond-destructure', 2], ['last-reversed', 1]]);
    if (bug) g.relabel('order', 'naive');
    const acq = g.pick('acquire', [['acquire-finally', 2], ['with-lock', 2]]);
    const pass = g.pick('pass', [['args', 2], ['record', 1]]);
    const form = fnStyle(g);
    const pause = targets.pause();
    const L = targets.t('Lock');
    const B = targets.t('Barrier');
    const V = targets.t('SynchronizedValue', "'i'");
    let pick: string[];
    if (bug) pick = ['const first = forks[left]!;', 'const second = forks[right]!;'];
    else if (order === 'min-max') pick = ['const first = forks[Math.min(left, right)]!;', 'const second = forks[Math.max(left, right)]!;'];
    else if (order === 'cond-destructure') pick = ['const [first, second] = left < right ? [forks[left]!, forks[right]!] : [forks[right]!, forks[left]!];'];
    else pick = ['const [a, b] = seat === forks.length - 1 ? [right, left] : [left, right];', 'const first = forks[a]!;', 'const second = forks[b]!;'];
    const eat = 'await meals.getLock().withLock(async () => meals.set((await meals.get()) + 1));';
    const dine = acq === 'acquire-finally'
      ? ['await first.acquire();', 'try {', `  await ${pause}(${HOLD_MS});`, '  await second.acquire();', '  try {', `    ${eat}`, '  } finally {', '    await second.release();', '  }', '} finally {', '  await first.release();', '}']
      : [`await first.withLock(async () => {`, `  await ${pause}(${HOLD_MS});`, '  await second.withLock(async () => {', `    ${eat}`, '  });', '});'];
    const body = [
      ...(pass === 'record' ? ['const { forks, start, meals } = table;'] : []),
      'const left = seat;', 'const right = (seat + 1) % forks.length;', ...pick,
      'await start.wait();',
      'for (let round = 0; round < rounds; round++) {', ...indent(dine), '}',
    ];
    if (pass === 'record') {
      targets.add('export interface Table {', `  forks: ${L}[];`, `  start: ${B};`, `  meals: ${V};`, '}', '');
      targets.add(...exportAsync(form, 'philosopher', 'seat: number, table: Table, rounds: number', body), '');
    } else {
      targets.add(...exportAsync(form, 'philosopher', `seat: number, forks: ${L}[], start: ${B}, meals: ${V}, rounds: number`, body), '');
    }
    main.use(targets, 'philosopher');
    const P = main.v('Process');
    const top = [`const SEATS = ${N};`, `const ROUNDS = ${rounds};`];
    const lines = [
      g.pick('lock-array', [['from', 1], ['push', 1]]) === 'from' ? `const forks = Array.from({ length: SEATS }, () => new ${main.v('Lock')}());` : `const forks: ${main.t('Lock')}[] = [];\nfor (let i = 0; i < SEATS; i++) forks.push(new ${main.v('Lock')}());`,
      `const start = new ${main.v('Barrier')}(SEATS);`,
      `const meals = ${main.v('Value')}('i', 0);`,
    ].flatMap((l) => l.split('\n'));
    if (pass === 'record') lines.push('const table = { forks, start, meals };');
    const c = crew(g, main, { name: 'diners', n: N, make: (i) => `new ${P}({ target: philosopher, args: [${i}, ${pass === 'record' ? 'table' : 'forks, start, meals'}, ROUNDS] })` });
    top.push(...c.decls);
    lines.push(...c.lines, ...startAll(g, c.list), ...joinAll(g, c.list), 'console.log(`RESULT meals ${await meals.get()}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return { expect: { effect: 'hangs', certainty: 'likely' }, processes: N };
    return { expect: { effect: 'completes', results: { meals: N * rounds } }, processes: N };
  },
};

export const transfer: Scenario = {
  name: 'transfer',
  weight: 2,
  bugs: [
    { kind: 'naive-order', rule: 'lock-order-inversion', weight: 2, note: 'each transfer locks its source account first: two opposite transfers wait on each other' },
    { kind: 'no-lock', rule: 'unsynchronized-update', weight: 2, note: 'transfers read then write balances without any lock: lost updates' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets, helpers } = layout(g);
    for (const p of ['Lock', 'Barrier', 'SharedArray', 'Process']) g.feature('primitive', p);
    const A = r.int(2, 4);
    const T = r.int(2, 3);
    const init = Array.from({ length: A }, () => 10 * r.int(5, 20));
    const jobs: [number, number, number][][] = [];
    for (let t = 0; t < T; t++) {
      const list: [number, number, number][] = [];
      if (t < 2) list.push(t === 0 ? [0, 1, r.int(1, 9)] : [1, 0, r.int(1, 9)]);
      for (let k = r.int(0, 2); k > 0; k--) {
        const from = r.int(0, A - 1);
        const to = (from + r.int(1, A - 1)) % A;
        list.push([from, to, r.int(1, 9)]);
      }
      jobs.push(list);
    }
    const style = g.pick('locking', [['ordered-ternary', 2], ['ordered-minmax', 1], ['bank-lock', 1]]);
    if (bug) g.relabel('locking', bug === 'naive-order' ? 'naive' : 'none');
    const raw = g.pick('shared-array', [['raw', 1], ['synchronized', 1]]) === 'raw';
    g.feature('index', 'computed');
    const form = fnStyle(g);
    const pause = helpers.pause();
    const SA = helpers.t(raw ? 'RawSharedArray' : 'SynchronizedArray', "'i'");
    const exp = helpers === main ? '' : 'export ';
    helpers.add(
      `${exp}async function move(balances: ${SA}, from: number, to: number, amount: number): Promise<void> {`,
      '  const a = await balances.get(from);', '  const b = await balances.get(to);', `  await ${pause}(30);`,
      '  await balances.set(from, a - amount);', '  await balances.set(to, b + amount);', '}', '',
    );
    const move = targets.use(helpers, 'move');
    const TSA = targets.t(raw ? 'RawSharedArray' : 'SynchronizedArray', "'i'");
    const L = targets.t('Lock');
    const tp = targets.pause();
    let step: string[];
    if (bug === 'no-lock') step = [`await ${move}(balances, from, to, amount);`];
    else if (bug === 'naive-order') step = ['const first = locks[from]!;', 'const second = locks[to]!;'];
    else if (style === 'ordered-ternary') step = ['const [first, second] = from < to ? [locks[from]!, locks[to]!] : [locks[to]!, locks[from]!];'];
    else if (style === 'ordered-minmax') step = ['const first = locks[Math.min(from, to)]!;', 'const second = locks[Math.max(from, to)]!;'];
    else step = [`await bank.withLock(() => ${move}(balances, from, to, amount));`];
    if (bug === 'naive-order' || style.startsWith('ordered') && !bug) {
      step.push('await first.acquire();', 'try {', `  await ${tp}(${HOLD_MS});`, '  await second.withLock(() => ' + move + '(balances, from, to, amount));', '} finally {', '  await first.release();', '}');
    }
    const params = `jobs: [number, number, number][], balances: ${TSA}, locks: ${L}[], bank: ${L}, start: ${targets.t('Barrier')}`;
    targets.add(...exportAsync(form, 'teller', params, ['await start.wait();', 'for (const [from, to, amount] of jobs) {', ...indent(step), '}']), '');
    main.use(targets, 'teller');
    const P = main.v('Process');
    const top = [`const OPENING = [${init.join(', ')}];`, `const TRANSFERS: [number, number, number][][] = ${JSON.stringify(jobs)};`];
    const lines = [
      `const balances = ${main.v('SharedArray')}('i', OPENING${raw ? ', { lock: false }' : ''});`,
      `const locks = OPENING.map(() => new ${main.v('Lock')}());`,
      `const bank = new ${main.v('Lock')}();`,
      `const start = new ${main.v('Barrier')}(TRANSFERS.length);`,
      `const tellers = TRANSFERS.map((jobs) => new ${P}({ target: teller, args: [jobs, balances, locks, bank, start] }));`,
      ...startAll(g, 'tellers'), ...joinAll(g, 'tellers'),
      'for (let i = 0; i < OPENING.length; i++) console.log(`RESULT b${i} ${await balances.get(i)}`);',
    ];
    main.add(...top, '', ...guard(g, main, lines));
    const final = [...init];
    for (const list of jobs) for (const [f, t, a] of list) { final[f]! -= a; final[t]! += a; }
    const results = Object.fromEntries(final.map((v, i) => [`b${i}`, v]));
    if (bug === 'naive-order') return { expect: { effect: 'hangs', certainty: 'likely' }, processes: T };
    if (bug === 'no-lock') return { expect: { effect: 'lost-update', exact: results }, processes: T };
    return { expect: { effect: 'completes', results }, processes: T };
  },
};

export const reentrant: Scenario = {
  name: 'reentrant',
  weight: 2,
  bugs: [{ kind: 'lock-not-rlock', rule: 'double-acquire', weight: 1, note: 'a method holding the lock calls another that takes it again; the lock is not reentrant' }],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets, helpers } = layout(g);
    g.feature('primitive', 'Process');
    g.feature('primitive', 'SharedArray');
    const shape = g.pick('reentry', [['class', 3], ['recursion', 2], ['helpers', 1]]);
    const innerUnlocked = g.pick('reentry-fix', [['rlock', 7], ['inner-unlocked', 3]], false) === 'inner-unlocked' && !bug;
    const kind = bug || innerUnlocked ? 'Lock' : 'RLock';
    g.feature('primitive', kind);
    if (innerUnlocked) g.feature('reentry-fix', 'inner-unlocked');
    const clerks = r.int(1, 3);
    const slots = r.int(2, 4);
    const ops: [number, number][][] = Array.from({ length: clerks }, () => Array.from({ length: r.int(1, 3) }, () => [r.int(0, slots - 1), r.int(1, 9)] as [number, number]));
    const form = fnStyle(g);
    const exp = helpers === main ? '' : 'export ';
    const LK = helpers.t(kind);
    const SA = helpers.t('SynchronizedArray', "'i'");
    let entry: string;
    if (shape === 'class') {
      helpers.add(
        `${exp}class Ledger {`,
        `  constructor(private readonly lock: ${LK}, private readonly slots: ${SA}) {}`, '',
        '  async add(slot: number, n: number): Promise<void> {',
        '    await this.lock.withLock(async () => {',
        '      const v = await this.slots.get(slot);',
        '      await this.slots.set(slot, v + n);',
        '      await this.check(slot);',
        '    });',
        '  }', '',
        '  async check(slot: number): Promise<void> {',
        ...(innerUnlocked
          ? ['    // called with the lock held', '    const v = await this.slots.get(slot);', '    if (v < 0) console.log(`slot ${slot} is negative`);']
          : ['    await this.lock.withLock(async () => {', '      const v = await this.slots.get(slot);', '      if (v < 0) console.log(`slot ${slot} is negative`);', '    });']),
        '  }',
        '}', '',
      );
      entry = 'const ledger = new Ledger(lock, slots);\nfor (const [slot, n] of ops) await ledger.add(slot, n);';
      targets.use(helpers, 'Ledger');
    } else if (shape === 'recursion') {
      helpers.add(
        `${exp}async function settle(lock: ${LK}, slots: ${SA}, slot: number, n: number, depth: number): Promise<void> {`,
        ...(innerUnlocked
          ? ['  if (depth > 0) {', '    await lock.acquire();', '    try {', '      await settle(lock, slots, slot, n, 0);', '    } finally {', '      await lock.release();', '    }', '    return;', '  }',
            '  await slots.set(slot, (await slots.get(slot)) + n);']
          : ['  await lock.acquire();', '  try {', '    if (depth > 0) await settle(lock, slots, slot, n, depth - 1);', '    else await slots.set(slot, (await slots.get(slot)) + n);', '  } finally {', '    await lock.release();', '  }']),
        '}', '',
      );
      entry = 'for (const [slot, n] of ops) await settle(lock, slots, slot, n, 1);';
      targets.use(helpers, 'settle');
    } else {
      helpers.add(
        `${exp}async function bump(lock: ${LK}, slots: ${SA}, slot: number, n: number): Promise<void> {`,
        ...(innerUnlocked ? ['  await slots.set(slot, (await slots.get(slot)) + n);'] : ['  await lock.withLock(async () => slots.set(slot, (await slots.get(slot)) + n));']),
        '}', '',
        `${exp}async function apply(lock: ${LK}, slots: ${SA}, ops: [number, number][]): Promise<void> {`,
        '  for (const [slot, n] of ops) {', '    await lock.withLock(() => bump(lock, slots, slot, n));', '  }', '}', '',
      );
      entry = 'await apply(lock, slots, ops);';
      targets.use(helpers, 'apply');
    }
    targets.add(...exportAsync(form, 'clerk', `lock: ${targets.t(kind)}, slots: ${targets.t('SynchronizedArray', "'i'")}, ops: [number, number][]`, entry.split('\n')), '');
    main.use(targets, 'clerk');
    const P = main.v('Process');
    const top = [`const WORK: [number, number][][] = ${JSON.stringify(ops)};`];
    const lines = [
      `const lock = new ${main.v(kind)}();`,
      `const slots = ${main.v('SharedArray')}('i', ${slots});`,
      `const clerks = WORK.map((ops) => new ${P}({ target: clerk, args: [lock, slots, ops] }));`,
      ...startAll(g, 'clerks'), ...joinAll(g, 'clerks'),
      'let total = 0;', `for (let i = 0; i < ${slots}; i++) total += await slots.get(i);`,
      'console.log(`RESULT total ${total}`);',
    ];
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return { expect: { effect: 'hangs', certainty: 'always' }, processes: clerks };
    return { expect: { effect: 'completes', results: { total: ops.flat().reduce((s, [, n]) => s + n, 0) } }, processes: clerks };
  },
};

export const skipRelease: Scenario = {
  name: 'skip-release',
  weight: 2,
  bugs: [{ kind: 'early-exit', rule: 'lock-not-released', weight: 1, note: 'an early exit (continue, return, caught throw) skips the release; the next acquire waits forever' }],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    g.feature('primitive', 'Process');
    g.feature('primitive', 'Queue');
    g.feature('primitive', 'Value');
    const kind = g.pick('guard-kind', [['Lock', 3], ['Semaphore', 1], ['BoundedSemaphore', 1]]);
    g.feature('primitive', kind);
    const exit = g.pick('early-exit', [['continue', 2], ['return-helper', 2], ['throw-caught', 2]]);
    const fix = g.pick('release-fix', [['finally', 1], ['explicit', 1]], !bug);
    const n = r.int(1, 3);
    const items = r.items(r.int(3, 7));
    if (!items.some((x) => x % 4 === 0)) items[r.int(0, items.length - 1)] = 4 * r.int(1, 8);
    while (new Set(items).size !== items.length) items[0] = items[0]! + 1;
    const form = fnStyle(g);
    const G = targets.t(kind);
    const V = targets.t('RawSharedValue', "'i'");
    const update = 'await total.set((await total.get()) + item);';
    let body: string[];
    let pre: string[] = [];
    if (exit === 'continue') {
      body = bug
        ? ['await guard.acquire();', 'if (item % 4 === 0) {', '  console.log(`skipping ${item}`);', '  continue;', '}', update, 'await guard.release();']
        : fix === 'finally'
          ? ['await guard.acquire();', 'try {', '  if (item % 4 === 0) {', '    console.log(`skipping ${item}`);', '    continue;', '  }', `  ${update}`, '} finally {', '  await guard.release();', '}']
          : ['await guard.acquire();', 'if (item % 4 === 0) {', '  console.log(`skipping ${item}`);', '  await guard.release();', '  continue;', '}', update, 'await guard.release();'];
    } else if (exit === 'return-helper') {
      pre = [
        `async function record(guard: ${G}, total: ${V}, item: number): Promise<void> {`,
        ...indent(bug
          ? ['await guard.acquire();', 'if (item % 4 === 0) return;', update, 'await guard.release();']
          : fix === 'finally'
            ? ['await guard.acquire();', 'try {', '  if (item % 4 === 0) return;', `  ${update}`, '} finally {', '  await guard.release();', '}']
            : ['await guard.acquire();', 'if (item % 4 === 0) {', '  await guard.release();', '  return;', '}', update, 'await guard.release();']),
        '}', '',
      ];
      body = ['await record(guard, total, item);'];
    } else {
      pre = ['function check(item: number): void {', '  if (item % 4 === 0) throw new Error(`item ${item} is reserved`);', '}', ''];
      body = bug
        ? ['try {', '  await guard.acquire();', '  check(item);', `  ${update}`, '  await guard.release();', '} catch (err) {', '  console.log(`skipped: ${(err as Error).message}`);', '}']
        : fix === 'finally'
          ? ['await guard.acquire();', 'try {', '  check(item);', `  ${update}`, '} catch (err) {', '  console.log(`skipped: ${(err as Error).message}`);', '} finally {', '  await guard.release();', '}']
          : ['try {', '  await guard.acquire();', '  check(item);', `  ${update}`, '  await guard.release();', '} catch (err) {', '  console.log(`skipped: ${(err as Error).message}`);', '  await guard.release();', '}'];
    }
    targets.add(...pre);
    const loop = consumeLoop(g, 'await jobs.get()', 'number', body, { canReturn: false, numeric: true });
    targets.helper(loop.pre);
    targets.add(...exportAsync(form, 'tally', `jobs: ${targets.t('Queue', 'number | null')}, guard: ${G}, total: ${V}, done: ${V}`, [
      ...loop.lines,
      '// sign off under the guard',
      'await guard.acquire();', 'await done.set((await done.get()) + 1);', 'await guard.release();',
    ]), '');
    main.use(targets, 'tally');
    const P = main.v('Process');
    const top = [`const ITEMS = [${items.join(', ')}];`];
    const lines = [
      `const jobs = new ${main.v('Queue')}<number | null>();`,
      `const guard = new ${main.v(kind)}(${kind === 'Lock' ? '' : '1'});`,
      `const total = ${main.v('Value')}('i', 0, { lock: false });`,
      `const done = ${main.v('Value')}('i', 0, { lock: false });`,
    ];
    const c = crew(g, main, { name: 'workers', n, make: () => `new ${P}({ target: tally, args: [jobs, guard, total, done] })` });
    top.push(...c.decls);
    lines.push(...c.lines, ...startAll(g, c.list), 'for (const x of ITEMS) await jobs.put(x);', `for (const _ of ${c.list}) await jobs.put(null);`, ...joinAll(g, c.list),
      'console.log(`RESULT total ${await total.get()}`);', 'console.log(`RESULT done ${await done.get()}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return { expect: { effect: 'hangs', certainty: 'always' }, processes: n };
    return { expect: { effect: 'completes', results: { total: items.filter((x) => x % 4 !== 0).reduce((s, x) => s + x, 0), done: n } }, processes: n };
  },
};
