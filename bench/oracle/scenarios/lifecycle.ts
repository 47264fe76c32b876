// Lifecycle misuse that the shim rejects at run time, each in a realistic setting with its correct
// twin: a process started twice (a named roster started from a literal list that names one twice),
// joined without being started (only the active part of a roster is started), a daemon that
// starts a helper, a queue put to after close(), a manager proxy read after shutdown(), and the
// start code left outside the main guard.
import { NAMES, guard, type Gen } from '../style';
import { exportAsync, fnStyle, layout, type Built, type Scenario } from '../scenario';

export const lifecycle: Scenario = {
  name: 'lifecycle',
  weight: 3,
  bugs: [
    { kind: 'start-twice', rule: 'start-twice', weight: 1, note: 'a literal list of names to start names one process twice' },
    { kind: 'join-unstarted', rule: 'join-unstarted', weight: 1, note: 'only the active processes are started, all are joined' },
    { kind: 'daemon-children', rule: 'daemon-has-children', weight: 1, note: 'a daemon process starts a helper process' },
    { kind: 'queue-closed', rule: 'use-after-close', weight: 1, note: 'main closes the queue, then puts the last item' },
    { kind: 'manager-shutdown', rule: 'use-after-close', weight: 1, note: 'a manager dict is read after shutdown()' },
    { kind: 'unguarded', rule: 'unguarded-start', weight: 1, note: 'the start code sits at module top level, outside the main guard' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    g.feature('primitive', 'Process');
    g.feature('misuse', drawn);
    const form = fnStyle(g);
    const P = main.v('Process');
    const top: string[] = [];
    const lines: string[] = [];
    let message: string;
    let processes = 1;
    let results: Record<string, number> = {};
    switch (drawn) {
      case 'start-twice': {
        g.feature('primitive', 'Queue');
        const n = r.int(2, 4);
        const names = NAMES.slice(0, n);
        const order = bug ? [...names, names[r.int(0, n - 1)]!] : r.shuffle(names);
        targets.add(...exportAsync(form, 'greet', `name: string, out: ${targets.t('Queue', 'string')}`, ['await out.put(name.toUpperCase());']), '');
        main.use(targets, 'greet');
        top.push(`const START_ORDER = [${order.map((s) => `'${s}'`).join(', ')}];`);
        lines.push(
          `const out = new ${main.v('Queue')}<string>();`,
          `const byName: Record<string, ${main.t('Process')}> = {};`,
          `for (const name of [${names.map((s) => `'${s}'`).join(', ')}]) byName[name] = new ${P}({ target: greet, args: [name, out], name });`,
          'START_ORDER.forEach((name) => byName[name]!.start());',
          'let letters = 0;',
          'for (const _ of Object.keys(byName)) letters += (await out.get()).length;',
          'for (const p of Object.values(byName)) await p.join();',
          'console.log(`RESULT letters ${letters}`);',
        );
        processes = n;
        message = 'cannot start a process twice';
        results = { letters: names.reduce((s, x) => s + x.length, 0) };
        break;
      }
      case 'join-unstarted': {
        const roster: { name: string; active: boolean }[] = [];
        const n = r.int(2, 4);
        for (let i = 0; i < n; i++) roster.push({ name: NAMES[i]!, active: i === 0 || r.chance(0.6) });
        if (roster.every((x) => x.active)) roster[n - 1]!.active = false;
        targets.add(...exportAsync(form, 'serve', 'name: string', ['console.log(`${name} on duty`);']), '');
        main.use(targets, 'serve');
        top.push(`const ROSTER = [${roster.map((x) => `{ name: '${x.name}', active: ${x.active} }`).join(', ')}];`);
        const style = g.pick('conditional-start', [['filter', 1], ['if', 1]]);
        lines.push(`const staff = ROSTER.map((m) => new ${P}({ target: serve, args: [m.name] }));`);
        if (style === 'filter') {
          lines.push('const onDuty = staff.filter((_, i) => ROSTER[i]!.active);', 'for (const p of onDuty) p.start();');
          lines.push(bug ? 'for (const p of staff) await p.join();' : 'for (const p of onDuty) await p.join();');
        } else {
          lines.push('ROSTER.forEach((m, i) => {', '  if (m.active) staff[i]!.start();', '});');
          lines.push(bug ? 'for (const p of staff) await p.join();' : 'for (const [i, p] of staff.entries()) if (ROSTER[i]!.active) await p.join();');
        }
        lines.push(`console.log(\`RESULT started \${${roster.filter((x) => x.active).length}}\`);`);
        processes = n;
        message = 'can only join a started process';
        results = { started: roster.filter((x) => x.active).length };
        break;
      }
      case 'daemon-children': {
        targets.add(...exportAsync(form, 'helper', '', ["console.log('helper ran');"]), '');
        targets.add(...exportAsync(form, 'supervisor', '', [`const h = new ${targets.v('Process')}({ target: helper });`, 'h.start();', 'await h.join();']), '');
        main.use(targets, 'supervisor');
        const daemon = bug ? 'true' : 'false';
        lines.push(`const sup = new ${P}({ target: supervisor, daemon: ${daemon} });`, 'sup.start();', 'await sup.join();', 'console.log(`RESULT exitcode ${sup.exitcode}`);');
        processes = 2;
        message = 'daemonic processes are not allowed to have children';
        results = { exitcode: 0 };
        break;
      }
      case 'queue-closed': {
        g.feature('primitive', 'Queue');
        const items = r.items(r.int(2, 5));
        const loopBody = ['for (;;) {', '  const item = await inbox.get();', '  if (item === null) break;', '  sum += item;', '}', 'await out.put(sum);'];
        targets.add(...exportAsync(form, 'adder', `inbox: ${targets.t('Queue', 'number | null')}, out: ${targets.t('Queue', 'number')}`, ['let sum = 0;', ...loopBody]), '');
        main.use(targets, 'adder');
        top.push(`const ITEMS = [${items.join(', ')}];`);
        lines.push(`const inbox = new ${main.v('Queue')}<number | null>();`, `const out = new ${main.v('Queue')}<number>();`,
          `const p = new ${P}({ target: adder, args: [inbox, out] });`, 'p.start();', 'for (const x of ITEMS) await inbox.put(x);');
        if (bug) lines.push('inbox.close();', 'await inbox.put(null);');
        else lines.push('await inbox.put(null);', 'inbox.close();');
        lines.push('const sum = await out.get();', 'await p.join();', 'console.log(`RESULT sum ${sum}`);');
        message = 'is closed';
        results = { sum: items.reduce((s, x) => s + x, 0) };
        break;
      }
      case 'manager-shutdown': {
        g.feature('primitive', 'Manager');
        const n = r.int(1, 3);
        targets.add(...exportAsync(form, 'report', `results: ${targets.t('DictProxy', 'string, number')}, id: number`, ['await results.set(`w${id}`, id * 10);']), '');
        main.use(targets, 'report');
        lines.push(`const manager = new ${main.v('Manager')}();`, 'await manager.start();', 'const results = await manager.dict<string, number>();',
          `const ws = Array.from({ length: ${n} }, (_, id) => new ${P}({ target: report, args: [results, id + 1] }));`,
          'for (const w of ws) w.start();', 'for (const w of ws) await w.join();');
        if (bug) lines.push('await manager.shutdown();', 'const size = await results.size();');
        else lines.push('const size = await results.size();', 'await manager.shutdown();');
        lines.push('console.log(`RESULT size ${size}`);');
        processes = n + 1;
        message = 'has shut down';
        results = { size: n };
        break;
      }
      default: {
        // unguarded
        targets.add(...exportAsync(form, 'work', 'id: number', ['console.log(`work ${id}`);']), '');
        main.use(targets, 'work');
        const body = [`const p = new ${P}({ target: work, args: [1] });`, 'p.start();', 'await p.join();', 'console.log(`RESULT exitcode ${p.exitcode}`);'];
        if (bug) {
          g.feature('guard', 'none');
          main.v('isMainProcess');
          main.add(...top, '', ...body);
        } else main.add(...top, '', ...guard(g, main, body));
        message = 'bootstrapping phase';
        results = { exitcode: 0 };
        if (bug) return { expect: { effect: 'error', message }, processes };
        return { expect: { effect: 'completes', results }, processes };
      }
    }
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return { expect: { effect: 'error', message }, processes };
    return { expect: { effect: 'completes', results }, processes };
  },
};
