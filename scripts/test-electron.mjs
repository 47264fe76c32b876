// `npm run test:electron`: the same integration suite as the code-server test, run by
// @vscode/test-electron in a desktop VS Code. It downloads VS Code unless VSCODE_EXECUTABLE points
// at an installed one, so it is for machines with internet; CI here uses the code-server run.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Re-run under a virtual display on Linux when there is none.
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.PT_UNDER_XVFB) {
  const r = spawnSync('xvfb-run', ['-a', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, PT_UNDER_XVFB: '1' } });
  if (r.error) {
    console.error('test:electron: no DISPLAY and no xvfb-run (apt-get install xvfb)');
    process.exit(2);
  }
  process.exit(r.status ?? 1);
}

const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--tests'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out/test/vscode-suite/index.js'),
    launchArgs: [path.join(root, 'examples'), '--disable-extensions', '--skip-welcome', '--disable-workspace-trust'],
    ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : { version: '1.100.0' }),
  });
} catch (err) {
  console.error(`test:electron failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
