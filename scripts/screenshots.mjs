// Takes the README's and the walkthrough's pictures in a real VS Code (code-server + Chromium, the
// harness of the integration tests): a broken program with its diagnostic's hover, and its graph;
// and runs on the graph (Run and Watch of the broken example, Reproduce of desk-and-pen.ts's
// deadlock, the walkthrough's example run).
//   node scripts/screenshots.mjs [overview] [walkthrough] [run] [reproduce] [walkthrough-run]   (default: all)
// Writes media/screenshots/{overview,diagnostic,graph,run,reproduce}.png (README) and
// media/walkthrough/{diagnostic,graph,run}.png (the walkthrough, of its bundled example). Look at
// them before committing: the scene depends on timing (hover, layout).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { runExtensionTests, webviewFrame } = await tsImport('../test/vscode/harness/run-in-code-server.ts', import.meta.url);

if (spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' }).status !== 0) process.exit(1);
const driver = path.join(root, 'out/screenshots/driver.js');
await esbuild.build({
  entryPoints: [path.join(root, 'test/vscode/screenshots/driver.ts')], outfile: driver, bundle: true,
  platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning',
});

/** A scratch workspace: the examples, the shim linked as a user's project has it, and the scene. */
function workspace(scene) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pt-shots-')));
  for (const f of fs.readdirSync(path.join(root, 'examples'))) fs.copyFileSync(path.join(root, 'examples', f), path.join(dir, f));
  fs.mkdirSync(path.join(dir, 'node_modules/@process-topology'), { recursive: true });
  fs.symlinkSync(path.join(root, 'shim'), path.join(dir, 'node_modules/@process-topology/multiprocessing'), 'dir');
  // tsx as a dev dependency: the run scenes run the examples.
  fs.symlinkSync(path.join(root, 'node_modules/tsx'), path.join(dir, 'node_modules/tsx'), 'dir');
  fs.writeFileSync(path.join(dir, '.screenshot.json'), JSON.stringify(scene));
  return dir;
}

/** Waits until the graph's layout has settled: node boxes unchanged over half a second. */
async function settledGraph(page) {
  const frame = await webviewFrame(page, 60_000);
  await frame.waitForSelector('svg .node', { timeout: 60_000 });
  const boxes = () => frame.evaluate(() => JSON.stringify([...document.querySelectorAll('svg .node')].map((n) => n.getBoundingClientRect().toJSON())));
  for (let last = ''; ;) {
    const now = await boxes();
    if (now === last) return;
    last = now;
    await page.waitForTimeout(500);
  }
}

async function shoot(scene, files, attempts = 4) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await shootOnce(scene, files);
    } catch (err) {
      if (attempt === attempts) throw err;
      console.log(`  attempt ${attempt} failed (${String(err).split('\n').find((l) => l.includes('afterTests failed')) ?? 'see test-results/screenshots'}); again`);
    }
  }
}

async function shootOnce(scene, files) {
  const dir = workspace(scene);
  try {
    const result = await runExtensionTests({
      extensionPath: root,
      testsPath: driver,
      workspaceFolder: dir,
      artifactsDir: path.join(root, 'test-results/screenshots'),
      timeoutMs: 180_000,
      onLog: (line) => { if (line.startsWith('[scene]') || line.startsWith('[harness]')) console.log(`  ${line}`); },
      afterTests: async (page) => {
        if (scene.run) return shootRun(page, files);
        await settledGraph(page);
        // The hover must show the finding, the Process Topology part and the quick fixes; its parts
        // arrive one by one. Should it settle without them (seen on a busy machine), shoot again.
        const hover = page.locator('.monaco-hover').filter({ visible: true }).first();
        await hover.waitFor({ state: 'visible', timeout: 30_000 });
        await page.waitForFunction(() => !document.querySelector('.monaco-hover')?.textContent?.includes('Checking for quick fixes'), undefined, { timeout: 30_000 });
        let shown = '';
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; await page.waitForTimeout(500)) {
          shown = (await hover.textContent()) ?? '';
          if (shown.includes('Process Topology') && shown.includes('Quick Fix')) break;
        }
        if (!shown.includes('Process Topology') || !shown.includes('Quick Fix')) throw new Error(`incomplete hover: ${shown}`);
        const groups = page.locator('.editor-group-container');
        if (files.overview) await page.screenshot({ path: files.overview });
        await groups.nth(0).screenshot({ path: files.diagnostic });
        await groups.nth(1).screenshot({ path: files.graph });
      },
    });
    if (result.exitCode !== 0) throw new Error(`the scene failed (exit ${result.exitCode}):\n${result.logs.join('\n')}`);
    for (const f of Object.values(files)) console.log(`wrote ${path.relative(root, f)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A run scene: the graph's layout settled and the run drawn (its replay offered, a process blocked). */
async function shootRun(page, files) {
  const frame = await webviewFrame(page, 60_000);
  await frame.waitForSelector('svg.pt-svg[data-layout-state="settled"]', { timeout: 60_000 });
  await frame.waitForSelector('.pt-run:not([hidden]) .pt-run-replay:not([hidden])', { timeout: 60_000 });
  await frame.waitForSelector('.node.rt-blocked .rt-badge', { timeout: 60_000 });
  await frame.waitForSelector('.pt-confirmed', { timeout: 60_000 });
  await page.waitForTimeout(800);
  await page.screenshot({ path: files.window });
}

const shots = path.join(root, 'media/screenshots');
const walk = path.join(root, 'media/walkthrough');
fs.mkdirSync(shots, { recursive: true });
const wanted = process.argv.slice(2);
const want = (name) => wanted.length === 0 || wanted.includes(name);
if (want('overview')) {
  await shoot({ open: 'producer-consumer-no-sentinel.ts' }, {
    overview: path.join(shots, 'overview.png'), diagnostic: path.join(shots, 'diagnostic.png'), graph: path.join(shots, 'graph.png'),
  });
}
if (want('walkthrough')) await shoot({ open: 'walkthrough' }, { diagnostic: path.join(walk, 'diagnostic.png'), graph: path.join(walk, 'graph.png') });
if (want('run')) await shoot({ open: 'producer-consumer-no-sentinel.ts', run: 'watch' }, { window: path.join(shots, 'run.png') });
if (want('reproduce')) await shoot({ open: 'desk-and-pen.ts', run: 'reproduce' }, { window: path.join(shots, 'reproduce.png') });
if (want('walkthrough-run')) await shoot({ open: 'walkthrough', run: 'watch' }, { window: path.join(walk, 'run.png') });
