// BROKEN ON PURPOSE: a deadlock that needs an unlucky interleaving. `first` takes the desk (a lock),
// says so, then borrows the pen (the one item of a queue); `second` borrows the pen, then takes the
// desk. Run plainly it completes: `second` starts long after `first` has given the pen back. But if
// `second` borrows the pen between `first`'s desk and pen, each holds what the other waits for.
// Process Topology reports it as `deadlock`, with the interleaving as its trace; Reproduce (or
// `process-topology run examples/desk-and-pen.ts --reproduce deadlock`) makes the real processes
// follow that trace, and the run deadlocks as predicted. The fix: desk-and-pen-ordered.ts.
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
  const pen = await pens.get();
  await desk.acquire();
  console.log(`second writes with the ${pen}`);
  await desk.release();
  await pens.put(pen);
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
