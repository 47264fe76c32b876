// Three producers each send a known number of readings; the consumer stops after reading them all.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function sensor(id: number, count: number, out: Queue<[number, number]>) {
  for (let i = 0; i < count; i++) await out.put([id, i * id]);
}

export async function averager(out: Queue<[number, number]>, expected: number, result: Queue<number>) {
  let sum = 0;
  for (let seen = 0; seen < expected; seen++) {
    const [, reading] = await out.get();
    sum += reading;
  }
  await result.put(sum / expected);
}

if (isMainProcess()) {
  const counts = new Map([[1, 4], [2, 6], [3, 5]]);
  const out = new Queue<[number, number]>(3);
  const result = new Queue<number>();
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const consumer = new Process({ target: averager, args: [out, total, result] });
  consumer.start();
  const sensors = [...counts].map(([id, count]) => new Process({ target: sensor, args: [id, count, out] }));
  sensors.forEach((s) => s.start());
  for (const s of sensors) await s.join();
  console.log('average', (await result.get()).toFixed(3));
  await consumer.join();
}
