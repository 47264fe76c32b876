// A work queue: main feeds jobs to N workers through a queue (Queue, SimpleQueue, JoinableQueue
// or a manager's queue), collects one result per job from a results queue, then stops the workers
// with one sentinel each. Bugs: one sentinel short, none at all, a worker that catches an error
// and `continue`s without putting its result, a worker that dies on a throw, main joining the
// workers before draining a bounded results queue.
import { consumeLoop, crew, guard, indent, joinAll, sentinels, startAll, type Gen } from '../style';
import { exportAsync, fnStyle, holder, layout, type Built, type Scenario } from '../scenario';

export const workqueue: Scenario = {
  name: 'workqueue',
  weight: 5,
  bugs: [
    { kind: 'sentinel-short', rule: 'missing-sentinel', weight: 3, note: 'one sentinel fewer than workers' },
    { kind: 'sentinel-none', rule: 'missing-sentinel', weight: 1, note: 'no sentinel at all' },
    { kind: 'result-skipped', rule: 'deadlock', weight: 2, note: 'a worker catches an error and continues without putting its result; main waits for it' },
    { kind: 'worker-dies', rule: 'deadlock', weight: 1, note: 'a worker throws on a bad job and dies; main waits for its result' },
    { kind: 'join-before-drain', rule: 'bounded-queue-full', weight: 2, note: 'main joins the workers before draining the bounded results queue' },
  ],
  build(g: Gen, drawn: string, buggy: boolean): Built {
    const bug = buggy ? drawn : null;
    const r = g.rng;
    const L = layout(g);
    const { main, targets, helpers } = L;
    const qKind = g.pick('queue-kind', [['Queue', 4], ['SimpleQueue', 2], ['JoinableQueue', 1], ['manager', 1]]);
    g.feature('primitive', qKind === 'manager' ? 'Manager' : qKind);
    g.feature('primitive', 'Process');
    const n = r.int(1, 4);
    const jobs = r.items(r.int(3, 8));
    const guarded = g.pick('exceptions', [['none', 3], ['validate-throws', 2]], false) === 'validate-throws' || drawn === 'result-skipped' || drawn === 'worker-dies';
    if (guarded) {
      const k = r.int(0, jobs.length - 1);
      if (!jobs.some((j) => j % 7 === 0)) jobs[k] = 7 * r.int(1, 5);
      while (new Set(jobs).size !== jobs.length) jobs[k] = jobs[k]! + 7;
      g.feature('exceptions', 'validate-throws');
    }
    const bounded = g.pick('results-bound', [['unbounded', 3], ['bounded', 1]], false) === 'bounded' || drawn === 'join-before-drain';
    g.feature('results-bound', bounded ? 'bounded' : 'unbounded');
    const maxsize = bounded ? r.int(1, Math.max(1, jobs.length - 1)) : 0;
    const order = g.pick('collect-order', [['collect-first', 1], ['sentinels-first', 1]]);
    const transform = r.pick(['x * 2 + 1', 'x * x', 'x + 10']);
    const h = holder(g, qKind === 'manager' ? ['locals', 'record'] : ['locals', 'record', 'class']);
    const form = fnStyle(g);
    const destructure = h === 'record' && g.pick('record', [['dotted', 1], ['destructured', 1]]) === 'destructured';
    const useHelper = g.pick('get-helper', [['direct', 1], ['helper', 1]]) === 'helper';

    // Helpers: the transform, and validation that throws on multiples of 7.
    const score = helpers.use(helpers, 'score');
    helpers.add(`${helpers === main ? '' : 'export '}function score(x: number): number {`, `  return ${transform};`, '}', '');
    if (guarded) {
      helpers.add(
        `${helpers === main ? '' : 'export '}function validate(x: number): void {`,
        '  if (x % 7 === 0) throw new Error(`job ${x} is not valid`);',
        '}', '',
      );
    }
    const scoreRef = targets.use(helpers, score);
    const validateRef = guarded ? targets.use(helpers, 'validate') : '';

    // The worker.
    const jobT = qKind === 'manager' ? targets.t('QueueProxy', 'number | null') : targets.t(qKind, 'number | null');
    const resT = qKind === 'manager' ? targets.t('QueueProxy', 'number') : targets.t('Queue', 'number');
    let body: string[];
    if (!guarded) body = [`await results.put(${scoreRef}(item));`];
    else if (bug === 'worker-dies') body = [`${validateRef}(item);`, `await results.put(${scoreRef}(item));`];
    else {
      body = [
        'try {',
        `  ${validateRef}(item);`,
        `  await results.put(${scoreRef}(item));`,
        '} catch (err) {',
        '  console.log(`worker ${id}: ${(err as Error).message}`);',
        ...(bug === 'result-skipped' ? ['  continue;'] : ['  await results.put(-1);']),
        '}',
      ];
    }
    if (useHelper) {
      // The get goes through a helper of the targets' module.
      targets.add(`async function next(q: ${jobT}): Promise<number | null> {`, '  return q.get();', '}', '');
    }
    const loop = consumeLoop(g, useHelper ? 'await next(jobs)' : 'await jobs.get()', 'number', body, { canReturn: true, numeric: true });
    targets.helper(loop.pre);
    targets.add(...exportAsync(form, 'worker', `jobs: ${jobT}, results: ${resT}, id: number`, loop.lines), '');
    const workerRef = main.use(targets, 'worker');

    // Main.
    const P = main.v('Process');
    const lines: string[] = [];
    const top: string[] = [`const JOBS = [${jobs.join(', ')}];`];
    const jobsNew = qKind === 'manager' ? 'await manager.Queue<number | null>()' : `new ${main.v(qKind)}<number | null>()`;
    const resNew = qKind === 'manager' ? `await manager.Queue<number>(${maxsize || ''})` : `new ${main.v('Queue')}<number>(${maxsize || ''})`;
    let J = 'jobs';
    let R = 'results';
    let W: string;
    const make = (i: string) => `new ${P}({ target: ${workerRef}, args: [${J}, ${R}, ${i}] })`;
    if (qKind === 'manager') {
      lines.push(`const manager = new ${main.v('Manager')}();`, 'await manager.start();');
    }
    const collect = (sum: string) => [
      `let ${sum} = 0;`,
      'for (let i = 0; i < JOBS.length; i++) {',
      `  const r = await ${R}.get();`,
      `  if (r >= 0) ${sum} += r;`,
      '}',
    ];
    const expectSum = jobs.filter((x) => !(guarded && x % 7 === 0)).reduce((s, x) => s + evalTransform(transform, x), 0);
    if (h === 'class') {
      // Methods read the fields through `this.x`, or destructure them first (`const { jobs } = this`).
      const fields = g.pick('this-fields', [['dotted', 1], ['destructured', 1]]);
      const submit = fields === 'dotted' ? ['    for (const x of items) await this.jobs.put(x);'] : ['    const { jobs } = this;', '    for (const x of items) await jobs.put(x);'];
      const take = fields === 'dotted' ? 'this.results' : 'results';
      const c = crew(g, main, { name: 'workers', n, make: (i) => `new ${P}({ target: ${workerRef}, args: [this.jobs, this.results, ${i}] })`, field: true });
      top.push(...c.decls);
      const stopLines = bug === 'sentinel-none' ? ['// the workers stop when the program ends'] : sentinels(g, c, 'this.jobs', 'null', bug === 'sentinel-short');
      main.add(
        'class Farm {',
        `  readonly jobs = ${jobsNew};`,
        `  readonly results = ${resNew};`,
        `  readonly workers: ${main.t('Process')}[] = [];`, '',
        '  constructor() {', ...indent(c.lines, 2), '  }', '',
        '  launch(): void {', ...indent(startAll(g, 'this.workers'), 2), '  }', '',
        '  async submit(items: number[]): Promise<void> {', ...submit, '  }', '',
        '  async stop(): Promise<void> {', ...indent(stopLines, 2), '  }', '',
        '  async collect(count: number): Promise<number> {', ...(fields === 'dotted' ? [] : ['    const { results } = this;']), '    let total = 0;', '    for (let i = 0; i < count; i++) {', `      const r = await ${take}.get();`, '      if (r >= 0) total += r;', '    }', '    return total;', '  }', '',
        '  async wait(): Promise<void> {', ...indent(joinAll(g, 'this.workers'), 2), '  }',
        '}', '',
      );
      lines.push('const farm = new Farm();', 'farm.launch();', 'await farm.submit(JOBS);');
      if (bug === 'join-before-drain') lines.push('await farm.stop();', 'await farm.wait();', 'const sum = await farm.collect(JOBS.length);');
      else if (order === 'sentinels-first') lines.push('await farm.stop();', 'const sum = await farm.collect(JOBS.length);', 'await farm.wait();');
      else lines.push('const sum = await farm.collect(JOBS.length);', 'await farm.stop();', 'await farm.wait();');
    } else {
      if (h === 'record') {
        lines.push(`const chans = { jobs: ${jobsNew}, results: ${resNew} };`);
        if (destructure) lines.push('const { jobs, results } = chans;');
        else { J = 'chans.jobs'; R = 'chans.results'; }
      } else {
        lines.push(`const jobs = ${jobsNew};`, `const results = ${resNew};`);
      }
      const c = crew(g, main, { name: 'workers', n, make });
      W = c.list;
      top.push(...c.decls);
      lines.push(...c.lines, ...startAll(g, W), `for (const x of JOBS) await ${J}.put(x);`);
      const stop = bug === 'sentinel-none' ? [] : sentinels(g, c, J, 'null', bug === 'sentinel-short');
      if (bug === 'join-before-drain') lines.push(...stop, ...joinAll(g, W), ...collect('sum'));
      else if (order === 'sentinels-first') lines.push(...stop, ...collect('sum'), ...joinAll(g, W));
      else lines.push(...collect('sum'), ...stop, ...joinAll(g, W));
    }
    if (qKind === 'manager') lines.push('await manager.shutdown();');
    lines.push('console.log(`RESULT sum ${sum}`);');
    main.add(...top, '', ...guard(g, main, lines));
    const processes = n + (qKind === 'manager' ? 1 : 0);
    if (bug) return { expect: { effect: 'hangs', certainty: 'always' }, processes };
    return { expect: { effect: 'completes', results: { sum: expectSum } }, processes };
  },
};

/** The transforms above, evaluated for the expected sum. */
export function evalTransform(t: string, x: number): number {
  if (t === 'x * 2 + 1') return x * 2 + 1;
  if (t === 'x * x') return x * x;
  if (t === 'x + 10') return x + 10;
  throw new Error(`unknown transform ${t}`);
}
