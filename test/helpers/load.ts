// How shared the machine is while a test runs: the highest one-minute load average per core seen,
// at least 1. Tests whose claim is a latency (the detector reports within 2 s, an analysis within
// its budget) run beside other test files and their processes; on a shared machine everything takes
// as much longer as the cores are shared, so such a bound is multiplied by this factor. (Speed
// itself is measured by bench/, against its anchors.)
import * as os from 'node:os';

export class LoadSampler {
  #peak = 1;
  #timer: NodeJS.Timeout | null = null;

  /** Samples every 2 s until `stop()`. */
  start(): this {
    this.sample();
    this.#timer = setInterval(() => this.sample(), 2000);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.sample();
  }

  sample(): void {
    this.#peak = Math.max(this.#peak, os.loadavg()[0]! / os.cpus().length);
  }

  /** The factor a latency bound is multiplied by: the peak load per core seen, at least 1. */
  get factor(): number {
    return this.#peak;
  }
}
