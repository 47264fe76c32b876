// A node:test reporter that writes only the final counts, for scripts/test.mjs's last line.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  for await (const event of source) {
    // Suites report too; count leaf tests only.
    if (event.data?.details?.type === 'suite') continue;
    if (event.type === 'test:pass' && !event.data.skip && !event.data.todo) passed++;
    else if (event.type === 'test:fail') failed++;
  }
  yield JSON.stringify({ passed, failed });
}
