// Timing spans of one process start, sequentially (no contention between children):
//   start()  : the synchronous start() call in the parent (locating the target, spawn())
//   exec     : from start() to the child's own time origin (fork/exec of node)
//   boot     : from the child's time origin to its target running (Node bootstrap, the loader if any,
//              dist/child.js, re-importing the main module, importing the target's module, reviving args)
//   exit     : from the target's last put to the parent's join() resolving (the child's shutdown:
//              finalizeChildren, closing the hub socket, flushing stdio, exit, the parent seeing it)
// Run: node --import tsx bench/spans.mts [N]   (through tsx, like a user's .ts program), or compiled:
//      npx esbuild bench/spans.mts --format=esm --platform=node --outfile=bench/.build/spans.mjs && node bench/.build/spans.mjs [N]
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function stamp(q: Queue<{ origin: number; enter: number; left: number }>): Promise<void> {
  const enter = performance.timeOrigin + performance.now();
  await q.put({ origin: performance.timeOrigin, enter, left: performance.timeOrigin + performance.now() });
}

if (isMainProcess()) {
  const n = Number(process.argv[2] ?? 5);
  const q = new Queue<{ origin: number; enter: number; left: number }>();
  const rows: Record<string, number>[] = [];
  const now = () => performance.timeOrigin + performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = now();
    const p = new Process({ target: stamp, args: [q] });
    p.start();
    const tStarted = now();
    const s = await q.get();
    await p.join();
    const tJoined = now();
    rows.push({ 'start()': tStarted - t0, exec: s.origin - t0, boot: s.enter - s.origin, exit: tJoined - s.left, total: tJoined - t0 });
  }
  const keys = Object.keys(rows[0]!);
  const med = (k: string) => rows.map((r) => r[k]!).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  console.log(`spans of one process start, ms (median of ${n}; per run: ${rows.map((r) => r.total!.toFixed(0)).join(', ')})`);
  for (const k of keys) console.log(`  ${k.padEnd(8)} ${med(k).toFixed(1).padStart(8)}`);
}
