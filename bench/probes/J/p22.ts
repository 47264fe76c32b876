// Model warm-up: a child loads a model, flags it as loaded under a condition, and publishes its description.
import { Condition, Process, Queue, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

const LAYERS = [64, 128, 10];

export async function loadModel(layers: number[], loaded: SynchronizedValue<'b'>, cond: Condition, info: Queue<string>) {
  const params = layers.slice(1).reduce((acc, n, i) => acc + n * layers[i], 0);
  await cond.acquire();
  await loaded.set(1);
  await cond.notifyAll();
  await cond.release();
  await info.put(`${layers.length} layers, ${params} params`);
}

class ModelHandle {
  readonly loaded = Value('b', 0);
  readonly cond = new Condition();
  readonly info = new Queue<string>();

  describe(): Promise<string> {
    return this.info.get();
  }

  async ready(): Promise<void> {
    await this.cond.acquire();
    try {
      await this.cond.wait();
    } finally {
      await this.cond.release();
    }
  }
}

if (isMainProcess()) {
  const model = new ModelHandle();
  const p = new Process({ target: loadModel, args: [LAYERS, model.loaded, model.cond, model.info] });
  p.start();
  console.log('model:', await model.describe());
  await model.ready();
  console.log('model ready');
  await p.join();
}
