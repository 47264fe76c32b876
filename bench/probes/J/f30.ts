// Round-robin turns: N processes take turns through a ring of semaphores, each writing its id for a few rounds.
import { Process, Queue, Semaphore, isMainProcess } from '@process-topology/multiprocessing';

const N = 3;
const ROUNDS = 2;

export async function takeTurns(id: number, mine: Semaphore, next: Semaphore, out: Queue<string>) {
  for (let r = 0; r < ROUNDS; r++) {
    await mine.acquire();
    await out.put(`round ${r}: p${id}`);
    await next.release();
  }
}

if (isMainProcess()) {
  const turns = Array.from({ length: N }, (_, i) => new Semaphore(i === 0 ? 1 : 0));
  const out = new Queue<string>();
  const procs = turns.map((mine, id) => new Process({ target: takeTurns, args: [id, mine, turns[(id + 1) % N], out] }));
  procs.forEach((p) => p.start());
  for (let i = 0; i < N * ROUNDS; i++) console.log(await out.get());
  await Promise.all(procs.map((p) => p.join()));
}
