// The language-server fuzzer, shared by test/lsp/fuzz.test.ts (a few hundred mutations) and
// bench/lsp-fuzz.ts (ten thousand): mutations of the examples and fixtures go through the REAL
// server (dist/server.js) over LSP, and every step checks that each request is answered, that the
// server still runs, how long each analysis took and how much memory the server holds.
// Deterministic: the seed decides every input (timing decides only what gets cancelled).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { MODEL_REQUEST, SERVER_INFO_REQUEST, type ServerInfo, type StatusParams } from '../../common/protocol';
import { startServer, type LspSession } from './lsp-client';
import { makeWorkspace } from './workspace';

// ---- a seeded PRNG ------------------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---- mutations ----------------------------------------------------------------------------------

const TOKENS = [
  '{', '}', '(', ')', '[', ']', ';', ',', '.', '=>', '=', '?', ':', '...', '`', "'", '"', '${', '/*', '*/', '//', '\n', '<', '>',
  'await', 'async', 'function', 'return', 'break', 'continue', 'for (;;) {', 'while (true) {', 'if (', 'else', 'try {', '} finally {',
  'const', 'let', 'new', 'export', 'import', 'class', 'extends', 'this', 'null', 'undefined', 'yield', 'typeof', 'as any', '!',
  'Queue', 'JoinableQueue', 'Pipe', 'Lock', 'RLock', 'Event', 'Condition', 'Barrier', 'Semaphore', 'Value', 'Pool', 'Process', 'Manager',
  'q.put(null)', 'await q.get()', 'await p.join()', 'p.start()', 'lock.acquire()', 'lock.release()', 'await q.join()', 'q.taskDone()',
  'new Process({ target: worker, args: [q] })', 'new Queue<number | null>(1)', 'isMainProcess()', 'process.exit(1)',
  "import { Queue, Process, Lock, Event, isMainProcess } from '@process-topology/multiprocessing';",
  '// process-topology-disable-next-line missing-sentinel -- reason', '// process-topology-disable-next-line', 'eval("x")',
  'arguments', 'super', 'delete', 'void 0', '0x', '1e', '9007199254740993n', '\\u{1F600}', '\u2028', '\uFEFF', '#private',
];
const SHIM_WORDS = ['Queue', 'JoinableQueue', 'SimpleQueue', 'Pipe', 'Lock', 'RLock', 'Event', 'Condition', 'Barrier', 'Semaphore', 'BoundedSemaphore', 'Value', 'Array', 'Pool', 'Process', 'Manager',
  'put', 'get', 'send', 'recv', 'join', 'start', 'close', 'terminate', 'acquire', 'release', 'wait', 'set', 'notify', 'notifyAll', 'taskDone', 'map', 'applyAsync', 'withLock'];
const HUGE_NUMBERS = ['1e9', '4294967296', '9007199254740993', '1e308', '-1', '0', 'NaN', 'Infinity', '-Infinity', '123456789012345678901234567890', '0.5', '2**31', '1_000_000_000'];
const ODD_CHARS = ['\u0000', '\u0001', '\u0007', '\b', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff', '\ud800', '\udfff', '\ud83d', '\r', '\r\n', '\t', '\\', '\u200b'];

export interface Mutation {
  kind: string;
  text: string;
  /** When the change is local: the replaced range of the old text and what replaces it. */
  edit?: { start: number; end: number; newText: string };
}

function replace(text: string, start: number, end: number, newText: string, kind: string): Mutation {
  return { kind, text: text.slice(0, start) + newText + text.slice(end), edit: { start, end, newText } };
}

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) out.push(i + 1);
  return out;
}

