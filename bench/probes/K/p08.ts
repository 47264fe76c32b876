// A supervisor launches one process per role named in its plan and waits for all of them.
import { Process, isMainProcess } from '@process-topology/multiprocessing';

export function role(name: string, shards: number[]) {
  console.log(`${name} handles shards ${shards.join(',')}`);
}

interface Step {
  role: 'ingest' | 'index' | 'serve';
  shard: number;
}

const plan: Step[] = [
  { role: 'ingest', shard: 0 },
  { role: 'index', shard: 0 },
  { role: 'index', shard: 1 },
  { role: 'serve', shard: 0 },
];

if (isMainProcess()) {
  const shardsOf = new Map<string, number[]>();
  for (const step of plan) shardsOf.set(step.role, [...(shardsOf.get(step.role) ?? []), step.shard]);

  const procs = new Map<string, Process>();
  for (const [name, shards] of shardsOf) {
    procs.set(name, new Process({ target: role, args: [name, shards], name }));
  }

  const launched: Process[] = [];
  for (const step of plan) {
    const p = procs.get(step.role)!;
    p.start();
    launched.push(p);
  }
  for (const p of launched) await p.join();
  console.log('all roles finished');
}
