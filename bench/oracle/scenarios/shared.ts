// Scenarios on shared state and pools: workers (processes behind a start barrier, or pool tasks)
// incrementing a Value, a SharedArray element, a manager dict key or one of two counters chosen
// by a condition, each read-pause-write under one common lock — or, injected, under no lock or a
// lock each worker makes for itself (lost updates). And pool programs: map / starmap / applyAsync
// / imap / apply in `await using`, try/finally or a class, with join before close, a submit
// after close, and an AsyncResult read after terminate() as injected bugs.
import { guard, indent, type Gen } from '../style';
import { exportAsync, fnStyle, layout, type Built, type Scenario } from '../scenario';

export const counter: Scenario = {
  name: 'counter',
  weight: 3,
  bugs: [
    { kind: 'no-lock', rule: 'unsynchronized-update', weight: 2, note: 'workers read then write shared state without a lock' },
    { kind: 'own-lock', rule: 'unsynchronized-update', weight: 1, note: 'each worker makes its own lock, so none is common' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    const state = g.pick('state', [['value-getlock', 2], ['value-lock', 2], ['array', 2], ['manager-dict', 2], ['cond-choice', 2]]);
    const viaPool = g.pick('runner', [['processes', 1], ['pool', 1]], false) === 'pool' && state === 'manager-dict';
    g.feature('runner', viaPool ? 'pool' : 'processes');
    const n = r.int(2, 4);
    const per = r.int(3, 6);
    const form = fnStyle(g);
    const pause = targets.pause();
    const lockStyle = g.pick('acquire', [['with-lock', 1], ['acquire-finally', 1]], !bug);
    const locked = (inner: string[], lock: string) => {
      if (bug === 'no-lock') return inner;
      if (lockStyle === 'with-lock') return [`await ${lock}.withLock(async () => {`, ...indent(inner), '});'];
      return [`await ${lock}.acquire();`, 'try {', ...indent(inner), '} finally {', `  await ${lock}.release();`, '}'];
    };
    const own = bug === 'own-lock' ? [`const lock = new ${targets.v('Lock')}();   // one per worker`] : [];
    const lines: string[] = [];
    const top = [`const WORKERS = ${n};`, `const ROUNDS = ${per};`];
    const P = main.v('Process');
    let results: Record<string, number>;
    const startBarrier = !viaPool;
    const bar = startBarrier ? 'await start.wait();' : '';
    const B = targets.t('Barrier');
    if (state === 'value-getlock') {
      g.feature('primitive', 'Value');
      const body = ['const v = await counter.get();', `await ${pause}(3);`, 'await counter.set(v + 1);'];
      const guardLock = bug === 'own-lock' ? 'lock' : 'counter.getLock()';
      targets.add(...exportAsync(form, 'bump', `counter: ${targets.t('SynchronizedValue', "'i'")}, start: ${B}, rounds: number`, [
        bar, ...own, 'for (let i = 0; i < rounds; i++) {', ...indent(locked(body, guardLock)), '}',
      ].filter(Boolean)), '');
      lines.push(`const counter = ${main.v('Value')}('i', 0);`, `const start = new ${main.v('Barrier')}(WORKERS);`,
        `const workers = Array.from({ length: WORKERS }, () => new ${P}({ target: bump, args: [counter, start, ROUNDS] }));`);
      results = { count: n * per };
      lines.push('for (const w of workers) w.start();', 'for (const w of workers) await w.join();', 'console.log(`RESULT count ${await counter.get()}`);');
    } else if (state === 'value-lock' || state === 'array') {
      const arr = state === 'array';
      g.feature('primitive', arr ? 'SharedArray' : 'Value');
      g.feature('primitive', 'Lock');
      const T = arr ? targets.t('RawSharedArray', "'i'") : targets.t('RawSharedValue', "'i'");
      const body = arr
        ? ['const slot = (id + i) % cells.length;', 'const v = await cells.get(slot);', `await ${pause}(3);`, 'await cells.set(slot, v + 1);']
        : ['const v = await counter.get();', `await ${pause}(3);`, 'await counter.set(v + 1);'];
      const name = arr ? 'cells' : 'counter';
      targets.add(...exportAsync(form, 'bump', `id: number, ${name}: ${T}, lock: ${targets.t('Lock')}, start: ${B}, rounds: number`, [
        bar, ...(bug === 'own-lock' ? ['lock = new ' + targets.v('Lock') + '();   // a fresh one, just for this worker'] : []),
        'for (let i = 0; i < rounds; i++) {', ...indent(locked(arr ? body : body, 'lock')), '}',
      ].filter(Boolean)), '');
      const size = r.int(1, 2);
      lines.push(arr ? `const cells = ${main.v('SharedArray')}('i', ${size}, { lock: false });` : `const counter = ${main.v('Value')}('i', 0, { lock: false });`,
        `const lock = new ${main.v('Lock')}();`, `const start = new ${main.v('Barrier')}(WORKERS);`,
        `const workers = Array.from({ length: WORKERS }, (_, id) => new ${P}({ target: bump, args: [id, ${name}, lock, start, ROUNDS] }));`,
        'for (const w of workers) w.start();', 'for (const w of workers) await w.join();');
      if (arr) {
        lines.push('let count = 0;', `for (let s = 0; s < cells.length; s++) count += await cells.get(s);`, 'console.log(`RESULT count ${count}`);');
      } else lines.push('console.log(`RESULT count ${await counter.get()}`);');
      results = { count: n * per };
    } else if (state === 'cond-choice') {
      for (const p of ['Value', 'Lock']) g.feature('primitive', p);
      g.feature('choice', 'conditional-object');
      const T = targets.t('RawSharedValue', "'i'");
      targets.add(`export interface Stats {`, `  evens: ${T};`, `  odds: ${T};`, '}', '');
      const body = ['const target = (id + i) % 2 === 0 ? stats.evens : stats.odds;', 'const v = await target.get();', `await ${pause}(3);`, 'await target.set(v + 1);'];
      targets.add(...exportAsync(form, 'bump', `id: number, stats: Stats, lock: ${targets.t('Lock')}, start: ${B}, rounds: number`, [
        bar, ...(bug === 'own-lock' ? ['lock = new ' + targets.v('Lock') + '();   // a fresh one, just for this worker'] : []),
        'for (let i = 0; i < rounds; i++) {', ...indent(locked(body, 'lock')), '}',
      ].filter(Boolean)), '');
      lines.push(`const stats = { evens: ${main.v('Value')}('i', 0, { lock: false }), odds: ${main.v('Value')}('i', 0, { lock: false }) };`,
        `const lock = new ${main.v('Lock')}();`, `const start = new ${main.v('Barrier')}(WORKERS);`,
        `const workers = Array.from({ length: WORKERS }, (_, id) => new ${P}({ target: bump, args: [id, stats, lock, start, ROUNDS] }));`,
        'for (const w of workers) w.start();', 'for (const w of workers) await w.join();',
        'console.log(`RESULT evens ${await stats.evens.get()}`);', 'console.log(`RESULT odds ${await stats.odds.get()}`);');
      let evens = 0;
      for (let id = 0; id < n; id++) for (let i = 0; i < per; i++) if ((id + i) % 2 === 0) evens++;
      results = { evens, odds: n * per - evens };
    } else {
      g.feature('primitive', 'Manager');
      const D = targets.t('DictProxy', 'string, number');
      const LP = targets.t('LockProxy');
      const keys = ['red', 'green', 'blue'].slice(0, r.int(1, 2));
      const body = ['const v = (await tally.get(key)) ?? 0;', `await ${pause}(${viaPool ? 50 : 3});`, 'await tally.set(key, v + 1);'];
      const ownLock = bug === 'own-lock' ? ['lock = new ' + targets.v('Lock') + '();   // a fresh one, just for this task'] : [];
      top.push(`const KEYS = [${keys.map((k) => `'${k}'`).join(', ')}];`);
      if (viaPool) {
        g.feature('primitive', 'Pool');
        targets.add(...exportAsync(form, 'record', `tally: ${D}, lock: ${LP} | ${targets.t('Lock')}, key: string`, [...ownLock, ...locked(body, 'lock'), 'return key;']), '');
        main.use(targets, 'record');
        lines.push(
          `const manager = new ${main.v('Manager')}();`, 'await manager.start();',
          'const tally = await manager.dict<string, number>();', 'const lock = await manager.Lock();',
          'const tasks: string[] = [];', 'for (let i = 0; i < WORKERS * ROUNDS; i++) tasks.push(KEYS[i % KEYS.length]!);',
          `const pool = new ${main.v('Pool')}(${r.int(2, 3)});`,
          'try {', '  await pool.starmap(record, tasks.map((key) => [tally, lock, key] as const));', '} finally {', '  pool.close();', '  await pool.join();', '}',
        );
      } else {
        targets.add(...exportAsync(form, 'bump', `tally: ${D}, lock: ${LP} | ${targets.t('Lock')}, keys: string[], start: ${B}, rounds: number`, [
          bar, ...ownLock, 'for (let i = 0; i < rounds; i++) {', '  const key = keys[i % keys.length]!;', ...indent(locked(body, 'lock')), '}',
        ].filter(Boolean)), '');
        lines.push(
          `const manager = new ${main.v('Manager')}();`, 'await manager.start();',
          'const tally = await manager.dict<string, number>();', 'const lock = await manager.Lock();',
          `const start = new ${main.v('Barrier')}(WORKERS);`,
          `const workers = Array.from({ length: WORKERS }, () => new ${P}({ target: bump, args: [tally, lock, KEYS, start, ROUNDS] }));`,
          'for (const w of workers) w.start();', 'for (const w of workers) await w.join();',
        );
      }
      results = {};
      if (viaPool) {
        const total = n * per;
        for (let i = 0; i < total; i++) results[keys[i % keys.length]!] = (results[keys[i % keys.length]!] ?? 0) + 1;
      } else {
        for (let w = 0; w < n; w++) for (let i = 0; i < per; i++) results[keys[i % keys.length]!] = (results[keys[i % keys.length]!] ?? 0) + 1;
      }
      lines.push('for (const key of KEYS) console.log(`RESULT ${key} ${await tally.get(key)}`);', 'await manager.shutdown();');
    }
    if (!viaPool) main.use(targets, 'bump');
    main.add(...top, '', ...guard(g, main, lines));
    const processes = (viaPool ? 3 : n) + (state === 'manager-dict' ? 1 : 0);
    if (bug) return { expect: { effect: 'lost-update', exact: results }, processes };
    return { expect: { effect: 'completes', results }, processes };
  },
};

export const pool: Scenario = {
  name: 'pool',
  weight: 3,
  bugs: [
    { kind: 'join-before-close', rule: 'pool-join-before-close', weight: 2, note: 'pool.join() before close()' },
    { kind: 'submit-after-close', rule: 'use-after-close', weight: 1, note: 'work submitted to the pool after close()' },
    { kind: 'get-after-terminate', rule: 'deadlock', weight: 1, note: 'an AsyncResult read after terminate(): it never resolves' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    g.feature('primitive', 'Pool');
    const size = r.int(1, 3);
    const items = r.items(drawn === 'get-after-terminate' ? size + r.int(2, 3) : r.int(2, 6), 12);
    const opDrawn = g.pick('pool-op', [['map', 2], ['starmap', 1], ['apply-async', 2], ['imap', 1], ['apply', 1], ['map-async', 1]], false);
    const op = drawn === 'get-after-terminate' ? 'apply-async' : opDrawn;
    g.feature('pool-op', op);
    const shapeDrawn = g.pick('pool-shape', [['finally', 2], ['await-using', 2], ['class', 1]], false);
    const shape = drawn === 'get-after-terminate' ? 'explicit' : shapeDrawn;
    g.feature('pool-shape', shape);
    const pause = targets.pause();
    targets.add('export function square(x: number): number {', '  return x * x;', '}', '');
    targets.add('export async function slowSquare(x: number): Promise<number> {', `  await ${pause}(20);`, '  return x * x;', '}', '');
    targets.add('export async function add(a: number, b: number): Promise<number> {', `  await ${pause}(5);`, '  return a + b;', '}', '');
    if (drawn === 'get-after-terminate') targets.add('export async function crunch(x: number): Promise<number> {', `  await ${pause}(400);`, '  return x * x;', '}', '');
    const fnDrawn = r.pick(['square', 'slowSquare']);
    // After terminate() only tasks still running never resolve: make them long.
    const fn = drawn === 'get-after-terminate' ? 'crunch' : fnDrawn;
    main.use(targets, fn);
    if (op === 'starmap') main.use(targets, 'add');
    const expected = op === 'starmap' ? items.reduce((s, x) => s + x + 1, 0) : items.reduce((s, x) => s + x * x, 0);
    const work = (p: string): string[] => {
      switch (op) {
        case 'map': return [`const out = await ${p}.map(${fn}, ITEMS);`, 'const sum = out.reduce((a, b) => a + b, 0);'];
        case 'starmap': return [`const out = await ${p}.starmap(add, ITEMS.map((x) => [x, 1] as [number, number]));`, 'const sum = out.reduce((a, b) => a + b, 0);'];
        case 'apply-async': return [`const pending = ITEMS.map((x) => ${p}.applyAsync(${fn}, [x]));`, 'let sum = 0;', 'for (const res of pending) sum += await res.get();'];
        case 'map-async': return [`const res = ${p}.mapAsync(${fn}, ITEMS);`, 'const sum = (await res.get()).reduce((a, b) => a + b, 0);'];
        case 'imap': return ['let sum = 0;', `for await (const y of ${p}.imap(${fn}, ITEMS)) sum += y;`];
        default: return ['let sum = 0;', `for (const x of ITEMS) sum += await ${p}.apply(${fn}, [x]);`];
      }
    };
    const extra = (p: string) => bug === 'submit-after-close' ? [`const late = await ${p}.map(${fn}, [1]);`, 'console.log(`late ${late.length}`);'] : [];
    const top = [`const ITEMS = [${items.join(', ')}];`];
    const lines: string[] = [];
    const PoolV = main.v('Pool');
    if (shape === 'await-using') {
      lines.push('let total: number;', '{', `  await using pool = new ${PoolV}(${size});`, ...indent(work('pool')), '  total = sum;');
      if (bug === 'join-before-close') lines.push('  await pool.join();');
      if (bug === 'submit-after-close') lines.push('  pool.close();', ...indent(extra('pool')));
      lines.push('}');
    } else if (shape === 'finally') {
      lines.push(`const pool = new ${PoolV}(${size});`, 'let total: number;', 'try {', ...indent(work('pool')), '  total = sum;', '} finally {');
      if (bug === 'join-before-close') lines.push('  await pool.join();', '  pool.close();');
      else lines.push('  pool.close();', ...indent(extra('pool')), '  await pool.join();');
      lines.push('}');
    } else if (shape === 'class') {
      main.add(
        'class Batch {',
        `  private readonly pool = new ${PoolV}(${size});`, '',
        '  async run(): Promise<number> {', ...indent(work('this.pool'), 2), '    return sum;', '  }', '',
        '  async close(): Promise<void> {',
        ...(bug === 'join-before-close' ? ['    await this.pool.join();', '    this.pool.close();'] : ['    this.pool.close();', ...indent(extra('this.pool'), 2), '    await this.pool.join();']),
        '  }',
        '}', '',
      );
      lines.push('const batch = new Batch();', 'const total = await batch.run();', 'await batch.close();');
    } else {
      // An async result read after the pool was terminated never resolves.
      lines.push(`const pool = new ${PoolV}(${size});`, `const pending = ITEMS.map((x) => pool.applyAsync(${fn}, [x]));`);
      if (bug) lines.push(`await pending[0]!.wait();`, 'await pool.terminate();', 'let total = 0;', 'for (const res of pending) total += await res.get();');
      else lines.push('let total = 0;', 'for (const res of pending) total += await res.get();', 'await pool.terminate();');
    }
    lines.push('console.log(`RESULT sum ${total}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug === 'join-before-close') return { expect: { effect: 'error', message: 'Pool is still running' }, processes: size };
    if (bug === 'submit-after-close') return { expect: { effect: 'error', message: 'Pool not running' }, processes: size };
    if (bug === 'get-after-terminate') return { expect: { effect: 'hangs', certainty: 'likely' }, processes: size };
    return { expect: { effect: 'completes', results: { sum: expected } }, processes: size };
  },
};
