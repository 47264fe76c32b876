// A logger process prints the lines it receives; main sends a few status lines and finishes.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function logger(lines: Queue<string | null>) {
  for (let line = await lines.get(); line !== null; line = await lines.get()) {
    console.log(`[log] ${line}`);
  }
}

const startLogger = () => {
  const lines = new Queue<string | null>();
  const proc = new Process({ target: logger, args: [lines], name: 'logger' });
  proc.start();
  return { log: (s: string) => lines.put(s), stop: async () => { await lines.put(null); await proc.join(); } };
};

if (isMainProcess()) {
  const { log, stop } = startLogger();
  for (const stage of ['boot', 'load', 'ready']) await log(stage);
  await stop();
  console.log('main finished');
}
