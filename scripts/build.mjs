// One build script for every bundle (esbuild); `tsc -b` is the separate type check.
//   node scripts/build.mjs [--production] [--watch]
//   node scripts/build.mjs --cli-package    (only the npm package of the command line, into cli/dist)
// Also builds the shim package (tsc), which examples and tests import by its package name.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const withTests = process.argv.includes('--tests');
const watch = process.argv.includes('--watch');
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

/** The shim is a package of its own, compiled by tsc (it ships .d.ts for the analyzer too). */
function buildShim() {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b', 'shim'], { cwd: root, stdio: 'inherit' });
}

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: { PT_VERSION: JSON.stringify(version) },
};

const builds = [
  // The VS Code client: CommonJS, `vscode` is provided by the host.
  { ...common, entryPoints: ['extension/src/main.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  // The language server, with the TypeScript compiler bundled in.
  { ...common, entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js', platform: 'node', format: 'cjs', target: 'node20' },
  // Its analysis thread (a worker_threads Worker the server starts): the TypeScript programs live there.
  { ...common, entryPoints: ['server/src/lsp/worker.ts'], outfile: 'dist/analysis-worker.js', platform: 'node', format: 'cjs', target: 'node20' },
  // The command line, the same analysis.
  { ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli-main.js', platform: 'node', format: 'cjs', target: 'node20'},
  // Its entry, dist/cli.js: loads cli-main.js through V8's code cache (server/src/launch/code-cache.ts).
  { ...common, entryPoints: ['server/src/cli/launch.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20' },
  // The `run` command alone, without the analysis: what the extension's Run and Watch starts.
  { ...common, entryPoints: ['server/src/cli/runner.ts'], outfile: 'dist/runner.js', platform: 'node', format: 'cjs', target: 'node20' },
  // The graph drawing, for the webview and the CLI's html page.
  { ...common, entryPoints: ['webview/src/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // The replay page of `graph --trace FILE --format html` (the run replayed on the static drawing).
  { ...common, entryPoints: ['webview/src/replay/main.ts'], outfile: 'dist/replay.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // Its elkjs layout, run in a Web Worker (the webview starts it from a blob: URL).
  { ...common, entryPoints: ['webview/src/layout-worker.ts'], outfile: 'dist/layout-worker.js', platform: 'browser', format: 'iife', target: 'es2022', sourcemap: false, minify: true, charset: 'utf8' },
];

// The integration suite that runs inside VS Code's extension host (code-server or test-electron).
if (withTests) {
  builds.push({ ...common, minify: false, sourcemap: true, entryPoints: ['test/vscode/suite/index.ts'], outfile: 'out/test/vscode-suite/index.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'mocha'] });
}

function copyAssets() {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(root, 'webview/media/graph.css'), path.join(root, 'dist/graph.css'));
  // The bundled compiler looks for its standard library (lib.*.d.ts) beside itself: without it
  // every Array, Promise or string method would be an error type, and the rules that ask the
  // type checker (is this value ever null?) would lose their answers.
  const tsLib = path.join(root, 'node_modules/typescript/lib');
  for (const f of fs.readdirSync(tsLib)) {
    if (/^lib\..*\.d\.ts$/.test(f) || f === 'lib.d.ts') fs.copyFileSync(path.join(tsLib, f), path.join(root, 'dist', f));
  }
}

/**
 * The command line as an npm package (cli/, `npx process-topology`): the CLI and the language
 * server's analysis thread, minified, with what they read at run time beside them (the bundles and
 * styles of the graph page and of the replay page of `graph --trace`, the TypeScript standard
 * library). Everything is bundled: no dependencies.
 */
async function buildCliPackage() {
  const pkg = path.join(root, 'cli');
  const out = path.join(pkg, 'dist');
  const cliVersion = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const packaged = { ...common, absWorkingDir: root, sourcemap: false, minify: true, legalComments: 'none', define: { PT_VERSION: JSON.stringify(cliVersion) } };
  await Promise.all([
    esbuild.build({ ...packaged, entryPoints: ['server/src/cli/main.ts'], outfile: path.join(out, 'cli-main.js'), platform: 'node', format: 'cjs', target: 'node20' }),
    esbuild.build({ ...packaged, entryPoints: ['server/src/cli/launch.ts'], outfile: path.join(out, 'cli.js'), platform: 'node', format: 'cjs', target: 'node20' }),
    esbuild.build({ ...packaged, entryPoints: ['server/src/lsp/worker.ts'], outfile: path.join(out, 'analysis-worker.js'), platform: 'node', format: 'cjs', target: 'node20' }),
    esbuild.build({ ...packaged, entryPoints: ['webview/src/main.ts'], outfile: path.join(out, 'webview.js'), platform: 'browser', format: 'iife', target: 'es2022' }),
    // The replay page of `graph --trace FILE --format html` (a run of `run --trace` on the graph).
    esbuild.build({ ...packaged, entryPoints: ['webview/src/replay/main.ts'], outfile: path.join(out, 'replay.js'), platform: 'browser', format: 'iife', target: 'es2022' }),
    esbuild.build({ ...packaged, entryPoints: ['webview/src/layout-worker.ts'], outfile: path.join(out, 'layout-worker.js'), platform: 'browser', format: 'iife', target: 'es2022', charset: 'utf8' }),
  ]);
  fs.copyFileSync(path.join(root, 'webview/media/graph.css'), path.join(out, 'graph.css'));
  const tsLib = path.join(root, 'node_modules/typescript/lib');
  for (const f of fs.readdirSync(tsLib)) if (/^lib\..*\.d\.ts$/.test(f) || f === 'lib.d.ts') fs.copyFileSync(path.join(tsLib, f), path.join(out, f));
  fs.chmodSync(path.join(out, 'cli.js'), 0o755);
  console.log(`built the command line package ${cliVersion} in ${path.relative(root, out)}`);
}

process.chdir(root);
if (process.argv.includes('--cli-package')) {
  await buildCliPackage();
  process.exit(0);
}
buildShim();
copyAssets();
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  fs.chmodSync(path.join(root, 'dist/cli.js'), 0o755);
  console.log(`built ${builds.map((b) => b.outfile).join(', ')}${production ? ' (production)' : ''}`);
}
