// `process-topology graph --trace FILE --format html`: the replay of a real run on its program's
// graph, in Debian's Chromium (playwright-core). A real deadlocked run (four workers and main, one
// lock) is traced, the built CLI writes the page, and the page must: load under its CSP without a
// problem, step through the trace (keys and buttons), light up the edge an operation travels, show
// each process node's instances by state, and end on the deadlock: the blocked processes and their
// waiting edges in red, the report beside. Screenshot in test-results/.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DIST, ROOT } from '../helpers/paths';
import { RULE_FIXTURES } from '../helpers/rule-tester';

const RESULTS = path.join(ROOT, 'test-results');
const PROGRAM = path.join(RULE_FIXTURES, 'deadlock/bad-replicated-workers.ts');

function traceOf(program: string, out: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', program], {
      cwd: path.dirname(program), stdio: 'ignore', env: { ...process.env, PT_MP_TRACE: out, PT_MP_DEADLOCK: 'raise' },
    });
    child.on('close', (code) => resolve(code));
  });
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(DIST, 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('graph --trace: the replay page', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pt-replay-'));
  const trace = path.join(dir, 'run.jsonl');

  before(async () => {
    assert.equal(await traceOf(PROGRAM, trace), 3, 'the program deadlocks (exit 3)');
    const r = cli(['graph', '--trace', trace, '--format', 'html', '--out', path.join(RESULTS, 'replay.html')]);
    assert.equal(r.status, 0, r.stderr);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1300, height: 700 } });
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(pathToFileURL(path.join(RESULTS, 'replay.html')).href);
  });

  after(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const nodeClass = (label: string) => page.evaluate((l) => {
    const g = [...document.querySelectorAll('g.node')].find((n) => n.querySelector('.node-label')?.textContent?.startsWith(l));
    return g ? [...g.classList].filter((c) => c.startsWith('rt-')).join(' ') : null;
  }, label);
  const badge = (label: string) => page.evaluate((l) => {
    const g = [...document.querySelectorAll('g.node')].find((n) => n.querySelector('.node-label')?.textContent?.startsWith(l));
    return g?.querySelector('.rt-badge')?.textContent ?? null;
  }, label);

  it('loads under its CSP and starts before the first step', async () => {
    assert.deepEqual(problems, []);
    assert.match(await page.textContent('#rt-pos') ?? '', /^step 0 of \d+$/);
    assert.equal(await nodeClass('main'), 'rt-idle', 'not started yet: faded');
    assert.equal(await page.isHidden('#rt-deadlock'), true);
  });

  it('steps through the run: processes start, an operation lights its edge', async () => {
    const steps = Number(/of (\d+)/.exec(await page.textContent('#rt-pos') ?? '')![1]);
    assert.ok(steps >= 15, `${steps} steps`);
    let flashed = false;
    for (let i = 0; i < steps - 1 && !flashed; i++) {
      await page.keyboard.press('ArrowRight');
      flashed = (await page.locator('g.edge.rt-flash').count()) > 0;
    }
    assert.ok(flashed, 'some step lit up an edge of the graph');
    const text = await page.textContent('#rt-step');
    assert.match(text ?? '', /bad-replicated-workers\.ts:\d+/);
    await page.click('#rt-first');
    assert.equal(await page.locator('g.edge.rt-flash').count(), 0);
    await page.click('#rt-next');
    assert.match(await page.textContent('#rt-pos') ?? '', /^step 1 of /);
  });

  it('ends on the deadlock: blocked processes and their waiting edges in red, the report beside', async () => {
    await page.keyboard.press('End');
    assert.equal(await nodeClass('main'), 'rt-blocked');
    assert.equal(await nodeClass('worker'), 'rt-blocked');
    assert.equal(await badge('worker'), '4 blocked');
    assert.ok((await page.locator('g.edge.rt-wait').count()) >= 2, 'the edges the blocked processes wait on');
    assert.equal(await page.isVisible('#rt-deadlock'), true);
    const report = await page.textContent('#rt-deadlock') ?? '';
    assert.match(report, /^Deadlock: every process is blocked/);
    assert.equal(report.match(/waits in acquire\(\) on Lock 'lock'/g)?.length, 4);
    assert.match(report, /waits in get\(\) on Queue 'replies'/);
    const procs = await page.locator('#rt-procs li.rt-state-blocked').count();
    assert.equal(procs, 5);
    await page.screenshot({ path: path.join(RESULTS, 'replay-deadlock.png') });
    assert.deepEqual(problems, []);
  });

  it('plays by itself', async () => {
    await page.click('#rt-first');
    await page.selectOption('#rt-speed', '100');
    await page.click('#rt-play');
    await page.waitForFunction(() => /^step (\d+)/.exec(document.getElementById('rt-pos')!.textContent ?? '')?.[1] !== '0', undefined, { timeout: 10_000 });
    await page.click('#rt-play');
    assert.equal(await page.textContent('#rt-play'), 'Play');
  });

  it('the CLI refuses what it cannot replay, with a one-line reason', () => {
    const notTrace = path.join(dir, 'not.jsonl');
    fs.writeFileSync(notTrace, '{"hello": 1}\n');
    for (const [args, message] of [
      [['graph', '--trace', notTrace, '--format', 'html'], /is not a process-topology trace \(line 1/],
      [['graph', '--trace', trace, '--format', 'svg'], /graph --trace needs --format html, not 'svg'/],
      [['graph', '--trace', path.join(dir, 'missing.jsonl'), '--format', 'html'], /no such trace/],
      [['graph', 'examples/', '--trace', trace, '--format', 'html'], /takes no paths/],
    ] as [string[], RegExp][]) {
      const r = cli(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
