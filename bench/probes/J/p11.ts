// Download limiter: worker processes fetch URLs, with at most MAX_PARALLEL downloads in flight across all workers.
import { Process, Queue, Semaphore, isMainProcess } from '@process-topology/multiprocessing';

const URLS = ['x.example/bad-1', 'y.example/bad-2', 'a.example/one', 'b.example/two'];
const MAX_PARALLEL = 2;
const WORKERS = 2;

async function download(url: string, slots: Semaphore): Promise<number | null> {
  await slots.acquire();
  if (url.includes('bad')) return null;
  const size = url.length * 100;
  await slots.release();
  return size;
}

export async function fetcher(urls: string[], slots: Semaphore, results: Queue<[string, number | null]>) {
  for (const u of urls) {
    const size = await download(u, slots);
    await results.put([u, size]);
  }
}

if (isMainProcess()) {
  const slots = new Semaphore(MAX_PARALLEL);
  const results = new Queue<[string, number | null]>();
  const shards = Array.from({ length: WORKERS }, (_, w) => URLS.filter((_, i) => i % WORKERS === w));
  const procs = shards.map((urls) => new Process({ target: fetcher, args: [urls, slots, results] }));
  procs.forEach((p) => p.start());
  for (let i = 0; i < URLS.length; i++) {
    const [url, size] = await results.get();
    console.log(url, size ?? 'failed');
  }
  await Promise.all(procs.map((p) => p.join()));
}
