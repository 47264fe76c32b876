// The `run` command alone (dist/runner.js), for the editor: Run and Watch, Reproduce and Explore
// Interleavings start `node runner.js run <program> --trace unix:… [--reproduce finding.json |
// --seed S]`. The same command as the command line's (run.ts), without the analysis: the editor
// hands it the finding to follow as a file, so the extension ships a small runner instead of a
// second copy of the TypeScript compiler.
import { runCommand, RunUsageError } from './run';

declare const PT_VERSION: string;
const VERSION = typeof PT_VERSION === 'string' ? PT_VERSION : '0.0.0-dev';

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== 'run') {
    process.stderr.write('process-topology runner: usage: runner.js run <program> [options] [-- args] (the command line has check and graph)\n');
    return 2;
  }
  try {
    return await runCommand(argv.slice(1), { cwd: process.cwd(), stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }, VERSION);
  } catch (err) {
    process.stderr.write(`process-topology: ${err instanceof RunUsageError ? err.message : `internal error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`}\n`);
    return 2;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
