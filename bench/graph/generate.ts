// Generated topology models for the graph benchmark: a program of `modules` source files, each a
// small multiprocessing pipeline (a dispatcher, replicated workers, a pool, queues, a pipe, locks,
// an event, shared values); modules are chained five at a time by a queue (pipelines of five
// stages), all spawned from one main.
// Deterministic: the same size gives the same model.
import type { EdgeKind, Location, ModelEdge, ModelNode, NodeKind, TopologyModel } from '../../common/model';

/** Nodes per module (one source file). */
const PER_MODULE = 20;

export function generateModel(nodes: number): TopologyModel {
  const out: TopologyModel = { version: 1, root: 'file:///bench/app', nodes: [], edges: [], findings: [] };
  let line = 0;
  const loc = (file: string): Location => ({ file, range: { start: { line: ++line % 5000, character: 2 }, end: { line: line % 5000, character: 30 } } });
  const node = (kind: NodeKind, id: string, label: string, file: string, extra: Partial<ModelNode> = {}): string => {
    out.nodes.push({ id, kind, label, loc: loc(file), ...extra });
    return id;
  };
  let e = 0;
  const edge = (kind: EdgeKind, from: string, to: string, file: string, extra: Partial<ModelEdge> = {}): string => {
    const id = `e${++e}`;
    out.edges.push({ id, kind, from, to, locs: [loc(file)], ...extra });
    return id;
  };
  const main = node('process', 'proc:main', 'main', 'src/main.ts', { role: 'main' });
  const modules = Math.max(1, Math.round((nodes - 1) / PER_MODULE));
  let previousOut: string | undefined;
  for (let m = 0; m < modules; m++) {
    const f = `src/stage${m}.ts`;
    const id = (s: string): string => `${s}@${f}`;
    const dispatcher = node('process', id('proc:dispatcher'), `dispatcher${m}`, f, { role: 'child', target: 'dispatch' });
    const workers = node('process', id('proc:worker'), `worker${m}`, f, { role: 'child', multiplicity: 1 + (m % 4), target: 'work' });
    const sink = node('process', id('proc:sink'), `sink${m}`, f, { role: 'child', target: 'sink' });
    const inbox = node('queue', id('queue:in'), `in${m}`, f, { variant: 'JoinableQueue' });
    const outbox = node('queue', id('queue:out'), `out${m}`, f, { variant: 'Queue', maxsize: 100 });
    const results = node('queue', id('queue:results'), `results${m}`, f, { variant: 'Queue' });
    const pool = node('pool', id('pool:pool'), `pool${m}`, f);
    const poolWorker = node('process', id('worker:pool worker'), `pool${m} worker`, f, { role: 'pool-worker', multiplicity: 4, daemon: true });
    const pipe = node('pipe', id('pipe:ctl'), `ctl${m}`, f, { duplex: true });
    const lock = node('lock', id('lock:l'), `lock${m}`, f, { variant: 'Lock' });
    const rlock = node('lock', id('lock:r'), `rlock${m}`, f, { variant: 'RLock' });
    const ev = node('event', id('event:stop'), `stop${m}`, f);
    const sem = node('semaphore', id('sem:slots'), `slots${m}`, f);
    const cond = node('condition', id('cond:ready'), `ready${m}`, f);
    const counter = node('value', id('value:count'), `count${m}`, f);
    const arr = node('array', id('array:buf'), `buf${m}`, f);
    const dict = node('dict', id('dict:cache'), `cache${m}`, f);
    const list = node('list', id('list:log'), `log${m}`, f);
    const ns = node('namespace', id('ns:cfg'), `cfg${m}`, f);
    const file = node('file', id('file:out'), `out${m}.log`, f);
    for (const p of [dispatcher, workers, sink]) { edge('spawn', main, p, f); edge('join', main, p, f); }
    edge('spawn', dispatcher, pool, f);
    edge('spawn', pool, poolWorker, f);
    edge('put', dispatcher, inbox, f, { count: 'loop' });
    edge('get', inbox, workers, f, { count: 'loop', blocking: true });
    edge('taskDone', workers, inbox, f, { count: 'loop' });
    edge('put', workers, outbox, f, { count: 'loop' });
    edge('get', outbox, sink, f, { count: 'loop', blocking: true });
    edge('submit', dispatcher, pool, f, { count: 10 });
    edge('result', pool, dispatcher, f, { count: 10 });
    edge('put', poolWorker, results, f);
    edge('get', results, sink, f, { blocking: true });
    edge('send', dispatcher, pipe, f, { end: 'end0' });
    edge('recv', pipe, sink, f, { end: 'end1', blocking: true });
    edge('acquire', workers, lock, f);
    edge('release', workers, lock, f);
    edge('acquire', sink, rlock, f);
    edge('set', dispatcher, ev, f);
    edge('wait', ev, workers, f, { blocking: true });
    edge('acquire', workers, sem, f);
    edge('notify', dispatcher, cond, f);
    edge('wait', cond, sink, f);
    edge('write', workers, counter, f);
    edge('read', counter, sink, f);
    edge('write', poolWorker, arr, f);
    edge('write', sink, dict, f);
    edge('write', sink, list, f);
    edge('read', ns, workers, f);
    edge('write', sink, file, f);
    if (previousOut && m % 5 !== 0) edge('get', previousOut, dispatcher, f, { count: 'loop', blocking: true });
    previousOut = outbox;
    if (m % 10 === 3) {
      out.findings.push({ rule: 'missing-sentinel', severity: 'error', message: `sink${m} waits for a sentinel on out${m} that is never put`,
        loc: loc(f), related: [], nodes: [sink, outbox], edges: [] });
    }
  }
  return out;
}
