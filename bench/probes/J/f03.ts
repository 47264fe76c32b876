// Cache/config service: a loader fills a cache then reads the config; a writer publishes the config and records a cache hit.
import { Event, Lock, Process, isMainProcess } from '@process-topology/multiprocessing';

interface Shared {
  cacheLock: Lock;
  configLock: Lock;
  cacheFilled: Event;
  configWritten: Event;
}

export async function loader(s: Shared) {
  await s.cacheLock.acquire();
  try {
    console.log('loader: cache filled');
    await s.cacheFilled.set();
    await s.configWritten.wait();
    await s.configLock.withLock(() => console.log('loader: config read'));
  } finally {
    await s.cacheLock.release();
  }
}

export async function writer(s: Shared) {
  await s.cacheFilled.wait();
  await s.configLock.acquire();
  console.log('writer: config written');
  await s.configWritten.set();
  await s.configLock.release();
  await s.cacheLock.withLock(() => console.log('writer: cache hit recorded'));
}

if (isMainProcess()) {
  const shared: Shared = {
    cacheLock: new Lock(),
    configLock: new Lock(),
    cacheFilled: new Event(),
    configWritten: new Event(),
  };
  const procs = [loader, writer].map((target) => new Process({ target, args: [shared] }));
  procs.forEach((p) => p.start());
  for (const p of procs) await p.join();
  console.log('service stopped');
}
