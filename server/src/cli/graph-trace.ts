// `process-topology graph --trace FILE --format html`: the page that replays a run's trace
// (docs/runtime-trace.md) on the graph of the program it ran (the trace names its main module; the
// analysis reads it from the trace's root). See drawing/replay-page.ts for the page.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTrace, TraceError } from '../../../common/trace';
import { replayHtml } from '../../../drawing/replay-page';
import { analyzeFiles } from '../analysis/analyze';

export class TraceUsageError extends Error {}

/** The replay page of trace `file` (resolved against `cwd`); `bundleDir` holds dist/replay.js. */
export function traceReplayHtml(file: string, cwd: string, bundleDir: string): string {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    throw new TraceUsageError(`no such trace: ${file}`);
  }
  let trace;
  try {
    trace = parseTrace(text);
  } catch (err) {
    throw new TraceUsageError(`${file} is not a process-topology trace (${err instanceof TraceError ? err.message : String(err)})`);
  }
  if (!trace.header.main) throw new TraceUsageError(`${file} does not name the program it traced`);
  const root = trace.header.root.startsWith('file:') ? fileURLToPath(trace.header.root) : trace.header.root;
  const main = path.resolve(root, trace.header.main);
  if (!fs.existsSync(main)) throw new TraceUsageError(`the traced program ${main} is not there any more`);
  const js = path.join(bundleDir, 'replay.js');
  if (!fs.existsSync(js)) throw new TraceUsageError(`the replay bundle is missing in ${bundleDir}; run npm run build`);
  const model = analyzeFiles([main], { rootDir: root });
  return replayHtml(model, text, fs.readFileSync(js, 'utf8'), `Process Topology: a run of ${trace.header.main}`);
}
