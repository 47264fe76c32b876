// @ts-check
// `npm run test:electron`: the same integration suite as the code-server test (test/vscode/suite),
// run by @vscode/test-electron in a desktop VS Code, under xvfb-run on Linux when there is no display.
// VS Code: the executable VSCODE_EXECUTABLE points at, else VS Code 1.100.0 downloaded into
// .vscode-test/. Not part of `npm test`: where VS Code cannot be downloaded (no internet), `npm test`
// runs the suite in code-server. Every failure to get that far is one line on stderr, exit 2.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadAndUnzipVSCode, runTests, SilentReporter } from '@vscode/test-electron';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VSCODE_VERSION = '1.100.0';
const SUITE = path.join(root, 'out/test/vscode-suite/index.js');

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`test:electron: ${message}`);
  process.exit(2);
}

/** @param {unknown} err */
function firstLine(err) {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** The VS Code to run: the given executable, or the downloaded one. */
async function vscodeExecutable() {
  const given = process.env.VSCODE_EXECUTABLE;
  if (given) {
    try {
      fs.accessSync(given, fs.constants.X_OK);
      if (!fs.statSync(given).isFile()) throw new Error('not a file');
    } catch {
      fail(`VSCODE_EXECUTABLE=${given} is not an executable file`);
    }
    return given;
  }
  try {
    // Silent: a failed download is reported below, in one line.
    return await downloadAndUnzipVSCode({ version: VSCODE_VERSION, reporter: new SilentReporter(), timeout: 20_000 });
  } catch (err) {
    return fail(`cannot download VS Code ${VSCODE_VERSION} (${firstLine(err)}); set VSCODE_EXECUTABLE to an installed VS Code's executable`);
  }
}

if (!process.env.PT_UNDER_XVFB) {
  // First the parts that need no display: VS Code, and the suite (built by `build.mjs --tests`).
  process.env.VSCODE_EXECUTABLE = await vscodeExecutable();
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--tests'], { stdio: 'inherit' });
  if (build.status !== 0) fail('the build failed');
  if (!fs.existsSync(SUITE)) fail(`the build did not write ${path.relative(root, SUITE)}`);
  // Then a virtual display on Linux when there is none.
  if (process.platform === 'linux' && !process.env.DISPLAY) {
    const r = spawnSync('xvfb-run', ['-a', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, PT_UNDER_XVFB: '1' } });
    if (r.error) fail('no DISPLAY and no xvfb-run to make one (apt-get install xvfb)');
    process.exit(r.status ?? 1);
  }
}

// The workspace of the code-server run (test/vscode/extension.test.ts): a scratch copy of the
// examples plus the multi-file fixture, since the suite edits and saves files.
/** @type {typeof import('../test/helpers/workspace.js')} */
const { makeWorkspace } = await tsImport('../test/helpers/workspace.ts', import.meta.url);
const fixture = path.join(root, 'test/fixtures/extraction/multi-file');
const ws = makeWorkspace({
  examplesAt: '.',
  fixtures: false,
  extra: Object.fromEntries(fs.readdirSync(fixture).map((f) => [`multi-file/${f}`, fs.readFileSync(path.join(fixture, f), 'utf8')])),
});
let code = 0;
try {
  await runTests({
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE,
    extensionDevelopmentPath: root,
    extensionTestsPath: SUITE,
    launchArgs: [ws.dir, '--disable-extensions', '--skip-welcome', '--disable-workspace-trust'],
  });
} catch (err) {
  console.error(`test:electron: the suite failed: ${firstLine(err)}`);
  code = 1;
} finally {
  ws.dispose();
}
process.exit(code);
