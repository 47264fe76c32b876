// unsynchronized-update (docs/rules/unsynchronized-update.md): two or more processes can read then write a shared Value, a
// SharedArray element, a manager dict key or list item (read-modify-write) without holding one
// common lock, so updates get lost (seed 002: 100 decrements leave 94). See races.ts.
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { raceFindings } from '../passes/races';

export default defineRule({
  id: 'unsynchronized-update',
  severity: 'warning',
  family: 'hygiene',
  summary: 'Processes read then write shared state without a common lock: lost updates.',
  run: unsynchronizedUpdate,
});

function unsynchronizedUpdate(ctx: RuleContext): Finding[] {
  return raceFindings(ctx, 'unsynchronized-update', false);
}
