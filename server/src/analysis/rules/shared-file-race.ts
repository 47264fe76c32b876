// shared-file-race (docs/rules/shared-file-race.md): two or more processes can read then write the same file path (a
// JSON "database" read with readFileSync and written back with writeFileSync) without holding one
// common lock (seed 002's ticket office). The extraction gives each constant path a `file` node
// with read and write edges; see races.ts.
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { raceFindings } from '../passes/races';

export default defineRule({
  id: 'shared-file-race',
  severity: 'warning',
  family: 'hygiene',
  summary: 'Processes read then write the same file without a common lock.',
  run: sharedFileRace,
});

function sharedFileRace(ctx: RuleContext): Finding[] {
  return raceFindings(ctx, 'shared-file-race', true);
}
