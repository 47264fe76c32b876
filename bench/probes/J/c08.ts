// Greeter over a pipe: the child speaks first, answers questions until 'bye', then says goodbye; main reads until the goodbye.
import { Pipe, Process, isMainProcess, type Connection } from '@process-topology/multiprocessing';

const QUESTIONS = ['name?', 'version?', 'bye'];

export async function greeter(conn: Connection<string>) {
  await conn.send('hello');
  for (;;) {
    const q = await conn.recv();
    if (q === 'bye') break;
    await conn.send(q === 'name?' ? 'greeter' : '1.2.3');
  }
  await conn.send('goodbye');
  conn.close();
}

if (isMainProcess()) {
  const [mine, theirs] = Pipe<string>();
  const child = new Process({ target: greeter, args: [theirs] });
  child.start();
  theirs.close();
  console.log('<', await mine.recv());
  for (const q of QUESTIONS) {
    await mine.send(q);
    if (q !== 'bye') console.log('<', await mine.recv());
  }
  for (let tail = await mine.recv(); ; tail = await mine.recv()) {
    console.log('< (tail)', tail);
    if (tail === 'goodbye') break;
  }
  mine.close();
  await child.join();
  console.log('child exit', child.exitcode);
}
