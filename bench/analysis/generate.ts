// Synthetic programs for the analysis benchmark: one 2,000-line file with many processes, queues,
// locks and helpers, and a 200-file project of entries and worker modules. Deterministic.
import * as fs from 'node:fs';
import * as path from 'node:path';

const SHIM = "'@process-topology/multiprocessing'";

/** One self-contained block of about 40 lines: helpers, two targets, and its main code. */
function block(i: number): string {
  return `
async function emit${i}(q: Queue<number | null>, lock: Lock, n: number) {
  await lock.withLock(async () => {
    await q.put(n * ${i});
  });
}

export async function producer${i}(q: Queue<number | null>, lock: Lock, count: number) {
  for (let k = 0; k < 10; k++) await emit${i}(q, lock, k + count);
}

export async function consumer${i}(q: Queue<number | null>, done: Event) {
  for (;;) {
    const item = await q.get();
    if (item === null) break;
    if (item > 1000) await done.set();
  }
}

async function run${i}() {
  const q = new Queue<number | null>(${(i % 5) + 1});
  const lock = new Lock();
  const done = new Event();
  const producers = [1, 2, 3].map((n) => new Process({ target: producer${i}, args: [q, lock, n] }));
  const consumers: Process[] = [];
  for (let c = 0; c < 2; c++) {
    const p = new Process({ target: consumer${i}, args: [q, done] });
    consumers.push(p);
  }
  for (const p of [...producers, ...consumers]) p.start();
  for (const p of producers) await p.join();
  for (const _ of consumers) await q.put(null);
  for (const c of consumers) await c.join();
  return done;
}
`;
}

/**
 * The 2,000-line file whose main runs only the first `phases` blocks (5 processes each, joined
 * before the next block starts): the same text to parse and check, a program the deadlock checker
 * models (12 phases: 60 processes).
 */
export function phasedFile(phases: number, lines = 2000): string {
  let kept = 0;
  return bigFile(lines).split('\n').filter((l) => !/^ {2}await run\d+\(\);$/.test(l) || kept++ < phases).join('\n');
}

export function bigFile(lines = 2000): string {
  let out = `import { Event, Lock, Process, Queue, isMainProcess } from ${SHIM};\n`;
  let i = 0;
  const runs: string[] = [];
  while (out.split('\n').length < lines - 10) {
    out += block(i);
    runs.push(`  await run${i}();`);
    i++;
  }
  out += `\nif (isMainProcess()) {\n${runs.join('\n')}\n}\n`;
  return out;
}

/** 200 files: every tenth is an entry that starts the workers of the nine modules before it. */
export function project(files = 200): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < files; i++) {
    const name = `m${String(i).padStart(3, '0')}.ts`;
    if (i % 10 === 9) {
      const mods = Array.from({ length: 9 }, (_, k) => i - 9 + k);
      out.set(name, `import { Process, Queue, isMainProcess } from ${SHIM};
${mods.map((m) => `import { work${m} } from './m${String(m).padStart(3, '0')}.js';`).join('\n')}

if (isMainProcess()) {
  const q = new Queue<string | null>();
  const ps = [${mods.map((m) => `work${m}`).join(', ')}].map((target) => new Process({ target, args: [q] }));
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
  while (!(await q.empty())) console.log(await q.get());
}
`);
    } else {
      out.set(name, `import type { Queue } from ${SHIM};

function describe${i}(n: number): string {
  return \`module ${i} item \${n}\`;
}

async function send${i}(q: Queue<string | null>, n: number) {
  await q.put(describe${i}(n));
}

export async function work${i}(q: Queue<string | null>) {
  for (let n = 0; n < 5; n++) await send${i}(q, n);
}
`);
    }
  }
  return out;
}

/** Writes a benchmark workspace: the sources, a tsconfig, and the shim linked in node_modules. */
export function writeWorkspace(dir: string, files: ReadonlyMap<string, string>, shimDir: string): void {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  for (const [name, text] of files) fs.writeFileSync(path.join(dir, 'src', name), text);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true, type: 'module' }));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: [] },
    include: ['src/**/*.ts'],
  }, null, 2));
  fs.mkdirSync(path.join(dir, 'node_modules', '@process-topology'), { recursive: true });
  const link = path.join(dir, 'node_modules', '@process-topology', 'multiprocessing');
  if (!fs.existsSync(link)) fs.symlinkSync(shimDir, link, 'dir');
}
