// Parent and child trade lists over a pipe a few times, both sending before they receive.
import { Pipe, Process, isMainProcess } from '@process-topology/multiprocessing';
import { partner, swap } from './c06-lib.js';

if (isMainProcess()) {
  const [here, there] = Pipe<string[]>();
  const rounds = 3;
  const child = new Process({ target: partner, args: [there, rounds] });
  child.start();
  let deck = ['p1', 'p2', 'p3'];
  for (let r = 0; r < rounds; r++) deck = await swap(here, deck.map((c) => c.toUpperCase()));
  await child.join();
  console.log('parent holds', deck.join(','));
}
