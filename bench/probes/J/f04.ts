// Shard loader: each worker loads one shard, waits until every shard is loaded, then reports.
import { Barrier, Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const SHARDS = ['users', 'orders', 'items'];

export async function loadShard(name: string, allLoaded: Barrier, report: Queue<string>) {
  const rows = name.length * 10;
  const ticket = await allLoaded.wait();
  await report.put(`${name}:${rows}:${ticket}`);
}

if (isMainProcess()) {
  const allLoaded = new Barrier(SHARDS.length);
  const report = new Queue<string>();
  const workers = SHARDS.map((s) => new Process({ target: loadShard, args: [s, allLoaded, report] }));
  workers.forEach((w) => w.start());
  const lines = await Promise.all(SHARDS.map(() => report.get()));
  await Promise.all(workers.map((w) => w.join()));
  console.log(lines.sort());
}
