// Start gun: runner processes line up and wait for the gun; the starter waits until all runners are lined up, then fires.
import { Condition, Lock, Process, Value, isMainProcess, type RawSharedValue } from '@process-topology/multiprocessing';

const RUNNERS = 2;

type Track = { lineUp: Condition; gun: Condition; linedUp: RawSharedValue<'i'>; fired: RawSharedValue<'b'> };

export async function runner(id: number, { lineUp, gun, linedUp, fired }: Track) {
  await gun.acquire();
  await linedUp.set((await linedUp.get()) + 1);
  await lineUp.notify();
  await gun.waitFor(async () => (await fired.get()) === 1);
  await gun.release();
  console.log(`runner ${id} off`);
}

export async function starter({ lineUp, gun, linedUp, fired }: Track) {
  await lineUp.acquire();
  await lineUp.waitFor(async () => (await linedUp.get()) === RUNNERS);
  await fired.set(1);
  await gun.notifyAll();
  await lineUp.release();
}

if (isMainProcess()) {
  const trackLock = new Lock();
  const track: Track = {
    lineUp: new Condition(trackLock),
    gun: new Condition(trackLock),
    linedUp: Value('i', 0, { lock: false }),
    fired: Value('b', 0, { lock: false }),
  };
  const procs = [
    ...Array.from({ length: RUNNERS }, (_, i) => new Process({ target: runner, args: [i, track] })),
    new Process({ target: starter, args: [track] }),
  ];
  procs.forEach((p) => p.start());
  for (const p of procs) await p.join();
  console.log('race over');
}
