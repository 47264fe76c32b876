// Parent and child agree on a protocol version through a handshake over a pipe.
import { Pipe, Process, isMainProcess } from '@process-topology/multiprocessing';
import { handshake, peer, type Hello } from './p25-lib.js';

if (isMainProcess()) {
  const [mine, theirs] = Pipe<Hello>();
  const child = new Process({ target: peer, args: [theirs] });
  child.start();
  const hello = await handshake(mine, 'parent', 2);
  console.log(`parent sees ${hello.from} v${hello.version}; using v${Math.min(2, hello.version)}`);
  await child.join();
}
