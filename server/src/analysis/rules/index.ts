// The rule registry: every rule of rules.md that is implemented, by id.
import { deadlock } from './deadlock';
import { missingSentinel } from './missing-sentinel';
import type { Rule } from './context';

export const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['missing-sentinel', missingSentinel],
  ['deadlock', deadlock],
]);
