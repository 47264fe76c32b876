// Call sites: where the user's code called the shim (the file, line and column of the first stack
// frame outside the shim), for the wait report, the deadlock report and the trace.
//
// Nothing is formatted per operation by default. A call that does not complete at once keeps its
// stack unformatted (a few frames; waits.ts), which Node formats and source-maps only when a
// report reads it; failing that (a call made after an await inside the shim), the waiting async
// function is woken and reads its own stack, where V8's async stack traces name the awaiting
// user function ("at async worker (main.ts:7:13)", the position of its `await`). Object and
// process creation sites are captured the same lazy way when the object is made.
// Only the trace, controlled scheduling and steered replay capture a site per operation, with
// `eagerSite()` (a few raw frames, mapped through the file's source map once per position).
import Module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A place in a file: absolute path, 1-based line and column (as stack traces count). */
export interface Site {
  file: string;
  line: number;
  column: number;
}

/**
 * The folders of the shim's own modules (its compiled files, and the sources their source maps
 * point to): frames there are not the user's.
 */
const SHIM_DIRS = [__dirname + path.sep, path.join(__dirname, '..', 'src') + path.sep];

function inShim(file: string): boolean {
  return SHIM_DIRS.some((d) => file.startsWith(d));
}

function isUserFile(file: string): boolean {
  return !inShim(file) && !file.startsWith('node:') && path.isAbsolute(file);
}

function toPath(file: string): string {
  return file.startsWith('file://') ? fileURLToPath(file) : file;
}

