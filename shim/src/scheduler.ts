// Controlled scheduling (PT_MP_SCHEDULE=random-N | pct-N | replay:<file>), what Coyote does for
// .NET tasks and CHESS did for threads, here on real processes: the root's hub holds every shim
// operation (a gate, see hub.ts) until each live process is either waiting for the hub, waiting on
// its own (join, a pool result), holding an operation at the gate, or has been quiet for a grace
// period (it runs code of its own); processes being started are waited for too. Then a seeded
// strategy picks whose operation runs next, and the choice is recorded. The same seed makes the
// same choices from the same candidates, so a deadlock found this way comes back from its seed.
//
// Strategies: `random` (uniform among the candidates) and `pct` (priority-based, as in PCT and
// Coyote's PrioritizationStrategy: each process gets a random priority when first seen; at d-1
// change points, chosen at random among the first steps, the highest priority drops to the
// lowest; the highest-priority candidate runs; after many steps it turns uniform, so spinning
// processes cannot starve the others). `replay:<file>` follows a recorded schedule
// (PT_MP_SCHEDULE_RECORD=<file> records one).
//
// steer.ts builds steered replay on the same gate.
import fs from 'node:fs';
import { internalTimer } from './activity';
import type { Gate, Hub, HubClient, Respond } from './hub';
import type { Header } from './transport';

/** Whether this run is scheduled or steered (every process: the switches are inherited). */
export const controlled = (process.env.PT_MP_SCHEDULE ?? '') !== '' || (process.env.PT_MP_STEER ?? '') !== '';

function envMs(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 ? v : dflt;
}

/** Quiet this long, a process is taken to be running code of its own (the decision goes on). */
export const GRACE_MS = envMs('PT_MP_SCHEDULE_GRACE_MS', 1000);
/** A process being started is waited for this long before it connects. */
export const STARTUP_MS = envMs('PT_MP_SCHEDULE_STARTUP_MS', 30_000);
/**
 * A replay waits this long for the recorded process's next operation while that process is still
 * connected: on a loaded machine a process can stay quiet for more than a grace period between
 * two operations, and going on without it would make the replay diverge for no reason.
 */
export const REPLAY_WAIT_MS = envMs('PT_MP_SCHEDULE_REPLAY_WAIT_MS', 20_000);

interface Held {
  header: Header;
  respond: Respond;
  run: (respond: Respond) => void;
  /** The process waits for its reply (a call; not a post). */
  call: boolean;
}

/** What the gate knows of a process. */
export interface ProcInfo {
  client: HubClient;
  /** A stable key across runs: the process's identity (`''` for the main process, `1`, `1:2`, ...). */
  key: string;
  inflight: number;
  localWaits: number;
  last: number;
  /** It has sent an operation (or begun a wait) since it connected: no longer starting up. */
  active: boolean;
  queue: Held[];
}

/** A gate that holds operations until every process is settled, then lets `pick` choose. */
export abstract class ControlledGate implements Gate {
  protected readonly procs = new Map<HubClient, ProcInfo>();
  /** Spawned, not yet connected: pid -> when. */
  protected readonly expected = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private kicked = false;
  step = 0;

  constructor(protected readonly hub: Hub) {
    this.info(hub.local);
    hub.connectionListeners.push((client, open) => {
      if (open) {
        this.info(client);
        if (client.pid !== undefined) this.expected.delete(client.pid);
      }
      this.kick();
    });
  }

  protected info(client: HubClient): ProcInfo {
    let p = this.procs.get(client);
    if (!p) {
      const ident = client.hello?.ident;
      const key = client === this.hub.local ? '' : Array.isArray(ident) ? ident.join(':') : String(client.name ?? client.id);
      this.procs.set(client, (p = { client, key, inflight: 0, localWaits: 0, last: Date.now(), active: client === this.hub.local, queue: [] }));
    }
    return p;
  }

  offer(client: HubClient, header: Header, _payload: Buffer | null, respond: Respond, run: (respond: Respond) => void): void {
    const p = this.info(client);
    p.last = Date.now();
    p.active = true;
    const call = client === this.hub.local || (typeof header.i === 'number' && header.i > 0);
    p.queue.push({ header, respond, run, call });
    this.offered(p);
  }

  /** A new operation is held (steering may run it at once). */
  protected offered(_p: ProcInfo): void {
    this.kick();
  }

