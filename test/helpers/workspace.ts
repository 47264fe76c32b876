// A scratch workspace for the language-server tests and benchmarks: copies of the examples and
// the analysis fixtures (or given files) in a temporary folder, with the shim linked in
// node_modules as a user's project has it. No tsconfig.json: an inferred project.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXAMPLES, ROOT } from './paths';

export interface Workspace {
  dir: string;
  /** Absolute paths of the source files, sorted. */
  files: string[];
  dispose(): void;
}

const SOURCE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'expected') out.push(...sources(full));
    else if (e.isFile() && SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/**
 * `examples` and `fixtures`: copy them (default), into the folder `examplesAt` (default
 * `examples`) and `fixtures`; `extra`: more files, by path relative to the workspace; `tsx`: link
 * tsx into its node_modules.
 */
export function makeWorkspace(opts: { examples?: boolean; examplesAt?: string; fixtures?: boolean; extra?: Record<string, string>; tsx?: boolean } = {}): Workspace {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-ws-')));
  const copy = (from: string, to: string): void => {
    for (const f of sources(from)) {
      const target = path.join(dir, to, path.relative(from, f));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(f, target);
    }
  };
  if (opts.examples ?? true) copy(EXAMPLES, opts.examplesAt ?? 'examples');
  if (opts.fixtures ?? true) copy(path.join(ROOT, 'test/fixtures'), 'fixtures');
  for (const [rel, text] of Object.entries(opts.extra ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'pt-scratch', private: true, type: 'module' }));
  fs.mkdirSync(path.join(dir, 'node_modules', '@process-topology'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'shim'), path.join(dir, 'node_modules', '@process-topology', 'multiprocessing'), 'dir');
  // tsx as a dev dependency, as a project that runs its TypeScript programs has it (Run and Watch needs it).
  if (opts.tsx) fs.symlinkSync(path.join(ROOT, 'node_modules', 'tsx'), path.join(dir, 'node_modules', 'tsx'), 'dir');
  return {
    dir,
    files: sources(dir).sort(),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
