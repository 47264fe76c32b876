// Simulation runner: a child computes a series of squares and reports them over a small bounded queue.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const STEPS = 6;
const BUFFER = 2;

export async function simulate(steps: number, out: Queue<number>) {
  for (let s = 1; s <= steps; s++) await out.put(s * s);
}

class ResultCollector {
  readonly queue = new Queue<number>(BUFFER);
  readonly values: number[] = [];

  async drain(count: number): Promise<void> {
    while (this.values.length < count) this.values.push(await this.queue.get());
  }

  total(): number {
    return this.values.reduce((a, b) => a + b, 0);
  }
}

if (isMainProcess()) {
  const collector = new ResultCollector();
  const sim = new Process({ target: simulate, args: [STEPS, collector.queue] });
  sim.start();
  await collector.drain(STEPS);
  await sim.join();
  console.log('sum of squares', collector.total(), 'exit', sim.exitcode);
}