  /** Run `p`'s oldest held operation. */
  protected release(p: ProcInfo): Header {
    const h = p.queue.shift()!;
    if (h.call) p.inflight++;
    h.run((reply, payload, undelivered) => {
      if (h.call) {
        p.inflight--;
        p.last = Date.now();
        this.kick();
      }
      h.respond(reply, payload, undelivered);
    });
    return h.header;
  }

  flush(client: HubClient): void {
    const p = this.procs.get(client);
    while (p && p.queue.length > 0) this.release(p);
  }

  closed(client: HubClient): void {
    this.procs.delete(client);
    this.kick();
  }

  held(): number {
    let n = 0;
    for (const p of this.procs.values()) n += p.queue.length;
    return n;
  }

  /** A process of the program was started (it will connect). */
  spawned(pid: number): void {
    this.expected.set(pid, Date.now());
  }

  /** A process ended (it may never have connected). */
  exited(pid: number): void {
    this.expected.delete(pid);
    this.kick();
  }

  /** A process began (+1) or ended (-1) a wait of its own (join, a pool result). */
  localWait(client: HubClient, delta: number): void {
    const p = this.info(client);
    p.localWaits = Math.max(0, p.localWaits + delta);
    p.last = Date.now();
    p.active = true;
    this.kick();
  }

  /** Decide soon (after the microtasks and I/O of this turn: replies let processes move). */
  protected kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.decide();
    });
  }

  /** How long a quiet process is waited for (it may be about to send its next operation). */
  protected grace(): number {
    return GRACE_MS;
  }

  /** Milliseconds until every process is settled (0: settled now). */
  protected unsettled(now: number): number {
    let wait = 0;
    for (const p of this.procs.values()) {
      if (p.queue.length > 0 || p.inflight > 0 || p.localWaits > 0) continue;
      // A process that connected but has not sent anything yet is still starting (loading code).
      const left = (p.active ? this.grace() : STARTUP_MS) - (now - p.last);
      if (left > 0) wait = Math.max(wait, left);
    }
    for (const since of this.expected.values()) {
      const left = STARTUP_MS - (now - since);
      if (left > 0) wait = Math.max(wait, left);
    }
    return wait;
  }

  private decide(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const candidates = [...this.procs.values()].filter((p) => p.queue.length > 0).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (candidates.length === 0 && !this.watchesStalls()) return;
    const now = Date.now();
    const wait = this.unsettled(now);
    if (wait > 0) {
      // Check again when the quiet ones' grace ends (or earlier, on any news: kick()).
      this.timer = internalTimer(setTimeout(() => this.decide(), Math.min(wait, this.grace())));
      return;
    }
    if (candidates.length === 0) return this.stalled();
    const chosen = this.pick(candidates);
    if (!chosen) {
      this.timer = internalTimer(setTimeout(() => this.decide(), 50));
      return;
    }
    this.step++;
    const header = this.release(chosen);
    this.decided(chosen, header, candidates.length);
    this.kick();
  }

  /** Whether every process settling with nothing held matters (steering: its step never came). */
  protected watchesStalls(): boolean {
    return false;
  }

  /** Every process settled, nothing held (see watchesStalls). */
  protected stalled(): void {}

  /** Which process's operation runs now (null: none yet; the gate waits for news). */
  protected abstract pick(candidates: ProcInfo[]): ProcInfo | null;

  /** After a decision: record it. */
  protected abstract decided(p: ProcInfo, header: Header, of: number): void;
}

// ---- strategies ---------------------------------------------------------------------------------

/** mulberry32: a small, good, seeded generator (the same seed, the same numbers). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Strategy {
  /** `connected`: the keys of every process the gate knows (connected, not yet closed). */
  choose(candidates: ProcInfo[], step: number, connected: ReadonlySet<string>): ProcInfo | null;
}

export class RandomStrategy implements Strategy {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = rng(seed);
  }

  choose(candidates: ProcInfo[]): ProcInfo {
    return candidates[Math.floor(this.next() * candidates.length)]!;
  }
}

/** PCT (Burckhardt et al., ASPLOS 2010), as Coyote's PrioritizationStrategy does it. */
export class PctStrategy implements Strategy {
  private readonly next: () => number;
  /** Keys, highest priority first. */
  private readonly priorities: string[] = [];
  private readonly changePoints = new Set<number>();
  private readonly fair: RandomStrategy;

