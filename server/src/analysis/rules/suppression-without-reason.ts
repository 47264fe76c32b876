// suppression-without-reason: a suppression comment that does not say why (`-- reason`). Found by
// analysis/suppressions.ts, which reads the comments of every program once the findings are known.
import { defineRule } from '../rule-context';

export default defineRule({
  id: 'suppression-without-reason',
  severity: 'hint',
  family: 'suppression',
  summary: 'A suppression comment without `-- reason`.',
});
