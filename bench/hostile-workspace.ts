// The language server on a workspace holding every hostile file of issue 13 at once (symlinks to
// /dev/zero and /dev/urandom, FIFOs as a source and as tsconfig.json, a symlink loop, a 10 GB
// sparse file, a 3 MB bundle, files nested thousands deep; test/helpers/hostile.ts), against the
// anchor of the same workspace without them, measured in the same run:
//   node scripts/build.mjs && npx tsx bench/hostile-workspace.ts [--runs 3] [--memory-mb 512]
// Per run and side: the server's peak resident memory (VmHWM) against its budget (the analysis
// thread's heap limit + 256 MB for the rest of the process), the whole-workspace analysis time,
// analysis threads started and alive, every program's finding, the notes, and the time from
// `shutdown` to the process's exit and its exit code. Prints medians and the hostile / anchor
// ratios; exit status 1 when a guarantee fails (budget, one thread, findings, exit code 0).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVER_INFO_REQUEST, type ServerInfo } from '../common/protocol';
import { makeHostileWorkspace, memoryOf } from '../test/helpers/hostile';
import { startServer } from '../test/helpers/lsp-client';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

interface Run {
  peakMb: number;
  workspaceMs: number;
  workersStarted: number;
  threads: number;
  notes: number;
  missingFindings: string[];
  exitMs: number;
  exit: string;
}

async function once(hostile: boolean, memoryMb: number): Promise<Run> {
  const ws = makeHostileWorkspace({ hostile });
  const s = await startServer(ws.dir, { diagnostics: { scope: 'workspace' } }, { analysisMemoryMb: memoryMb });
  try {
    const report = await s.connection.sendRequest<{ items: { uri: string; items: { code: string }[] }[] }>('workspace/diagnostic', { previousResultIds: [] });
    const status = s.statuses.at(-1)!;
    const found = new Set(report.items.filter((r) => r.items.some((d) => d.code === 'missing-sentinel')).map((r) => path.relative(ws.dir, new URL(r.uri).pathname)));
    for (const program of ws.programs.slice(0, 2)) {
      const uri = pathToFileURL(path.join(ws.dir, program)).href;
      s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: fs.readFileSync(path.join(ws.dir, program), 'utf8') } });
      const items = (await s.connection.sendRequest<{ items: { code: string }[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
      if (!items.some((d) => d.code === 'missing-sentinel')) found.delete(program);
    }
    const info = await s.connection.sendRequest<ServerInfo>(SERVER_INFO_REQUEST);
    const { peakMb } = memoryOf(s.child.pid!);
    const started = performance.now();
    await s.connection.sendRequest('shutdown');
    await s.connection.sendNotification('exit');
    const end = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('still running after 10 s'), 10_000);
      s.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(signal ? `signal ${signal}` : `code ${code}`);
      });
    });
    return {
      peakMb, workspaceMs: status.ms, workersStarted: info.workersStarted, threads: info.analysisThreads, notes: status.notes?.length ?? 0,
      missingFindings: ws.programs.filter((p) => !found.has(p)), exitMs: Math.round(performance.now() - started), exit: end,
    };
  } finally {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    ws.dispose();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/analysis-worker.js'))) throw new Error('run `node scripts/build.mjs` first');
  const runs = arg('--runs', 3);
  const memoryMb = arg('--memory-mb', 512);
  const budgetMb = memoryMb + 256;
  const anchor: Run[] = [];
  const hostile: Run[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so that a busy moment of the machine hits both sides.
    for (const side of i % 2 === 0 ? [false, true] : [true, false]) {
      const r = await once(side, memoryMb);
      (side ? hostile : anchor).push(r);
      console.log(`run ${i + 1} ${side ? 'hostile' : 'anchor '}: peak RSS ${r.peakMb} MB, workspace analysis ${r.workspaceMs} ms, threads started ${r.workersStarted}, alive ${r.threads}, notes ${r.notes}, findings missing: ${r.missingFindings.join(', ') || 'none'}, exit ${r.exitMs} ms after shutdown (${r.exit})`);
    }
  }
  const row = (name: string, rs: Run[]): string =>
    `| ${name} | ${median(rs.map((r) => r.peakMb))} MB | ${median(rs.map((r) => r.workspaceMs))} ms | ${median(rs.map((r) => r.exitMs))} ms | ${Math.max(...rs.map((r) => r.notes))} |`;
  console.log(`\n| workspace | peak RSS (median) | workspace analysis | shutdown to exit | notes |\n|---|---|---|---|---|\n${row('anchor (ordinary files only)', anchor)}\n${row('hostile (every hostile file)', hostile)}`);
  console.log(`\nhostile / anchor: peak RSS ${(median(hostile.map((r) => r.peakMb)) / median(anchor.map((r) => r.peakMb))).toFixed(2)}, workspace analysis ${(median(hostile.map((r) => r.workspaceMs)) / median(anchor.map((r) => r.workspaceMs))).toFixed(2)}`);
  const failures = [...anchor, ...hostile].flatMap((r) => [
    ...(r.peakMb < budgetMb ? [] : [`peak RSS ${r.peakMb} MB over the ${budgetMb} MB budget`]),
    ...(r.workersStarted === 1 && r.threads === 1 ? [] : [`${r.workersStarted} analysis threads started, ${r.threads} alive`]),
    ...(r.missingFindings.length === 0 ? [] : [`findings missing: ${r.missingFindings.join(', ')}`]),
    ...(r.exit === 'code 0' ? [] : [`exit: ${r.exit}`]),
  ]);
  console.log(failures.length === 0 ? `PASS: every run under ${budgetMb} MB, one analysis thread, every finding, exit code 0` : `FAIL:\n  ${[...new Set(failures)].join('\n  ')}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