/** One mutation of `text`; `corpus` gives other files to splice from. */
export function mutate(rng: Prng, text: string, corpus: readonly string[]): Mutation {
  const at = (): number => rng.int(0, text.length);
  const kind = rng.pick([
    'cut', 'delete-span', 'delete-token', 'delete-token', 'insert-token', 'insert-token', 'insert-token', 'duplicate-lines', 'swap-lines',
    'replace-word', 'replace-word', 'huge-number', 'huge-literal', 'deep-nesting', 'binary', 'long-line', 'splice-other', 'splice-other',
    'double-file', 'empty',
  ]);
  switch (kind) {
    case 'cut': {
      const n = at();
      return replace(text, n, text.length, '', kind);
    }
    case 'delete-span': {
      const a = at();
      return replace(text, a, Math.min(text.length, a + rng.int(1, 60)), '', kind);
    }
    case 'delete-token': {
      const tokens = [...text.matchAll(/[A-Za-z_$][\w$]*|\d+|[{}()[\];,.]|=>|\S/g)];
      if (tokens.length === 0) return { kind, text };
      const t = rng.pick(tokens);
      return replace(text, t.index!, t.index! + t[0].length, '', kind);
    }
    case 'insert-token': {
      const n = rng.int(1, 3);
      const inserted = Array.from({ length: n }, () => rng.pick(TOKENS)).join(rng.chance(0.5) ? ' ' : '');
      const a = at();
      return replace(text, a, a, inserted, kind);
    }
    case 'duplicate-lines': {
      const starts = lineStarts(text);
      const a = rng.int(0, starts.length - 1);
      const b = Math.min(starts.length - 1, a + rng.int(1, 30));
      const chunk = text.slice(starts[a]!, starts[b]!);
      const to = starts[rng.int(0, starts.length - 1)]!;
      return replace(text, to, to, chunk, kind);
    }
    case 'swap-lines': {
      const lines = text.split('\n');
      if (lines.length < 2) return { kind, text };
      const i = rng.int(0, lines.length - 1);
      const j = rng.int(0, lines.length - 1);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return { kind, text: lines.join('\n') };
    }
    case 'replace-word': {
      const words = [...text.matchAll(/\b(?:Queue|JoinableQueue|SimpleQueue|Pipe|Lock|RLock|Event|Condition|Barrier|Semaphore|BoundedSemaphore|Value|Pool|Process|Manager|put|get|send|recv|join|start|close|terminate|acquire|release|wait|set|notify|notifyAll|taskDone|map|applyAsync|withLock|null|true|false)\b/g)];
      if (words.length === 0) return { kind, text };
      const w = rng.pick(words);
      return replace(text, w.index!, w.index! + w[0].length, rng.pick([...SHIM_WORDS, 'null', 'undefined', 'true', 'false']), kind);
    }
    case 'huge-number': {
      const numbers = [...text.matchAll(/\b\d+(\.\d+)?\b/g)];
      const value = rng.pick(HUGE_NUMBERS);
      if (numbers.length === 0 || rng.chance(0.2)) {
        const snippet = rng.pick([`new Queue(${value})`, `new Barrier(${value})`, `new Semaphore(${value})`, `for (let i = 0; i < ${value}; i++) await q.put(i);`, `new Pool(${value})`]);
        const a = at();
        return replace(text, a, a, snippet, kind);
      }
      const n = rng.pick(numbers);
      return replace(text, n.index!, n.index! + n[0].length, value, kind);
    }
    case 'huge-literal': {
      const size = rng.pick([10_000, 100_000, 1_000_000]);
      const literal = rng.pick([
        () => `'${'x'.repeat(size)}'`,
        () => `\`${'a${b}'.repeat(Math.floor(size / 5))}\``,
        () => `[${Array.from({ length: Math.floor(size / 6) }, (_, i) => i).join(',')}]`,
        () => `{ ${Array.from({ length: Math.floor(size / 12) }, (_, i) => `k${i}: ${i}`).join(', ')} }`,
        () => `/${'a|'.repeat(Math.floor(size / 2))}b/`,
        () => `${'9'.repeat(Math.min(size, 100_000))}`,
      ])();
      const a = at();
      return replace(text, a, a, rng.chance(0.5) ? `\nconst huge = ${literal};\n` : literal, kind);
    }
    case 'deep-nesting': {
      const depth = rng.pick([100, 1000, 5000]);
      const nested = rng.pick([
        () => `${'('.repeat(depth)}q${')'.repeat(depth)}`,
        () => `${'{'.repeat(depth)}${'}'.repeat(depth)}`,
        () => `${'['.repeat(depth)}${']'.repeat(depth)}`,
        () => `${'if (x) '.repeat(depth)}await q.put(1);`,
        () => `${'() => '.repeat(depth)}0`,
        () => `${'async function f() { '.repeat(depth)}${'}'.repeat(depth)}`,
        () => `${'for (;;) { '.repeat(depth)}await q.get();${' }'.repeat(depth)}`,
        () => `q${'.put(1)'.repeat(depth)}`,
        () => `${'('.repeat(depth)}`, // unbalanced
        () => `${'{'.repeat(depth)}`,
      ])();
      const a = at();
      return replace(text, a, a, nested, kind);
    }
    case 'binary': {
      if (rng.chance(0.2)) {
        const n = rng.pick([16, 1024, 65_536]);
        let s = '';
        for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0, 0xffff));
        return { kind, text: s };
      }
      let s = '';
      for (let i = rng.int(1, 40); i > 0; i--) s += rng.chance(0.5) ? rng.pick(ODD_CHARS) : String.fromCharCode(rng.int(0, 0xffff));
      const a = at();
      return replace(text, a, a, s, kind);
    }
    case 'long-line': {
      if (rng.chance(0.4)) return { kind, text: text.replace(/\n/g, ' ') };
      const n = rng.pick([10_000, 200_000]);
      const line = rng.pick([
        () => `// ${'long comment '.repeat(n / 13)}`,
        () => `const line = [${'q, '.repeat(n / 3)}];`,
        () => `const s = "${'\\u0041'.repeat(n / 6)}";`,
        () => `${'await q.put(1); '.repeat(Math.min(n / 16, 5000))}`,
      ])();
      const starts = lineStarts(text);
      const to = starts[rng.int(0, starts.length - 1)]!;
      return replace(text, to, to, `${line}\n`, kind);
    }
    case 'splice-other': {
      const other = rng.pick(corpus);
      const a = rng.int(0, other.length);
      const chunk = other.slice(a, Math.min(other.length, a + rng.int(20, 2000)));
      const to = at();
      return replace(text, to, to, chunk, kind);
    }
    case 'double-file':
      return { kind, text: text + '\n' + text };
    default:
      return { kind: 'empty', text: '' };
  }
}

