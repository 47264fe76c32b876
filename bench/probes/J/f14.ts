// Sensor sampling: a sensor process emits SAMPLES readings and an averager process averages them.
import { Process, Queue, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

const SAMPLES = 5;

export async function sensor(out: Queue<number>, n: number) {
  for (let i = 0; i < n; i++) await out.put(20 + Math.sin(i));
}

export async function averager(inp: Queue<number>, n: number, result: SynchronizedValue<'d'>) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await inp.get();
  await result.set(sum / n);
}

if (isMainProcess()) {
  const readings = new Queue<number>();
  const mean = Value('d', 0);
  const procs = [
    new Process({ target: sensor, args: [readings, SAMPLES] }),
    new Process({ target: averager, args: [readings, SAMPLES, mean] }),
  ];
  for (const p of procs) p.start();
  for (const p of procs) await p.join();
  console.log('mean reading', (await mean.get()).toFixed(3));
}
