// Parent and child agree on a protocol version through a handshake over a pipe.
import { Pipe, Process, isMainProcess } from '@process-topology/multiprocessing';
import { peer, type Hello } from './f25-lib.js';

if (isMainProcess()) {
  const [mine, theirs] = Pipe<Hello>();
  const child = new Process({ target: peer, args: [theirs] });
  child.start();
  await mine.send({ from: 'parent', version: 2 });
  const hello = await mine.recv();
  console.log(`parent sees ${hello.from} v${hello.version}; using v${Math.min(2, hello.version)}`);
  await child.join();
}