// ---- the run ------------------------------------------------------------------------------------

export interface FuzzOptions {
  seed: number;
  mutations: number;
  /** A request not answered within this long is a failure (the server hung). */
  requestTimeoutMs?: number;
  /** Write failing inputs here (created if missing). */
  artifactsDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** How often (in steps) to print a progress line. */
  progressEvery?: number;
}

export interface FuzzFailure {
  step: number;
  what: string;
  file: string;
  mutation: string;
  input?: string;
}

export interface FuzzReport {
  seed: number;
  mutations: number;
  requests: number;
  answered: number;
  cancelledOrModified: number;
  analyses: number;
  /** Longest single analysis (from the status notifications), its file and mutation. */
  maxAnalysisMs: number;
  maxAnalysisAt: string;
  analysisP50Ms: number;
  analysisP95Ms: number;
  /** Longest time from a didChange to its diagnostics response. */
  maxDiagnosticsMs: number;
  /** Peak resident memory of the server process (VmHWM) and its RSS samples (VmRSS) over time, in MB. */
  peakRssMb: number;
  rssSamplesMb: number[];
  /** The steps that raised the peak the most: what they were and how much they added. */
  peakRaisers: { step: number; addedMb: number; what: string }[];
  /** The heaps at the end, in MB: the server's main thread and its analysis thread. */
  finalHeapsMb: { main: number; worker: number };
  /** The first analysis (cold: every file parsed and bound), apart from the others. */
  coldAnalysisMs: number;
  /** Analyses that failed (the analysis threw, or was stopped), by message, with the first stack. */
  analysisErrors: Map<string, { count: number; first: string; stack?: string; input?: string }>;
  /** Analyses that declined their file (status `skipped`: nested too deep, too large), by reason. */
  skipped: Map<string, number>;
  byKind: Map<string, number>;
  failures: FuzzFailure[];
  serverExited: boolean;
  workersStarted: number;
  seconds: number;
}

function memoryMb(pid: number): { rss: number; hwm: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** An offset as an LSP position: lines end at \n, \r\n or \r; characters are UTF-16 units. */
function toPosition(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let last = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10 && i + 1 < end) continue; // \r\n: the \n ends the line
    if (c === 10 || c === 13) {
      line++;
      last = i + 1;
    }
  }
  return { line, character: end - last };
}

