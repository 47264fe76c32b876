// Scenarios built on events, conditions, barriers and semaphores: runners held at a start gate (one
// event, an array of them, a record), waiters woken through a condition by notify / notify(n) /
// notifyAll after they all wait, workers meeting at a barrier whose parties are counted from data
// (with or without main among them), and a semaphore with more workers than slots. A monitor that
// polls an event with a timeout is an optional extra: timeouts never hang.
import { NAMES, guard, indent, joinAll, startAll, type Gen } from '../style';
import { exportAsync, fnStyle, layout, type Built, type Scenario } from '../scenario';

const hangs = (processes: number): Built => ({ expect: { effect: 'hangs', certainty: 'always' }, processes });

export const eventGate: Scenario = {
  name: 'event-gate',
  weight: 2,
  bugs: [{ kind: 'gate-not-set', rule: 'event-never-set', weight: 1, note: 'a start gate is set under a condition that is false, or one gate of the array is left unset' }],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    g.feature('primitive', 'Event');
    g.feature('primitive', 'Queue');
    g.feature('primitive', 'Process');
    const n = r.int(1, 4);
    const gates = g.pick('gates', [['single', 2], ['array', 2], ['record', 1]]);
    const monitor = g.pick('timeouts', [['none', 7], ['event-wait-timeout', 3]]) !== 'none';
    const form = fnStyle(g);
    const E = targets.t('Event');
    const RQ = targets.t('Queue', 'number');
    targets.add(...exportAsync(form, 'runner', `id: number, gate: ${E}, results: ${RQ}`, ['await gate.wait();', 'await results.put((id + 1) * 10);']), '');
    if (monitor) {
      targets.add(...exportAsync(form, 'monitor', `stop: ${E}, beats: ${targets.t('RawSharedValue', "'i'")}`, [
        '// wakes up every half second until told to stop',
        'while (!(await stop.wait(0.5))) await beats.set((await beats.get()) + 1);',
      ]), '');
      main.use(targets, 'monitor');
    }
    main.use(targets, 'runner');
    const P = main.v('Process');
    const Ev = main.v('Event');
    const top = [`const RUNNERS = ${n};`];
    const lines = [`const results = new ${main.v('Queue')}<number>();`];
    let gateOf: (i: string) => string;
    let open: string[];
    if (gates === 'single') {
      top.push(`const MODE: string = '${r.pick(['careful', 'normal'])}';`);
      lines.push(`const gate = new ${Ev}();`);
      gateOf = () => 'gate';
      open = bug ? ["if (MODE === 'fast') await gate.set();"] : [r.pick(['await gate.set();', "if (MODE !== 'fast') await gate.set();"])];
    } else if (gates === 'array') {
      lines.push(`const gates = Array.from({ length: RUNNERS }, () => new ${Ev}());`);
      gateOf = (i) => `gates[${i}]!`;
      open = bug ? ['for (let i = 0; i < gates.length - 1; i++) await gates[i]!.set();'] : [r.pick(['for (const e of gates) await e.set();', 'await Promise.all(gates.map((e) => e.set()));', 'for (let i = 0; i < gates.length; i++) await gates[i]!.set();'])];
    } else {
      lines.push(`const gates = { warmup: new ${Ev}(), start: new ${Ev}() };`);
      gateOf = () => 'gates.start';
      open = bug ? ['await gates.warmup.set();'] : ['await gates.warmup.set();', 'await gates.start.set();'];
    }
    if (monitor) lines.push(`const stop = new ${Ev}();`, `const beats = ${main.v('Value')}('i', 0, { lock: false });`, `const mon = new ${P}({ target: monitor, args: [stop, beats] });`, 'mon.start();');
    lines.push(`const runners = Array.from({ length: RUNNERS }, (_, i) => new ${P}({ target: runner, args: [i, ${gateOf('i')}, results] }));`);
    lines.push(...startAll(g, 'runners'), ...open);
    lines.push('let sum = 0;', 'for (let i = 0; i < RUNNERS; i++) sum += await results.get();', ...joinAll(g, 'runners'));
    if (monitor) lines.push('await stop.set();', 'await mon.join();');
    lines.push('console.log(`RESULT sum ${sum}`);');
    main.add(...top, '', ...guard(g, main, lines));
    const procs = n + (monitor ? 1 : 0);
    if (bug) return hangs(procs);
    return { expect: { effect: 'completes', results: { sum: (10 * n * (n + 1)) / 2 } }, processes: procs };
  },
};