// "    at fn (file:L:C)", "    at file:L:C", "    at async fn (file:L:C)", "    at new Cls (file:L:C)"
const FRAME = /^\s*at (?:.*? \()?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?$/;

/**
 * The first frame of a formatted stack that is in the user's code, or null. `constructors`: the
 * user's classes whose constructors are not the site (a Process subclass's, which calls super():
 * the process is made where the user wrote `new Worker(…)`).
 */
export function userSite(stack: string | undefined, constructors?: readonly string[]): Site | null {
  if (!stack) return null;
  for (const line of stack.split('\n')) {
    if (line.includes('(eval at ')) continue;
    if (constructors && constructors.some((c) => line.startsWith(`at new ${c} (`, line.indexOf('at ')))) continue;
    const m = FRAME.exec(line);
    if (!m) continue;
    const file = toPath(m[1]!);
    if (isUserFile(file)) return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

/** The current stack's first user frame, formatted by Node (source-mapped, async frames included). */
export function currentSite(): Site | null {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, currentSite);
  return userSite(holder.stack);
}

/** A site captured now and resolved when first read (creation sites). */
export class LazySite {
  readonly #holder: { stack?: string } = {};
  #site: Site | null | undefined;

  readonly #constructors: readonly string[] | undefined;

  /** `constructors`: see userSite. */
  constructor(skip?: Function, constructors?: readonly string[]) {
    Error.captureStackTrace(this.#holder, skip ?? LazySite);
    this.#constructors = constructors;
  }

  get(): Site | null {
    if (this.#site === undefined) {
      this.#site = userSite(this.#holder.stack, this.#constructors);
      this.#holder.stack = undefined; // the frames are no longer needed
    }
    return this.#site;
  }
}

// ---- one site per operation (trace, scheduling, steering) -----------------------------------------

interface RawFrame {
  getFileName(): string | null | undefined;
  getScriptNameOrSourceURL?(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

const rawFrames = (_err: Error, frames: RawFrame[]): RawFrame[] => frames;
/** Generated file name -> (line * 2^20 + column -> the user's site, or null: not the user's). */
const mapped = new Map<string, Map<number, Site | null>>();
let mappedCount = 0;
/** Generated file names (paths or file: URLs) -> whether they are the shim's own. */
const shimFiles = new Map<string, boolean>();
/** When the first, short look finds no user frame (a helper like withLock between): a longer one. */
const EAGER_FRAMES = 10;

interface SourceMapLike {
  payload?: { sources?: unknown };
  findEntry(line: number, column: number): { originalSource?: string; originalLine?: number; originalColumn?: number } | Record<string, never>;
}
const findSourceMap = (Module as unknown as { findSourceMap?: (file: string) => SourceMapLike | undefined }).findSourceMap;

/** A generated position mapped through its file's source map (tsx, tsc with source maps), once. */
function mapPosition(file: string, line: number, column: number): Site | null {
  let byPos = mapped.get(file);
  if (!byPos) mapped.set(file, (byPos = new Map()));
  const key = line * 1048576 + column;
  let site = byPos.get(key);
  if (site !== undefined) return site;
  site = { file: toPath(file), line, column };
  try {
    const sm = findSourceMap?.(file);
    const e = sm?.findEntry(line - 1, column - 1);
    if (e && typeof e.originalLine === 'number' && typeof e.originalSource === 'string') {
      site = { file: toPath(e.originalSource), line: e.originalLine + 1, column: (e.originalColumn ?? 0) + 1 };
    } else if (sm) {
      // Code of a compiled file that maps to no source: a helper the compiler added (esbuild's
      // `await using` disposal, say), not the user's; the user's frame is further up.
      site = null;
    }
  } catch {
    // no source map: the generated position
  }
  if (site && !isUserFile(site.file)) site = null;
  if (mappedCount++ < 100_000) byPos.set(key, site);
  return site;
}

/** The source file of a generated position, through its file's source map (the file itself without one). */
export function sourceFileOf(file: string, line: number, column: number): string {
  try {
    const e = findSourceMap?.(file)?.findEntry(line - 1, column - 1);
    if (e && typeof e.originalSource === 'string') return toPath(e.originalSource);
  } catch {
    // no source map
  }
  return file;
}

/** The source of a compiled module (its source map's one source), else the module's own file. */
export function sourceOfModule(file: string): string {
  try {
    const sources = findSourceMap?.(file)?.payload?.sources;
    if (Array.isArray(sources) && sources.length === 1 && typeof sources[0] === 'string') return toPath(sources[0]);
  } catch {
    // no source map
  }
  return file;
}

/**
 * The user's frame of the current synchronous stack (async frames included), cheaply: raw frames,
 * no formatting, source maps applied once per position. `skip`: the outermost shim function on
 * the stack that is known (frames up to it are not collected), `frames`: how many to look at
 * after it (a capture costs about its number of frames); a longer look follows if they are all
 * the shim's.
 */
export function eagerSite(skip: Function = eagerSite, frames = EAGER_FRAMES): Site | null {
  const n = Math.max(frames, framesAfter.get(skip) ?? 0);
  const site = userFrame(capture(skip, n));
  if (site !== undefined || n >= EAGER_FRAMES) return site ?? null;
  const longer = capture(skip, EAGER_FRAMES);
  const found = userFrame(longer);
  // The next capture after `skip` looks as far at once (a Connection's recv is three frames from
  // call(), a queue's get two): a second capture costs far more than a frame more in the first.
  // Not past LEARNED_FRAMES: a look past the synchronous frames walks the async ones, slowly, and
  // one deep call (an object made in a helper) would make every later capture pay for it.
  if (found && userFrameIndex < LEARNED_FRAMES) framesAfter.set(skip, Math.max(n, userFrameIndex + 1));
  return found ?? null;
}

const LEARNED_FRAMES = 4;

/** Frames a capture after a given `skip` needed (learned from longer looks; see eagerSite). */
const framesAfter = new WeakMap<Function, number>();
/** The index of the frame the last userFrame() call returned. */
let userFrameIndex = 0;

function capture(skip: Function, n: number): RawFrame[] | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = rawFrames as unknown as typeof Error.prepareStackTrace;
  Error.stackTraceLimit = n;
  const holder: { stack?: RawFrame[] } = {};
  try {
    Error.captureStackTrace(holder, skip);
    return holder.stack; // (formatted when first read: while rawFrames is the formatter)
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** The first user frame among `frames` (undefined: none there; null: it has no usable position). */
function userFrame(frames: RawFrame[] | undefined): Site | null | undefined {
  if (!Array.isArray(frames)) return null;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const file = f.getFileName() ?? f.getScriptNameOrSourceURL?.() ?? null;
    if (!file) continue;
    let shim = shimFiles.get(file);
    if (shim === undefined) {
      const abs = file.startsWith('node:') ? '' : toPath(file);
      shimFiles.set(file, (shim = !path.isAbsolute(abs) || inShim(abs)));
    }
    if (shim) continue;
    const line = f.getLineNumber();
    const column = f.getColumnNumber();
    if (line === null || column === null) continue;
    const site = mapPosition(file, line, column);
    if (site) {
      userFrameIndex = i;
      return site;
    }
  }
  return undefined;
}

/** `file:line:column`, the file relative to `root` when it is inside it. */
export function formatSite(site: Site | null | undefined, root = process.cwd()): string {
  if (!site) return 'an unknown place';
  const rel = path.relative(root, site.file);
  const file = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : site.file;
  return `${file}:${site.line}:${site.column}`;
}

// ---- names of variables, from the source line ---------------------------------------------------

const sources = new Map<string, string[] | null>();

function sourceLines(file: string): string[] | null {
  let lines = sources.get(file);
  if (lines === undefined) {
    lines = null;
    try {
      // (Only files a stack named: the program's own. Bounded, for a report.)
      const fs = require('node:fs') as typeof import('node:fs');
      if (fs.statSync(file).size < 4_000_000) lines = fs.readFileSync(file, 'utf8').split('\n');
    } catch {
      lines = null;
    }
    sources.set(file, lines);
  }
  return lines;
}

/**
 * The name the user's code gives the object made at `site`, read from the source line:
 * `const jobs = new Queue()` → jobs, `this.lock = new Lock()` → lock, `const [a, b] = Pipe()` →
 * a/b, `lock: new Lock()` → lock. Undefined when the line does not say.
 */
export function nameAt(site: Site | null | undefined): string | undefined {
  if (!site) return undefined;
  const line = sourceLines(site.file)?.[site.line - 1];
  if (line === undefined) return undefined;
  // What precedes the call on its line: `const x = await new mp.`, `this.x = `, `x: ` ...
  const before = line.slice(0, Math.max(0, site.column - 1)).replace(/(?:[A-Za-z_$][\w$]*\??\.)+$/, '');
  const m =
    /(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:await\s+)?(?:new\s+)?$/.exec(before) ??
    /(?:this\.|\b)([A-Za-z_$][\w$]*)\s*=\s*(?:await\s+)?(?:new\s+)?$/.exec(before) ??
    /\b([A-Za-z_$][\w$]*)\s*:\s*(?:await\s+)?(?:new\s+)?$/.exec(before);
  if (m) return m[1];
  const pair = /(?:const|let|var)\s+\[\s*([A-Za-z_$][\w$]*)\s*,\s*([A-Za-z_$][\w$]*)\s*\]\s*(?::[^=]*)?=\s*$/.exec(before);
  if (pair) return `${pair[1]}/${pair[2]}`;
  return undefined;
}
