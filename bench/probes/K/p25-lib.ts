// Helpers for a version handshake over a duplex pipe.
import type { Connection } from '@process-topology/multiprocessing';

export type Hello = { from: string; version: number };

export async function handshake(conn: Connection<Hello>, me: string, version: number): Promise<Hello> {
  const theirs = await conn.recv();
  await conn.send({ from: me, version });
  return theirs;
}

export async function peer(conn: Connection<Hello>) {
  const theirs = await handshake(conn, 'child', 3);
  console.log(`child sees ${theirs.from} v${theirs.version}`);
  conn.close();
}
