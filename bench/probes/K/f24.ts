// Three stages pass a token around a ring of events; the stage with the top priority starts the round.
import { Event, Process, isMainProcess } from '@process-topology/multiprocessing';

type Spec = { name: string; priority: number; starter: boolean };
type Wiring = { inbound: Event; outbound: Event };

function makeStage(spec: Spec, wires: Wiring) {
  const pass = async () => {
    await wires.outbound.set();
  };
  return async () => {
    if (spec.starter) return pass();
    await wires.inbound.wait();
    console.log(`${spec.name} got the token`);
    await pass();
  };
}

export async function stage(spec: Spec, wires: Wiring) {
  await makeStage(spec, wires)();
}

if (isMainProcess()) {
  const names = ['fetch', 'parse', 'store'];
  const specs: Spec[] = names.map((name, i) => ({ name, priority: i + 1, starter: false }));
  const top = specs.find((s) => s.priority === 1);
  if (top) top.starter = true;
  const ring = names.map(() => new Event());
  const procs = specs.map(
    (spec, i) => new Process({ target: stage, args: [spec, { inbound: ring[i], outbound: ring[(i + 1) % ring.length] }] }),
  );
  procs.forEach((p) => p.start());
  for (const p of procs) await p.join();
  console.log('round complete');
}
