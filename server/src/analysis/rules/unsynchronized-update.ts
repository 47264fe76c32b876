// unsynchronized-update (rules.md): two or more processes can read then write a shared Value, a
// SharedArray element, a manager dict key or list item (read-modify-write) without holding one
// common lock, so updates get lost (seed 002: 100 decrements leave 94). See races.ts.
import type { Finding } from '../../../../common/model';
import type { RuleContext } from '../rule-context';
import { raceFindings } from '../passes/races';

export function unsynchronizedUpdate(ctx: RuleContext): Finding[] {
  return raceFindings(ctx, 'unsynchronized-update', false);
}