class Timeout extends Error {}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  const rng = new Prng(opts.seed);
  const ws = makeWorkspace();
  const originals = new Map(ws.files.map((f) => [f, fs.readFileSync(f, 'utf8')]));
  const corpus = [...originals.values()];
  const report: FuzzReport = {
    seed: opts.seed, mutations: 0, requests: 0, answered: 0, cancelledOrModified: 0, analyses: 0, maxAnalysisMs: 0, maxAnalysisAt: '',
    analysisP50Ms: 0, analysisP95Ms: 0, maxDiagnosticsMs: 0, coldAnalysisMs: 0, peakRssMb: 0, rssSamplesMb: [], peakRaisers: [], finalHeapsMb: { main: 0, worker: 0 }, analysisErrors: new Map(), skipped: new Map(), byKind: new Map(),
    failures: [], serverExited: false, workersStarted: 0, seconds: 0,
  };
  const analysisMs: number[] = [];
  let s: LspSession | undefined;
  try {
    s = await startServer(ws.dir, {}, { analysisTimeoutMs: 30_000 });
    const session = s;
    const pid = session.child.pid!;
    let exited = false;
    session.child.once('exit', () => (exited = true));

    interface Doc { file: string; uri: string; version: number; text: string }
    const open = new Map<string, Doc>();
    const openDoc = (file: string): Doc => {
      const doc = { file, uri: pathToFileURL(file).href, version: 1, text: originals.get(file)! };
      open.set(file, doc);
      session.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: doc.uri, languageId: 'typescript', version: 1, text: doc.text } });
      return doc;
    };
    const closeDoc = (doc: Doc): void => {
      open.delete(doc.file);
      session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: doc.uri } });
    };
    const change = (doc: Doc, m: Mutation): void => {
      doc.version++;
      // Local edits go as ranges (the incremental sync path), the rest as the whole text.
      const splits = (o: number): boolean => doc.text.charCodeAt(o - 1) === 13 && doc.text.charCodeAt(o) === 10;
      const contentChanges = m.edit && rng.chance(0.7) && !splits(m.edit.start) && !splits(m.edit.end)
        ? [{ range: { start: toPosition(doc.text, m.edit.start), end: toPosition(doc.text, m.edit.end) }, text: m.edit.newText }]
        : [{ text: m.text }];
      doc.text = m.text;
      session.connection.sendNotification('textDocument/didChange', { textDocument: { uri: doc.uri, version: doc.version }, contentChanges });
    };

    let statusSeen = 0;
    let current = { file: '', mutation: '' };
    const collectStatuses = (): void => {
      for (; statusSeen < session.statuses.length; statusSeen++) {
        const st: StatusParams = session.statuses[statusSeen]!;
        report.analyses++;
        if (report.analyses === 1) {
          report.coldAnalysisMs = st.ms;
          continue;
        }
        analysisMs.push(st.ms);
        if (st.ms > report.maxAnalysisMs) {
          report.maxAnalysisMs = st.ms;
          report.maxAnalysisAt = `step ${report.mutations}: ${current.file} after ${current.mutation}`;
          const doc = open.get(path.join(ws.dir, current.file));
          if (doc && opts.artifactsDir && st.ms > 1000) {
            fs.mkdirSync(opts.artifactsDir, { recursive: true });
            const input = path.join(opts.artifactsDir, `seed${opts.seed}-slowest${path.extname(doc.file)}.txt`);
            fs.writeFileSync(input, doc.text);
            report.maxAnalysisAt += `; input: ${input}`;
          }
        }
        if (st.state === 'skipped') {
          const key = (st.message ?? '').replace(/\d[\d,]*/g, 'N');
          report.skipped.set(key, (report.skipped.get(key) ?? 0) + 1);
        }
        if (st.state === 'error') {
          const key = (st.message ?? '').replace(/\d+/g, 'N').slice(0, 160);
          let e = report.analysisErrors.get(key);
          if (!e) {
            e = { count: 0, first: `step ${report.mutations}: ${current.file} after ${current.mutation}` };
            // The worker logs the stack right after the failure.
            const stack = session.logs.findLast((l) => l.includes(st.message ?? '\u0000') && /\n\s+at /.test(l));
            if (stack) e.stack = stack.split('\n').slice(0, 12).join('\n');
            const doc = open.get(path.join(ws.dir, current.file));
            if (doc && opts.artifactsDir) {
              fs.mkdirSync(opts.artifactsDir, { recursive: true });
              e.input = path.join(opts.artifactsDir, `seed${opts.seed}-analysis-error-${report.analysisErrors.size + 1}-${path.basename(doc.file)}.txt`);
              fs.writeFileSync(e.input, doc.text);
            }
            report.analysisErrors.set(key, e);
          }
          e.count++;
        }
      }
    };
    const fail = (step: number, what: string, doc: Doc | undefined, mutation: string): void => {
      const failure: FuzzFailure = { step, what, file: doc ? path.relative(ws.dir, doc.file) : '', mutation };
      if (doc && opts.artifactsDir) {
        fs.mkdirSync(opts.artifactsDir, { recursive: true });
        failure.input = path.join(opts.artifactsDir, `seed${opts.seed}-step${step}-${path.basename(doc.file)}.txt`);
        fs.writeFileSync(failure.input, doc.text);
      }
      report.failures.push(failure);
      log(`FAIL step ${step}: ${what} (${failure.file}, ${mutation})${failure.input ? ` input: ${failure.input}` : ''}`);
    };

    /** Sends a request; counts it; a cancelled or content-modified answer is an answer too. */
    const ask = async <T>(method: string, params: unknown, step: number, doc: Doc | undefined, mutation: string, cancel = false): Promise<T | undefined> => {
      report.requests++;
      const source = new CancellationTokenSource();
      const pending = session.connection.sendRequest<T>(method, params, source.token);
      if (cancel) setImmediate(() => source.cancel());
      try {
        const r = await within(pending, timeoutMs, method);
        report.answered++;
        return r;
      } catch (err) {
        if (err instanceof Timeout) {
          fail(step, err.message, doc, mutation);
        } else if (err instanceof ResponseError && (err.code === -32800 || err.code === -32801 || err.code === -32802)) {
          report.answered++;
          report.cancelledOrModified++;
        } else {
          fail(step, `${method} answered with an error: ${err instanceof Error ? err.message : String(err)}`, doc, mutation);
        }
        return undefined;
      } finally {
        source.dispose();
      }
    };

    const files = ws.files.filter((f) => /\.(ts|js|cjs|mjs)$/.test(f));
    for (let k = 0; k < 3; k++) openDoc(rng.pick(files));

    for (let step = 1; step <= opts.mutations; step++) {
      if (exited) break;
      // Now and then: close a document, open another.
      if (rng.chance(0.05) || open.size === 0) {
        if (open.size > 1) closeDoc(rng.pick([...open.values()]));
        const file = rng.pick(files);
        if (!open.has(file)) openDoc(file);
      }
      // Now and then: a document the server cannot or should not analyze, asked about all the same.
      if (rng.chance(0.02)) {
        const uri = rng.pick([
          'untitled:Untitled-1', 'file://remote-host/share/x.ts', pathToFileURL(path.join(ws.dir, 'not', 'on', 'disk.ts')).href,
          'file:///%00/x.ts', pathToFileURL(path.join(ws.dir, 'types.d.ts')).href, 'vscode-notebook-cell:/x.ipynb#W1', 'file:///',
        ]);
        const odd: Doc = { file: path.join(ws.dir, 'odd.ts'), uri, version: 1, text: mutate(rng, rng.pick(corpus), corpus).text };
        session.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: odd.text } });
        const textDocument = { uri };
        await Promise.all([
          ask('textDocument/diagnostic', { textDocument }, step, odd, `odd document ${uri}`),
          ask('textDocument/hover', { textDocument, position: { line: 0, character: 0 } }, step, odd, `odd document ${uri}`),
          ask(MODEL_REQUEST, { textDocument }, step, odd, `odd document ${uri}`),
        ]);
        session.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
      }
      const doc = rng.pick([...open.values()]);
      // Mostly keep mutating the current text (typing goes on), sometimes start again from the file.
      const base = rng.chance(0.7) ? doc.text : originals.get(doc.file)!;
      if (base !== doc.text) change(doc, { kind: 'restore', text: base });
      const burst = rng.chance(0.05) ? rng.int(2, 8) : 1;
      let m: Mutation = { kind: 'none', text: doc.text };
      for (let b = 0; b < burst; b++) {
        m = mutate(rng, doc.text, corpus);
        report.byKind.set(m.kind, (report.byKind.get(m.kind) ?? 0) + 1);
        change(doc, m);
      }
      report.mutations++;
      const mutation = burst > 1 ? `a burst of ${burst} edits ending with ${m.kind}` : m.kind;
      current = { file: path.relative(ws.dir, doc.file), mutation };
      const text = doc.text;
      const randomPos = (): { line: number; character: number } => toPosition(text, rng.int(0, text.length));
      const a = randomPos();
      const b = randomPos();
      const range = a.line < b.line || (a.line === b.line && a.character <= b.character) ? { start: a, end: b } : { start: b, end: a };
      const textDocument = { uri: doc.uri };
      const t0 = performance.now();
      const diagnostics = ask<{ items: unknown[] }>('textDocument/diagnostic', { textDocument }, step, doc, mutation).then((r) => {
        report.maxDiagnosticsMs = Math.max(report.maxDiagnosticsMs, performance.now() - t0);
        return r;
      });
      await Promise.all([
        diagnostics,
        ask('textDocument/codeAction', { textDocument, range, context: { diagnostics: [], ...(rng.chance(0.2) ? { only: ['source.fixAll'] } : {}) } }, step, doc, mutation),
        ask('textDocument/hover', { textDocument, position: randomPos() }, step, doc, mutation, rng.chance(0.1)),
        ask('textDocument/codeLens', { textDocument }, step, doc, mutation, rng.chance(0.1)),
        ask(MODEL_REQUEST, { textDocument }, step, doc, mutation, rng.chance(0.1)),
      ]);
      collectStatuses();
      if (exited || session.child.exitCode !== null) {
        fail(step, `the server exited (code ${session.child.exitCode}, signal ${session.child.signalCode})`, doc, mutation);
        report.serverExited = true;
        break;
      }
      const mem = memoryMb(pid);
      if (mem.hwm > report.peakRssMb) {
        if (report.peakRssMb > 0) {
          report.peakRaisers.push({ step, addedMb: Math.round(mem.hwm - report.peakRssMb), what: `${current.file} after ${mutation} (${text.length} chars)` });
          report.peakRaisers.sort((x, y) => y.addedMb - x.addedMb).splice(5);
        }
        report.peakRssMb = mem.hwm;
      }
      if (step % 10 === 0 || step === opts.mutations) report.rssSamplesMb.push(Math.round(mem.rss));
      if (opts.progressEvery && step % opts.progressEvery === 0) {
        log(`${step} mutations, ${report.analyses} analyses, max analysis ${report.maxAnalysisMs} ms, rss ${report.rssSamplesMb.at(-1)} MB (peak ${Math.round(report.peakRssMb)}), ${report.failures.length} failures, ${Math.round((performance.now() - started) / 1000)} s`);
      }
    }
    if (!exited) {
      const info = await ask<ServerInfo>(SERVER_INFO_REQUEST, {}, opts.mutations, undefined, 'final');
      report.workersStarted = info?.workersStarted ?? 0;
      report.finalHeapsMb = { main: info?.mainHeapMb ?? 0, worker: info?.workerHeapMb ?? 0 };
    }
    collectStatuses();
  } finally {
    await s?.close();
    ws.dispose();
  }
  report.analysisP50Ms = percentile(analysisMs, 50);
  report.analysisP95Ms = percentile(analysisMs, 95);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

