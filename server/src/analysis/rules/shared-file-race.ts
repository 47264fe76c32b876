// shared-file-race (rules.md): two or more processes can read then write the same file path (a
// JSON "database" read with readFileSync and written back with writeFileSync) without holding one
// common lock (seed 002's ticket office). The extraction gives each constant path a `file` node
// with read and write edges; see races.ts.
import type { Finding } from '../../../../common/model';
import type { RuleContext } from '../rule-context';
import { raceFindings } from '../passes/races';

export function sharedFileRace(ctx: RuleContext): Finding[] {
  return raceFindings(ctx, 'shared-file-race', true);
}
