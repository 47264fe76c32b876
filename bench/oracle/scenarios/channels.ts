// Scenarios built on channels: a multi-stage pipeline over an array of queues, a request/response
// protocol whose server switches on the message's kind, a pipe ping-pong with a greeting (and a
// one-way pipe whose ends are easy to swap), a service joined before it is told to go, a bounded
// queue drained after or before its producer is joined, and a JoinableQueue of tasks.
import { consumeLoop, crew, guard, indent, joinAll, startAll, type Gen } from '../style';
import { exportAsync, fnStyle, holder, layout, type Built, type Scenario } from '../scenario';

const hangs = (processes: number): Built => ({ expect: { effect: 'hangs', certainty: 'always' }, processes });

export const pipeline: Scenario = {
  name: 'pipeline',
  weight: 3,
  bugs: [
    { kind: 'last-keeps-sentinel', rule: 'missing-sentinel', weight: 2, note: 'the last stage does not forward the sentinel; main waits for it' },
    { kind: 'stage-missing', rule: 'deadlock', weight: 1, note: 'one stage fewer is started than the queues link: the last queue never gets anything' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    g.feature('primitive', 'Queue');
    g.feature('primitive', 'Process');
    const K = r.weighted<number>([[2, 3], [3, 3], [4, 2], [6, 1]]);
    const items = r.items(r.int(2, 5));
    const argStyle = g.pick('stage-args', [['pair', 2], ['array', 2], ['links', 1]]);
    const form = fnStyle(g);
    const Q = targets.t('Queue', 'number | null');
    const loop = consumeLoop(g, 'await inbox.get()', 'number', ['await outbox.put(item + index + 1);'], { canReturn: false, numeric: true });
    const forward = bug === 'last-keeps-sentinel' ? ['if (index < stages - 1) await outbox.put(null);'] : ['await outbox.put(null);'];
    targets.helper(loop.pre);
    if (argStyle === 'array') {
      targets.add(...exportAsync(form, 'stage', `index: number, queues: ${Q}[]`, [
        'const inbox = queues[index]!;', 'const outbox = queues[index + 1]!;',
        ...(bug === 'last-keeps-sentinel' ? ['const stages = queues.length - 1;'] : []), ...loop.lines, ...forward,
      ]), '');
    } else if (argStyle === 'links') {
      targets.add(`export interface Link {`, `  inbox: ${Q};`, `  outbox: ${Q};`, '}', '');
      targets.add(...exportAsync(form, 'stage', `index: number, link: Link, stages: number`, ['const { inbox, outbox } = link;', ...loop.lines, ...forward]), '');
    } else {
      targets.add(...exportAsync(form, 'stage', `index: number, inbox: ${Q}, outbox: ${Q}, stages: number`, [...loop.lines, ...forward]), '');
    }
    const stageRef = main.use(targets, 'stage');
    const P = main.v('Process');
    const lines: string[] = [];
    const top = [`const STAGES = ${K};`, `const ITEMS = [${items.join(', ')}];`];
    const qs = g.pick('queue-array', [['from', 1], ['push', 1]]);
    if (qs === 'from') lines.push(`const queues = Array.from({ length: STAGES + 1 }, () => new ${main.v('Queue')}<number | null>());`);
    else lines.push(`const queues: ${main.t('Queue', 'number | null')}[] = [];`, `for (let i = 0; i <= STAGES; i++) queues.push(new ${main.v('Queue')}<number | null>());`);
    if (argStyle === 'links') lines.push(`const links = queues.slice(0, -1).map((inbox, i) => ({ inbox, outbox: queues[i + 1]! }));`);
    const args = (i: string) => argStyle === 'array' ? `[${i}, queues]` : argStyle === 'links' ? `[${i}, links[${i}]!, STAGES]` : `[${i}, queues[${i}]!, queues[${i} + 1]!, STAGES]`;
    const c = crew(g, main, { name: 'stages', n: bug === 'stage-missing' ? K - 1 : K, make: (i) => `new ${P}({ target: ${stageRef}, args: ${args(i)} })` });
    top.push(...c.decls);
    lines.push(...c.lines, ...startAll(g, c.list));
    lines.push('for (const x of ITEMS) await queues[0]!.put(x);', 'await queues[0]!.put(null);');
    const last = g.pick('output-ref', [['index', 1], ['at', 1]]);
    lines.push(last === 'index' ? 'const output = queues[STAGES]!;' : 'const output = queues.at(-1)!;');
    const sumLoop = consumeLoop(g, 'await output.get()', 'number', ['sum += item;'], { canReturn: false, numeric: true });
    main.helper(sumLoop.pre);
    lines.push('let sum = 0;', ...sumLoop.lines, ...joinAll(g, c.list), 'console.log(`RESULT sum ${sum}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return hangs(c.count);
    const sum = items.reduce((s, x) => s + x + (K * (K + 1)) / 2, 0);
    return { expect: { effect: 'completes', results: { sum } }, processes: K };
  },
};

export const rpc: Scenario = {
  name: 'rpc',
  weight: 3,
  bugs: [
    { kind: 'missing-case', rule: 'deadlock', weight: 3, note: "the server's switch has no case for a kind the client sends, so it never replies" },
    { kind: 'stop-short', rule: 'missing-sentinel', weight: 1, note: 'one server is never sent its stop message' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets, helpers } = layout(g);
    const channel = g.pick('rpc-channel', [['queues', 2], ['pipes', 2]]);
    g.feature('primitive', channel === 'pipes' ? 'Pipe' : 'Queue');
    g.feature('primitive', 'Process');
    g.feature('protocol', 'message-kinds');
    const S = channel === 'pipes' ? r.int(1, 3) : r.int(1, 3);
    const dispatch = g.pick('dispatch', [['switch', 3], ['if-chain', 1], ['handlers', 1]]);
    const kinds = ['add', 'mul', 'neg'];
    const reqs: { kind: string; a: number; b: number }[] = [];
    const nReq = r.int(3, 6);
    for (let i = 0; i < nReq; i++) reqs.push({ kind: r.pick(kinds), a: r.int(1, 9), b: r.int(1, 9) });
    if (!reqs.some((q) => q.kind === 'neg')) reqs[r.int(0, nReq - 1)]!.kind = 'neg';
    const form = fnStyle(g);
    // The message type, shared by both sides.
    const msgMod = helpers;
    msgMod.add(
      `export type Request = { kind: 'add' | 'mul'; a: number; b: number } | { kind: 'neg'; a: number } | { kind: 'stop' };`, '',
    );
    const Req = targets.use(msgMod, 'Request');
    const mainReq = main.use(msgMod, 'Request');
    const missing = bug === 'missing-case';
    let handle: string[];
    if (dispatch === 'switch') {
      handle = [
        'switch (msg.kind) {',
        "  case 'add':", '    await reply(msg.a + msg.b);', '    break;',
        "  case 'mul':", '    await reply(msg.a * msg.b);', '    break;',
        ...(missing ? [] : ["  case 'neg':", '    await reply(-msg.a);', '    break;']),
        "  case 'stop':", '    return;',
        '  default:', '    console.log(`server ${id}: no handler for ${(msg as { kind: string }).kind}`);',
        '}',
      ];
    } else if (dispatch === 'if-chain') {
      handle = [
        "if (msg.kind === 'stop') return;",
        "if (msg.kind === 'add') await reply(msg.a + msg.b);",
        "else if (msg.kind === 'mul') await reply(msg.a * msg.b);",
        ...(missing ? [] : ["else if (msg.kind === 'neg') await reply(-msg.a);"]),
        'else console.log(`server ${id}: no handler for ${(msg as { kind: string }).kind}`);',
      ];
    } else {
      targets.add(
        `const HANDLERS: Partial<Record<string, (m: any) => number>> = {`,
        '  add: (m) => m.a + m.b,', '  mul: (m) => m.a * m.b,', ...(missing ? [] : ['  neg: (m) => -m.a,']), '};', '',
      );
      handle = [
        "if (msg.kind === 'stop') return;",
        'const handler = HANDLERS[msg.kind];',
        'if (handler) await reply(handler(msg));',
        'else console.log(`server ${id}: no handler for ${msg.kind}`);',
      ];
    }
    const lines: string[] = [];
    const top = [`const REQUESTS: ${mainReq}[] = [${reqs.map((q) => (q.kind === 'neg' ? `{ kind: 'neg', a: ${q.a} }` : `{ kind: '${q.kind}', a: ${q.a}, b: ${q.b} }`)).join(', ')}];`];
    const P = main.v('Process');
    let make: (i: string) => string;
    if (channel === 'pipes') {
      const C = targets.t('Connection', `${Req} | number`);
      targets.add(...exportAsync(form, 'server', `conn: ${C}, id: number`, [
        'const reply = (v: number) => conn.send(v);',
        'for (;;) {', `  const msg = (await conn.recv()) as ${Req};`, ...indent(handle), '}',
      ]), '');
      lines.push(`const links = Array.from({ length: SERVERS }, () => ${main.v('Pipe')}<${mainReq} | number>());`);
      make = (i) => `new ${P}({ target: server, args: [links[${i}]![1], ${i}] })`;
    } else {
      const RQ = targets.t('Queue', Req);
      const AQ = targets.t('Queue', 'number');
      targets.add(...exportAsync(form, 'server', `requests: ${RQ}, replies: ${AQ}, id: number`, [
        'const reply = (v: number) => replies.put(v);',
        'for (;;) {', '  const msg = await requests.get();', ...indent(handle), '}',
      ]), '');
      lines.push(`const requests = new ${main.v('Queue')}<${mainReq}>();`, `const replies = new ${main.v('Queue')}<number>();`);
      make = (i) => `new ${P}({ target: server, args: [requests, replies, ${i}] })`;
    }
    main.use(targets, 'server');
    top.push(`const SERVERS = ${S};`);
    const c = crew(g, main, { name: 'servers', n: S, make });
    top.push(...c.decls);
    lines.push(...c.lines, ...startAll(g, c.list), 'let total = 0;');
    if (channel === 'pipes') {
      lines.push(
        'for (const [i, req] of REQUESTS.entries()) {',
        '  const conn = links[i % SERVERS]![0];',
        '  await conn.send(req);',
        '  total += (await conn.recv()) as number;',
        '}',
        bug === 'stop-short'
          ? "for (const [conn] of links.slice(1)) await conn.send({ kind: 'stop' });"
          : "for (const [conn] of links) await conn.send({ kind: 'stop' });",
      );
    } else {
      const batch = g.pick('client', [['one-at-a-time', 1], ['batch', 1]]) === 'batch';
      if (batch) lines.push('for (const req of REQUESTS) await requests.put(req);', 'for (let i = 0; i < REQUESTS.length; i++) total += await replies.get();');
      else lines.push('for (const req of REQUESTS) {', '  await requests.put(req);', '  total += await replies.get();', '}');
      lines.push(bug === 'stop-short'
        ? "for (let i = 1; i < SERVERS; i++) await requests.put({ kind: 'stop' });"
        : "for (let i = 0; i < SERVERS; i++) await requests.put({ kind: 'stop' });");
    }
    lines.push(...joinAll(g, c.list), 'console.log(`RESULT total ${total}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return hangs(S);
    const total = reqs.reduce((s, q) => s + (q.kind === 'add' ? q.a + q.b : q.kind === 'mul' ? q.a * q.b : -q.a), 0);
    return { expect: { effect: 'completes', results: { total } }, processes: S };
  },
};

export const pingpong: Scenario = {
  name: 'pingpong',
  weight: 2,
  bugs: [
    { kind: 'no-greeting', rule: 'deadlock', weight: 2, note: 'main waits for a greeting the child never sends; the child waits for the first round' },
    { kind: 'swapped-ends', rule: 'wrong-pipe-end', weight: 1, note: 'the ends of a one-way Pipe(false) are taken in the wrong order' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    g.feature('primitive', 'Pipe');
    g.feature('primitive', 'Process');
    const rounds = r.items(r.int(2, 5), 20);
    const form = fnStyle(g);
    const duplex = drawn === 'no-greeting';
    g.feature('pipe', duplex ? 'duplex' : 'one-way');
    const P = main.v('Process');
    const lines: string[] = [];
    const top = [`const ROUNDS = [${rounds.join(', ')}];`];
    if (duplex) {
      const C = targets.t('Connection', 'number | string | null');
      const loop = consumeLoop(g, 'await conn.recv()', 'number | string', ['await conn.send(Number(item) * 2);'], { canReturn: true, numeric: false });
      targets.helper(loop.pre);
      targets.add(...exportAsync(form, 'echo', `conn: ${C}`, [...(bug === 'no-greeting' ? [] : ["await conn.send('ready');"]), ...loop.lines]), '');
      main.use(targets, 'echo');
      lines.push(
        `const [here, there] = ${main.v('Pipe')}<number | string | null>();`,
        `const child = new ${P}({ target: echo, args: [there] });`,
        'child.start();',
        'const hello = await here.recv();',
        "if (hello !== 'ready') throw new Error(`unexpected greeting ${String(hello)}`);",
        'let total = 0;',
        'for (const x of ROUNDS) {', '  await here.send(x);', '  total += Number(await here.recv());', '}',
        'await here.send(null);', 'await child.join();', 'console.log(`RESULT total ${total}`);',
      );
      main.add(...top, '', ...guard(g, main, lines));
      if (bug) return hangs(1);
      return { expect: { effect: 'completes', results: { total: rounds.reduce((s, x) => s + 2 * x, 0) } }, processes: 1 };
    }
    // One way: the child reports its results on the sending end; main reads the receiving end.
    const C = targets.t('Connection', 'number | null');
    targets.add(...exportAsync(form, 'reporter', `out: ${C}, values: number[]`, ['for (const v of values) await out.send(v * 3);', 'await out.send(null);']), '');
    main.use(targets, 'reporter');
    lines.push(
      bug === 'swapped-ends' ? `const [writer, reader] = ${main.v('Pipe')}<number | null>(false);` : `const [reader, writer] = ${main.v('Pipe')}<number | null>(false);`,
      `const child = new ${P}({ target: reporter, args: [writer, ROUNDS] });`,
      'child.start();',
      'let total = 0;',
    );
    const loop = consumeLoop(g, 'await reader.recv()', 'number', ['total += item;'], { canReturn: false, numeric: true });
    main.helper(loop.pre);
    lines.push(...loop.lines, 'await child.join();', 'console.log(`RESULT total ${total}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return { expect: { effect: 'error', message: 'connection is (read|write)-only' }, processes: 1 };
    return { expect: { effect: 'completes', results: { total: rounds.reduce((s, x) => s + 3 * x, 0) } }, processes: 1 };
  },
};

export const joinOrder: Scenario = {
  name: 'join-order',
  weight: 2,
  bugs: [{ kind: 'join-before-go', rule: 'deadlock', weight: 1, note: 'main joins the service before sending what it waits for' }],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    const via = g.pick('channel', [['queue', 2], ['event', 2], ['pipe', 1]]);
    g.feature('primitive', via === 'queue' ? 'Queue' : via === 'event' ? 'Event' : 'Pipe');
    g.feature('primitive', 'Process');
    const h = holder(g, ['locals', 'class']);
    const form = fnStyle(g);
    const limit = r.int(3, 9);
    const RQ = targets.t('Queue', 'number');
    let params: string;
    let wait: string[];
    if (via === 'queue') { params = `settings: ${targets.t('Queue', 'number')}, out: ${RQ}`; wait = ['const limit = await settings.get();']; }
    else if (via === 'event') { params = `go: ${targets.t('Event')}, out: ${RQ}, limit: number`; wait = ['await go.wait();']; }
    else { params = `conn: ${targets.t('Connection', 'number')}, out: ${RQ}`; wait = ['const limit = await conn.recv();']; }
    targets.add(...exportAsync(form, 'service', params, [...wait, 'let acc = 0;', 'for (let i = 1; i <= limit; i++) acc += i;', 'await out.put(acc);']), '');
    main.use(targets, 'service');
    const P = main.v('Process');
    const mk = via === 'queue' ? `new ${main.v('Queue')}<number>()` : via === 'event' ? `new ${main.v('Event')}()` : `${main.v('Pipe')}<number>()`;
    const go = via === 'queue' ? 'await this.link.put(LIMIT);' : via === 'event' ? 'await this.link.set();' : 'await this.link[0].send(LIMIT);';
    const childEnd = via === 'pipe' ? 'this.link[1]' : 'this.link';
    const extra = via === 'event' ? ', LIMIT' : '';
    const top = [`const LIMIT = ${limit};`];
    const lines: string[] = [];
    if (h === 'class') {
      main.add(
        'class Service {',
        `  readonly link = ${mk};`,
        `  readonly out = new ${main.v('Queue')}<number>();`,
        `  readonly proc = new ${P}({ target: service, args: [${childEnd}, this.out${extra}] });`, '',
        '  start(): void {', '    this.proc.start();', '  }', '',
        '  async go(): Promise<void> {', `    ${go}`, '  }', '',
        '  async stop(): Promise<number> {', '    await this.proc.join();', '    return this.out.get();', '  }',
        '}', '',
      );
      lines.push('const svc = new Service();', 'svc.start();');
      if (bug) lines.push('const result = await svc.stop();', 'await svc.go();');
      else lines.push('await svc.go();', 'const result = await svc.stop();');
    } else {
      const go2 = go.replace('this.link', 'link');
      lines.push(`const link = ${mk};`, `const out = new ${main.v('Queue')}<number>();`,
        `const proc = new ${P}({ target: service, args: [${childEnd.replace('this.', '')}, out${extra}] });`, 'proc.start();');
      if (bug) lines.push('await proc.join();', go2, 'const result = await out.get();');
      else lines.push(go2, 'const result = await out.get();', 'await proc.join();');
    }
    lines.push('console.log(`RESULT result ${result}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return hangs(1);
    return { expect: { effect: 'completes', results: { result: (limit * (limit + 1)) / 2 } }, processes: 1 };
  },
};

export const bounded: Scenario = {
  name: 'bounded',
  weight: 2,
  bugs: [{ kind: 'join-before-drain', rule: 'bounded-queue-full', weight: 1, note: 'main joins the producers before draining a bounded queue smaller than what they put' }],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    const kind = g.pick('queue-kind', [['Queue', 3], ['JoinableQueue', 1]]);
    g.feature('primitive', kind);
    g.feature('primitive', 'Process');
    g.feature('bounded', 'queue');
    const producers = r.int(1, 3);
    const per = r.int(2, 5);
    const total = producers * per;
    const coin = g.pick('drain', [['before-join', 1], ['after-join', 1]]) === 'after-join';
    const small = r.int(1, total - 1);
    const roomy = total + r.int(0, 2);
    // The bug joins first with a small queue; its twin drains first (same queue), or joins first
    // with room for everything.
    const joinFirst = bug !== null || coin;
    const maxsize = bug || !joinFirst ? small : roomy;
    g.relabel('drain', joinFirst ? 'after-join' : 'before-join');
    const form = fnStyle(g);
    targets.add(...exportAsync(form, 'produce', `out: ${targets.t(kind, 'number')}, base: number, count: number`, [
      'for (let i = 0; i < count; i++) await out.put(base + i);',
    ]), '');
    main.use(targets, 'produce');
    const P = main.v('Process');
    const top = [`const PER_PRODUCER = ${per};`, `const CAPACITY = ${maxsize};`];
    const lines = [`const q = new ${main.v(kind)}<number>(CAPACITY);`];
    const c = crew(g, main, { name: 'producers', n: producers, make: (i) => `new ${P}({ target: produce, args: [q, (${i}) * 100, PER_PRODUCER] })` });
    top.push(...c.decls);
    lines.push(...c.lines, ...startAll(g, c.list));
    const drain = ['let sum = 0;', `for (let i = 0; i < ${/\s/.test(c.countExpr) ? `(${c.countExpr})` : c.countExpr} * PER_PRODUCER; i++) sum += await q.get();`];
    if (joinFirst) lines.push(...joinAll(g, c.list), ...drain);
    else lines.push(...drain, ...joinAll(g, c.list));
    lines.push('console.log(`RESULT sum ${sum}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug) return hangs(producers);
    let sum = 0;
    for (let p = 0; p < producers; p++) for (let i = 0; i < per; i++) sum += p * 100 + i;
    return { expect: { effect: 'completes', results: { sum } }, processes: producers };
  },
};

export const joinable: Scenario = {
  name: 'joinable',
  weight: 2,
  bugs: [
    { kind: 'skip-task-done', rule: 'task-done-missing', weight: 2, note: 'a worker skips taskDone() for an item it ignores, so join() never returns' },
    { kind: 'task-done-twice', rule: 'task-done-excess', weight: 1, note: "taskDone() before break inside try whose finally calls it again" },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const { main, targets } = layout(g);
    g.feature('primitive', 'JoinableQueue');
    g.feature('primitive', 'Value');
    g.feature('primitive', 'Process');
    const n = r.int(1, 3);
    const items = r.items(r.int(3, 7));
    if (!items.some((x) => x % 5 === 0)) items[0] = 5 * r.int(1, 8);
    while (new Set(items).size !== items.length) items[0] = items[0]! + 5;
    const daemon = g.pick('workers', [['sentinel', 3], ['daemon', 2]], false) === 'daemon' && drawn !== 'task-done-twice';
    g.feature('workers', daemon ? 'daemon' : 'sentinel');
    const finallyStyle = g.pick('task-done', [['explicit', 1], ['finally', 1]], false) === 'finally' || drawn === 'task-done-twice';
    const form = fnStyle(g);
    const JQ = targets.t('JoinableQueue', 'number | null');
    const V = targets.t('SynchronizedValue', "'i'");
    const add = 'await total.getLock().withLock(async () => total.set((await total.get()) + item));';
    let body: string[];
    if (bug === 'task-done-twice') {
      body = ['for (;;) {', '  const item = await tasks.get();', '  try {', '    if (item === null) {', '      await tasks.taskDone();', '      break;', '    }',
        '    if (item % 5 === 0) continue;', `    ${add}`, '  } finally {', '    await tasks.taskDone();', '  }', '}'];
    } else if (finallyStyle && !bug) {
      g.feature('task-done', 'finally');
      body = ['for (;;) {', '  const item = await tasks.get();', '  try {', '    if (item === null) break;', '    if (item % 5 === 0) continue;', `    ${add}`, '  } finally {', '    await tasks.taskDone();', '  }', '}'];
    } else {
      g.feature('task-done', 'explicit');
      body = ['for (;;) {', '  const item = await tasks.get();', '  if (item === null) {', '    await tasks.taskDone();', '    break;', '  }',
        '  if (item % 5 === 0) {', '    console.log(`nothing to do for ${item}`);', ...(bug === 'skip-task-done' ? [] : ['    await tasks.taskDone();']), '    continue;', '  }',
        `  ${add}`, '  await tasks.taskDone();', '}'];
    }
    targets.add(...exportAsync(form, 'consume', `tasks: ${JQ}, total: ${V}`, body), '');
    main.use(targets, 'consume');
    const P = main.v('Process');
    const top = [`const TASKS = [${items.join(', ')}];`];
    const lines = [`const tasks = new ${main.v('JoinableQueue')}<number | null>();`, `const total = ${main.v('Value')}('i', 0);`];
    const c = crew(g, main, { name: 'workers', n, make: (i) => `new ${P}({ target: consume, args: [tasks, total]${daemon ? ', daemon: true' : ''}, name: \`worker-\${${i}}\` })` });
    top.push(...c.decls);
    lines.push(...c.lines, ...startAll(g, c.list), 'for (const t of TASKS) await tasks.put(t);', 'await tasks.join();');
    if (!daemon) lines.push(`for (const _ of ${c.list}) await tasks.put(null);`, ...joinAll(g, c.list));
    lines.push('console.log(`RESULT total ${await total.get()}`);');
    main.add(...top, '', ...guard(g, main, lines));
    if (bug === 'skip-task-done') return hangs(n);
    if (bug === 'task-done-twice') return { expect: { effect: 'error', message: 'task_done\\(\\) called too many times' }, processes: n };
    return { expect: { effect: 'completes', results: { total: items.filter((x) => x % 5 !== 0).reduce((s, x) => s + x, 0) } }, processes: n };
  },
};
