// Log flusher: a Process subclass buffers log lines and writes them out when the main process asks for a flush.
import { Event, Process, Queue, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

export class Flusher extends Process {
  constructor(
    readonly lines: Queue<string>,
    readonly flushNow: Event,
    readonly written: SynchronizedValue<'i'>,
  ) {
    super({ name: 'flusher' });
  }

  override async run(): Promise<void> {
    await this.flushNow.wait();
    let n = 0;
    while (!(await this.lines.empty())) {
      console.log('>>', await this.lines.get());
      n++;
    }
    await this.written.set(n);
  }
}

if (isMainProcess()) {
  const flusher = new Flusher(new Queue<string>(), new Event(), Value('i', 0));
  flusher.start();
  for (const line of ['boot', 'ready', 'serving']) await flusher.lines.put(line);
  await flusher.flushNow.set();
  await flusher.join();
  console.log('flushed', await flusher.written.get(), 'lines');
}
