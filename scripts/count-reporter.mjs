// A node:test reporter that writes the final counts, for scripts/test.mjs's last line, and each
// test file's time (the sum of its top-level tests and suites), so that the run can name its
// slowest files: the suite must stay under 20 minutes on 2 cores.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  const files = {};
  for await (const event of source) {
    const data = event.data;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && data?.nesting === 0 && typeof data.file === 'string') {
      files[data.file] = (files[data.file] ?? 0) + (data.details?.duration_ms ?? 0);
    }
    // Suites report too; count leaf tests only.
    if (data?.details?.type === 'suite') continue;
    if (event.type === 'test:pass' && !data.skip && !data.todo) passed++;
    else if (event.type === 'test:fail') failed++;
  }
  yield JSON.stringify({ passed, failed, files });
}
