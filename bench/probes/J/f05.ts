// Index builder: a child builds a term index from a list of documents and signals when it is ready.
import { Event, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

const DOCUMENTS: string[] = [];

export async function buildIndex(docs: string[], size: SynchronizedValue<'i'>, ready: Event) {
  if (docs.length === 0) {
    console.log('nothing to index');
    await ready.set();
    return;
  }
  const terms = new Set(docs.flatMap((d) => d.split(/\s+/)));
  await size.set(terms.size);
  await ready.set();
}

if (isMainProcess()) {
  const ready = new Event();
  const size = Value('i', 0);
  const builder = new Process({ target: buildIndex, args: [DOCUMENTS, size, ready] });
  builder.start();
  await ready.wait();
  console.log('index terms:', await size.get());
  await builder.join();
}