export const conditionNotify: Scenario = {
  name: 'condition',
  weight: 2,
  bugs: [
    { kind: 'notify-one', rule: 'deadlock', weight: 2, note: 'one notify() for several waiters: only one wakes' },
    { kind: 'no-notify', rule: 'condition-never-notified', weight: 1, note: 'main changes the state but never notifies the waiters' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    for (const p of ['Condition', 'SharedArray', 'Queue', 'Process']) g.feature('primitive', p);
    const n = r.int(2, 4);
    // Two conditions over one lock: the waiters tell main they arrived (`arrived`), main tells
    // them to go (`go`). Waiters are woken by `go` alone, so when main sees all of them arrived,
    // all of them wait in go.wait() and a single notify() wakes exactly one (a certain hang).
    const lockKind = g.pick('condition-lock', [['Lock', 1], ['RLock', 1]]);
    g.feature('primitive', lockKind);
    const waitStyle = g.pick('condition-wait', [['while', 2], ['waitFor', 2]]);
    const notify = g.pick('notify', [['notifyAll', 2], ['notify-n', 1], ['notify-loop', 1]], !bug);
    const pass = g.pick('pass', [['args', 2], ['record', 1]]);
    const form = fnStyle(g);
    const C = targets.t('Condition');
    const SA = targets.t('RawSharedArray', "'i'");
    const waitGo = waitStyle === 'while' ? ['while ((await state.get(1)) === 0) await go.wait();'] : ['await go.waitFor(async () => (await state.get(1)) !== 0);'];
    if (pass === 'record') targets.add('export interface Signals {', `  arrived: ${C};`, `  go: ${C};`, '}', '');
    targets.add(...exportAsync(form, 'waiter', `id: number, ${pass === 'record' ? 'signals: Signals' : `arrived: ${C}, go: ${C}`}, state: ${SA}, results: ${targets.t('Queue', 'number')}`, [
      ...(pass === 'record' ? ['const { arrived, go } = signals;'] : []),
      '// state[0]: how many wait; state[1]: 1 once they may go',
      'await go.acquire();',
      'try {',
      '  await state.set(0, (await state.get(0)) + 1);',
      '  await arrived.notify();',
      ...indent(waitGo),
      '} finally {',
      '  await go.release();',
      '}',
      'await results.put(id + 1);',
    ]), '');
    main.use(targets, 'waiter');
    const P = main.v('Process');
    const allWait = waitStyle === 'while' ? ['while ((await state.get(0)) < WAITERS) await arrived.wait();'] : ['await arrived.waitFor(async () => (await state.get(0)) >= WAITERS);'];
    let wake: string[];
    if (bug === 'notify-one') wake = ['await go.notify();'];
    else if (bug === 'no-notify') wake = [];
    else if (notify === 'notifyAll') wake = ['await go.notifyAll();'];
    else if (notify === 'notify-n') wake = ['await go.notify(WAITERS);'];
    else wake = ['for (let i = 0; i < WAITERS; i++) await go.notify();'];
    const Cv = main.v('Condition');
    const lines = [
      `const lock = new ${main.v(lockKind)}();`,
      `const arrived = new ${Cv}(lock);`,
      `const go = new ${Cv}(lock);`,
      ...(pass === 'record' ? ['const signals = { arrived, go };'] : []),
      `const state = ${main.v('SharedArray')}('i', 2, { lock: false });`,
      `const results = new ${main.v('Queue')}<number>();`,
      `const waiters = Array.from({ length: WAITERS }, (_, i) => new ${P}({ target: waiter, args: [i, ${pass === 'record' ? 'signals' : 'arrived, go'}, state, results] }));`,
      ...startAll(g, 'waiters'),
      'await arrived.acquire();',
      'try {',
      ...indent(allWait),
      '  await state.set(1, 1);',
      ...indent(wake),
      '} finally {',
      '  await arrived.release();',
      '}',
      'let sum = 0;', 'for (let i = 0; i < WAITERS; i++) sum += await results.get();',
      ...joinAll(g, 'waiters'),
      'console.log(`RESULT sum ${sum}`);',
    ];
    main.add(`const WAITERS = ${n};`, '', ...guard(g, main, lines));
    if (bug) return hangs(n);
    return { expect: { effect: 'completes', results: { sum: (n * (n + 1)) / 2 } }, processes: n };
  },
};

export const barrierPhases: Scenario = {
  name: 'barrier',
  weight: 2,
  bugs: [{ kind: 'parties-mismatch', rule: 'barrier-parties-mismatch', weight: 1, note: 'the barrier counts one party more than ever wait on it' }],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    for (const p of ['Barrier', 'Queue', 'Process']) g.feature('primitive', p);
    const n = r.int(1, 4);
    const phases = r.int(1, 3);
    const mainJoins = g.pick('barrier-main', [['not-party', 3], ['party', 2]]) === 'party';
    const team = g.pick('team', [['const', 2], ['filter', 2], ['slice', 1], ['literal', 1]]);
    const form = fnStyle(g);
    targets.add(...exportAsync(form, 'phaseWorker', `id: number, barrier: ${targets.t('Barrier')}, results: ${targets.t('Queue', 'number')}, phases: number`, [
      'let acc = 0;',
      'for (let phase = 0; phase < phases; phase++) {',
      '  acc += id + phase;',
      '  await barrier.wait();',
      '}',
      'await results.put(acc);',
    ]), '');
    main.use(targets, 'phaseWorker');
    const P = main.v('Process');
    const top = [`const PHASES = ${phases};`];
    let teamExpr: string;
    let countExpr: string;
    if (team === 'const') {
      top.push(`const TEAM_SIZE = ${n};`);
      teamExpr = 'Array.from({ length: TEAM_SIZE }, (_, i) => i)';
      countExpr = 'TEAM_SIZE';
    } else if (team === 'filter') {
      const roster: string[] = [];
      let on = 0;
      for (let k = 0; on < n || roster.length <= n; k++) {
        const active = on < n && (r.chance(0.7) || roster.length - on >= 1);
        roster.push(`{ name: '${NAMES[k % NAMES.length]}', onShift: ${active} }`);
        if (active) on++;
      }
      top.push(`const ROSTER = [${roster.join(', ')}];`);
      teamExpr = 'ROSTER.filter((m) => m.onShift).map((_, i) => i)';
      countExpr = 'team.length';
    } else if (team === 'slice') {
      top.push(`const CREW = [${NAMES.slice(0, n + 2).map((s) => `'${s}'`).join(', ')}];`);
      teamExpr = `CREW.slice(2).map((_, i) => i)`;
      countExpr = 'team.length';
    } else {
      teamExpr = `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
      countExpr = String(n);
    }
    const parties = mainJoins ? `${countExpr} + 1` : bug ? `${countExpr} + 1` : countExpr;
    const lines = [
      `const team = ${teamExpr};`,
      `const barrier = new ${main.v('Barrier')}(${parties});`,
      `const results = new ${main.v('Queue')}<number>();`,
      `const workers = team.map((id) => new ${P}({ target: phaseWorker, args: [id, barrier, results, PHASES] }));`,
      ...startAll(g, 'workers'),
    ];
    if (mainJoins && !bug) lines.push('for (let phase = 0; phase < PHASES; phase++) await barrier.wait();');
    lines.push('let sum = 0;', 'for (const _ of team) sum += await results.get();', ...joinAll(g, 'workers'), 'console.log(`RESULT sum ${sum}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return hangs(n);
    let sum = 0;
    for (let id = 0; id < n; id++) for (let ph = 0; ph < phases; ph++) sum += id + ph;
    return { expect: { effect: 'completes', results: { sum } }, processes: n };
  },
};

export const slots: Scenario = {
  name: 'slots',
  weight: 1,
  bugs: [],
  build(g: Gen): Built {
    const r = g.rng;
    const { main, targets } = layout(g);
    const kind = g.pick('semaphore-kind', [['Semaphore', 1], ['BoundedSemaphore', 1]]);
    for (const p of [kind, 'Lock', 'Value', 'Process']) g.feature('primitive', p);
    const k = r.int(1, 3);
    const n = k + r.int(1, 2);
    const style = g.pick('acquire', [['acquire-finally', 1], ['with-lock', 1]]);
    const form = fnStyle(g);
    const pause = targets.pause();
    const V = targets.t('RawSharedValue', "'i'");
    const enter = 'await mutex.withLock(async () => {\n  const now = (await inUse.get()) + 1;\n  await inUse.set(now);\n  if (now > (await peak.get())) await peak.set(now);\n});';
    const leave = 'await mutex.withLock(async () => inUse.set((await inUse.get()) - 1));';
    const work = [...enter.split('\n'), `await ${pause}(40);`, leave];
    const body = style === 'acquire-finally'
      ? ['await slots.acquire();', 'try {', ...indent(work), '} finally {', '  await slots.release();', '}']
      : ['await slots.withLock(async () => {', ...indent(work), '});'];
    targets.add(...exportAsync(form, 'job', `slots: ${targets.t(kind)}, mutex: ${targets.t('Lock')}, inUse: ${V}, peak: ${V}`, body), '');
    main.use(targets, 'job');
    const P = main.v('Process');
    const lines = [
      `const slots = new ${main.v(kind)}(SLOTS);`,
      `const mutex = new ${main.v('Lock')}();`,
      `const inUse = ${main.v('Value')}('i', 0, { lock: false });`,
      `const peak = ${main.v('Value')}('i', 0, { lock: false });`,
      `const jobs = Array.from({ length: JOBS }, () => new ${P}({ target: job, args: [slots, mutex, inUse, peak] }));`,
      ...startAll(g, 'jobs'), ...joinAll(g, 'jobs'),
      'console.log(`RESULT within ${(await peak.get()) <= SLOTS ? 1 : 0}`);',
    ];
    main.add(`const SLOTS = ${k};`, `const JOBS = ${n};`, '', ...guard(g, main, lines));
    return { expect: { effect: 'completes', results: { within: 1 } }, processes: n };
  },
};
