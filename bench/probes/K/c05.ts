// A daemon heartbeat process waits for pings that may never come; main does its work and exits.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

export async function heartbeat(pings: Queue<string>) {
  for (;;) {
    const who = await pings.get();
    console.log(`heartbeat from ${who}`);
  }
}

if (isMainProcess()) {
  const pings = new Queue<string>();
  const hb = new Process({ target: heartbeat, args: [pings], daemon: true });
  hb.start();
  let acc = 0;
  for (let i = 1; i <= 1000; i++) acc += i;
  console.log('result', acc);
}
