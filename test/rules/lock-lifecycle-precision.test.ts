// Precision of the lock, lifecycle, spawn and race rules: programs that look like their bugs but
// are not (a lock used as a signal, acquires with timeouts, updates that never overlap, objects
// handed to code the analysis cannot see, other main-module checks…) draw no finding from them.
// The runnable ones also run to completion under the shim, which shows they are indeed fine.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { assertCompleted, COMPLETE_MS, findingsOf, RULE_FIXTURES, runDetected, withText } from '../helpers/rule-tester';

const MINE = new Set([
  'double-acquire', 'lock-order-inversion', 'lock-not-released', 'release-unheld', 'join-unstarted', 'start-twice',
  'daemon-has-children', 'unguarded-start', 'target-not-spawnable', 'unsendable-value', 'process-not-joined',
  'unsynchronized-update', 'shared-file-race',
]);
const DIR = path.join(RULE_FIXTURES, 'precision');
const mine = (file: string, text?: string): string[] => findingsOf(file, text === undefined ? undefined : withText(file, text)).map((f) => f.rule).filter((r) => MINE.has(r));

const RUNNABLE: [name: string, file: string, output: RegExp][] = [
  ['a Lock used as a signal (another process releases it)', 'lock-signal.ts', /warmed up\nchild is ready/],
  ['updates that never overlap (before the start, workers one at a time)', 'sequential-updates.ts', /count 13/],
  ['acquires that may fail (timeout, block false) and release only what they got', 'timed-acquire.ts', /worked\nsecond pass/],
];

const HEADER = "import { Lock, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';\n";

/** Programs analyzed from memory, beside the fixtures so the shim resolves. */
const VIRTUAL: [name: string, text: string][] = [
  ['two locks from one factory are two objects, not one lock taken twice', `${HEADER}
function makeLock() { return new Lock(); }
export async function worker(a: Lock, b: Lock) { await a.acquire(); await b.acquire(); await b.release(); await a.release(); }
if (isMainProcess()) {
  const a = makeLock();
  const b = makeLock();
  const p = new Process({ target: worker, args: [a, b] });
  p.start();
  await p.join();
}`],
  ['code the analysis cannot see (eval) may release the lock', `${HEADER}
export async function worker(lock: Lock) { await lock.acquire(); eval('lock.release()'); await lock.acquire(); await lock.release(); }
if (isMainProcess()) {
  const lock = new Lock();
  const p = new Process({ target: worker, args: [lock] });
  p.start();
  await p.join();
}`],
  ['a process handed to unknown code may be started and joined there', `${HEADER}
export function work() { console.log('work'); }
if (isMainProcess()) {
  const p = new Process({ target: work });
  (globalThis as any).supervisor.adopt(p);
  await p.join();
  const q = new Process({ target: work });
  q.start();
  (globalThis as any).supervisor.adopt(q);
}`],
  ['a lock handed to unknown code may be released there', `${HEADER}
export async function worker(lock: Lock, n: number) {
  await lock.acquire();
  if (n > 1) return;
  (globalThis as any).later(lock);
}
if (isMainProcess()) {
  const lock = new Lock();
  // How many items is data the analysis cannot see (a constant would decide the early return).
  const p = new Process({ target: worker, args: [lock, Number(process.argv[2] ?? 2)] });
  p.start();
  await p.join();
}`],
  ['a reset (a constant written after a read) is not a read-modify-write', `${HEADER}
export async function reset(v: SynchronizedValue<'i'>) { if ((await v.get()) > 10) await v.set(0); }
if (isMainProcess()) {
  const v = Value('i', 0);
  const ps = [1, 2].map(() => new Process({ target: reset, args: [v] }));
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
}`],
  ['the import.meta main-module check counts as a guard', `${HEADER}
import { fileURLToPath } from 'node:url';
export function work() { console.log('work'); }
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const p = new Process({ target: work });
  p.start();
  await p.join();
}`],
  ['a target exported under another name is spawnable', `${HEADER}
function work() { console.log('work'); }
export { work as job };
if (isMainProcess()) {
  const p = new Process({ target: work });
  p.start();
  await p.join();
}`],
  ['a value that may be a string or a function, and a class instance whose methods the child never calls, are not claimed', `${HEADER}
export class Point { constructor(public x: number) {} norm() { return Math.abs(this.x); } }
export function show(label: string | (() => string), p: Point) { console.log(typeof label === 'string' ? label : 'fn', p.x); }
if (isMainProcess()) {
  const label: string | (() => string) = process.argv.length > 5 ? () => 'x' : 'y';
  const p = new Process({ target: show, args: [label, new Point(3)] });
  p.start();
  await p.join();
}`],
];

describe('precision of the lock, lifecycle, spawn and race rules', () => {
  for (const [name, file, output] of RUNNABLE) {
    it(`${name}: no finding, and it completes under the shim`, async () => {
      const full = path.join(DIR, file);
      assert.deepEqual(mine(full), []);
      const r = await runDetected(full, COMPLETE_MS);
      assertCompleted(r, file);
      assert.match(r.stdout, output);
    });
  }

  VIRTUAL.forEach(([name, text], i) => {
    it(`${name}: no finding`, () => {
      const file = path.join(DIR, `virtual-${i}.ts`);
      assert.deepEqual(mine(file, text), []);
    });
  });

  it('the same programs with the bug put back are reported (control)', () => {
    const file = path.join(DIR, 'virtual-control.ts');
    const sameLock = VIRTUAL[0]![1].replace('const b = makeLock();', 'const b = a;');
    assert.deepEqual(mine(file, sameLock), ['double-acquire']);
    const noEval = VIRTUAL[1]![1].replace("eval('lock.release()');", '');
    assert.deepEqual(mine(file, noEval), ['double-acquire']);
    const rmw = VIRTUAL[4]![1].replace('await v.set(0)', 'await v.set((await v.get()) - 10)');
    assert.deepEqual(mine(file, rmw), ['unsynchronized-update']);
    const notExported = VIRTUAL[6]![1].replace('export { work as job };', '');
    assert.deepEqual(mine(file, notExported), ['target-not-spawnable']);
  });
});