export function summarize(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.mutations} mutations in ${r.seconds.toFixed(0)} s; ${r.requests} requests, ${r.answered} answered (${r.cancelledOrModified} cancelled or content-modified)`,
    `analyses: ${r.analyses}; the first (cold) ${r.coldAnalysisMs} ms; the others p50 ${r.analysisP50Ms} ms, p95 ${r.analysisP95Ms} ms, max ${r.maxAnalysisMs} ms (${r.maxAnalysisAt}); slowest edit-to-diagnostics ${r.maxDiagnosticsMs.toFixed(0)} ms`,
    `memory: peak RSS ${Math.round(r.peakRssMb)} MB; RSS samples ${sampleLine(r.rssSamplesMb)}; heaps at the end: main ${r.finalHeapsMb.main} MB, analysis thread ${r.finalHeapsMb.worker} MB`,
    ...r.peakRaisers.map((p) => `  peak +${p.addedMb} MB at step ${p.step}: ${p.what}`),
    `analysis threads started: ${r.workersStarted}; server exited: ${r.serverExited ? 'YES' : 'no'}`,
    `mutations by kind: ${[...r.byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `analysis errors: ${r.analysisErrors.size === 0 ? 'none' : ''}`,
    ...[...r.analysisErrors].flatMap(([msg, e]) => [
      `  ${e.count}× ${msg} (first: ${e.first}${e.input ? `; input: ${e.input}` : ''})`,
      ...(e.stack ? e.stack.split('\n').slice(1).map((l) => `      ${l.trim()}`) : []),
    ]),
    `not analyzed (said in the status): ${r.skipped.size === 0 ? 'none' : [...r.skipped].map(([why, n]) => `${n}× ${why}`).join('; ')}`,
    `failures: ${r.failures.length === 0 ? 'none' : ''}`,
    ...r.failures.slice(0, 20).map((f) => `  step ${f.step}: ${f.what} (${f.file}, ${f.mutation})${f.input ? ` input: ${f.input}` : ''}`),
  ];
  return lines.join('\n');
}

function sampleLine(xs: number[]): string {
  if (xs.length <= 12) return xs.join(', ');
  const step = (xs.length - 1) / 11;
  return Array.from({ length: 12 }, (_, i) => xs[Math.round(i * step)]).join(', ');
}
