// A pool scores words inside an `await using` block; every result is collected before the block ends.
import { Pool, isMainProcess } from '@process-topology/multiprocessing';

export function score(word: string): [string, number] {
  return [word, [...word].reduce((acc, ch) => acc + ch.charCodeAt(0) - 96, 0)];
}

export async function slowLen(word: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 30));
  return word.length;
}

async function rank(words: string[]) {
  await using pool = new Pool(2);
  const lengths = pool.mapAsync(slowLen, words);
  const scored: [string, number][] = [];
  for await (const pair of pool.imapUnordered(score, words)) scored.push(pair);
  scored.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { scored, lengths: await lengths.get(10) };
}

if (isMainProcess()) {
  const { scored, lengths } = await rank(['tree', 'apple', 'zoo', 'mix']);
  console.log(scored.map(([w, s]) => `${w}:${s}`).join(' '), '|', lengths.join(' '));
}
