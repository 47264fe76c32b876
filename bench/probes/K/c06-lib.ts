// Symmetric exchange helper: both sides may call it at the same time.
import type { Connection } from '@process-topology/multiprocessing';

export async function swap<T>(conn: Connection<T>, mine: T): Promise<T> {
  await conn.send(mine);
  return conn.recv();
}

export async function partner(conn: Connection<string[]>, rounds: number) {
  let deck = ['c1', 'c2'];
  for (let r = 0; r < rounds; r++) deck = await swap(conn, deck.map((c) => `${c}'`));
  conn.close();
}
