// The one way the analysis reads a file from disk: sources, tsconfig.json and what it extends,
// package.json, the shim's declarations, the config file. A workspace may be hostile (a cloned
// repository can hold a symlink to /dev/zero named `main.ts`, or a FIFO named `tsconfig.json`),
// so only regular files are read, never more than a size cap, and never so that a read can block:
// the path is stat'ed first (a device or a FIFO is never opened), opened without blocking, and
// checked again on the open descriptor (it may have been swapped in between). Anything else is
// skipped with a one-line reason, which callers turn into a note naming the file.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A source file (TypeScript or JavaScript, not a declaration file) larger than this is not
 * analyzed: bytes on disk, characters in an editor. It is generated (a bundle, minified code),
 * and the language server analyzes the files it reads on every edit.
 */
export const MAX_SOURCE_SIZE = 1_000_000;
/** Any other file (declarations, package.json, tsconfig.json): a bound on memory only. */
export const MAX_FILE_SIZE = 16_000_000;

export type ReadResult =
  | { text: string }
  /** Nothing there (TypeScript probes many paths): not worth a note. */
  | { missing: true }
  /** There, but not read: why, in a few words ("it is a FIFO (named pipe), not a regular file"). */
  | { skipped: string };

// Not on Windows, where no open blocks on a FIFO.
const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/** Reads a regular file of at most `maxBytes` bytes as text (a BOM says UTF-16 or UTF-8; else UTF-8). */
export function readTextFile(file: string, maxBytes: number = MAX_FILE_SIZE): ReadResult {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    return failed(err, file);
  }
  if (!st.isFile()) return { skipped: notRegular(st, file) };
  if (st.size > maxBytes) return { skipped: tooLarge(st.size, maxBytes) };
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | NONBLOCK);
  } catch (err) {
    return failed(err, file);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) return { skipped: notRegular(opened, file) };
    if (opened.size > maxBytes) return { skipped: tooLarge(opened.size, maxBytes) };
    // Read up to one byte past the cap whatever the size said: a file in /proc says 0, and a
    // file being written grows.
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(opened.size + 1, 64 * 1024)));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = fs.readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    if (n > maxBytes) return { skipped: tooLarge(undefined, maxBytes) };
    return { text: decodeText(buf.subarray(0, n)) };
  } catch (err) {
    return failed(err, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** As TypeScript reads a file: a UTF-16 (either order) or UTF-8 byte order mark is honoured and dropped. */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const swapped = Buffer.from(buf.subarray(2, 2 + ((buf.length - 2) & ~1)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.toString('utf16le', 2);
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.toString('utf8', 3);
  return buf.toString('utf8');
}

function failed(err: unknown, file: string): ReadResult {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
  return { skipped: describeFsError(err, file) };
}

/** What kind of thing a path is when it is not a regular file, and where a symlink points. */
function notRegular(st: fs.Stats, file: string): string {
  const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a file';
  return `it is ${kind}${symlinkTarget(file)}, not a regular file`;
}

function symlinkTarget(file: string): string {
  try {
    return fs.lstatSync(file).isSymbolicLink() ? ` (a symlink to ${fs.readlinkSync(file)})` : '';
  } catch {
    return '';
  }
}

/** `size`: what stat said, when that is what gave it away (else the read went past the cap). */
function tooLarge(size: number | undefined, maxBytes: number): string {
  return `it is larger than ${megabytes(maxBytes)}${size !== undefined ? ` (${megabytes(size)})` : ''}`;
}

function megabytes(n: number): string {
  return n >= 1_000_000 ? `${Math.round(n / 100_000) / 10} MB` : `${Math.round(n / 1000)} KB`;
}

/**
 * A file-system error as a few words about the user's environment ("permission denied",
 * "it is a symlink loop"), not Node's `EACCES: permission denied, open '/x'`: the caller says
 * which file.
 */
export function describeFsError(err: unknown, file?: string): string {
  const e = err as NodeJS.ErrnoException | undefined;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return deniedWhere(file);
    case 'ELOOP': return 'it is a symlink loop (or a chain of more than 40 symlinks)';
    case 'ENOENT': return 'no such file or folder';
    case 'ENOTDIR': return 'a part of its path is not a folder';
    case 'EISDIR': return 'it is a folder';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'the disk quota is used up';
    case 'EROFS': return 'the file system is read-only';
    case 'ENAMETOOLONG': return 'its name is too long';
    case 'EMFILE':
    case 'ENFILE': return 'too many open files';
    case 'EIO': return 'an input/output error (a failing disk or a lost network mount?)';
    case 'EAGAIN': return 'it cannot be read without waiting (not an ordinary file)';
    default: {
      const message = e instanceof Error ? e.message.split('\n')[0]! : String(err);
      // Node's messages end in ", open '/the/file'": the caller names the file.
      return message.replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
    }
  }
}

/** "permission denied", and which folder of the path denies it when it is not the file itself. */
function deniedWhere(file: string | undefined): string {
  if (!file) return 'permission denied';
  const abs = path.resolve(file);
  const { root } = path.parse(abs);
  let dir = root;
  // Top down: entering a folder needs every folder above it, so the first refusal is the culprit.
  for (const part of path.relative(root, path.dirname(abs)).split(path.sep).filter(Boolean)) {
    dir = path.join(dir, part);
    try {
      fs.accessSync(dir, fs.constants.X_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') return `permission denied (the folder ${dir} cannot be entered)`;
      break;
    }
  }
  return 'permission denied';
}
