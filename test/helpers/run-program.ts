// Ground truth for the rules: runs a fixture program under the shim (with tsx, as a user would)
// and says whether it exited or was still running after a bounded wait (then kills its whole
// process group, so no child is left behind). The shim's deadlock detector is switched off
// (PT_MP_DEADLOCK=hang, Python's behaviour) unless `env` says otherwise, so "it hangs" stays a
// fact about the program, not about the detector (test/runtime/ checks the detector on the same
// fixtures).
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export interface RunResult {
  outcome: 'exited' | 'hung';
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `npx tsx file` (any .ts/.mts/.js program) and waits at most `hangAfterMs`. */
export function runProgram(file: string, hangAfterMs = 8000, args: string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: path.dirname(file), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', PT_MP_DEADLOCK: 'hang', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => {
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, hangAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!hung) {
        // The program is done; make sure nothing of its group lingers.
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* none left */ }
      }
      resolve({ outcome: hung ? 'hung' : 'exited', code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}
