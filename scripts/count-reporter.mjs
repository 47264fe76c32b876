// A node:test reporter that writes the final counts, for scripts/test.mjs's last line, and each
// test file's time from when the runner starts it to when it ends (its `test:dequeue` and
// `test:complete` events), so that the run can name its slowest files and its last ones: the suite
// must stay under 20 minutes on 2 cores.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  const t0 = Date.now();
  const started = {};
  /** File -> [start, end] in ms since the run began. */
  const spans = {};
  // A file's own events name it by its path (relative to where the run started).
  const isFileEvent = (data) => typeof data?.file === 'string' && typeof data.name === 'string' && data.nesting === 0
    && data.name !== '' && data.file.endsWith(data.name.replace(/\\/g, '/').replace(/^\.\//, ''));
  for await (const event of source) {
    const data = event.data;
    if (isFileEvent(data)) {
      if (event.type === 'test:dequeue') started[data.name] = Date.now() - t0;
      else if (event.type === 'test:complete' && started[data.name] !== undefined) spans[data.name] = [started[data.name], Date.now() - t0];
      continue;
    }
    // Suites report too; count leaf tests only.
    if (data?.details?.type === 'suite') continue;
    if (event.type === 'test:pass' && !data.skip && !data.todo) passed++;
    else if (event.type === 'test:fail') failed++;
  }
  yield JSON.stringify({ passed, failed, spans });
}
