// The fixed twin of desk-and-pen.ts: both writers take the desk first, then the pen, so neither can
// hold one while it waits for the other's. Every interleaving completes.
import { Event, Lock, Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function first(desk: Lock, pens: Queue<string>, seated: Event) {
  await desk.acquire();
  await seated.set();
  const pen = await pens.get();
  console.log(`first writes with the ${pen}`);
  await pens.put(pen);
  await desk.release();
}

export async function second(desk: Lock, pens: Queue<string>) {
  await desk.acquire();
  const pen = await pens.get();
  console.log(`second writes with the ${pen}`);
  await pens.put(pen);
  await desk.release();
}

if (isMainProcess()) {
  const desk = new Lock();
  const pens = new Queue<string>();
  const seated = new Event();
  await pens.put('pen');
  const a = new Process({ target: first, args: [desk, pens, seated] });
  a.start();
  await seated.wait();
  const b = new Process({ target: second, args: [desk, pens] });
  b.start();
  await a.join();
  await b.join();
  console.log('both wrote');
}
