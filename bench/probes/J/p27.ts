// Service launcher: starts the enabled services from a config table and waits until each reports it is up.
import { Event, Process, Semaphore, isMainProcess } from '@process-topology/multiprocessing';

type ServiceConfig = { name: string; port: number; enabled: boolean };

const SERVICES: ServiceConfig[] = [
  { name: 'db', port: 5432, enabled: true },
  { name: 'cache', port: 6379, enabled: false },
  { name: 'api', port: 8080, enabled: true },
];

export async function service(name: string, port: number, up: Semaphore, stop: Event) {
  console.log(`${name} listening on ${port}`);
  await up.release();
  await stop.wait();
  console.log(`${name} stopped`);
}

if (isMainProcess()) {
  const up = new Semaphore(0);
  const stop = new Event();
  const running = SERVICES.filter((s) => s.enabled).map(({ name, port }) => {
    const p = new Process({ target: service, args: [name, port, up, stop], name });
    p.start();
    return p;
  });
  for (const _ of SERVICES) await up.acquire();
  console.log('all services up');
  await stop.set();
  for (const p of running) await p.join();
}
