// Several programs on one page: two entries that share a module which starts their consumer. The
// shared module's process is one node id in both programs, though each program has its own at run
// time; only `forgetful.ts` forgets the sentinel, so the `missing-sentinel` finding (anchored in the
// shared lib.ts) is that program's alone. The CLI, drawing and webview tests draw these.
import { makeWorkspace, type Workspace } from './workspace';

export const SHARED_MODULE_PROGRAMS: Record<string, string> = {
  'lib.ts': `// Shared by both entries: starts a consumer of the queue it is given.
import { Process, type Queue } from '@process-topology/multiprocessing';

export async function consume(q: Queue<string | null>) {
  for (;;) {
    const job = await q.get();
    if (job === null) return;
    console.log(job);
  }
}

export function startConsumer(q: Queue<string | null>): Process {
  const worker = new Process({ target: consume, args: [q] });
  worker.start();
  return worker;
}
`,
  'good.ts': `import { Queue, isMainProcess } from '@process-topology/multiprocessing';
import { startConsumer } from './lib.js';

if (isMainProcess()) {
  const jobs = new Queue<string | null>();
  const w = startConsumer(jobs);
  await jobs.put('a');
  await jobs.put(null);
  await w.join();
}
`,
  'forgetful.ts': `import { Queue, isMainProcess } from '@process-topology/multiprocessing';
import { startConsumer } from './lib.js';

if (isMainProcess()) {
  const tasks = new Queue<string | null>();
  const w = startConsumer(tasks);
  await tasks.put('b');
  await w.join();
}
`,
};

/** The shared module's consumer: one id in both programs' models. */
export const SHARED_CONSUMER = 'proc:consume@lib.ts';

/** A scratch folder with the two programs and their shared module (the shim linked in). */
export function sharedModuleWorkspace(): Workspace {
  return makeWorkspace({ examples: false, fixtures: false, extra: SHARED_MODULE_PROGRAMS });
}
