// unused-suppression: a suppression comment that suppresses nothing in any program that reaches it.
// Found by analysis/suppressions.ts, once the findings of every program are known.
import { defineRule } from '../rule-context';

export default defineRule({
  id: 'unused-suppression',
  severity: 'hint',
  family: 'suppression',
  summary: 'A suppression comment that suppresses nothing.',
});
