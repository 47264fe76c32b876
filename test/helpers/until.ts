// Waiting without fixed sleeps: poll a check until it gives a value, within a deadline. The one
// polling helper of the tests (the VS Code suite, the screenshot driver, the shim's tests and the
// shim's scenario programs all use it).

/** Polls `check` every `everyMs` until it returns something other than undefined; fails after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
