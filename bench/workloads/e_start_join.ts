// (e) start 10 processes (a target that returns at once), then join them. Twin of e_start_join.py.
import { Process, isMainProcess } from '@process-topology/multiprocessing';
import { report, seconds } from './common.js';

export function noop(): void {}

if (isMainProcess()) {
  const n = Number(process.argv[2] ?? 10);
  const t0 = performance.now();
  const ps = Array.from({ length: n }, () => new Process({ target: noop }));
  for (const p of ps) p.start();
  const tStarted = performance.now();
  for (const p of ps) await p.join();
  const tEnd = performance.now();
  report({
    elapsed: seconds(t0, tEnd),
    check: ps.every((p) => p.exitcode === 0),
    phases: { start: seconds(t0, tStarted), join: seconds(tStarted, tEnd) },
  });
}
