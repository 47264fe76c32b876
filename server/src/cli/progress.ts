// The command line's progress line: on stderr, only when stderr is a terminal and the run has
// many programs, never with --no-progress or machine-readable output (the caller decides that).
// One line, rewritten in place at most ten times a second, and erased before the results print.

/** Runs with fewer candidate programs than this finish before a progress line would help. */
export const PROGRESS_MIN_PROGRAMS = 8;
const INTERVAL_MS = 100;

export interface Progress {
  /** `done` of `total` files considered as entries. */
  update(done: number, total: number): void;
  /** Erases the line. */
  done(): void;
}

export function progressLine(write: (text: string) => void, programs: number, now: () => number = Date.now): Progress {
  let last = -Infinity;
  let shown = false;
  const show = (text: string): void => {
    write(`\r\x1b[2K${text}`);
    shown = true;
  };
  show(`process-topology: reading ${programs} programs…`);
  return {
    update(done, total) {
      const t = now();
      if (done < total && t - last < INTERVAL_MS) return;
      last = t;
      const width = 20;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      show(`process-topology: analyzing [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} files`);
    },
    done() {
      if (shown) write('\r\x1b[2K');
      shown = false;
    },
  };
}

/**
 * How many files can start a program: those that name the shim (or a module standing for it).
 * Cheap (a text search), so the CLI knows before the analysis whether a progress line is worth it.
 */
export function candidatePrograms(files: readonly string[], moduleNames: readonly string[], read: (file: string) => string | undefined): number {
  let n = 0;
  for (const f of files) {
    const text = read(f);
    if (text !== undefined && moduleNames.some((m) => text.includes(m))) n++;
  }
  return n;
}