  constructor(seed: number, depth = 3, private readonly steps = envMs('PT_MP_SCHEDULE_STEPS', 100)) {
    this.next = rng(seed);
    this.fair = new RandomStrategy(seed ^ 0x5bd1e995);
    for (let k = 0; k < depth - 1; k++) this.changePoints.add(Math.floor(this.next() * Math.max(1, steps)));
  }

  choose(candidates: ProcInfo[], step: number): ProcInfo {
    if (step > this.steps * 4) return this.fair.choose(candidates);
    for (const c of candidates) {
      if (!this.priorities.includes(c.key)) this.priorities.splice(Math.floor(this.next() * (this.priorities.length + 1)), 0, c.key);
    }
    const top = () => candidates.reduce((a, b) => (this.priorities.indexOf(a.key) <= this.priorities.indexOf(b.key) ? a : b));
    if (this.changePoints.has(step)) {
      const first = top();
      this.priorities.splice(this.priorities.indexOf(first.key), 1);
      this.priorities.push(first.key);
    }
    return top();
  }
}

export interface Decision {
  step: number;
  key: string;
  op: string;
}

/** Follows a recorded schedule; once a recorded choice is not among the candidates, it diverged. */
export class ReplayStrategy implements Strategy {
  diverged: string | null = null;
  private waitedFor = -1;
  private waitedSince = 0;

  constructor(private readonly decisions: Decision[]) {}

  choose(candidates: ProcInfo[], step: number, connected: ReadonlySet<string>): ProcInfo | null {
    const want = this.decisions[step];
    if (!want || this.diverged) return candidates[0]!;
    const c = candidates.find((x) => x.key === want.key);
    if (c) return c;
    // Its operation may not be here yet: wait for it (long while the process is connected, since
    // it may only be slow; a grace period when it is not: it may be about to be started), then go
    // on without it.
    if (this.waitedFor !== step) {
      this.waitedFor = step;
      this.waitedSince = Date.now();
    }
    if (Date.now() - this.waitedSince < (connected.has(want.key) ? REPLAY_WAIT_MS : GRACE_MS)) return null;
    this.diverged = `step ${step}: process ${want.key || 'MainProcess'} had no operation waiting (${want.op} was recorded)`;
    return candidates[0]!;
  }
}

/** `random-7`, `pct-12` or `replay:<file>`. */
export function strategyOf(spec: string): { strategy: Strategy; seed: string } {
  const m = /^(random|pct)-(\d+)$/.exec(spec.trim());
  if (m) return { strategy: m[1] === 'pct' ? new PctStrategy(Number(m[2])) : new RandomStrategy(Number(m[2])), seed: spec.trim() };
  if (spec.startsWith('replay:')) {
    const decisions: Decision[] = [];
    for (const line of fs.readFileSync(spec.slice('replay:'.length), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const d = JSON.parse(line) as Record<string, unknown>;
      // A schedule file's lines, or a trace's `sched` events.
      if (d.e !== undefined && d.e !== 'sched') continue;
      decisions.push({ step: Number(d.step), key: String(d.key), op: String(d.op) });
    }
    return { strategy: new ReplayStrategy(decisions), seed: spec };
  }
  throw new Error(`PT_MP_SCHEDULE: expected random-N, pct-N or replay:<file>, got '${spec}'`);
}

/** The gate of controlled scheduling: a strategy picks, every choice is recorded. */
export class Scheduler extends ControlledGate {
  readonly decisions: Decision[] = [];
  onDecision: ((d: Decision & { pid: number | null; obj: string; of: number }) => void) | null = null;

  constructor(hub: Hub, private readonly strategy: Strategy, readonly seed: string) {
    super(hub);
  }

  protected pick(candidates: ProcInfo[]): ProcInfo | null {
    return this.strategy.choose(candidates, this.step, new Set([...this.procs.values()].map((p) => p.key)));
  }

  protected decided(p: ProcInfo, header: Header, of: number): void {
    const d = { step: this.step - 1, key: p.key, op: String(header.o) };
    this.decisions.push(d);
    this.onDecision?.({ ...d, pid: p.client.pid ?? null, obj: String(header.t), of });
  }

  /** Why a replayed schedule could not be followed (null: it was, or this is not a replay). */
  get diverged(): string | null {
    return this.strategy instanceof ReplayStrategy ? this.strategy.diverged : null;
  }
}
