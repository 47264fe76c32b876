// Timeouts that never end early. A Node timer counts from the event loop's cached time, which lags
// behind when the current tick has been busy, so a bare setTimeout(300) can fire after 250 ms of
// real time. Python's timeouts are minimum waits: re-arm until the real deadline has passed.
import { internalTimer } from './activity';

/** Call `fn` once at least `seconds` have passed; returns a function that cancels it. */
export function afterSeconds(seconds: number, fn: () => void, keepAlive = true): () => void {
  const deadline = performance.now() + seconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    timer = setTimeout(() => {
      const left = deadline - performance.now();
      if (left > 0) arm(left);
      else fn();
    }, Math.ceil(ms));
    // (A timer that keeps nothing alive is the hub's own: not one of the program's, see activity.ts.)
    if (!keepAlive) internalTimer(timer).unref();
  };
  arm(seconds * 1000);
  return () => clearTimeout(timer);
}
