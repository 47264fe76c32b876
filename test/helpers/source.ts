import * as fs from 'node:fs';
import type { Position } from '../../common/model';

/** The 0-based position of the n-th occurrence of `needle` in a file, to anchor expectations in the source. */
export function positionOf(file: string, needle: string, occurrence = 1): Position {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let seen = 0;
  for (let line = 0; line < lines.length; line++) {
    let from = 0;
    for (;;) {
      const character = lines[line]!.indexOf(needle, from);
      if (character < 0) break;
      if (++seen === occurrence) return { line, character };
      from = character + 1;
    }
  }
  throw new Error(`'${needle}' (occurrence ${occurrence}) not found in ${file}`);
}
