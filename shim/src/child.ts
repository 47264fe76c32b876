// Entry point of every child process: `node [parent's flags] dist/child.js`. The parent sends a
// Boot message over the IPC channel. The child registers tsx's hooks if the parent ran with them
// (after its own modules are loaded, see process.ts childLaunch), re-imports the root program's
// main module (where isMainProcess() is false, so guarded code does not run), finds its target,
// revives its arguments (shared objects become proxies), runs, and exits: 0, or 1 with the error
// on stderr, after waiting for its own children and handing what it wrote to the hub to the kernel.
import Module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import './index'; // registers every kind of shared object, so arguments can be revived
import { importMain, loadTarget, useCompiled } from './locate';
import { startChildMonitor } from './monitor';
import { attachChild, markChild } from './native';
import { adoptCurrentProcess } from './process';
import { closePort, finalizeChildren, hold, initChild, runtime, type Boot, type Loader } from './runtime';
import { decode } from './serialize';

runtime.isChild = true; // before any user code: isMainProcess() is false from the first line
markChild();

// The parent is gone (killed, or exited without waiting): do not live on as an orphan.
process.on('disconnect', () => process.exit(1));

process.once('message', (boot: Boot) => {
  void main(boot);
});

/** Register tsx as the parent's `--import tsx` / `--require tsx/cjs` did. */
async function registerLoader(loader: Loader): Promise<void> {
  if (loader.esmApi && loader.esmHooks) {
    try {
      // tsx/esm/api's register(), as --import tsx runs it. Its CommonJS build names its hooks
      // module relative to itself, one directory too deep: point it at the hooks' own directory.
      const base = pathToFileURL(path.join(path.dirname(fileURLToPath(loader.esmHooks)), '..', 'x.mjs')).href;
      const mod = Module as unknown as { register: (spec: string, opts?: Record<string, unknown>) => void };
      const original = mod.register;
      mod.register = function (spec: string, opts?: Record<string, unknown>) {
        return original.call(this, spec, { ...opts, parentURL: base });
      };
      try {
        (require(loader.esmApi) as { register: () => unknown }).register();
      } finally {
        mod.register = original;
      }
    } catch {
      await import(loader.loader!); // exactly what --import tsx does
      return;
    }
  }
  if (loader.cjsApi) (require(loader.cjsApi) as { register: () => unknown }).register();
}

async function main(boot: Boot): Promise<never> {
  hold(); // the target keeps this process alive until it settles, whatever it waits on
  let code = 0;
  try {
    if (boot?.t !== 'pt-mp-boot') throw new Error('multiprocessing: unexpected bootstrap message');
    initChild(boot);
    attachChild(boot.shm === true);
    startChildMonitor(); // connects to the hub now: the main process knows of this child from here on
    if (boot.compiled && boot.loader) {
      // The program's compiled copy (child-build.ts): no tsx here unless a module is not in it.
      process.setSourceMapsEnabled(true);
      const loader = boot.loader;
      useCompiled(boot.compiled, () => registerLoader(loader));
    } else if (boot.loader) {
      await registerLoader(boot.loader);
    }
    runtime.bootstrapping = true;
    try {
      if (boot.main) await importMain(boot.main);
    } finally {
      runtime.bootstrapping = false;
    }
    const target = boot.target ? await loadTarget(boot.target) : undefined;
    const cls = boot.cls ? await loadTarget(boot.cls) : undefined;
    const me = adoptCurrentProcess(
      target,
      decode(boot.args) as unknown[],
      decode(boot.kwargs) as Record<string, unknown>,
      cls,
      boot.state ? decode(boot.state) : null,
    );
    await me.run();
  } catch (err) {
    code = 1;
    process.stderr.write(`Process ${runtime.name}:\n${err instanceof Error ? err.stack : inspect(err)}\n`);
  }
  await finalizeChildren();
  await closePort();
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
