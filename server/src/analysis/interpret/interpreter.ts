// The abstract interpreter of TypeScript/JavaScript programs written against the shim. It runs each
// process's code: main's top-level code, then every started process's target with the (copied)
// arguments it was started with, one process instance at a time. Values are concrete wherever the
// program's data are constants (loops with constant bounds run iteration by iteration, a condition
// that is a constant takes one way, arrays and records keep each element), symbolic where they
// come from another process (what a get returned, and tests on it), and unknown elsewhere: then
// both ways of a condition run from the same state and their states are joined, and a loop runs
// on a summary of its iterations until its state stops changing. Along the way it records, per
// process, the operations on shim objects and the control flow over them (flow.ts); finish.ts
// groups interchangeable instances and lowers the flows to the facts the rules and the checker read.
import ts from '../typescript';
import type { EdgeCount, Multiplicity } from '../../../../common/model';
import type { ConstValue, MainProcess, ObjectSite, Op, OpaqueWhy, OpKind, ProcessRef, ValueMap } from '../facts';
import type { ShimResolver } from '../shim';
import { symbolAt } from '../symbols';
import { constOf, droppedPromise, functionName, nameOf, pipeName, propertyName, skipOuter } from './ast';
import { absorb, EMPTY, hasOps, rseq, type RFlow } from './flow';
import { callHost, hostGlobal, hostModuleMember, hostModuleName, hostProp, isThrowingHost, listedLength } from './host';
import { ALLOCATES, blockingOf, classKind, given, MANAGER_FACTORIES, opKind, POOL_SUBMIT } from './shim-model';
import { ABSENT, Store, type Diff } from './store';
import {
  alts, FALSE, isWidened, join, join2, konst, plain, REST, sameValue, sitesOf, TRUE, truthy, UNDEFINED, UNKNOWN, widen, WIDENED,
  type ClassVal, type FnVal, type Guard, type HeapObj, type Pick, type Prim, type Scope, type Value,
} from './values';

/** Calls nested deeper than this, or a function re-entered more often, are not followed. */
const MAX_DEPTH = 40;
const MAX_REENTRY = 6;
/** Iterations one loop runs one by one before the rest runs on a summary. */
const MAX_ITERATIONS = 256;
/** Passes of a summarized loop before what still changes becomes unknown. */
const MAX_ROUNDS = 4;
/**
 * Interpretation steps per program: beyond, a process's code is given up on (rules stay silent).
 * The largest programs measured need far fewer (the 2,000-line benchmark file: 56,000; the test
 * fixtures: under 3,000), and a pathological file spends about 2.5 µs a step, so this bounds
 * the time to "no claim" at a few seconds.
 */
const MAX_STEPS = 2_000_000;
/** Steps of the dry run (the entry re-imported by a child): its own, so that main's are not taken. */
const MAX_DRY_STEPS = 200_000;
/** Process instances made from one allocation along a chain of processes making processes. */
const MAX_PROCESS_NESTING = 3;
/** Shim objects a received key picks among (`replies[msg.client]`), at most: one test each. */
const MAX_PICKED = 16;

/** What `pool.imap(fn, items)` submitted: the pool, the call, its submission, and each task's arguments. */
interface ImapRun {
  pool: ObjectSite;
  e: ts.CallExpression;
  method: string;
  id: number;
  fn: FnVal;
  argLists: Value[][];
}

/** The process an interpretation runs as. */
export interface Proc {
  readonly id: number;
  readonly ref: ProcessRef;
  /** Spawn: every process imports the modules anew, so module-level values are its own. */
  readonly modules: Map<ts.SourceFile, Scope>;
  readonly initializing: Set<ts.Node>;
  /** The entry re-imported by a child (unguarded-start): reached code is noted, nothing recorded. */
  readonly dry: boolean;
}

interface Target {
  readonly id: number;
  readonly loop: boolean;
  /** A switch: an unlabeled break leaves it. */
  readonly isSwitch?: boolean;
  readonly label?: string;
}

interface Ctx {
  proc: Proc;
  scope: Scope;
  out: RFlow[];
  stack: ts.Node[];
  returns: Value[] | undefined;
  /** Under a condition the analysis cannot decide (or a loop run on a summary). */
  fork: number;
  /** How often the code runs per instance of the process, from summarized loops around it (1: once). */
  mult: EdgeCount;
  /** Identity of the summarized loops around: objects made there are one summary object per key. */
  actKey: string;
  /** Inside a callback handed to code the analysis cannot see: it runs on its own, at any time. */
  detached: boolean;
  /** Inside a pool task's callback or error callback (see `Op.callback`). */
  callback?: boolean;
  targets: Target[];
  top?: ts.Statement;
  /** Set when the code run can throw (an explicit throw, unknown code, an operation that rejects). */
  mayThrow: boolean;
  thrown: Value[];
  /** Statement labels waiting for the loop they name. */
  pendingLabel?: string;
  /** In a generator's body: what it yields, and whether that list is exact (see generate()). */
  yields?: { items: Value[]; exact: boolean; fork: number; decl: ts.Node; entered: boolean };
  /** `await using` resources of the blocks being run. */
}

/**
 * A loop iteration watched for a counter of messages (`while (open > 0) { if ((await q.get()) ===
 * null) open--; }`): the tests of received values made right in it (not under another fork), with
 * what each way of the test changed and each place's value before.
 */
interface Watch {
  readonly depth: number;
  readonly events: {
    branch: RFlow;
    diffs: readonly Diff[];
    exits: readonly Set<string>[];
    before: Map<Map<unknown, Value>, Map<unknown, Value | undefined>>;
  }[];
}

/**
 * A place that the ways of watched tests move from a constant to another (the same for all of
 * them) while every other way keeps it: `arms`, per branch (by its tag), the way that moves it.
 */
interface Move {
  map: Map<unknown, Value>;
  key: unknown;
  from: Value;
  to: Value;
  arms: Map<object, number>;
}

/** A loop run in stages (see `stages`): the place that counts, and its value in the stage being run. */
interface Pin {
  map: Map<unknown, Value>;
  key: unknown;
  value: Value;
  act: string;
  move?: Move;
  failed?: boolean;
}

/** Stages of one counted loop, at most (a counter of messages beyond this runs on a summary). */
const MAX_STAGES = 64;

/** Control leaving the code being run: break/continue to a target, return, throw. */
export class Abrupt {
  constructor(readonly exits: ReadonlySet<string>) {}
}

class BudgetExceeded extends Error {}

/** A process to run once main is done: its site, functions, and the copies of its arguments. */
export interface Started {
  site: ObjectSite;
  fns: FnVal[];
  args: Value[];
  self?: Value;
  parent: Proc;
  /** Pool tasks run in the pool's worker. */
  poolTask?: boolean;
  /** A pool task submitted once (one item of a known list): its operations run once. */
  once?: boolean;
  /** Identity of a pool task (a summarized loop submits it again in each pass). */
  key?: string;
  /** A pool task's submission: the submit operation, its number, and the tasks one run of it makes. */
  submission?: { op: Op; id: number; tasks: Multiplicity };
}

/** What a pool's workers run: a submitted task (with its submission), or the pool's initializer. */
export interface RecordedTask {
  flow: RFlow;
  submission?: { op: Op; id: number; tasks: Multiplicity };
}

/** What the interpreter knows about a process object it made: what `start()` will run. */
export interface ProcessInfo {
  fns: FnVal[];
  args: Value[];
  kwargs?: Value;
  self?: Value;
  /** Allocation node chain depth (processes making processes). */
  nesting: number;
}

let nextId = 1;

/** The members of a Process (shim-api.md): on a subclass's instance they stay the process's. */
const PROCESS_API = new Set([
  'start', 'run', 'join', 'terminate', 'kill', 'close', 'isAlive', 'is_alive', 'pid', 'ident', 'exitcode',
  'sentinel', 'name', 'daemon', 'authkey', 'toString', 'joinAtExit',
]);

export class Interpreter {
  readonly store: Store;
  /** Every site made, in order (instances and summaries). */
  readonly sites: ObjectSite[] = [];
  readonly queue: Started[] = [];
  readonly flows = new Map<ObjectSite | MainProcess, RFlow>();
  readonly poolTasks = new Map<ObjectSite, RecordedTask[]>();
  /** Arrays made of what a generator yielded (a `for await` over one reads its items). */
  private readonly generated = new WeakSet<HeapObj>();
  /** What `pool.imap(fn, items)` returned, for a loop over it: its submission and each task's arguments. */
  private readonly imapResults = new WeakMap<HeapObj, ImapRun>();
  /** Processes whose code the analysis could not follow, and why (facts.ts `OpaqueWhy`). */
  readonly opaque = new Map<ProcessRef, OpaqueWhy>();
  readonly escaped = new Set<ObjectSite>();
  readonly escapedResults = new Set<ts.CallExpression>();
  readonly functionsRun = new Map<ProcessRef, Set<ts.Node>>();
  readonly reached = new Set<ts.SourceFile>();
  readonly processInfo = new Map<ObjectSite, ProcessInfo>();
  /** Sites of one allocation node: instance order, for names. */
  readonly instancesOf = new Map<ts.Node, ObjectSite[]>();
  /** Where a site was first stored (an array element, a field), for names like `forks[2]`. */
  readonly homes = new Map<ObjectSite, { o: HeapObj; key: string }>();
  /** Implicit sites: a pool's workers, a value's lock, objects of unknown origin by class. */
  private readonly implicit = new Map<ObjectSite | string, Map<string, ObjectSite>>();
  /** Values and arrays made with a lock option other than the default: the lock given, or null (none, or not known). */
  private readonly valueLocks = new Map<ObjectSite, ObjectSite | null>();
  /** The locks whose withLock callback is being interpreted (innermost last). */
  private readonly withLockHeld: ObjectSite[] = [];
  /** The own locks of values that only their gets and sets take (see accessLock): left out by finish. */
  readonly unexposedLocks = new Set<ObjectSite>();
  private readonly summaries = new Map<string, ObjectSite>();
  /** The summarized loops a summary object was made in. */
  private readonly summaryAct = new Map<ObjectSite, string>();
  readonly files = new Map<string, ObjectSite>();
  private readonly started = new Set<ObjectSite>();
  /**
   * Whether each process object was started on the path being run (a place of the store, so that
   * the ways of an unknown condition join): before its start a process's `pid` and `exitcode`
   * are null and `isAlive()` is false, as in Python.
   */
  private readonly lifecycle = new Map<unknown, Value>();
  /** Calls and allocations the entry's top-level code reaches surely when a child re-imports it. */
  readonly dryReached = new Set<ts.Node>();
  private readonly classCache = new WeakMap<Proc, Map<ts.ClassLikeDeclaration, ClassVal>>();
  private readonly namespaces: ts.Symbol[] = [];
  /** Classes being constructed now, and how deep: a class whose construction constructs itself
   * again (a field `c = new Counter()`) never finishes at run time either. */
  private readonly constructing = new Map<ts.ClassLikeDeclaration, number>();
  private steps = 0;
  private stepLimit = MAX_STEPS;
  private opaqueSeq = 0;
  readonly procs: Proc[] = [];
  ctx!: Ctx;

  constructor(readonly checker: ts.TypeChecker, readonly shim: ShimResolver) {
    this.store = new Store([this.sites, this.queue]);
  }

  // ---- processes ----

  newProc(ref: ProcessRef, dry = false): Proc {
    const p: Proc = { id: this.procs.length, ref, modules: new Map(), initializing: new Set(), dry };
    this.procs.push(p);
    return p;
  }

  private freshCtx(proc: Proc, scope: Scope): Ctx {
    return {
      proc, scope, out: [], stack: [], returns: undefined, fork: 0, mult: 1, actKey: '', detached: false,
      targets: [], mayThrow: false, thrown: [],
    };
  }

  moduleScope(proc: Proc, sf: ts.SourceFile): Scope {
    let s = proc.modules.get(sf);
    if (!s) {
      s = { vars: new Map(), parent: undefined, self: UNDEFINED };
      proc.modules.set(sf, s);
    }
    return s;
  }

  /** Runs an entry file's top-level code as `proc`. */
  runEntry(proc: Proc, entry: ts.SourceFile): RFlow {
    this.reached.add(entry);
    const ctx = this.freshCtx(proc, this.moduleScope(proc, entry));
    this.ctx = ctx;
    this.hoist(entry.statements, ctx.scope);
    try {
      for (const s of entry.statements) {
        ctx.top = s;
        this.statement(s);
      }
    } catch (err) {
      if (err instanceof BudgetExceeded) this.markOpaque(proc.ref, 'budget');
      else if (!(err instanceof Abrupt)) throw err;
    }
    delete ctx.top;
    return rseq(ctx.out);
  }

  /** Runs one function as the whole code of a process (a started target, a pool task, an exported function). */
  runFunction(proc: Proc, fns: FnVal[], args: Value[], self: Value | undefined): RFlow {
    const sf = fns[0]?.decl.getSourceFile();
    const ctx = this.freshCtx(proc, sf ? this.moduleScope(proc, sf) : { vars: new Map(), parent: undefined });
    this.ctx = ctx;
    try {
      if (fns.length === 1) {
        this.invoke(fns[0]!, args, self, undefined);
      } else if (fns.length > 1) {
        // A site whose target is one of several functions runs one of them per instance.
        this.fork(fns.map((fn) => () => { this.invoke(fn, args, self, undefined); }));
      } else {
        this.escape(args);
      }
    } catch (err) {
      if (err instanceof BudgetExceeded) this.markOpaque(proc.ref, 'budget');
      else if (!(err instanceof Abrupt)) throw err;
    }
    return rseq(ctx.out);
  }

  /**
   * The entry's top-level code as a child re-importing it runs it (isMainProcess() is false):
   * notes the starts and allocations it surely reaches; what it makes is dropped.
   */
  dryRun(main: MainProcess, entry: ts.SourceFile): void {
    const sites = this.sites.length;
    const queue = this.queue.length;
    // The dry run has a smaller budget of its own: a file whose top level is costly for main is as
    // costly here, and a full second budget doubled the time to "no claim" (the fuzz benchmark's
    // slowest input, 98 nested endless loops: 10 s).
    const steps = this.steps;
    this.steps = 0;
    this.stepLimit = MAX_DRY_STEPS;
    try {
      this.runEntry(this.newProc(main, true), entry);
    } finally {
      for (const s of this.sites.slice(sites)) {
        const list = this.instancesOf.get(s.node);
        if (list) list.splice(list.indexOf(s), 1);
      }
      this.sites.length = sites;
      this.queue.length = queue;
      this.steps = steps;
      this.stepLimit = MAX_STEPS;
    }
  }

  /** The value an export of a module has in a process. */
  valueOfExport(proc: Proc, module: ts.SourceFile, sym: ts.Symbol): Value {
    this.ctx = this.freshCtx(proc, this.moduleScope(proc, module));
    try {
      return this.resolve(sym);
    } catch (err) {
      if (err instanceof Abrupt || err instanceof BudgetExceeded) return UNKNOWN;
      throw err;
    }
  }

  /** `ns.key` of a module namespace (`import * as helpers from './helpers'`). */
  moduleExport(i: number, key: string): Value {
    const sym = this.namespaces[i];
    if (!sym) return UNKNOWN;
    const exp = this.checker.getExportsOfModule(sym).find((x) => x.getName() === key);
    return exp ? this.resolve(exp) : UNKNOWN;
  }

  private taskSeq = 0;
  private readonly taskIds = new Map<string, number>();

  /** Processes made deeper than MAX_PROCESS_NESTING in a chain of makers, by allocation. */
  private readonly deepSummaries = new Map<ts.Node, ObjectSite>();

  /** Processes that made nothing of their own, by what they ran with (see runQueue). */
  private readonly pure = new Map<string, ObjectSite>();

  /** A key of what a process runs: its functions and a structural key of its arguments. */
  private jobKey(job: Started): string | undefined {
    const ids = new Map<object, number>();
    const id = (o: object): number => {
      let n = ids.get(o);
      if (n === undefined) ids.set(o, (n = nodeKey(o as ts.Node)));
      return n;
    };
    const parts: string[] = [];
    const visit = (v: Value, depth: number): boolean => {
      if (depth > 6 || parts.length > 400) return false;
      switch (v.t) {
        case 'const': parts.push(typeof v.v === 'bigint' ? `${v.v}n` : JSON.stringify(v.v) ?? 'u'); return true;
        case 'obj': parts.push(`o${this.siteNumber(v.site)}.${v.end ?? ''}`); return true;
        case 'opaque': parts.push(`q${v.key}`); return true;
        case 'unknown': parts.push('?'); return true;
        case 'fn': if (v.env && v.env.parent) return false; parts.push(`f${id(v.decl)}`); return true;
        case 'ref': {
          if (v.o.kind === 'instance' || v.o.kind === 'statics') return false;
          parts.push(`${v.o.kind}${v.o.summary ? 's' : ''}{`);
          for (const [k, x] of v.o.props) { parts.push(JSON.stringify(k)); if (!visit(x, depth + 1)) return false; }
          parts.push('}');
          return true;
        }
        case 'union': parts.push('('); for (const a of v.alts) if (!visit(a, depth + 1)) return false; parts.push(')'); return true;
        default: return false;
      }
    };
    if (job.self) return undefined;
    for (const a of job.args) if (!visit(a, 0)) return undefined;
    const maker = job.site.madeBy;
    return `${job.fns.map((f) => id(f.decl)).join(',')}|${!maker || maker.kind === 'main' ? 'm' : this.siteNumber(maker)}|${nodeKey(job.site.node)}|${job.site.daemon ? 1 : 0}|${parts.join(' ')}`;
  }

  private readonly siteNumbers = new Map<ObjectSite, number>();
  private siteNumber(s: ObjectSite): number {
    let n = this.siteNumbers.get(s);
    if (n === undefined) this.siteNumbers.set(s, (n = this.siteNumbers.size));
    return n;
  }

  /** Jobs by identity, so a job made again (a later pass of a summarized loop) replaces the first. */
  private readonly jobs = new Map<string | ObjectSite, number>();

  private enqueue(key: string, job: Started, site: ObjectSite | undefined): void {
    const k = site ?? key;
    const at = this.jobs.get(k);
    if (at !== undefined && this.queue[at] && (site ? this.queue[at]!.site === site : this.queue[at]!.key === key)) {
      this.queue[at] = job;
      return;
    }
    this.jobs.set(k, this.queue.length);
    this.queue.push(job);
  }

  /** Runs every started process (and what they start) with the arguments it was started with. */
  runQueue(): void {
    for (let i = 0; i < this.queue.length; i++) {
      const job = this.queue[i]!;
      if (job.poolTask) {
        const proc = this.newProc(job.site);
        const flow = this.runFunction(proc, job.fns, job.args, job.self);
        if (job.once) markOnce(flow);
        const tasks = this.poolTasks.get(job.site) ?? [];
        tasks.push(job.submission ? { flow, submission: job.submission } : { flow });
        this.poolTasks.set(job.site, tasks);
        continue;
      }
      if (this.flows.has(job.site)) continue;
      // A process started with the same function and equal arguments as an earlier one does what
      // it did (when it made nothing of its own): its flow is that one's, and the two group.
      const memo = this.jobKey(job);
      const same = memo !== undefined ? this.pure.get(memo) : undefined;
      if (same && this.flows.has(same)) {
        this.flows.set(job.site, this.flows.get(same)!);
        if (this.opaque.has(same)) this.markOpaque(job.site, this.opaque.get(same)!);
        const run = this.functionsRun.get(same);
        if (run) this.functionsRun.set(job.site, run);
        continue;
      }
      const sites = this.sites.length;
      const queued = this.queue.length;
      const proc = this.newProc(job.site);
      this.flows.set(job.site, this.runFunction(proc, job.fns, job.args, job.self));
      if (memo !== undefined && this.sites.length === sites && this.queue.length === queued) this.pure.set(memo, job.site);
    }
  }

  step(): void {
    if (++this.steps > this.stepLimit) throw new BudgetExceeded();
  }

  // ---- flow recording ----

  /** Runs `f` with its own flow list and returns what it recorded (and rethrows control that leaves). */
  collect(f: () => void): { flow: RFlow; abrupt?: Abrupt } {
    const ctx = this.ctx;
    const saved = ctx.out;
    ctx.out = [];
    try {
      f();
      return { flow: rseq(ctx.out) };
    } catch (err) {
      if (err instanceof Abrupt) return { flow: rseq(ctx.out), abrupt: err };
      throw err;
    } finally {
      ctx.out = saved;
    }
  }

  emit(f: RFlow): void {
    this.ctx.out.push(f);
  }

  /**
   * Runs alternatives (the ways of a condition the analysis cannot decide) each from the same
   * state, joins their states, and records a branch. Returns their values; throws when none of
   * them completes normally.
   */
  fork<T>(alternatives: (() => T)[], guard?: Guard, cond?: ts.Expression, record = true, lost = false): (T | undefined)[] {
    const ctx = this.ctx;
    const m = this.store.mark();
    const flows: RFlow[] = [];
    const diffs: Diff[] = [];
    const results: (T | undefined)[] = [];
    const exits = new Set<string>();
    const altExits: Set<string>[] = [];
    // A test of a received value in a watched loop's iteration.
    const watch = this.watch !== undefined && guard !== undefined && record && ctx.fork >= this.watch.depth ? this.watch : undefined;
    let normal = false;
    ctx.fork++;
    try {
      for (const alt of alternatives) {
        const saved = ctx.out;
        ctx.out = [];
        const own = new Set<string>();
        altExits.push(own);
        try {
          results.push(alt());
          normal = true;
        } catch (err) {
          if (!(err instanceof Abrupt)) throw err;
          results.push(undefined);
          for (const x of err.exits) { exits.add(x); own.add(x); }
        } finally {
          flows.push(rseq(ctx.out));
          ctx.out = saved;
        }
        diffs.push(this.store.diff(m));
        this.store.undo(m);
      }
    } finally {
      ctx.fork--;
      this.store.close(m);
    }
    // The two ways of a test of what another process sent: a boolean set to a different constant
    // on each side (a stop flag, `open = false` when the sentinel came) is that test, so the
    // checker still knows which messages end a `while (open)` loop.
    const byTest = guard && alternatives.length === 2
      ? (vs: readonly Value[]): Value | undefined => {
        const [a, b] = vs as [Value, Value];
        const bool = (v: Value): v is { t: 'const'; v: boolean } => v.t === 'const' && typeof v.v === 'boolean';
        if (bool(a) && bool(b)) return a.v !== b.v ? { t: 'test', guard, negated: !a.v } : undefined;
        // A flag set by a nested test of the same message (`if (item === 'a') … else if (item ===
        // null) open = false`): where this test holds, the nested one is decided (an item that is
        // 'a' is not null), so the flag is one test of the message or the other.
        if (bool(a) && b.t === 'test') {
          const k = decidedBy(guard, b.guard);
          if (k !== undefined && (k !== b.negated) === a.v) return b;
        }
        if (a.t === 'test' && bool(b)) {
          const k = decidedBy(guard, a.guard);
          if (k !== undefined) return (k !== a.negated) === b.v ? b : { t: 'test', guard, negated: b.v };
        }
        return undefined;
      }
      : undefined;
    // What each place was before the alternatives ran (for a watched loop: see `moves`).
    let before: Map<Map<unknown, Value>, Map<unknown, Value | undefined>> | undefined;
    if (watch) {
      before = new Map();
      for (const d of diffs) {
        for (const [map, keys] of d) {
          let b = before.get(map);
          if (!b) before.set(map, (b = new Map()));
          for (const k of keys.keys()) b.set(k, map.get(k));
        }
      }
    }
    this.store.joinDiffs(m, diffs, byTest);
    // Without `record`, only the states join (the caller places the flows itself).
    if (record) {
      const b: RFlow = { k: 'branch', alts: flows };
      if (guard) b.guard = guard;
      if (cond) b.cond = cond;
      if (lost) b.lost = true;
      ctx.out.push(b);
      if (watch && before) {
        b.tag = {};
        watch.events.push({ branch: b, diffs, exits: altExits, before });
      }
    }
    if (!normal) throw new Abrupt(exits);
    return results;
  }

  // ---- statements ----

  /** Function declarations of a block are usable before their statement. */
  private hoist(list: readonly ts.Statement[], scope: Scope): void {
    for (const s of functionDeclarations(list)) {
      const sym = symbolAt(this.checker, s.name!);
      if (sym && !scope.vars.has(sym)) scope.vars.set(sym, { t: 'fn', decl: s, env: scope });
    }
  }

  statements(list: readonly ts.Statement[]): void {
    const disposables = this.usingStart(list);
    if (!disposables) {
      this.runFrom(list, 0);
      return;
    }
    this.withDisposal(() => this.runFrom(list, 0), disposables);
  }

  /** Splits (values chosen by a condition, run apart) nested in the current code. */
  private splits = 0;
  /** Early exits (`if (…) return;` with the rest run on the other way) nested in the current code. */
  private earlyExits = 0;

  /**
   * Runs the statements of a block from `i`. A declaration whose value is one of a few objects
   * chosen by a condition the analysis cannot decide (`const c = hit ? s.hits : s.misses`,
   * `const [a, b] = x < y ? [p, q] : [q, p]`) runs the rest of the block once per choice, so
   * each keeps which object it is (which lock goes with which counter).
   */
  private runFrom(list: readonly ts.Statement[], i: number): void {
    for (; i < list.length; i++) {
      const s = list[i]!;
      if (ts.isIfStatement(s) && i + 1 < list.length && this.earlyExits < MAX_EARLY_EXITS) {
        // `if (!enabled) return;` then the rest: the rest runs on the way that does not leave, so
        // what it changes joins with the state the early exit left (at the function's end, after
        // the loop pass), and its operations are on that way only.
        const thenLeaves = leavesAlways(s.thenStatement);
        const elseLeaves = s.elseStatement !== undefined && leavesAlways(s.elseStatement);
        if (thenLeaves !== elseLeaves && armRuns(s.expression, elseLeaves) <= 2) {
          this.step();
          const rest = (): void => this.runFrom(list, i + 1);
          this.earlyExits++;
          try {
            this.branchOn(s.expression, () => {
              this.statement(s.thenStatement);
              if (!thenLeaves) rest();
            }, () => {
              if (s.elseStatement) this.statement(s.elseStatement);
              if (!elseLeaves) rest();
            });
          } finally {
            this.earlyExits--;
          }
          return;
        }
      }
      if (ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.Using) === 0 && this.splits < MAX_SPLITS) {
        this.step();
        const decls = s.declarationList.declarations;
        for (let d = 0; d < decls.length; d++) {
          const value = this.declaredValue(decls[d]!);
          const choices = splittable(value);
          if (choices) {
            const rest = (choice: Value) => (): void => {
              this.bindDeclared(decls[d]!.name, choice);
              for (let e = d + 1; e < decls.length; e++) this.bindDeclared(decls[e]!.name, this.declaredValue(decls[e]!));
              this.runFrom(list, i + 1);
            };
            this.splits++;
            try {
              this.fork(choices.map(rest));
            } finally {
              this.splits--;
            }
            return;
          }
          this.bindDeclared(decls[d]!.name, value);
        }
        continue;
      }
      this.statement(s);
    }
  }

  /** `await using x = …` in a block: disposed of when the block is left, however it is left. */
  private usingStart(list: readonly ts.Statement[]): Value[] | undefined {
    let has = usingLists.get(list);
    if (has === undefined) {
      has = list.some((s) => ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.Using) !== 0);
      usingLists.set(list, has);
    }
    return has ? [] : undefined;
  }

  private withDisposal(body: () => void, disposables: Value[]): void {
    const ctx = this.ctx;
    const savedUsing = this.using;
    this.using = disposables;
    let abrupt: Abrupt | undefined;
    const b = this.collect(() => {
      try {
        body();
      } finally {
        this.using = savedUsing;
      }
    });
    abrupt = b.abrupt;
    const fin = this.collect(() => {
      for (const v of [...disposables].reverse()) this.dispose(v);
    });
    ctx.out.push({ k: 'try', body: b.flow, handler: undefined, finalizer: fin.flow });
    if (fin.abrupt) throw fin.abrupt;
    if (abrupt) throw abrupt;
  }

  private using: Value[] | undefined;

  /** Leaving an `await using` scope: a pool is terminated, a manager shut down. */
  private dispose(v: Value): void {
    for (const { site } of sitesOf(v)) {
      if (site.kind === 'pool') this.record('terminatePool', site, this.disposeNode(site), 'terminate', { blocking: false });
      else if (site.kind === 'manager') this.record('shutdown', site, this.disposeNode(site), 'shutdown', { blocking: false });
    }
  }

  private disposeNode(site: ObjectSite): ts.CallExpression {
    const n = site.node;
    return (ts.isCallExpression(n) || ts.isNewExpression(n) ? n : n) as ts.CallExpression;
  }

  statement(s: ts.Statement): void {
    this.step();
    const ctx = this.ctx;
    switch (s.kind) {
      case ts.SyntaxKind.VariableStatement: {
        const list = (s as ts.VariableStatement).declarationList;
        for (const d of list.declarations) this.declaration(d, (list.flags & ts.NodeFlags.Using) !== 0);
        return;
      }
      case ts.SyntaxKind.ExpressionStatement:
        this.expr((s as ts.ExpressionStatement).expression);
        return;
      case ts.SyntaxKind.Block: {
        const b = s as ts.Block;
        this.hoist(b.statements, ctx.scope);
        this.statements(b.statements);
        return;
      }
      case ts.SyntaxKind.IfStatement: {
        const i = s as ts.IfStatement;
        this.branchOn(i.expression, () => this.statement(i.thenStatement), () => { if (i.elseStatement) this.statement(i.elseStatement); });
        return;
      }
      case ts.SyntaxKind.ForStatement: return this.forStatement(s as ts.ForStatement);
      case ts.SyntaxKind.ForOfStatement: return this.forOf(s as ts.ForOfStatement);
      case ts.SyntaxKind.ForInStatement: return this.forIn(s as ts.ForInStatement);
      case ts.SyntaxKind.WhileStatement: return this.whileStatement(s as ts.WhileStatement);
      case ts.SyntaxKind.DoStatement: return this.doStatement(s as ts.DoStatement);
      case ts.SyntaxKind.ReturnStatement: {
        const r = s as ts.ReturnStatement;
        const v = r.expression ? this.expr(r.expression) : UNDEFINED;
        ctx.returns?.push(v);
        ctx.out.push({ k: 'exit', how: 'return', node: r });
        throw new Abrupt(new Set(['r']));
      }
      case ts.SyntaxKind.BreakStatement: case ts.SyntaxKind.ContinueStatement: {
        const b = s as ts.BreakOrContinueStatement;
        const isBreak = s.kind === ts.SyntaxKind.BreakStatement;
        const t = this.targetOf(isBreak, b.label?.text);
        if (!t) return;
        ctx.out.push({ k: 'exit', how: isBreak ? 'break' : 'continue', target: t.id, node: b });
        throw new Abrupt(new Set([`${isBreak ? 'b' : 'c'}${t.id}`]));
      }
      case ts.SyntaxKind.ThrowStatement: return this.throwValue(this.expr((s as ts.ThrowStatement).expression), s);
      case ts.SyntaxKind.TryStatement: return this.tryStatement(s as ts.TryStatement);
      case ts.SyntaxKind.LabeledStatement: {
        const l = s as ts.LabeledStatement;
        if (ts.isIterationStatement(l.statement, false)) {
          ctx.pendingLabel = l.label.text;
          this.statement(l.statement);
          return;
        }
        this.block(() => this.statement(l.statement), l.label.text, false, l);
        return;
      }
      case ts.SyntaxKind.SwitchStatement: return this.switchStatement(s as ts.SwitchStatement);
      case ts.SyntaxKind.FunctionDeclaration: {
        const f = s as ts.FunctionDeclaration;
        if (f.name && f.body) {
          const sym = symbolAt(this.checker, f.name);
          if (sym) ctx.scope.vars.set(sym, { t: 'fn', decl: f, env: ctx.scope });
        }
        return;
      }
      case ts.SyntaxKind.ClassDeclaration: {
        const c = s as ts.ClassDeclaration;
        if (c.name) {
          const sym = symbolAt(this.checker, c.name);
          if (sym) this.store.set(ctx.scope.vars as Map<unknown, Value>, sym, this.classValue(c, ctx.scope));
        }
        return;
      }
      default:
        // Imports, types, interfaces, enums, empty statements: nothing runs.
        return;
    }
  }

  private targetOf(isBreak: boolean, label: string | undefined): Target | undefined {
    const targets = this.ctx.targets;
    for (let i = targets.length - 1; i >= 0; i--) {
      const t = targets[i]!;
      if (label !== undefined) {
        if (t.label === label && (isBreak || t.loop)) return t;
      } else if (t.loop || (isBreak && t.isSwitch)) {
        return t;
      }
    }
    return undefined;
  }

  /**
   * A construct that `break` leaves: a `switch` (unlabeled breaks too) or a labeled statement
   * (only `break label`). When some path leaves it by such a break, it completes normally there.
   */
  private block(body: () => void, label: string | undefined, isSwitch: boolean, node?: ts.Node): void {
    const ctx = this.ctx;
    const id = nextId++;
    if (node) this.targetKeys.set(id, nodeKey(node));
    ctx.targets.push({ id, loop: false, isSwitch, ...(label !== undefined ? { label } : {}) });
    const r = this.collect(() => {
      try {
        body();
      } finally {
        ctx.targets.pop();
      }
    });
    ctx.out.push({ k: 'block', body: r.flow, id });
    if (r.abrupt && !r.abrupt.exits.has(`b${id}`)) throw r.abrupt;
  }

  private declaration(d: ts.VariableDeclaration, using: boolean): void {
    const value = this.declaredValue(d);
    if (using && this.using) this.using.push(value);
    this.bindDeclared(d.name, value);
  }

  /** The value a declaration binds (its initializer's). */
  private declaredValue(d: ts.VariableDeclaration): Value {
    const ctx = this.ctx;
    let value = d.initializer ? this.expr(d.initializer) : UNDEFINED;
    // An unknown value computed once (`const db = process.argv[2]`) is one value wherever it goes.
    if (value.t === 'unknown' && d.initializer && ts.isIdentifier(d.name) && (ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) !== 0
      && ctx.mult === 1 && ctx.fork === 0) {
      value = { t: 'opaque', key: `${d.name.text}@${d.getStart()}#${this.opaqueSeq++}`, label: d.name.text, node: d.initializer };
    } else if (value.t === 'opaque' && !value.label && d.initializer && ts.isIdentifier(d.name)) {
      // A path made once and named (`const db = path.join(dir, 'db.json')`): named after it.
      value = { ...value, label: d.name.text, node: d.initializer };
    }
    return value;
  }

  /** Binds a declared name (or pattern) in the current scope. */
  bindDeclared(name: ts.BindingName, value: Value): void {
    this.bindPattern(name, value, (sym, v) => {
      this.store.set(this.ctx.scope.vars as Map<unknown, Value>, sym, v);
      if (v.t === 'ref' && !v.o.home && ts.isIdentifier(name)) v.o.home = name.text;
    });
  }

  private bindPattern(name: ts.BindingName, value: Value, set: (sym: ts.Symbol, v: Value) => void): void {
    if (ts.isIdentifier(name)) {
      const sym = symbolAt(this.checker, name);
      if (sym) set(sym, value);
      // A parameter property (`constructor(private size: number)`) names two symbols: the
      // property's (what its name resolves to) and the parameter's (what `size` in the body does).
      const param = name.parent;
      if (ts.isParameter(param) && ts.isConstructorDeclaration(param.parent) && ts.isParameterPropertyDeclaration(param, param.parent)) {
        for (const other of this.checker.getSymbolsOfParameterPropertyDeclaration(param, name.text)) if (other !== sym) set(other, value);
      }
      if (value.t === 'ref' && !value.o.home) value.o.home = name.text;
      return;
    }
    if (ts.isArrayBindingPattern(name)) {
      name.elements.forEach((el, i) => {
        if (ts.isOmittedExpression(el)) return;
        let item: Value;
        if (el.dotDotDotToken) item = this.arraySlice(value, i);
        else item = this.index(value, konst(i));
        if (el.initializer && mayBeUndefined(item)) item = this.defaulted(item, el.initializer);
        this.bindPattern(el.name, item, set);
      });
      return;
    }
    const taken: string[] = [];
    for (const el of name.elements) {
      if (el.dotDotDotToken) {
        this.bindPattern(el.name, this.objectRest(value, taken), set);
        continue;
      }
      let key: string | undefined = propertyName(el.propertyName ?? el.name);
      if (key === undefined && el.propertyName && ts.isComputedPropertyName(el.propertyName)) {
        const k = this.expr(el.propertyName.expression);
        if (k.t === 'const' && (typeof k.v === 'string' || typeof k.v === 'number')) key = String(k.v);
      }
      if (key !== undefined) taken.push(key);
      let field = key !== undefined ? this.getProp(value, key) : UNKNOWN;
      if (el.initializer && mayBeUndefined(field)) field = this.defaulted(field, el.initializer);
      this.bindPattern(el.name, field, set);
    }
  }

  /** `x = dflt` in a pattern or parameter: the default when the value is undefined. */
  private defaulted(v: Value, init: ts.Expression): Value {
    if (v.t === 'const' && v.v === undefined) return this.expr(init);
    const dflt = this.expr(init);
    return join(alts(v).map((a) => (a.t === 'const' && a.v === undefined ? dflt : a)));
  }

  // ---- conditions ----

  /** Runs `whenTrue` or `whenFalse` as the condition says, or both as branches when it cannot tell. */
  branchOn(cond: ts.Expression, whenTrue: () => void, whenFalse: () => void): void {
    const e = skipParens(cond);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
      this.branchOn(e.operand, whenFalse, whenTrue);
      return;
    }
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) {
        this.branchOn(e.left, () => this.branchOn(e.right, whenTrue, whenFalse), whenFalse);
        return;
      }
      if (op === ts.SyntaxKind.BarBarToken) {
        this.branchOn(e.left, whenTrue, () => this.branchOn(e.right, whenTrue, whenFalse));
        return;
      }
    }
    // A condition on a value a summarized loop lost (`--remaining === 0` after the loop's passes
    // made `remaining` unknown): which way it goes is no choice a finding may depend on.
    const savedRead = this.widenedRead;
    this.widenedRead = false;
    let v: Value;
    let lost: boolean;
    try {
      v = this.expr(e);
    } finally {
      lost = this.widenedRead;
      this.widenedRead = savedRead || lost;
    }
    if (truthy(v) !== undefined) {
      this.branchOnValue(v, whenTrue, whenFalse, e);
      return;
    }
    this.branchOnValue(v, () => { this.refine(e, true); whenTrue(); }, () => { this.refine(e, false); whenFalse(); }, e, lost);
  }

  /**
   * On the way a condition took, a boolean variable it tested is known (`while (open)` runs its
   * body with `open` true, `if (!done)` its block with `done` false): a flag set again on one side
   * of a later test is then exact on both.
   */
  private refine(cond: ts.Expression, outcome: boolean): void {
    let e = skipParens(cond);
    while (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
      e = skipParens(e.operand);
      outcome = !outcome;
    }
    // A variable, or a field of `this` or of a variable (`this.running`): reading them runs nothing.
    if (!ts.isIdentifier(e) && !(ts.isPropertyAccessExpression(e) && (ts.isIdentifier(e.expression) || e.expression.kind === ts.SyntaxKind.ThisKeyword))) return;
    const v = this.expr(e);
    // Only a test itself: its two ways join back into it (a value that is one of a few would
    // come out of the join as "true or false", less than it was).
    if (v.t === 'test') this.assignTo(e, konst(outcome));
  }

  branchOnValue(v: Value, whenTrue: () => void, whenFalse: () => void, cond?: ts.Expression, lost = false): void {
    const b = truthy(v);
    if (b === true) return whenTrue();
    if (b === false) return whenFalse();
    if (v.t === 'test') {
      this.fork(v.negated ? [whenFalse, whenTrue] : [whenTrue, whenFalse], v.guard);
      return;
    }
    const r = received(v);
    if (r && r.typeOf) return whenTrue();
    if (r) {
      this.fork([whenTrue, whenFalse], { source: r.source, path: r.path, ...(r.sources ? { sources: r.sources } : {}), ...(r.map ? { map: r.map } : {}), test: 'truthy' });
      return;
    }
    this.fork([whenTrue, whenFalse], undefined, cond && isPlainCondition(cond) ? cond : undefined, true, lost);
  }

  /** The value of `c ? a : b`, `a && b`, `a || b`, `a ?? b` in a value position. */
  private choose(cond: ts.Expression, whenTrue: () => Value, whenFalse: () => Value): Value {
    let out: Value[] = [];
    this.branchOn(cond, () => { out.push(whenTrue()); }, () => { out.push(whenFalse()); });
    out = out.filter(Boolean);
    return out.length === 0 ? UNKNOWN : join(out);
  }

  // ---- loops ----

  private loopTarget(node: ts.Node | undefined): Target {
    const ctx = this.ctx;
    const label = ctx.pendingLabel;
    delete ctx.pendingLabel;
    const id = nextId++;
    if (node) this.targetKeys.set(id, nodeKey(node));
    return { id, loop: true, ...(label !== undefined ? { label } : {}) };
  }

  /** The loop iteration being watched for a counter of messages, if any. */
  private watch: Watch | undefined;
  /** Counted loops being run in stages, nested. */
  private staging = 0;

  /** Operations of summarized loops by where they run, reused from pass to pass. */
  private readonly stableOps = new Map<string, Op>();
  /** How often each such operation ran in the current pass. */
  private occurrences: Map<string, number> | undefined;

  /** Per break/continue target: the statement it stands for (equal for every instance of a process). */
  readonly targetKeys = new Map<number, number>();

  /**
   * Runs one iteration (`iterate`, which may throw Abrupt for control that leaves it) and says how
   * it ended: normally (or by `continue`), by a `break` of this loop, or leaving further.
   */
  private iteration(target: Target, iterate: () => void): { flow: RFlow; ended: 'normal' | 'break' | 'leave'; abrupt?: Abrupt; maybeBreak: boolean } {
    const ctx = this.ctx;
    ctx.targets.push(target);
    const r = this.collect(() => {
      try {
        iterate();
      } finally {
        ctx.targets.pop();
      }
    });
    const b = `b${target.id}`;
    const c = `c${target.id}`;
    const maybeBreak = flowExits(r.flow, 'break', target.id);
    if (!r.abrupt) return { flow: r.flow, ended: 'normal', maybeBreak };
    const ex = r.abrupt.exits;
    if (ex.has(c)) return { flow: r.flow, ended: 'normal', maybeBreak };
    if (ex.has(b)) return { flow: r.flow, ended: 'break', maybeBreak: true };
    return { flow: r.flow, ended: 'leave', abrupt: r.abrupt, maybeBreak };
  }

  /**
   * A loop: `test` is asked before each iteration (undefined: true), `iterate` runs the body (and
   * the update). Runs iteration by iteration while the test is a constant and the count stays
   * small; otherwise the rest runs on a summary of the iterations.
   */
  loop(
    test: (() => Value) | undefined,
    iterate: () => void,
    opts: { count?: EdgeCount; endless?: boolean; testFirst?: boolean; node?: ts.Node; over?: Value; cond?: ts.Expression } = {},
  ): void {
    const ctx = this.ctx;
    const target = this.loopTarget(opts.node);
    const iterations: RFlow[] = [];
    const finish = (tail?: RFlow): void => {
      const f: RFlow = { k: 'unrolled', iterations, id: target.id };
      if (tail) (f as { tail?: RFlow }).tail = tail;
      ctx.out.push(tail && iterations.length === 0 ? tail : f);
    };
    // Loops whose only way out is a break (`for (;;)`, `while (true)`) follow their data: they run
    // on a summary from the start, and so do loops known to run very often.
    if (opts.endless || (typeof opts.count === 'number' && opts.count > MAX_ITERATIONS) || opts.count === 'several' || opts.count === 'loop') {
      const count: EdgeCount = opts.endless ? 'loop' : opts.count ?? 'several';
      const f = this.summarizedFlow(target, test, iterate, count, opts.testFirst !== false);
      if (opts.over && f.k === 'loop') f.over = [...(f.over ?? []), ...sitesOf(opts.over).map((x) => x.site)];
      ctx.out.push(f);
      return;
    }
    for (let k = 0; ; k++) {
      // One pass past the cap: a loop of exactly MAX_ITERATIONS passes still ends on its test.
      if (k > MAX_ITERATIONS || this.steps > this.stepLimit / 2) {
        finish(this.summarizedFlow(target, test, iterate, 'several', true));
        return;
      }
      let testFlow: RFlow = EMPTY;
      let go: boolean | undefined = true;
      if (test && (k > 0 || opts.testFirst !== false)) {
        let v: Value = UNKNOWN;
        const t = this.collect(() => { v = test(); });
        testFlow = t.flow;
        if (t.abrupt) {
          iterations.push(testFlow);
          finish();
          throw t.abrupt;
        }
        go = truthy(v);
        if (go === undefined) {
          // From here on the count depends on data: the rest runs on a summary. A test of what
          // another process sent (`x !== null`) is kept as the loop's way out: the loop runs until
          // the test fails, and the checker knows which messages end it.
          const symbolic = (v as Value).t === 'test' || (v as Value).t === 'recv';
          const tail = this.summarizedFlow(target, test, iterate, symbolic ? 'loop' : 'several', true, symbolic ? opts.cond ?? true : false);
          ctx.out.push(iterations.length === 0 ? tail : { k: 'unrolled', iterations, id: target.id, tail });
          return;
        }
      }
      if (!go) {
        if (testFlow !== EMPTY && !(testFlow.k === 'seq' && testFlow.items.length === 0)) iterations.push(testFlow);
        finish();
        return;
      }
      const run = test && opts.testFirst !== false ? this.watchedIteration(target, test, iterate) : { it: this.iteration(target, iterate) };
      if ('stages' in run) {
        if (!isEmptyFlow(testFlow)) iterations.push(testFlow);
        finish();
        ctx.out.push(...run.stages);
        return;
      }
      const it = run.it;
      iterations.push(rseq([testFlow, it.flow]));
      if (it.ended === 'break') { finish(); return; }
      if (it.ended === 'leave') { finish(); throw it.abrupt!; }
    }
  }

  /**
   * One iteration of a loop run one by one, watched for a counter of messages: a place the loop's
   * test reads that one way of a test of a received value moves to another constant (`open--`
   * when a sentinel came) while the other ways keep it. Such a loop runs as often as messages
   * come until the counter has moved far enough, so it runs in stages (`stages`). Otherwise the
   * iteration stands as it ran.
   */
  private watchedIteration(
    target: Target, test: () => Value, iterate: () => void,
  ): { it: ReturnType<Interpreter['iteration']> } | { stages: RFlow[] } {
    const ctx = this.ctx;
    if (this.staging > 0 || ctx.proc.dry) return { it: this.iteration(target, iterate) };
    const m0 = this.store.mark();
    try {
      const watch: Watch = { depth: ctx.fork, events: [] };
      const saved = this.watch;
      this.watch = watch;
      let it: ReturnType<Interpreter['iteration']>;
      try {
        it = this.iteration(target, iterate);
      } finally {
        this.watch = saved;
      }
      if (it.ended !== 'normal' || it.maybeBreak || watch.events.length === 0) return { it };
      // An iteration that makes objects or processes is no counter of messages.
      if (this.sites.length !== m0.lists[0] || this.queue.length !== m0.lists[1]) return { it };
      const d = this.store.diff(m0);
      const counters: Move[] = [];
      for (const mv of moves(watch, target.id)) {
        const map = headPlace(d, mv.map, mv.key);
        if (!map) continue;
        // Changed nowhere else in the iteration: at its end it is one or the other.
        const end = d.get(map)!.get(mv.key)!;
        if (end === ABSENT || !alts(end).every((x) => sameValue(x, mv.from) || sameValue(x, mv.to))) continue;
        // A counter only if the loop's test reads it: with it unknown, the test is.
        const mt = this.store.mark();
        let v: Value = UNKNOWN;
        let r: { flow: RFlow; abrupt?: Abrupt };
        try {
          this.store.set(map, mv.key, UNKNOWN);
          r = this.collect(() => { v = test(); });
        } finally {
          this.store.undo(mt);
          this.store.close(mt);
        }
        if (!r.abrupt && !hasOps(r.flow) && truthy(v) === undefined) counters.push({ ...mv, map });
      }
      if (counters.length === 0) return { it };
      this.store.undo(m0);
      for (const c of counters) {
        const st = this.stages(target, test, iterate, c);
        if (st) return { stages: st };
      }
      // No stages after all: the iteration runs again, as it is.
      return { it: this.iteration(target, iterate) };
    } finally {
      this.store.close(m0);
    }
  }

  /**
   * A loop that counts messages, in stages: one per value of the counter, each a loop run on a
   * summary with the counter at that value, which the way that moves it leaves (to the next
   * stage). The stages end where the loop's test turns false (`open` reaches 0): the checker then
   * knows that the loop takes exactly so many sentinels, and which messages those are. Undefined
   * (and nothing changed) when the loop is no such thing after all.
   */
  private stages(target: Target, test: () => Value, iterate: () => void, counter: Move): RFlow[] | undefined {
    const m = this.store.mark();
    const out: RFlow[] = [];
    let done = false;
    this.staging++;
    try {
      let value = counter.from;
      const now = counter.map.get(counter.key);
      if (!now || !sameValue(now, value)) return undefined;
      for (let s = 0; s < MAX_STAGES; s++) {
        const pin: Pin = { map: counter.map, key: counter.key, value, act: `s${s}` };
        const f = this.summarizedFlow(target, test, iterate, 'loop', true, false, pin);
        if (pin.failed || !pin.move || f.k !== 'loop' || flowExits(f.body, 'break', target.id)) return undefined;
        const id = nextId++;
        const placed = new Set<object>();
        const body = moveOut(f.body, pin.move.arms, target.id, id, EMPTY, placed);
        if (!body || placed.size !== pin.move.arms.size) return undefined;
        out.push({ ...f, id, body });
        value = pin.move.to;
        this.store.set(counter.map, counter.key, value);
        let v: Value = UNKNOWN;
        const r = this.collect(() => { v = test(); });
        if (r.abrupt || hasOps(r.flow)) return undefined;
        const go = truthy(v);
        if (go === false) {
          done = true;
          return out;
        }
        if (go === undefined) return undefined;
      }
      return undefined;
    } finally {
      this.staging--;
      if (!done) this.store.undo(m);
      this.store.close(m);
    }
  }

  /**
   * A loop run on a summary: the body runs from the join of the states at the loop's head until
   * that join stops changing (what keeps changing becomes unknown), then once more to record it.
   * With `pin`, one stage of a counted loop: the counter keeps the pinned value on every way that
   * does not move it, and the way that moves it is noted (it leaves the stage).
   */
  private summarizedFlow(
    target: Target, test: (() => Value) | undefined, iterate: () => void, count: EdgeCount, testFirst: boolean,
    guardedTest: boolean | ts.Expression = false, pin?: Pin,
  ): RFlow {
    const ctx = this.ctx;
    const savedMult = ctx.mult;
    const savedKey = ctx.actKey;
    ctx.mult = mulCount(ctx.mult, count === 'loop' ? 'several' : count);
    // Keyed by the loop's statement, so that a loop run again (in a later pass of a loop around it)
    // makes the same summary objects and operations.
    const act = `${savedKey}/${this.targetKeys.has(target.id) ? `n${this.targetKeys.get(target.id)}` : target.id}${pin ? pin.act : ''}`;
    ctx.actKey = act;
    ctx.fork++;
    let body: RFlow = EMPTY;
    try {
      for (let round = 0; ; round++) {
        const m = this.store.mark();
        let diff: Diff;
        const savedOcc = this.occurrences;
        this.occurrences = new Map();
        try {
          const watch: Watch | undefined = pin ? { depth: ctx.fork, events: [] } : undefined;
          const savedWatch = this.watch;
          const r = this.collect(() => {
            ctx.targets.push(target);
            try {
              if (test && (testFirst || round > 0)) {
                const v = test();
                if (pin && truthy(v) !== true) {
                  pin.failed = true;
                  return;
                }
                if (truthy(v) === false) return;
                if (guardedTest && v.t === 'test') {
                  // Leaving at the head takes the head's state out of the loop as it is, so only
                  // the way that stays is run on: with the variable tested known true there.
                  const leave: RFlow = { k: 'exit', how: 'break', target: target.id };
                  ctx.out.push({ k: 'branch', alts: v.negated ? [leave, EMPTY] : [EMPTY, leave], guard: v.guard });
                  if (guardedTest !== true) this.refine(guardedTest, true);
                } else if (guardedTest) {
                  this.branchOnValue(v, () => undefined, () => {
                    ctx.out.push({ k: 'exit', how: 'break', target: target.id });
                    throw new Abrupt(new Set([`b${target.id}`]));
                  });
                }
              }
              if (watch) this.watch = watch;
              iterate();
            } catch (err) {
              if (!(err instanceof Abrupt)) throw err;
              // A path that leaves the loop: its state joins the head's too.
            } finally {
              this.watch = savedWatch;
              ctx.targets.pop();
            }
          });
          body = r.flow;
          diff = this.store.diff(m);
          if (pin && watch && !pin.failed) pinCounter(pin, watch, diff, target.id);
          this.store.undo(m);
        } finally {
          this.store.close(m);
          this.occurrences = savedOcc;
        }
        if (pin?.failed) break;
        if (!this.applyWidened(diff, round >= MAX_ROUNDS)) break;
        if (round > MAX_ROUNDS + 1) break;
      }
    } finally {
      ctx.fork--;
      ctx.mult = savedMult;
      ctx.actKey = savedKey;
    }
    // Objects made in the loop are new ones each time round: an operation on one of them runs
    // per object, not per iteration.
    const made = [...this.summaryAct].filter(([, key]) => key === act || key.startsWith(`${act}/`)).map(([site]) => site);
    return { k: 'loop', count, body, id: target.id, ...(made.length > 0 ? { over: made } : {}) };
  }

  /** Joins a pass's changes into the loop head's state; true when something changed. */
  private applyWidened(diff: Diff, force: boolean): boolean {
    let changed = false;
    for (const [map, keys] of diff) {
      for (const [key, v] of keys) {
        if (typeof v === 'symbol') continue;
        const old = map.get(key);
        if (old === undefined) {
          this.store.set(map, key, force ? widen(UNKNOWN, v) : v);
          changed = true;
          continue;
        }
        if (sameValue(old, v)) continue;
        const next = force ? widen(old, v) : widen(old, v);
        if (!sameValue(next, old)) {
          this.store.set(map, key, next);
          changed = true;
        }
      }
    }
    return changed;
  }

  private forStatement(s: ts.ForStatement): void {
    const ctx = this.ctx;
    const outer = ctx.scope;
    const scope: Scope = { vars: new Map(), parent: outer };
    ctx.scope = scope;
    const perIteration = !!s.initializer && ts.isVariableDeclarationList(s.initializer) && (s.initializer.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0;
    try {
      if (s.initializer) {
        if (ts.isVariableDeclarationList(s.initializer)) for (const d of s.initializer.declarations) this.declaration(d, false);
        else this.expr(s.initializer);
      }
      const count = this.tripCount(s);
      const endless = !s.condition || s.condition.kind === ts.SyntaxKind.TrueKeyword;
      this.loop(
        s.condition ? () => this.expr(s.condition!) : undefined,
        () => {
          // `let` variables of a for loop are fresh in each iteration (closures see their own).
          const iterScope: Scope = perIteration ? { vars: new Map(scope.vars), parent: outer } : scope;
          ctx.scope = iterScope;
          try {
            const loopId = ctx.targets[ctx.targets.length - 1]?.id;
            const r = this.collect(() => this.statement(s.statement));
            if (r.abrupt && !isContinueOnly(r.abrupt, ctx)) {
              ctx.out.push(r.flow);
              copyBack(this.store, iterScope, scope, perIteration);
              throw r.abrupt;
            }
            if (s.incrementor) {
              // `continue` runs the update before the next test (`item = await q.get()`): on the
              // paths that continue, the update's operations come before the jump back.
              const inc = this.collect(() => this.expr(s.incrementor!));
              const continues = loopId !== undefined && flowExits(r.flow, 'continue', loopId);
              ctx.out.push(continues && !isEmptyFlow(inc.flow) ? beforeContinue(r.flow, loopId, inc.flow) : r.flow);
              ctx.out.push(inc.flow);
              if (inc.abrupt) {
                copyBack(this.store, iterScope, scope, perIteration);
                throw inc.abrupt;
              }
            } else {
              ctx.out.push(r.flow);
            }
            copyBack(this.store, iterScope, scope, perIteration);
          } finally {
            ctx.scope = scope;
          }
        },
        { ...(count !== undefined ? { count } : {}), ...(s.condition ? { cond: s.condition } : {}), endless, node: s },
      );
    } finally {
      ctx.scope = outer;
    }
  }

  /** `for (let i = A; i < B; i++)` whose bounds are constants and whose body does not touch i: its count. */
  private tripCount(s: ts.ForStatement): number | undefined {
    const init = s.initializer && ts.isVariableDeclarationList(s.initializer) ? s.initializer.declarations[0] : undefined;
    const cond = s.condition;
    if (!init || !ts.isIdentifier(init.name) || !cond || !ts.isBinaryExpression(cond)) return undefined;
    const sym = symbolAt(this.checker, init.name);
    if (!sym) return undefined;
    const start = this.lookup(sym);
    if (!start || start.t !== 'const' || typeof start.v !== 'number') return undefined;
    if (!ts.isIdentifier(cond.left) || symbolAt(this.checker, cond.left) !== sym) return undefined;
    const inc = s.incrementor;
    const step = inc && (ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) && inc.operator === ts.SyntaxKind.PlusPlusToken
      && ts.isIdentifier(inc.operand) && symbolAt(this.checker, inc.operand) === sym;
    if (!step || assigns(s.statement, sym, this.checker)) return undefined;
    // Only when cheap to know: the bound must be a constant without side effects.
    const boundExpr = skipOuter(cond.right);
    if (!(ts.isIdentifier(boundExpr) || ts.isNumericLiteral(boundExpr) || ts.isPropertyAccessExpression(boundExpr))) return undefined;
    const bound = this.peek(boundExpr);
    if (!bound || bound.t !== 'const' || typeof bound.v !== 'number') return undefined;
    const op = cond.operatorToken.kind;
    const n = op === ts.SyntaxKind.LessThanToken ? Math.ceil(bound.v - start.v)
      : op === ts.SyntaxKind.LessThanEqualsToken ? Math.floor(bound.v - start.v) + 1 : undefined;
    return n === undefined ? undefined : Math.max(0, n);
  }

  /** The value of a side-effect-free expression (a name, a literal, `a.b`), without recording. */
  private peek(e: ts.Expression): Value | undefined {
    const saved = this.ctx.out;
    this.ctx.out = [];
    try {
      return this.expr(e);
    } catch {
      return undefined;
    } finally {
      this.ctx.out = saved;
    }
  }

  private whileStatement(s: ts.WhileStatement): void {
    const endless = s.expression.kind === ts.SyntaxKind.TrueKeyword;
    this.loop(() => this.expr(s.expression), () => this.loopBody(s.statement), { endless, node: s, cond: s.expression });
  }

  private doStatement(s: ts.DoStatement): void {
    const endless = s.expression.kind === ts.SyntaxKind.TrueKeyword;
    this.loop(() => this.expr(s.expression), () => this.loopBody(s.statement), { endless, testFirst: false, node: s, cond: s.expression });
  }

  /** A loop body with a scope of its own per iteration. */
  private loopBody(body: ts.Statement): void {
    const ctx = this.ctx;
    const outer = ctx.scope;
    ctx.scope = { vars: new Map(), parent: outer };
    try {
      this.statement(body);
    } finally {
      ctx.scope = outer;
    }
  }

  private forOf(s: ts.ForOfStatement): void {
    const iterable = this.expr(s.expression);
    this.eachElement(iterable, (item) => {
      const ctx = this.ctx;
      const outer = ctx.scope;
      ctx.scope = { vars: new Map(), parent: outer };
      try {
        this.bindLoopVariable(s.initializer, item);
        this.statement(s.statement);
      } finally {
        ctx.scope = outer;
      }
    }, !!s.awaitModifier, s);
  }

  private forIn(s: ts.ForInStatement): void {
    const obj = this.expr(s.expression);
    const keys = this.ownKeys(obj);
    this.eachElement(keys ? this.newArray(keys.map((k) => konst(k))) : UNKNOWN, (item) => {
      const ctx = this.ctx;
      const outer = ctx.scope;
      ctx.scope = { vars: new Map(), parent: outer };
      try {
        this.bindLoopVariable(s.initializer, item);
        this.statement(s.statement);
      } finally {
        ctx.scope = outer;
      }
    }, false, s);
  }

  private bindLoopVariable(init: ts.ForInitializer, item: Value): void {
    if (ts.isVariableDeclarationList(init)) {
      const d = init.declarations[0];
      if (d) this.bindDeclared(d.name, item);
    } else {
      this.assignTo(init, item);
    }
  }

  /**
   * Runs `body` once per element of an iterable: element by element over an array the interpreter
   * knows (its length and items), on a summary over anything else.
   */
  eachElement(iterable: Value, body: (item: Value, index: Value) => void, isAwait: boolean, node?: ts.Node): void {
    const imap = iterable.t === 'ref' ? this.imapResults.get(iterable.o) : undefined;
    if (imap) return this.eachResult(imap, body, node);
    const list = this.listOf(iterable);
    if (list && (!isAwait || (iterable.t === 'ref' && this.generated.has(iterable.o)))) {
      let i = 0;
      // An array is read as it is at each step (a push while iterating is seen, as in JavaScript).
      const live = iterable.t === 'ref' && iterable.o.kind === 'array' ? iterable.o : undefined;
      const length = (): number => {
        const len = live?.props.get('length');
        return len && len.t === 'const' && typeof len.v === 'number' && !live!.props.has(REST) ? len.v : list.length;
      };
      this.loop(
        () => konst(i < length()),
        () => {
          const item = live ? live.props.get(String(i)) ?? UNDEFINED : list[i] ?? UNDEFINED;
          const idx = i;
          i++;
          body(item, konst(idx));
        },
        { ...(list.length > MAX_ITERATIONS ? { count: list.length } : {}), ...(node ? { node } : {}) },
      );
      return;
    }
    const element = this.elementOf(iterable);
    this.loop(undefined, () => body(element, UNKNOWN), { count: 'several', over: element, ...(node ? { node } : {}) });
  }

  /**
   * A loop over `pool.imap(fn, items)`: each pass waits for one result. `imap` gives them in the
   * order of the items, so pass k waits for task k and gets what it returns; `imapUnordered` gives
   * whichever task finished next (any of them: its value is not known).
   */
  private eachResult(
    imap: ImapRun,
    body: (item: Value, index: Value) => void, node?: ts.Node,
  ): void {
    const ordered = imap.method === 'imap';
    const values = imap.argLists.map((a) => this.returnOf(imap.fn, a));
    let k = 0;
    this.loop(
      () => konst(k < imap.argLists.length),
      () => {
        const op = this.record('result', imap.pool, imap.e, imap.method, { blocking: true });
        op.tasks = [imap.id];
        if (ordered) op.item = k;
        // Which task's result an unordered read gets is the run's timing: a test of it is no
        // choice a finding may depend on (as a value a summarized loop lost).
        const item = ordered ? values[k]! : WIDENED;
        const idx = k;
        k++;
        body(item, konst(idx));
      },
      node ? { node } : {},
    );
  }

  /** The items of an array (or string, Map, Set) whose length the interpreter knows. */
  listOf(v: Value): Value[] | undefined {
    if (v.t === 'const' && typeof v.v === 'string') return listedLength(v.v.length) === undefined ? undefined : [...v.v].map((c) => konst(c));
    if (v.t !== 'ref') return undefined;
    const o = v.o;
    // A summary object (made in a summarized loop) is read as the join of its instances.
    if (o.props.has(REST)) return undefined;
    if (o.kind === 'array') {
      const len = o.props.get('length');
      const n = len && len.t === 'const' && typeof len.v === 'number' ? listedLength(len.v) : undefined;
      if (n === undefined) return undefined;
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(o.props.get(String(i)) ?? UNDEFINED);
      return out;
    }
    if (o.kind === 'map') {
      const out: Value[] = [];
      for (const [k, x] of o.props) {
        if (!k.startsWith('v:')) continue;
        out.push(this.newArray([o.props.get(`k:${k.slice(2)}`) ?? UNKNOWN, x]));
      }
      return out;
    }
    if (o.kind === 'set') {
      const out: Value[] = [];
      for (const [k, x] of o.props) if (k.startsWith('v:')) out.push(x);
      return out;
    }
    return undefined;
  }

  /** Any element of an iterable (for loops the interpreter summarizes). */
  elementOf(v: Value): Value {
    const out: Value[] = [];
    for (const a of alts(v)) {
      if (a.t === 'ref') {
        if (a.o.kind === 'map') {
          const list = this.listOf(a);
          out.push(list ? join(list) : this.newArray([UNKNOWN, UNKNOWN]));
          for (const [k, x] of a.o.props) if (k === REST) out.push(this.newArray([UNKNOWN, x]));
          continue;
        }
        for (const [k, x] of a.o.props) if (k !== 'length') out.push(k.startsWith('k:') ? UNKNOWN : x);
        if (out.length === 0) out.push(UNKNOWN);
      } else {
        out.push(UNKNOWN);
      }
    }
    return out.length === 0 ? UNKNOWN : join(out);
  }

  private tryStatement(s: ts.TryStatement): void {
    const ctx = this.ctx;
    const savedThrow = ctx.mayThrow;
    const savedThrown = ctx.thrown;
    ctx.mayThrow = false;
    ctx.thrown = [];
    let body: { flow: RFlow; abrupt?: Abrupt };
    let bodyThrew: boolean;
    let thrown: Value[];
    try {
      body = this.collect(() => this.statement(s.tryBlock));
    } finally {
      bodyThrew = ctx.mayThrow;
      thrown = ctx.thrown;
      ctx.mayThrow = savedThrow;
      ctx.thrown = savedThrown;
    }
    const onlyThrows = body.abrupt !== undefined && [...body.abrupt.exits].every((x) => x === 't');
    let handler: { flow: RFlow; abrupt?: Abrupt } | undefined;
    let after: Abrupt | undefined = body.abrupt;
    if (s.catchClause) {
      const clause = s.catchClause;
      const runHandler = (): void => {
        const outer = ctx.scope;
        ctx.scope = { vars: new Map(), parent: outer };
        try {
          if (clause.variableDeclaration) this.bindDeclared(clause.variableDeclaration.name, thrown.length > 0 ? join(thrown) : UNKNOWN);
          this.statement(clause.block);
        } finally {
          ctx.scope = outer;
        }
      };
      if (onlyThrows) {
        // The body surely throws: the handler surely runs.
        handler = this.collect(runHandler);
        after = handler.abrupt;
      } else if (bodyThrew || (body.abrupt?.exits.has('t') ?? false)) {
        // It may throw: the handler's state joins the body's (its flow is the try's handler).
        let h: { flow: RFlow; abrupt?: Abrupt } = { flow: EMPTY };
        this.fork([() => undefined, () => { h = this.collect(runHandler); }], undefined, undefined, false);
        handler = h;
        if (body.abrupt && h.abrupt) after = new Abrupt(new Set([...body.abrupt.exits, ...h.abrupt.exits].filter((x) => x !== 't' || h.abrupt!.exits.has('t'))));
        else if (body.abrupt && !h.abrupt) after = undefined;
      } else {
        // Nothing in the body can throw: the handler never runs.
        handler = undefined;
      }
    } else if (bodyThrew) {
      ctx.mayThrow = true;
      ctx.thrown.push(...thrown);
    }
    let finalizer: { flow: RFlow; abrupt?: Abrupt } | undefined;
    if (s.finallyBlock) finalizer = this.collect(() => this.statement(s.finallyBlock!));
    ctx.out.push({ k: 'try', body: body.flow, handler: handler?.flow ?? (s.catchClause ? EMPTY : undefined), finalizer: finalizer?.flow });
    if (finalizer?.abrupt) throw finalizer.abrupt;
    if (after) throw after;
  }

  private switchStatement(s: ts.SwitchStatement): void {
    const disc = this.expr(s.expression);
    const clauses = s.caseBlock.clauses;
    const defaultIndex = clauses.findIndex(ts.isDefaultClause);
    const runFrom = (i: number): void => {
      for (let j = i; j < clauses.length; j++) {
        this.hoist(clauses[j]!.statements, this.ctx.scope);
        this.statements(clauses[j]!.statements);
      }
    };
    const decide = (i: number): void => {
      while (i < clauses.length && ts.isDefaultClause(clauses[i]!)) i++;
      if (i >= clauses.length) {
        if (defaultIndex >= 0) runFrom(defaultIndex);
        return;
      }
      const clause = clauses[i] as ts.CaseClause;
      const value = this.expr(clause.expression);
      const test = this.strictEquals(disc, value);
      this.branchOnValue(test, () => runFrom(i), () => decide(i + 1));
    };
    this.block(() => decide(0), undefined, true, s);
  }

  // ---- expressions ----

  /** Per syntax kind, how an expression of that kind is evaluated (one array load, not a chain of case tests). */
  private static readonly EXPRS: (((I: Interpreter, e: ts.Expression) => Value) | undefined)[] = [];

  static {
    const on = (kinds: ts.SyntaxKind[], h: (I: Interpreter, e: ts.Expression) => Value): void => {
      for (const k of kinds) Interpreter.EXPRS[k] = h;
    };
    on([ts.SyntaxKind.NumericLiteral], (_I, e) => konst(Number((e as ts.NumericLiteral).text)));
    on([ts.SyntaxKind.StringLiteral, ts.SyntaxKind.NoSubstitutionTemplateLiteral], (_I, e) => konst((e as ts.StringLiteral).text));
    on([ts.SyntaxKind.BigIntLiteral], (_I, e) => {
      try { return konst(BigInt((e as ts.BigIntLiteral).text.replace(/n$/, ''))); } catch { return UNKNOWN; }
    });
    on([ts.SyntaxKind.TrueKeyword], (_I, _e) => TRUE);
    on([ts.SyntaxKind.FalseKeyword], (_I, _e) => FALSE);
    on([ts.SyntaxKind.NullKeyword], (_I, _e) => konst(null));
    on([ts.SyntaxKind.Identifier], (I, e) => I.identifier(e as ts.Identifier));
    on([ts.SyntaxKind.ThisKeyword], (I, _e) => I.thisValue());
    on([ts.SyntaxKind.ParenthesizedExpression, ts.SyntaxKind.AsExpression, ts.SyntaxKind.NonNullExpression, ts.SyntaxKind.TypeAssertionExpression, ts.SyntaxKind.SatisfiesExpression], (I, e) => I.expr((e as ts.ParenthesizedExpression).expression));
    on([ts.SyntaxKind.AwaitExpression], (I, e) => I.awaited(I.expr((e as ts.AwaitExpression).expression)));
    on([ts.SyntaxKind.ArrayLiteralExpression], (I, e) => I.arrayLiteral(e as ts.ArrayLiteralExpression));
    on([ts.SyntaxKind.ObjectLiteralExpression], (I, e) => I.objectLiteral(e as ts.ObjectLiteralExpression));
    on([ts.SyntaxKind.NewExpression], (I, e) => I.newExpr(e as ts.NewExpression));
    on([ts.SyntaxKind.CallExpression], (I, e) => I.call(e as ts.CallExpression));
    on([ts.SyntaxKind.PropertyAccessExpression], (I, e) => {
      const p = e as ts.PropertyAccessExpression;
      const enumValue = I.enumMember(p);
      if (enumValue) return enumValue;
      const obj = I.expr(p.expression);
      if (p.questionDotToken && isNullish(obj)) return UNDEFINED;
      return I.getProp(obj, p.name.text);
    });
    on([ts.SyntaxKind.ElementAccessExpression], (I, e) => {
      const a = e as ts.ElementAccessExpression;
      const obj = I.expr(a.expression);
      const key = I.expr(a.argumentExpression);
      if (a.questionDotToken && isNullish(obj)) return UNDEFINED;
      return I.index(obj, key);
    });
    on([ts.SyntaxKind.ArrowFunction, ts.SyntaxKind.FunctionExpression], (I, e) => {
      const f = e as ts.ArrowFunction | ts.FunctionExpression;
      // An arrow's `this` is its scope's (found by walking out): nothing to bind here.
      const fn: FnVal = { t: 'fn', decl: f, env: I.ctx.scope };
      return fn;
    });
    on([ts.SyntaxKind.ClassExpression], (I, e) => I.classValue(e as ts.ClassExpression, I.ctx.scope));
    on([ts.SyntaxKind.ConditionalExpression], (I, e) => {
      const c = e as ts.ConditionalExpression;
      return I.choose(c.condition, () => I.expr(c.whenTrue), () => I.expr(c.whenFalse));
    });
    on([ts.SyntaxKind.BinaryExpression], (I, e) => I.binary(e as ts.BinaryExpression));
    on([ts.SyntaxKind.PrefixUnaryExpression], (I, e) => I.prefix(e as ts.PrefixUnaryExpression));
    on([ts.SyntaxKind.PostfixUnaryExpression], (I, e) => I.postfix(e as ts.PostfixUnaryExpression));
    on([ts.SyntaxKind.TypeOfExpression], (I, e) => I.typeOf(I.expr((e as ts.TypeOfExpression).expression)));
    on([ts.SyntaxKind.VoidExpression], (I, e) => {
      I.expr((e as ts.VoidExpression).expression); return UNDEFINED;
    });
    on([ts.SyntaxKind.DeleteExpression], (I, e) => {
      const d = skipOuter((e as ts.DeleteExpression).expression);
      if (ts.isPropertyAccessExpression(d) || ts.isElementAccessExpression(d)) {
        const obj = I.expr(d.expression);
        const key = ts.isPropertyAccessExpression(d) ? konst(d.name.text) : I.expr(d.argumentExpression);
        for (const a of alts(obj)) {
          if (a.t === 'ref' && key.t === 'const' && (typeof key.v === 'string' || typeof key.v === 'number')) {
            if (alts(obj).length === 1 && !a.o.summary) I.store.delete(a.o.props as Map<unknown, Value>, String(key.v));
          }
        }
      }
      return TRUE;
    });
    on([ts.SyntaxKind.TemplateExpression], (I, e) => I.template(e as ts.TemplateExpression));
    on([ts.SyntaxKind.TaggedTemplateExpression], (I, e) => {
      const t = e as ts.TaggedTemplateExpression;
      I.expr(t.tag);
      if (ts.isTemplateExpression(t.template)) for (const span of t.template.templateSpans) I.expr(span.expression);
      return UNKNOWN;
    });
    on([ts.SyntaxKind.SpreadElement], (I, e) => I.expr((e as ts.SpreadElement).expression));
    on([ts.SyntaxKind.CommaListExpression], (I, e) => {
      let v: Value = UNDEFINED;
      for (const x of (e as ts.CommaListExpression).elements) v = I.expr(x);
      return v;
    });
    on([ts.SyntaxKind.RegularExpressionLiteral], (I, _e) => I.newObject('object'));
    on([ts.SyntaxKind.YieldExpression], (I, e) => {
      const y = e as ts.YieldExpression;
      const v = y.expression ? I.expr(y.expression) : UNDEFINED;
      const g = I.ctx.yields;
      if (g) {
        // Under a condition the analysis cannot decide, or in a loop run on a summary, a yield may
        // happen or not, or any number of times: the list is then a summary of what is yielded.
        if (I.ctx.fork > g.fork) g.exact = false;
        if (y.asteriskToken) {
          const list = I.listOf(v);
          if (list) g.items.push(...list);
          else {
            g.exact = false;
            g.items.push(I.elementOf(v));
          }
        } else {
          g.items.push(v);
        }
      }
      // What the consumer passes to next(): not followed.
      return UNKNOWN;
    });
    on([ts.SyntaxKind.MetaProperty], (_I, _e) => UNKNOWN);
  }

  expr(e: ts.Expression): Value {
    this.step();
    const h = Interpreter.EXPRS[e.kind];
    if (h) return h(this, e);
    ts.forEachChild(e, (child) => {
          if (ts.isExpression(child)) this.expr(child);
        });
        return UNKNOWN;
  }

  /** `await v`: a promise's value is the value itself here (async calls run to completion in place). */
  private awaited(v: Value): Value {
    return v;
  }

  private template(t: ts.TemplateExpression): Value {
    let text: string | undefined = t.head.text;
    const keys: string[] = [JSON.stringify(t.head.text)];
    let opaque = true;
    for (const span of t.templateSpans) {
      const v = this.expr(span.expression);
      if (v.t === 'const' && text !== undefined) text += String(v.v) + span.literal.text;
      else text = undefined;
      if (v.t === 'const') keys.push(JSON.stringify(String(v.v)));
      else if (v.t === 'opaque') keys.push(`{${v.key}}`);
      else opaque = false;
      keys.push(JSON.stringify(span.literal.text));
    }
    if (text !== undefined) return konst(text);
    return opaque ? { t: 'opaque', key: `\`${keys.join('+')}\`` } : UNKNOWN;
  }

  private typeOf(v: Value): Value {
    // `typeof item` of what another process sent: a test the checker decides per message.
    const r = received(v);
    if (r && !r.typeOf && !r.map) return { t: 'recv', source: r.source, path: r.path, typeOf: true };
    const kinds = new Set<string>();
    for (const a of alts(v)) {
      switch (a.t) {
        case 'const': kinds.add(a.v === null ? 'object' : typeof a.v); break;
        case 'fn': case 'class': kinds.add('function'); break;
        case 'host': kinds.add(a.self ? 'function' : 'object'); break;
        case 'ref': case 'obj': case 'pending': kinds.add('object'); break;
        default: return UNKNOWN;
      }
    }
    return kinds.size === 1 ? konst([...kinds][0]!) : UNKNOWN;
  }

  private enumMember(p: ts.PropertyAccessExpression): Value | undefined {
    const sym = symbolAt(this.checker, p.name);
    if (!sym || !(sym.flags & ts.SymbolFlags.EnumMember)) return undefined;
    const decl = sym.valueDeclaration;
    if (!decl || !ts.isEnumMember(decl)) return undefined;
    const v = this.checker.getConstantValue(decl);
    return v === undefined ? UNKNOWN : konst(v);
  }

  // ---- names ----

  identifier(id: ts.Identifier): Value {
    if (id.text === 'undefined') return UNDEFINED;
    const sym = ts.isShorthandPropertyAssignment(id.parent) && id.parent.name === id
      ? this.checker.getShorthandAssignmentValueSymbol(id.parent) : symbolAt(this.checker, id);
    if (!sym) return hostGlobal(id.text) ?? UNKNOWN;
    const v = this.lookup(sym);
    if (v) return v;
    return this.resolve(sym, id);
  }

  /** The value of a variable in the scopes the current code sees. */
  lookup(sym: ts.Symbol): Value | undefined {
    for (let s: Scope | undefined = this.ctx.scope; s; s = s.parent) {
      const v = s.vars.get(sym);
      if (v) {
        if (isWidened(v)) this.widenedRead = true;
        return v;
      }
    }
    return undefined;
  }

  /** Set when code reads a value a summarized loop lost (see `branchOn`). */
  private widenedRead = false;

  /** A name not bound in any scope: a module-level declaration, an import, a global. */
  resolve(sym: ts.Symbol, at?: ts.Node): Value {
    if (sym.flags & ts.SymbolFlags.Alias) {
      const shimName = this.shim.exportOfSymbol(sym);
      if (shimName) return { t: 'host', name: `shim.${shimName}` };
      const mod = hostModuleName(sym, this.checker, this.shim);
      if (mod) return mod;
      const target = this.checker.getAliasedSymbol(sym);
      if (target === sym || !target) return UNKNOWN;
      return this.resolve(target, at);
    }
    const decl = sym.valueDeclaration ?? sym.declarations?.[0];
    if (!decl) return hostGlobal(sym.getName()) ?? UNKNOWN;
    const sf = decl.getSourceFile();
    if (ts.isSourceFile(decl)) {
      // A module object: `import * as m from './m'` (or the shim's, or a Node module).
      if (this.shim.isShimFile(sf.fileName)) return { t: 'host', name: 'shim' };
      let i = this.namespaces.indexOf(sym);
      if (i < 0) i = this.namespaces.push(sym) - 1;
      return { t: 'host', name: `ns:${i}` };
    }
    if (sf.isDeclarationFile) {
      if (this.shim.isShimFile(sf.fileName)) {
        const name = sym.getName();
        const shimName = this.shim.exportOfSymbol(sym);
        return shimName ? { t: 'host', name: `shim.${shimName}` } : hostGlobal(name) ?? UNKNOWN;
      }
      return hostGlobal(sym.getName()) ?? hostModuleMember(sf.fileName, sym.getName()) ?? UNKNOWN;
    }
    const proc = this.ctx.proc;
    this.reached.add(sf);
    if (ts.isFunctionDeclaration(decl) && decl.body) {
      const scope = ts.isSourceFile(decl.parent) ? this.moduleScope(proc, sf) : this.ctx.scope;
      return { t: 'fn', decl, env: scope };
    }
    if (ts.isClassLike(decl)) {
      if (ts.isSourceFile(decl.parent)) return this.classValue(decl, this.moduleScope(proc, sf));
      return UNKNOWN;
    }
    if (ts.isVariableDeclaration(decl) && ts.isVariableDeclarationList(decl.parent) && ts.isVariableStatement(decl.parent.parent)
      && ts.isSourceFile(decl.parent.parent.parent)) {
      return this.moduleVariable(proc, decl, sym);
    }
    if (ts.isBindingElement(decl)) {
      // A module-level destructuring: `const { isMainProcess } = mp`.
      let d: ts.Node = decl;
      while (ts.isBindingElement(d) || ts.isObjectBindingPattern(d) || ts.isArrayBindingPattern(d)) d = d.parent;
      if (ts.isVariableDeclaration(d) && ts.isVariableStatement(d.parent.parent) && ts.isSourceFile(d.parent.parent.parent)) {
        this.moduleVariable(proc, d, undefined);
        const scope = this.moduleScope(proc, sf);
        return scope.vars.get(sym) ?? UNKNOWN;
      }
    }
    if (ts.isEnumDeclaration(decl)) return UNKNOWN;
    return UNKNOWN;
  }

  /** A module-level variable, initialized (for this process) the first time it is read. */
  private moduleVariable(proc: Proc, decl: ts.VariableDeclaration, sym: ts.Symbol | undefined): Value {
    const sf = decl.getSourceFile();
    const scope = this.moduleScope(proc, sf);
    if (sym) {
      const known = scope.vars.get(sym);
      if (known) return known;
    }
    if (proc.initializing.has(decl) || !decl.initializer) return UNKNOWN;
    proc.initializing.add(decl);
    const ctx = this.ctx;
    const saved = { scope: ctx.scope, out: ctx.out, stack: ctx.stack, fork: ctx.fork, mult: ctx.mult, actKey: ctx.actKey, returns: ctx.returns, targets: ctx.targets, top: ctx.top };
    ctx.scope = scope;
    ctx.out = [];
    ctx.stack = [];
    ctx.fork = 0;
    ctx.mult = 1;
    ctx.actKey = '';
    ctx.targets = [];
    ctx.returns = undefined;
    try {
      const v = this.expr(decl.initializer);
      this.bindPattern(decl.name, v, (s, x) => { scope.vars.set(s, x); });
      if (sym) return scope.vars.get(sym) ?? v;
      return v;
    } catch (err) {
      if (err instanceof Abrupt) return UNKNOWN;
      throw err;
    } finally {
      // Module initialization runs when the module is imported, before the process's own code.
      const init = ctx.out;
      ctx.scope = saved.scope;
      ctx.out = saved.out;
      ctx.stack = saved.stack;
      ctx.fork = saved.fork;
      ctx.mult = saved.mult;
      ctx.actKey = saved.actKey;
      ctx.targets = saved.targets;
      ctx.returns = saved.returns;
      if (saved.top) ctx.top = saved.top;
      if (init.length > 0) ctx.out.push(...init);
      proc.initializing.delete(decl);
    }
  }

  thisValue(): Value {
    for (let s: Scope | undefined = this.ctx.scope; s; s = s.parent) if ('self' in s && s.self !== undefined) return s.self;
    return UNDEFINED;
  }

  // ---- literals ----

  newObject(kind: HeapObj['kind']): Value {
    const o: HeapObj = { id: nextId++, kind, props: new Map(), born: this.store.tick(), summary: this.ctx.mult !== 1 };
    this.store.own(o);
    return { t: 'ref', o };
  }

  newArray(items: readonly Value[], rest?: Value): Value {
    const r = this.newObject('array') as { t: 'ref'; o: HeapObj };
    items.forEach((v, i) => { r.o.props.set(String(i), v); this.noteHome(r.o, String(i), v); });
    r.o.props.set('length', rest ? UNKNOWN : konst(items.length));
    if (rest) r.o.props.set(REST, rest);
    return r;
  }

  private arrayLiteral(e: ts.ArrayLiteralExpression): Value {
    const items: Value[] = [];
    let rest: Value | undefined;
    for (const el of e.elements) {
      if (ts.isSpreadElement(el)) {
        const v = this.expr(el.expression);
        const list = this.listOf(v);
        if (list && !rest) items.push(...list);
        else rest = join([rest ?? UNKNOWN, this.elementOf(v), ...items.splice(0)].filter((x) => x.t !== 'unknown' || true));
      } else if (ts.isOmittedExpression(el)) {
        items.push(UNDEFINED);
      } else {
        const v = this.expr(el);
        if (rest) rest = join2(rest, v);
        else items.push(v);
      }
    }
    return this.newArray(items, rest);
  }

  private objectLiteral(e: ts.ObjectLiteralExpression): Value {
    const r = this.newObject('object') as { t: 'ref'; o: HeapObj };
    const o = r.o;
    for (const p of e.properties) {
      if (ts.isPropertyAssignment(p)) {
        const key = this.keyOf(p.name);
        const v = this.expr(p.initializer);
        if (key !== undefined) { o.props.set(key, v); this.noteHome(o, key, v); }
        else o.props.set(REST, join2(o.props.get(REST) ?? v, v));
      } else if (ts.isShorthandPropertyAssignment(p)) {
        const v = this.identifier(p.name);
        o.props.set(p.name.text, v);
        this.noteHome(o, p.name.text, v);
      } else if (ts.isSpreadAssignment(p)) {
        const v = this.expr(p.expression);
        for (const a of alts(v)) {
          if (a.t !== 'ref') continue;
          for (const [k, x] of a.o.props) {
            if (a.o.kind === 'array' && k === 'length') continue;
            o.props.set(k, alts(v).length > 1 ? join2(o.props.get(k) ?? x, x) : x);
          }
        }
        if (alts(v).some((a) => a.t === 'unknown')) o.props.set(REST, UNKNOWN);
      } else if (ts.isMethodDeclaration(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) {
        const key = this.keyOf(p.name);
        if (key === undefined || !p.body) continue;
        const fn: FnVal = { t: 'fn', decl: p, env: this.ctx.scope };
        if (ts.isGetAccessorDeclaration(p)) o.props.set(`get:${key}`, fn);
        else if (ts.isSetAccessorDeclaration(p)) o.props.set(`set:${key}`, fn);
        else o.props.set(key, fn);
      }
    }
    return r;
  }

  private keyOf(name: ts.PropertyName): string | undefined {
    const k = propertyName(name);
    if (k !== undefined) return k;
    if (ts.isComputedPropertyName(name)) {
      const v = this.expr(name.expression);
      if (v.t === 'const' && (typeof v.v === 'string' || typeof v.v === 'number')) return String(v.v);
    }
    return undefined;
  }

  /** Remembers where a shim object was first stored (`forks[2]`), for its name. */
  noteHome(o: HeapObj, key: string, v: Value): void {
    if (v.t === 'obj' && !this.homes.has(v.site)) this.homes.set(v.site, { o, key });
  }

  // ---- properties ----

  getProp(v: Value, key: string): Value {
    if (v.t === 'union') return join(v.alts.map((a) => this.getProp(a, key)));
    switch (v.t) {
      case 'const': {
        if (typeof v.v === 'string') {
          if (key === 'length') return konst(v.v.length);
          if (/^\d+$/.test(key)) return konst(v.v[Number(key)]);
        }
        if (v.v === null || v.v === undefined) return UNKNOWN;
        return { t: 'host', name: `${typeof v.v}.${key}`, self: v };
      }
      case 'ref': return this.refProp(v, key);
      case 'obj': {
        if (v.site.kind === 'barrier' && key === 'parties') return typeof v.site.size === 'number' ? konst(v.site.size) : UNKNOWN;
        if (v.site.kind === 'array' && key === 'length') return typeof v.site.size === 'number' ? konst(v.site.size) : UNKNOWN;
        if ((key === 'pid' || key === 'exitcode') && this.unstarted(v.site)) return konst(null);
        const own = this.subclassInstance(v.site, key);
        if (own) return this.refProp(own, key);
        return { t: 'host', name: `site.${key}`, self: v };
      }
      case 'recv':
        if (v.also) return this.getProp(v.also, key);
        if (v.map) return UNKNOWN;
        return v.typeOf ? (key === 'length' ? UNKNOWN : { t: 'host', name: `string.${key}`, self: UNKNOWN }) : { t: 'recv', source: v.source, path: [...v.path, key] };
      case 'host': return hostProp(this, v, key);
      case 'class': {
        const own = v.statics.props.get(key);
        if (own) return own;
        const m = this.classMember(v, key, true);
        if (m) return m;
        if (key === 'name') return konst(v.decl.name?.text ?? '');
        return v.base ? this.getProp(v.base, key) : UNKNOWN;
      }
      case 'fn': {
        if (key === 'name') return konst(functionName(v.decl) ?? '');
        if (key === 'length') return konst(v.decl.parameters.length);
        return { t: 'host', name: `function.${key}`, self: v };
      }
      case 'pending': return { t: 'host', name: `pending.${key}`, self: v };
      default: return UNKNOWN;
    }
  }

  private refProp(v: { t: 'ref'; o: HeapObj }, key: string): Value {
    const o = v.o;
    const own = o.props.get(key);
    if (own !== undefined) {
      if (isWidened(own)) this.widenedRead = true;
      return own;
    }
    const getter = o.props.get(`get:${key}`);
    if (getter && getter.t === 'fn') return this.invoke(getter, [], v, undefined);
    if (o.kind === 'instance' && o.cls) {
      const m = this.classMember(o.cls, key, false, v);
      if (m) return m;
    }
    if (o.kind === 'array') {
      if (/^\d+$/.test(key)) {
        const rest = o.props.get(REST);
        return rest ? join2(rest, UNDEFINED) : o.summary ? UNKNOWN : UNDEFINED;
      }
      return { t: 'host', name: `array.${key}`, self: v };
    }
    if (o.kind === 'map' || o.kind === 'set') {
      if (key === 'size') {
        if (o.props.has(REST) || o.summary) return UNKNOWN;
        let n = 0;
        for (const k of o.props.keys()) if (k.startsWith('v:')) n++;
        return konst(n);
      }
      return { t: 'host', name: `${o.kind}.${key}`, self: v };
    }
    const rest = o.props.get(REST);
    if (rest) return join2(rest, UNDEFINED);
    if (o.kind === 'object' || o.kind === 'error') {
      if (key === 'hasOwnProperty' || key === 'toString' || key === 'valueOf') return { t: 'host', name: `object.${key}`, self: v };
      return o.summary ? UNKNOWN : UNDEFINED;
    }
    return UNDEFINED;
  }

  /** A method or accessor of a class (or its bases); accessors run on `self`. */
  classMember(cls: ClassVal, key: string, isStatic: boolean, self?: Value): Value | undefined {
    for (let c: ClassVal | undefined = cls, depth = 0; c && depth < 16; depth++) {
      for (const m of c.decl.members) {
        const st = (ts.getCombinedModifierFlags(m as ts.Declaration) & ts.ModifierFlags.Static) !== 0;
        if (st !== isStatic || propertyName(m.name) !== key) continue;
        if (ts.isMethodDeclaration(m) && m.body) return { t: 'fn', decl: m, env: c.env, home: c };
        if (ts.isGetAccessorDeclaration(m) && m.body && self) return this.invoke({ t: 'fn', decl: m, env: c.env, home: c }, [], self, undefined);
      }
      const base: Value | undefined = c.base;
      c = base && base.t === 'class' ? base : undefined;
    }
    return undefined;
  }

  /** `o[k]`. */
  index(obj: Value, key: Value): Value {
    obj = plain(obj);
    const looked = this.lookupByReceived(obj, key);
    if (looked) return looked;
    const keys = alts(key);
    if (keys.every((k) => k.t === 'const' && (typeof k.v === 'string' || typeof k.v === 'number'))) {
      return join(keys.map((k) => this.getProp(obj, String((k as { v: Prim }).v))));
    }
    // A key the analysis cannot tell: any element.
    const out: Value[] = [];
    for (const a of alts(obj)) {
      if (a.t === 'ref') {
        for (const [k, x] of a.o.props) {
          if (k === 'length' || k.startsWith('get:') || k.startsWith('set:') || k.startsWith('k:')) continue;
          out.push(x);
        }
        if (a.o.kind === 'array' || a.o.kind === 'object') out.push(UNDEFINED);
      } else if (a.t === 'recv' && key.t === 'const') {
        out.push({ t: 'recv', source: a.source, path: [...a.path, String(key.v)] });
      } else {
        out.push(UNKNOWN);
      }
    }
    return out.length === 0 ? UNKNOWN : join(out);
  }

  /**
   * `HANDLERS[msg.kind]`: a record the program's constants fill, looked up by a received key. The
   * result is a function of the received value (what each key gives: a constant, or an object or
   * function), so a branch on it is decided per message; anything else uses what the lookup can
   * give (`also`).
   */
  private lookupByReceived(obj: Value, key: Value): Value | undefined {
    const r = received(key);
    if (!r || r.typeOf || obj.t !== 'ref' || obj.o.summary || obj.o.props.has(REST) || obj.o.kind === 'instance') return undefined;
    const props = new Map<string, Value>();
    for (const [k, x] of obj.o.props) {
      if (k === 'length' || k.startsWith('get:') || k.startsWith('set:') || k.startsWith('k:')) continue;
      props.set(k, x);
    }
    const also = join([...props.values(), UNDEFINED]);
    const inner = r.map;
    const lookup = (k: ConstValue): { v: ConstValue } | 'object' | undefined => {
      if (typeof k !== 'string' && typeof k !== 'number') return undefined;
      const x = props.get(String(k));
      if (!x) return Object.prototype.hasOwnProperty.call(Object.prototype, String(k)) ? undefined : { v: undefined };
      if (x.t === 'const') return typeof x.v === 'bigint' ? undefined : { v: x.v };
      if (x.t === 'fn' || x.t === 'ref' || x.t === 'obj' || x.t === 'class') return 'object';
      return undefined;
    };
    const map: ValueMap = {
      key: `${inner ? `${inner.key} ` : ''}[r${obj.o.id}:${[...props].map(([k, x]) => `${k}=${x.t === 'const' ? JSON.stringify(x.v ?? null) : x.t}`).join(',')}]`,
      f: (v) => {
        const k = inner ? inner.f(v) : { v };
        return k === undefined || k === 'object' ? undefined : lookup(k.v);
      },
    };
    // Shim objects picked by the key (`replies[msg.client]`, `queues[job.kind]`): a call on one is
    // an operation on the element the message names, tested per message.
    const entries = [...props].map(([k, x]) => [obj.o.kind === 'array' && /^\d+$/.test(k) ? Number(k) : k, x] as const);
    const pick: Pick | undefined = !inner && entries.length > 0 && entries.length <= MAX_PICKED && entries.every(([, x]) => x.t === 'obj')
      ? { guard: { source: r.source, path: r.path, ...(r.sources ? { sources: r.sources } : {}) }, entries }
      : undefined;
    const base = { t: 'recv' as const, source: r.source, path: r.path, map, also, ...(pick ? { pick } : {}) };
    if (!r.sources) return base;
    return { t: 'union', alts: r.sources.map((source) => ({ ...base, source })) };
  }

  /** `o.k = v` / `o[k] = v`. One object known exactly: replaced; several (or a summary): joined. */
  setProp(obj: Value, key: Value, v: Value): void {
    const targets = alts(obj);
    const strong = targets.length === 1;
    const keys = alts(key);
    const exact = keys.length === 1 && key.t === 'const' && (typeof key.v === 'string' || typeof key.v === 'number');
    for (const t of targets) {
      if (t.t === 'ref') {
        const o = t.o;
        const map = o.props as Map<unknown, Value>;
        if (exact) {
          const k = String((key as { v: Prim }).v);
          const setter = o.props.get(`set:${k}`);
          if (setter && setter.t === 'fn') { this.invoke(setter, [v], t, undefined); continue; }
          if (o.kind === 'instance' && o.cls) {
            const s = this.classSetter(o.cls, k);
            if (s) { this.invoke(s, [v], t, undefined); continue; }
          }
          const old = o.props.get(k);
          const next = strong && !o.summary ? v : join2(old ?? UNDEFINED, v);
          this.store.set(map, k, next);
          this.noteHome(o, k, v);
          if (o.kind === 'array' && /^\d+$/.test(k)) {
            const len = o.props.get('length');
            if (len && len.t === 'const' && typeof len.v === 'number' && Number(k) >= len.v) this.store.set(map, 'length', konst(Number(k) + 1));
          }
          if (o.kind === 'array' && k === 'length' && v.t === 'const' && typeof v.v === 'number' && strong) {
            for (const pk of [...o.props.keys()]) if (/^\d+$/.test(pk) && Number(pk) >= (v.v as number)) this.store.delete(map, pk);
          }
        } else {
          // Unknown key: every element may be it.
          for (const [k, x] of [...o.props]) {
            if (k === 'length' || k.startsWith('get:') || k.startsWith('set:')) continue;
            this.store.set(map, k, join2(x, v));
          }
          this.store.set(map, REST, join2(o.props.get(REST) ?? v, v));
          if (o.kind === 'array') this.store.set(map, 'length', UNKNOWN);
        }
      } else if (t.t === 'class') {
        if (exact) this.store.set(t.statics.props as Map<unknown, Value>, String((key as { v: Prim }).v), strong ? v : join2(t.statics.props.get(String((key as { v: Prim }).v)) ?? UNDEFINED, v));
      } else if (t.t === 'obj') {
        if (t.site.kind === 'process' && exact && (key as { v: Prim }).v === 'daemon') {
          t.site.daemon = v.t === 'const' && v.v === true;
        }
        // A field of a Process subclass's instance, set from outside (before start(), the child
        // gets it with the instance).
        const self = exact && t.site.kind === 'process' ? this.subclassInstance(t.site, String((key as { v: Prim }).v), true) : undefined;
        if (self) this.setProp(self, key, strong ? v : join2(this.refProp(self, String((key as { v: Prim }).v)), v));
      } else if (t.t === 'unknown' || t.t === 'recv' || t.t === 'opaque') {
        this.escape([v]);
      }
    }
  }

  private classSetter(cls: ClassVal, key: string): FnVal | undefined {
    for (let c: ClassVal | undefined = cls, depth = 0; c && depth < 16; depth++) {
      for (const m of c.decl.members) {
        if (ts.isSetAccessorDeclaration(m) && m.body && propertyName(m.name) === key) return { t: 'fn', decl: m, env: c.env, home: c };
      }
      const base: Value | undefined = c.base;
      c = base && base.t === 'class' ? base : undefined;
    }
    return undefined;
  }

  ownKeys(v: Value): string[] | undefined {
    if (v.t !== 'ref' || v.o.props.has(REST)) return undefined;
    const o = v.o;
    if (o.kind === 'array') {
      const len = o.props.get('length');
      const n = len && len.t === 'const' && typeof len.v === 'number' ? listedLength(len.v) : undefined;
      if (n === undefined) return undefined;
      return Array.from({ length: n }, (_, i) => String(i));
    }
    if (o.kind === 'map' || o.kind === 'set') return undefined;
    return [...o.props.keys()].filter((k) => !k.startsWith('get:') && !k.startsWith('set:'));
  }

  arraySlice(v: Value, from: number, to?: number): Value {
    const list = this.listOf(v);
    if (list) return this.newArray(list.slice(from, to));
    return this.newArray([], this.elementOf(v));
  }

  private objectRest(v: Value, taken: string[]): Value {
    const r = this.newObject('object') as { t: 'ref'; o: HeapObj };
    if (v.t === 'ref') {
      for (const [k, x] of v.o.props) if (!taken.includes(k)) r.o.props.set(k, x);
    } else {
      r.o.props.set(REST, UNKNOWN);
    }
    return r;
  }

  // ---- operators ----

  private binary(e: ts.BinaryExpression): Value {
    const op = e.operatorToken.kind;
    if (op === ts.SyntaxKind.EqualsToken) {
      const v = this.expr(e.right);
      this.assignTo(e.left, v);
      return v;
    }
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) {
      let left: Value = UNKNOWN;
      return this.choose(e.left, () => this.expr(e.right), () => left);
    }
    if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
      const left = this.expr(e.left);
      const l = op === ts.SyntaxKind.BarBarToken ? truthy(left) : nullishOf(left);
      const useRight = op === ts.SyntaxKind.BarBarToken ? l === false : l === true;
      const useLeft = op === ts.SyntaxKind.BarBarToken ? l === true : l === false;
      if (useLeft) return left;
      if (useRight) return this.expr(e.right);
      const results = this.fork([() => left, () => this.expr(e.right)]);
      const kept = op === ts.SyntaxKind.QuestionQuestionToken ? join(alts(left).filter((a) => !(a.t === 'const' && (a.v === null || a.v === undefined)))) : left;
      return join([kept, ...results.slice(1).filter((x): x is Value => !!x)]);
    }
    if (op >= ts.SyntaxKind.FirstCompoundAssignment && op <= ts.SyntaxKind.LastCompoundAssignment) {
      const logical = op === ts.SyntaxKind.BarBarEqualsToken || op === ts.SyntaxKind.AmpersandAmpersandEqualsToken || op === ts.SyntaxKind.QuestionQuestionEqualsToken;
      const old = this.expr(e.left);
      if (logical) {
        const t = op === ts.SyntaxKind.QuestionQuestionEqualsToken ? nullishOf(old) : truthy(old);
        const assign = op === ts.SyntaxKind.AmpersandAmpersandEqualsToken ? t === true : op === ts.SyntaxKind.BarBarEqualsToken ? t === false : t === true;
        const keep = op === ts.SyntaxKind.AmpersandAmpersandEqualsToken ? t === false : op === ts.SyntaxKind.BarBarEqualsToken ? t === true : t === false;
        if (keep) return old;
        const v = this.expr(e.right);
        const next = assign ? v : join2(old, v);
        this.assignTo(e.left, next);
        return next;
      }
      const right = this.expr(e.right);
      const v = arith(COMPOUND[op] ?? ts.SyntaxKind.PlusToken, old, right);
      this.assignTo(e.left, v);
      return v;
    }
    if (op === ts.SyntaxKind.CommaToken) {
      this.expr(e.left);
      return this.expr(e.right);
    }
    const left = this.expr(e.left);
    const right = this.expr(e.right);
    switch (op) {
      case ts.SyntaxKind.EqualsEqualsEqualsToken: return this.strictEquals(left, right);
      case ts.SyntaxKind.ExclamationEqualsEqualsToken: return not(this.strictEquals(left, right));
      case ts.SyntaxKind.EqualsEqualsToken: return this.looseEquals(left, right);
      case ts.SyntaxKind.ExclamationEqualsToken: return not(this.looseEquals(left, right));
      case ts.SyntaxKind.InstanceOfKeyword: return this.instanceOf(left, right);
      case ts.SyntaxKind.InKeyword: {
        if (left.t === 'const' && right.t === 'ref' && !right.o.summary && !right.o.props.has(REST)) return konst(right.o.props.has(String(left.v)));
        // `'eos' in msg` of a received message: whether it carries that field (taken as the field
        // being set: a message that carries it as undefined is not told apart).
        const r = received(right);
        if (left.t === 'const' && (typeof left.v === 'string' || typeof left.v === 'number') && r && !r.typeOf && !r.map) {
          return { t: 'test', guard: { source: r.source, path: [...r.path, String(left.v)], ...(r.sources ? { sources: r.sources } : {}), test: 'nullish' }, negated: true };
        }
        return UNKNOWN;
      }
      default: return arith(op, left, right);
    }
  }

  /** `a === b`: a constant when both are known, a test on a received value, or unknown. */
  strictEquals(a: Value, b: Value): Value {
    const sym = this.symbolicTest(a, b, 'eq') ?? this.symbolicTest(b, a, 'eq');
    if (sym) return sym;
    return compareAll(a, b, (x, y) => identical(x, y));
  }

  private looseEquals(a: Value, b: Value): Value {
    const nullish = (v: Value): boolean => v.t === 'const' && (v.v === null || v.v === undefined);
    if (nullish(b) || nullish(a)) {
      const other = nullish(b) ? a : b;
      const r = received(other);
      if (r && !r.typeOf) return { t: 'test', guard: { source: r.source, path: r.path, ...(r.sources ? { sources: r.sources } : {}), ...(r.map ? { map: r.map } : {}), test: 'nullish' }, negated: false };
    }
    const sym = this.symbolicTest(a, b, 'eq') ?? this.symbolicTest(b, a, 'eq');
    if (sym) return sym;
    return compareAll(a, b, (x, y) => {
      if (x.t === 'const' && y.t === 'const') {
        // eslint-disable-next-line eqeqeq
        return (x.v as unknown) == (y.v as unknown);
      }
      return identical(x, y);
    });
  }

  /** `item === null` where item is what a get returned: a test the checker decides per message. */
  private symbolicTest(a: Value, b: Value, test: 'eq'): Value | undefined {
    const r = received(a);
    if (!r || b.t !== 'const' || typeof b.v === 'bigint') return undefined;
    const { typeOf, ...src } = r;
    return { t: 'test', guard: { ...src, test: typeOf ? 'typeof' : test, value: b.v }, negated: false };
  }

  private instanceOf(v: Value, cls: Value): Value {
    if (cls.t !== 'class') return UNKNOWN;
    const answers = alts(v).map((a) => {
      if (a.t === 'const') return false;
      if (a.t !== 'ref' || a.o.summary) return undefined;
      for (let c: ClassVal | undefined = a.o.cls, d = 0; c && d < 16; d++) {
        if (c.decl === cls.decl) return true;
        c = c.base && c.base.t === 'class' ? c.base : undefined;
      }
      return a.o.kind === 'instance' ? false : undefined;
    });
    if (answers.every((x) => x === true)) return TRUE;
    if (answers.every((x) => x === false)) return FALSE;
    return UNKNOWN;
  }

  private prefix(e: ts.PrefixUnaryExpression): Value {
    const op = e.operator;
    if (op === ts.SyntaxKind.PlusPlusToken || op === ts.SyntaxKind.MinusMinusToken) {
      const old = this.expr(e.operand);
      const v = arith(op === ts.SyntaxKind.PlusPlusToken ? ts.SyntaxKind.PlusToken : ts.SyntaxKind.MinusToken, toNumber(old), konst(1));
      this.assignTo(e.operand, v);
      return v;
    }
    const v = this.expr(e.operand);
    switch (op) {
      case ts.SyntaxKind.ExclamationToken: return not(v);
      case ts.SyntaxKind.MinusToken: return v.t === 'const' && (typeof v.v === 'number' || typeof v.v === 'bigint') ? konst(-v.v as Prim) : mapConst(v, (x) => -(x as number));
      case ts.SyntaxKind.PlusToken: return toNumber(v);
      case ts.SyntaxKind.TildeToken: return mapConst(v, (x) => ~(x as number));
      default: return UNKNOWN;
    }
  }

  private postfix(e: ts.PostfixUnaryExpression): Value {
    const old = toNumber(this.expr(e.operand));
    const v = arith(e.operator === ts.SyntaxKind.PlusPlusToken ? ts.SyntaxKind.PlusToken : ts.SyntaxKind.MinusToken, old, konst(1));
    this.assignTo(e.operand, v);
    return old;
  }

  /** Assignment to a name, a property, an element, or a destructuring pattern. */
  assignTo(target: ts.Expression, v: Value): void {
    target = skipOuter(target);
    if (ts.isIdentifier(target)) {
      const sym = symbolAt(this.checker, target);
      if (sym) this.assignVar(sym, v);
      return;
    }
    if (ts.isPropertyAccessExpression(target)) {
      const obj = this.expr(target.expression);
      this.setProp(obj, konst(target.name.text), v);
      return;
    }
    if (ts.isElementAccessExpression(target)) {
      const obj = this.expr(target.expression);
      const key = this.expr(target.argumentExpression);
      this.setProp(obj, key, v);
      return;
    }
    if (ts.isArrayLiteralExpression(target)) {
      target.elements.forEach((el, i) => {
        if (ts.isOmittedExpression(el)) return;
        if (ts.isSpreadElement(el)) { this.assignTo(el.expression, this.arraySlice(v, i)); return; }
        if (ts.isBinaryExpression(el) && el.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
          const item = this.index(v, konst(i));
          this.assignTo(el.left, mayBeUndefined(item) ? this.defaulted(item, el.right) : item);
          return;
        }
        this.assignTo(el, this.index(v, konst(i)));
      });
      return;
    }
    if (ts.isObjectLiteralExpression(target)) {
      for (const p of target.properties) {
        if (ts.isShorthandPropertyAssignment(p)) {
          const sym = this.checker.getShorthandAssignmentValueSymbol(p);
          if (sym) this.assignVar(sym, this.getProp(v, p.name.text));
        } else if (ts.isPropertyAssignment(p)) {
          const key = this.keyOf(p.name);
          this.assignTo(p.initializer, key !== undefined ? this.getProp(v, key) : UNKNOWN);
        }
      }
    }
  }

  assignVar(sym: ts.Symbol, v: Value): void {
    for (let s: Scope | undefined = this.ctx.scope; s; s = s.parent) {
      if (s.vars.has(sym)) {
        this.store.set(s.vars as Map<unknown, Value>, sym, v);
        return;
      }
    }
    // A module-level variable of some module (of this process).
    const decl = sym.valueDeclaration;
    if (decl && ts.isSourceFile(decl.parent?.parent?.parent ?? decl)) {
      const scope = this.moduleScope(this.ctx.proc, decl.getSourceFile());
      this.store.set(scope.vars as Map<unknown, Value>, sym, v);
      return;
    }
    if (decl && ts.isVariableDeclaration(decl) && ts.isVariableStatement(decl.parent.parent) && ts.isSourceFile(decl.parent.parent.parent)) {
      const scope = this.moduleScope(this.ctx.proc, decl.getSourceFile());
      this.store.set(scope.vars as Map<unknown, Value>, sym, v);
      return;
    }
    this.store.set(this.ctx.scope.vars as Map<unknown, Value>, sym, v);
  }

  // ---- calls ----

  private evalArgs(args: readonly ts.Expression[] | undefined): Value[] {
    const out: Value[] = [];
    for (const a of args ?? []) {
      if (ts.isSpreadElement(a)) {
        const v = this.expr(a.expression);
        const list = this.listOf(v);
        if (list) out.push(...list);
        else out.push(this.elementOf(v));
      } else {
        out.push(this.expr(a));
      }
    }
    return out;
  }

  call(e: ts.CallExpression): Value {
    const callee = skipOuter(e.expression);
    if (callee.kind === ts.SyntaxKind.SuperKeyword) return this.superCall(e);
    if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) {
      if (callee.expression.kind === ts.SyntaxKind.SuperKeyword) return this.superMethod(e, callee);
      const receiver = this.expr(callee.expression);
      if (callee.questionDotToken && isNullish(receiver)) return UNDEFINED;
      let name: string | undefined;
      if (ts.isPropertyAccessExpression(callee)) name = callee.name.text;
      else {
        const k = this.expr(callee.argumentExpression);
        if (k.t === 'const' && (typeof k.v === 'string' || typeof k.v === 'number')) name = String(k.v);
      }
      const args = this.evalArgs(e.arguments);
      if (name === undefined) {
        const f = this.index(receiver, UNKNOWN);
        return this.callValue(f, args, receiver, e);
      }
      return this.callMethod(receiver, name, args, e);
    }
    const f = this.expr(callee);
    const args = this.evalArgs(e.arguments);
    if (e.questionDotToken && isNullish(f)) return UNDEFINED;
    return this.callValue(f, args, undefined, e);
  }

  /** `recv.name(args)`: a shim operation, a method of the program, a host method, or unknown code. */
  callMethod(receiver: Value, name: string, args: Value[], e: ts.CallExpression): Value {
    const picked = receiver.t === 'recv' ? receiver.pick : undefined;
    if (picked) return this.callPicked(picked, 0, name, args, e);
    const options = alts(receiver);
    if (options.length > 1) {
      // One call on a receiver that can be one of several shim objects: one operation per object,
      // in a row (the rules read them as alternatives).
      if (options.every((o) => o.t === 'obj')) {
        const before = this.ctx.out.length;
        const results = this.fork(options.map((o) => () => this.callOn(o, name, args, e)));
        const b = this.ctx.out[before];
        if (b && b.k === 'branch') for (const alt of b.alts) markAlternative(alt);
        return join(results.filter((x): x is Value => !!x));
      }
      const results = this.fork(options.map((o) => () => this.callOn(o, name, args, e)));
      return join(results.filter((x): x is Value => !!x));
    }
    return this.callOn(receiver, name, args, e);
  }

  /** Throws `v` here (a `throw` statement, or a call that fails): the path ends with it. */
  private throwValue(v: Value, node?: ts.Statement): never {
    this.ctx.thrown.push(v);
    this.ctx.mayThrow = true;
    this.ctx.out.push(node ? { k: 'exit', how: 'throw', node } : { k: 'exit', how: 'throw' });
    throw new Abrupt(new Set(['t']));
  }

  /**
   * A call on the shim object a received key picks: the operation on each element, under a test
   * of the key per message (`msg.client === 0`, then `=== 1`, …). A key that names no element is
   * a call on `undefined` (a TypeError), and which keys come is the program's data: the checker
   * makes no claim that needs that way.
   */
  private callPicked(pick: Pick, i: number, name: string, args: Value[], e: ts.CallExpression): Value {
    const entry = pick.entries[i];
    if (!entry) {
      const rs = this.fork([() => this.throwValue(UNKNOWN), () => UNKNOWN], undefined, undefined, true, true);
      return join(rs.filter((x): x is Value => !!x));
    }
    const rs = this.fork([
      () => this.callMethod(entry[1], name, args, e),
      () => this.callPicked(pick, i + 1, name, args, e),
    ], { ...pick.guard, test: 'eq', value: entry[0] });
    return join(rs.filter((x): x is Value => !!x));
  }

  private callOn(receiver: Value, name: string, args: Value[], e: ts.CallExpression): Value {
    switch (receiver.t) {
      case 'obj': return this.operation(receiver.site, receiver.end, name, e, args);
      case 'pending': return this.asyncResultCall(receiver, name, e, args);
      case 'ref': case 'class': case 'const': case 'host': case 'fn': {
        const m = this.getProp(receiver, name);
        return this.callValue(m, args, receiver, e);
      }
      default: {
        // A receiver the analysis lost track of: a shim method by its declared type still counts.
        this.unknownReceiver(e, name, args);
        this.callbacks(args);
        if (!isConsole(e)) this.escape(args);
        this.ctx.mayThrow = true;
        return UNKNOWN;
      }
    }
  }

  callValue(f: Value, args: Value[], self: Value | undefined, e: ts.CallExpression | ts.NewExpression | undefined): Value {
    f = plain(f);
    if (f.t === 'union') {
      const fns = f.alts.filter((a) => a.t === 'fn' || a.t === 'host');
      if (fns.length === f.alts.length) {
        const results = this.fork(fns.map((g) => () => this.callValue(g, args, self, e)));
        return join(results.filter((x): x is Value => !!x));
      }
    }
    if (f.t === 'fn') return this.invoke(f, args, self, e);
    if (f.t === 'host') {
      const r = callHost(this, f, args, e);
      if (isThrowingHost(f.name)) this.ctx.mayThrow = true;
      return r;
    }
    if (e && ts.isCallExpression(e)) {
      const callee = skipOuter(e.expression);
      if (ts.isIdentifier(callee) && (callee.text === 'eval' || callee.text === 'Function')) this.markOpaque(this.ctx.proc.ref, 'eval');
      if (ts.isPropertyAccessExpression(callee)) this.unknownReceiver(e, callee.name.text, args);
    }
    this.callbacks(args);
    this.escape(self ? [...args, self] : args);
    this.ctx.mayThrow = true;
    return UNKNOWN;
  }

  /**
   * Functions handed to code the analysis cannot see (a library, `any`, a timer) may run any
   * number of times, or never, at any time: their operations are recorded with an unknown count,
   * never as certain, and their waits do not hold up the process's own flow.
   */
  callbacks(args: readonly Value[]): void {
    const ctx = this.ctx;
    for (const a of args) {
      if (a.t !== 'fn') continue;
      const detached = ctx.detached;
      ctx.detached = true;
      try {
        this.loop(undefined, () => { this.invoke(a, [UNKNOWN, UNKNOWN], undefined, undefined); }, { count: 'several' });
      } catch (err) {
        if (!(err instanceof Abrupt)) throw err;
      } finally {
        ctx.detached = detached;
      }
    }
  }

  /** Runs a function of the program with arguments: its body's flow is a `call`. */
  invoke(fn: FnVal, args: Value[], self: Value | undefined, e: ts.Node | undefined): Value {
    void e;
    const ctx = this.ctx;
    const decl = fn.decl;
    const body = decl.body;
    if (body && (decl as ts.FunctionLikeDeclaration).asteriskToken) {
      // generate() runs the body through here once; any other call of a generator goes to it.
      if (ctx.yields?.decl !== decl || ctx.yields.entered) return this.generate(fn, args, self, e);
      ctx.yields.entered = true;
    }
    if (!body) {
      this.escape(self ? [...args, self] : args);
      this.callbacks(args);
      return UNKNOWN;
    }
    let reentry = 0;
    for (const d of ctx.stack) if (d === decl) reentry++;
    if (ctx.stack.length >= MAX_DEPTH || reentry >= MAX_REENTRY) {
      this.escape(self ? [...args, self] : args);
      ctx.mayThrow = true;
      return UNKNOWN;
    }
    this.reached.add(decl.getSourceFile());
    let run = this.functionsRun.get(ctx.proc.ref);
    if (!run) this.functionsRun.set(ctx.proc.ref, (run = new Set()));
    run.add(decl);
    const env = fn.env ?? this.moduleScope(ctx.proc, decl.getSourceFile());
    const scope: Scope = { vars: new Map(), parent: env };
    if (!ts.isArrowFunction(decl)) scope.self = fn.self ?? self ?? UNDEFINED;
    else if (fn.self) scope.self = fn.self;
    if (fn.home) scope.home = fn.home;
    const allArgs = fn.bound ? [...fn.bound, ...args] : args;
    const saved = { scope: ctx.scope, returns: ctx.returns, targets: ctx.targets, out: ctx.out };
    ctx.scope = scope;
    ctx.returns = [];
    ctx.targets = [];
    ctx.out = [];
    ctx.stack.push(decl);
    let normal = true;
    let abrupt: Abrupt | undefined;
    const returns = ctx.returns;
    try {
      decl.parameters.forEach((p, i) => {
        let v: Value;
        if (p.dotDotDotToken) v = this.newArray(allArgs.slice(i));
        else {
          v = allArgs[i] ?? UNDEFINED;
          if (p.initializer && mayBeUndefined(v)) v = this.defaulted(v, p.initializer);
        }
        this.bindDeclared(p.name, v);
        // Parameter properties: `constructor(private q: Queue)`.
        if (ts.isConstructorDeclaration(decl) && ts.isParameterPropertyDeclaration(p, decl) && ts.isIdentifier(p.name) && scope.self) {
          this.setProp(scope.self, konst(p.name.text), v);
        }
      });
      if (ts.isBlock(body)) {
        this.hoist(body.statements, scope);
        this.statements(body.statements);
      } else {
        returns.push(this.expr(body));
        normal = false;
      }
    } catch (err) {
      if (!(err instanceof Abrupt)) throw err;
      normal = false;
      if (!err.exits.has('r')) abrupt = err;
      else if (err.exits.size > 1) {
        const rest = new Set([...err.exits].filter((x) => x !== 'r' && (x === 't')));
        if (rest.size > 0 && !ctx.fork) abrupt = undefined;
      }
    } finally {
      const flow = rseq(ctx.out);
      ctx.scope = saved.scope;
      ctx.returns = saved.returns;
      ctx.targets = saved.targets;
      ctx.out = saved.out;
      ctx.stack.pop();
      // An async function whose promise is dropped (`increment(c);`, a block-bodied callback that
      // does not return it): its body goes on after the caller has moved on, without its locks.
      const detached = !!e && ts.isCallExpression(e) && isAsync(decl) && !(decl as ts.FunctionLikeDeclaration).asteriskToken && droppedPromise(e);
      ctx.out.push(detached ? { k: 'call', body: flow, detached: true } : { k: 'call', body: flow });
    }
    // An async function called and not awaited at once (two of them in Promise.all, one raced, one
    // left running): its waits and the caller's interleave, which the flow cannot say.
    if (e && ts.isCallExpression(e) && isAsync(decl) && !(decl as ts.FunctionLikeDeclaration).asteriskToken && !ctx.detached && racedOrLeft(e) !== 'awaited') {
      const last = ctx.out[ctx.out.length - 1];
      if (last && last.k === 'call' && hasOps(last.body, (op) => op.blocking)) this.markOpaque(ctx.proc.ref, 'concurrent');
    }
    if (abrupt) {
      // Only a throw leaves a function (a break cannot).
      if (abrupt.exits.has('t')) throw new Abrupt(new Set(['t']));
      return UNKNOWN;
    }
    if (normal && ts.isBlock(body)) returns.push(UNDEFINED);
    return returns.length === 0 ? UNDEFINED : join(returns);
  }

  /**
   * A generator call: its body runs at once, to the end, and what it yields becomes an array (a
   * summary of one, when a yield depends on what the analysis cannot decide), which `for…of`,
   * spreads and Array.from read as any array. Read lazily, a generator interleaves its body with
   * the loop that consumes it; run at once, the two keep their own order. That is exact when the
   * body does no operation of the shim (it computes work items, stop messages, ids); when it does
   * (an async generator that yields what it gets from a queue), its operations are kept but the
   * process is marked as not followed exactly, so the deadlock check makes no claim on it.
   */
  private generate(fn: FnVal, args: Value[], self: Value | undefined, e: ts.Node | undefined): Value {
    const ctx = this.ctx;
    const saved = ctx.yields;
    const y = { items: [] as Value[], exact: true, fork: ctx.fork, decl: fn.decl as ts.Node, entered: false };
    ctx.yields = y;
    let r: { flow: RFlow; abrupt?: Abrupt };
    try {
      r = this.collect(() => { this.invoke(fn, args, self, e); });
    } finally {
      ctx.yields = saved;
    }
    if (hasOps(r.flow)) {
      ctx.out.push(r.flow);
      this.markOpaque(ctx.proc.ref, 'generator');
    }
    if (r.abrupt) throw r.abrupt;
    const made = y.exact ? this.newArray(y.items) : this.newArray([], y.items.length > 0 ? join(y.items) : UNKNOWN);
    if (made.t === 'ref') this.generated.add(made.o);
    return made;
  }

  private superCall(e: ts.CallExpression): Value {
    const ctx = this.ctx;
    const self = this.thisValue();
    let home: ClassVal | undefined;
    for (let s: Scope | undefined = ctx.scope; s && !home; s = s.parent) home = s.home;
    const args = this.evalArgs(e.arguments);
    if (!home || !home.base) return UNDEFINED;
    const base = home.base;
    if (base.t === 'class') {
      this.constructInto(base, self, args, e);
    } else if (base.t === 'host' && base.name === 'shim.Process') {
      // `super({ daemon: true, … })` of a Process subclass: the options of its process.
      const opts = args[0];
      const site = this.subclassSite.get(self);
      if (site && opts) {
        const daemon = this.getProp(opts, 'daemon');
        site.daemon = daemon.t === 'const' && daemon.v === true;
      }
    }
    this.initFields(home, self);
    return UNDEFINED;
  }

  private superMethod(e: ts.CallExpression, callee: ts.PropertyAccessExpression | ts.ElementAccessExpression): Value {
    const ctx = this.ctx;
    let home: ClassVal | undefined;
    for (let s: Scope | undefined = ctx.scope; s && !home; s = s.parent) home = s.home;
    const args = this.evalArgs(e.arguments);
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    if (!home || !home.base || name === undefined) return UNKNOWN;
    if (home.base.t !== 'class') return UNKNOWN;
    const m = this.classMember(home.base, name, false, this.thisValue());
    if (m && m.t === 'fn') return this.invoke(m, args, this.thisValue(), e);
    return UNKNOWN;
  }

  // ---- classes ----

  classValue(decl: ts.ClassLikeDeclaration, env: Scope): ClassVal {
    const proc = this.ctx.proc;
    let cache = this.classCache.get(proc);
    if (!cache) this.classCache.set(proc, (cache = new Map()));
    const known = cache.get(decl);
    if (known && (known.env === env || ts.isSourceFile(decl.parent))) return known;
    const statics: HeapObj = { id: nextId++, kind: 'statics', props: new Map(), born: this.store.tick(), summary: false };
    this.store.own(statics);
    const cls: ClassVal = { t: 'class', decl, env, statics };
    cache.set(decl, cls);
    const ext = decl.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    if (ext) {
      const saved = this.ctx.scope;
      this.ctx.scope = env;
      try {
        cls.base = this.expr(ext);
      } finally {
        this.ctx.scope = saved;
      }
    }
    // Static fields and blocks.
    const savedScope = this.ctx.scope;
    this.ctx.scope = { vars: new Map(), parent: env, self: cls, home: cls };
    try {
      for (const m of decl.members) {
        if (ts.isPropertyDeclaration(m) && (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) !== 0 && m.initializer) {
          const key = propertyName(m.name);
          if (key !== undefined) statics.props.set(key, this.expr(m.initializer));
        }
      }
    } finally {
      this.ctx.scope = savedScope;
    }
    return cls;
  }

  /** Whether a class is (or extends) the shim's Process. */
  private processBase(cls: ClassVal): boolean {
    for (let c: Value | undefined = cls, d = 0; c && d < 16; d++) {
      if (c.t === 'host') return c.name === 'shim.Process';
      if (c.t !== 'class') return false;
      c = c.base;
    }
    return false;
  }

  readonly subclassSite = new WeakMap<Value, ObjectSite>();

  construct(cls: ClassVal, args: Value[], e: ts.NewExpression): Value {
    const depth = this.constructing.get(cls.decl) ?? 0;
    if (depth >= 3) return UNKNOWN;
    this.constructing.set(cls.decl, depth + 1);
    try {
      if (this.processBase(cls)) return this.newSubclass(cls, args, e);
      const self = this.newObject('instance') as { t: 'ref'; o: HeapObj };
      self.o.cls = cls;
      this.constructInto(cls, self, args, e);
      return self;
    } finally {
      if (depth === 0) this.constructing.delete(cls.decl);
      else this.constructing.set(cls.decl, depth);
    }
  }

  /** Runs a class's constructor (and its bases') on `self`. */
  constructInto(cls: ClassVal, self: Value, args: Value[], e: ts.Node): void {
    const ctor = cls.decl.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && !!m.body);
    if (!ctor) {
      if (cls.base && cls.base.t === 'class') this.constructInto(cls.base, self, args, e);
      this.initFields(cls, self);
      return;
    }
    if (!cls.base) this.initFields(cls, self);
    this.invoke({ t: 'fn', decl: ctor, env: cls.env, home: cls }, args, self, e);
  }

  /** Instance field initializers (`q = new Queue()`, `handler = () => …`). */
  initFields(cls: ClassVal, self: Value): void {
    const ctx = this.ctx;
    const saved = ctx.scope;
    ctx.scope = { vars: new Map(), parent: cls.env, self, home: cls };
    try {
      for (const m of cls.decl.members) {
        if (!ts.isPropertyDeclaration(m) || (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) !== 0) continue;
        const key = propertyName(m.name);
        if (key === undefined) continue;
        const v = m.initializer ? this.expr(m.initializer) : UNDEFINED;
        if (m.initializer || !(self.t === 'ref' && self.o.props.has(key))) this.setProp(self, konst(key), v);
      }
    } finally {
      ctx.scope = saved;
    }
  }

  // ---- allocation ----

  private newExpr(e: ts.NewExpression): Value {
    const ctor = this.expr(e.expression);
    const args = this.evalArgs(e.arguments);
    if (ctor.t === 'host') {
      if (ctor.name.startsWith('shim.')) return this.newShim(ctor.name.slice(5), e, args);
      return callHost(this, { t: 'host', name: `new ${ctor.name}` }, args, e);
    }
    if (ctor.t === 'class') return this.construct(ctor, args, e);
    if (ctor.t === 'union') {
      const cs = ctor.alts.filter((a): a is ClassVal => a.t === 'class');
      if (cs.length === ctor.alts.length) return join(this.fork(cs.map((c) => () => this.construct(c, args, e))).filter((x): x is Value => !!x));
    }
    if (ts.isIdentifier(e.expression) && e.expression.text === 'Function') this.markOpaque(this.ctx.proc.ref, 'eval');
    this.callbacks(args);
    this.escape(args);
    return UNKNOWN;
  }

  /** `new Queue()`, `new Process({…})`, `Pipe()`, `Value('i', 0)`… */
  newShim(name: string, e: ts.NewExpression | ts.CallExpression, args: Value[]): Value {
    if (name === 'Process') return this.newProcess(e, args[0] ?? UNKNOWN);
    if (name === 'Pool') return this.newPool(e, args[0]);
    if (name === 'Pipe') return this.pipe(e as ts.CallExpression, args);
    const spec = ALLOCATES[name];
    if (!spec) return UNKNOWN;
    const num = (v: Value | undefined, dflt: number): number | undefined =>
      v === undefined || (v.t === 'const' && v.v === undefined) ? dflt : v.t === 'const' && typeof v.v === 'number' ? Math.max(0, v.v) : undefined;
    const site = this.allocate(e, () => {
      const s: ObjectSite = { kind: spec.kind, node: e, label: nameOf(e) ?? name, multiplicity: 1 };
      if (spec.variant) s.variant = spec.variant;
      if (spec.kind === 'queue') s.maxsize = num(args[0], 0) ?? 0;
      if (spec.kind === 'semaphore') s.size = num(args[0], 1) ?? 'several';
      if (spec.kind === 'barrier') s.size = num(args[0], 0) ?? 'several';
      if (spec.kind === 'barrier' && given(args, 2)) s.timed = true;
      // SharedArray(typecode, sizeOrInit): its length.
      if (spec.kind === 'array') {
        const init = args[1];
        const list = init ? this.listOf(init) : undefined;
        s.size = list ? list.length : num(init, 0) ?? 'several';
        // Zeros, or the given numbers, when every one is known (a checker cell each).
        const items = list?.map((x) => (x.t === 'const' && typeof x.v === 'number' ? x.v : undefined));
        if (items && items.every((x) => x !== undefined)) s.initial = items as number[];
        else if (!list && typeof s.size === 'number' && s.size <= 64 && init?.t === 'const') s.initial = new Array<number>(s.size).fill(0);
      }
      if (spec.kind === 'value') {
        const init = args[1];
        if (init === undefined || (init.t === 'const' && init.v === undefined)) s.initial = [0];
        else if (init.t === 'const' && typeof init.v === 'number') s.initial = [init.v];
      }
      return s;
    });
    if (spec.kind === 'condition' && args[0]?.t === 'obj' && args[0].site.kind === 'lock') site.lock = args[0].site;
    if (spec.kind === 'value' || spec.kind === 'array') this.valueLockOption(site, args[2]);
    return { t: 'obj', site };
  }

  /**
   * `Value(tc, init, { lock })`, `SharedArray(tc, n, { lock })`: every get and set takes the lock
   * (shim-api.md, "Shared memory"): its own RLock by default (`lock: true`, no options), the Lock,
   * RLock or Semaphore given, none with `lock: false`. A lock option the analysis cannot tell
   * leaves the accesses without a lock (nothing is claimed of them).
   */
  private valueLockOption(site: ObjectSite, options: Value | undefined): void {
    const lock = options === undefined || (options.t === 'const' && options.v === undefined) ? undefined : this.getProp(options, 'lock');
    if (lock === undefined || (lock.t === 'const' && (lock.v === undefined || lock.v === null || lock.v === true))) this.valueLocks.delete(site);
    else if (lock.t === 'obj' && (lock.site.kind === 'lock' || lock.site.kind === 'semaphore') && !lock.site.unknown) this.valueLocks.set(site, lock.site);
    else this.valueLocks.set(site, null);
  }

  /**
   * The lock a get or set of a synchronized Value or SharedArray takes, or null (none, or not
   * known; a manager's value has none). Its own RLock is made once; it is shown, and its accesses
   * kept, only once the program can take it too (`getLock()`, the value's `acquire()`): until then
   * no one holds it beyond one access, and an access cannot wait on it for good.
   */
  private accessLock(site: ObjectSite): ObjectSite | null {
    if ((site.kind !== 'value' && site.kind !== 'array') || site.owner || site.unknown) return null;
    const given = this.valueLocks.get(site);
    if (given !== undefined) return given;
    return this.implicitSite(site, 'lock', () => {
      const lock: ObjectSite = {
        kind: 'lock', variant: 'RLock', node: site.node, label: `${site.label}.lock`, multiplicity: site.multiplicity, owner: site,
        ...(site.madeBy ? { madeBy: site.madeBy } : {}),
      };
      this.unexposedLocks.add(lock);
      return lock;
    });
  }

  /**
   * The site of an allocation: a new object each time in code that runs a known number of times
   * (an instance), one summary object per loop activation where it runs an unknown number of times.
   */
  allocate(node: ts.Node, make: () => ObjectSite): ObjectSite {
    const ctx = this.ctx;
    if (ctx.mult !== 1) {
      const key = `${ctx.proc.id}|${nodeKey(node)}|${ctx.actKey}`;
      let site = this.summaries.get(key);
      if (!site) {
        site = make();
        site.multiplicity = ctx.mult === 'loop' ? 'several' : ctx.mult;
        this.register(site, node);
        this.summaries.set(key, site);
        this.summaryAct.set(site, ctx.actKey);
      }
      return site;
    }
    const site = make();
    site.multiplicity = 1;
    this.register(site, node);
    return site;
  }

  private register(site: ObjectSite, node: ts.Node): void {
    const ctx = this.ctx;
    const name = nameOf(node);
    if (name && !site.name) site.name = name;
    site.madeBy = ctx.proc.ref;
    site.madeGuarded = true;
    if (ctx.top) site.madeTop = ctx.top;
    this.sites.push(site);
    let list = this.instancesOf.get(node);
    if (!list) this.instancesOf.set(node, (list = []));
    list.push(site);
    if (ctx.proc.dry && ctx.fork === 0 && ctx.mult === 1 && !ctx.detached) this.dryReached.add(node);
  }

  /** Sites that exist because another does: a pool's workers, a value's lock. */
  implicitSite(owner: ObjectSite | string, role: string, make: () => ObjectSite): ObjectSite {
    let byRole = this.implicit.get(owner);
    if (!byRole) this.implicit.set(owner, (byRole = new Map()));
    let site = byRole.get(role);
    if (!site) {
      byRole.set(role, (site = make()));
      this.sites.push(site);
    }
    return site;
  }

  private pipe(e: ts.CallExpression, args: Value[]): Value {
    const d = args[0];
    const site = this.allocate(e, () => ({
      kind: 'pipe', node: e, label: pipeName(e) ?? 'Pipe', multiplicity: 1,
      duplex: !(d && d.t === 'const' && d.v === false),
    }));
    return this.newArray([{ t: 'obj', site, end: 0 }, { t: 'obj', site, end: 1 }]);
  }

  private newProcess(e: ts.NewExpression | ts.CallExpression, options: Value): Value {
    const ctx = this.ctx;
    const target = this.getProp(options, 'target');
    const fns = alts(target).filter((v): v is FnVal => v.t === 'fn');
    const names = fns.map((f) => functionName(f.decl)).filter((n): n is string => !!n);
    let targetName: string | undefined = names.length > 0 ? [...new Set(names)].slice(0, 3).join(' | ') + (names.length > 3 ? ' | …' : '') : undefined;
    if (!targetName) {
      const t = targetExpression(e);
      if (t && ts.isIdentifier(t)) targetName = t.text;
      else if (t && ts.isPropertyAccessExpression(t)) targetName = t.name.text;
    }
    const argsV = this.getProp(options, 'args');
    const argList = this.listOf(argsV) ?? (argsV.t === 'const' && argsV.v === undefined ? [] : undefined);
    const kwargs = this.getProp(options, 'kwargs');
    const daemon = this.getProp(options, 'daemon');
    // Processes making processes: a chain deeper than a few of the same allocation is one summary.
    let nesting = 0;
    for (let p: ProcessRef | undefined = ctx.proc.ref; p && p.kind !== 'main'; p = p.madeBy) if (p.node === e) nesting++;
    const make = (): ObjectSite => {
      const s: ObjectSite = {
        kind: 'process', role: 'child', node: e, label: targetName ?? nameOf(e) ?? 'Process', multiplicity: 1,
        daemon: daemon.t === 'const' && daemon.v === true,
      };
      if (targetName) s.targetName = targetName;
      return s;
    };
    let site: ObjectSite;
    if (nesting >= MAX_PROCESS_NESTING) {
      // One summary per allocation for every deeper process, whoever makes it: processes that
      // start each other without end (a starts b, b starts a) come back to it and stop there.
      site = this.deepSummaries.get(e) ?? make();
      if (!this.deepSummaries.has(e)) {
        site.multiplicity = 'several';
        this.register(site, e);
        this.deepSummaries.set(e, site);
      }
    } else {
      site = this.allocate(e, make);
    }
    const info: ProcessInfo = { fns, args: argList ?? (argsV.t === 'unknown' ? [] : [this.elementOf(argsV)]), nesting };
    if (kwargs.t === 'ref') info.kwargs = kwargs;
    if (!argList && argsV.t !== 'const') info.args = [];
    const known = this.processInfo.get(site);
    if (known) {
      // A summary made again in a later pass: what it runs may be any of them.
      for (const f of fns) if (!known.fns.some((g) => g.decl === f.decl)) known.fns.push(f);
      known.args = known.args.map((a, i) => join2(a, info.args[i] ?? UNDEFINED));
    } else {
      this.processInfo.set(site, info);
      this.store.set(this.lifecycle, site, FALSE);
    }
    if (!argList && argsV.t !== 'const') this.escape([argsV]);
    return { t: 'obj', site };
  }

  /** `new Worker(q)` of `class Worker extends Process { run() {…} }`: the child runs `run`. */
  private newSubclass(cls: ClassVal, args: Value[], e: ts.NewExpression): Value {
    const self = this.newObject('instance') as { t: 'ref'; o: HeapObj };
    self.o.cls = cls;
    const name = cls.decl.name?.text ?? 'Process';
    const site = this.allocate(e, () => ({
      kind: 'process', role: 'child', node: e, label: name, multiplicity: 1, daemon: false, targetName: `${name}.run`,
    }));
    this.subclassSite.set(self, site);
    this.constructInto(cls, self, args, e);
    const run = this.classMember(cls, 'run', false);
    const fns = run && run.t === 'fn' ? [run] : [];
    this.processInfo.set(site, { fns, args: [], self, nesting: 0 });
    this.store.set(this.lifecycle, site, FALSE);
    // The process object is the instance: its fields and methods, and start/join through the site.
    self.o.props.set('[[site]]', { t: 'obj', site });
    return { t: 'obj', site };
  }

  /**
   * The instance behind a process made by `new Worker(…)` of a Process subclass, when `key` is one
   * of its own (a field the constructor set, a parameter property, a member of the user's class)
   * rather than the Process API: `worker.jobs` in the parent is the queue the constructor was
   * given. `writing`: any field but the API's. Not for an allocation that stands for several
   * instances (their fields may differ).
   */
  private subclassInstance(site: ObjectSite, key: string, writing = false): { t: 'ref'; o: HeapObj } | undefined {
    if (site.kind !== 'process' || site.multiplicity !== 1 || PROCESS_API.has(key)) return undefined;
    const self = this.processInfo.get(site)?.self;
    if (!self || self.t !== 'ref') return undefined;
    const o = self.o;
    if (writing || o.props.has(key) || o.props.has(`get:${key}`)) return self;
    return o.kind === 'instance' && o.cls && this.classMember(o.cls, key, false, self) ? self : undefined;
  }

  /** `new Pool(n)`: the pool and its worker processes, which run what is submitted. */
  private newPool(e: ts.NewExpression | ts.CallExpression, arg: Value | undefined): Value {
    const processes = arg === undefined ? UNKNOWN : arg.t === 'const' ? arg : this.getProp(arg, 'processes');
    const size: Multiplicity = processes.t === 'const' && typeof processes.v === 'number' ? processes.v : 'several';
    const pool = this.allocate(e, () => ({ kind: 'pool', node: e, label: nameOf(e) ?? 'Pool', multiplicity: 1, size }));
    const worker = this.poolWorker(pool);
    if (arg && arg.t === 'ref') {
      const init = this.getProp(arg, 'initializer');
      if (init.t === 'fn') {
        const initargs = this.listOf(this.getProp(arg, 'initargs')) ?? [];
        this.queue.push({ site: worker, fns: [init], args: initargs.map((a) => this.copy(a)), parent: this.ctx.proc, poolTask: true });
      }
    }
    return { t: 'obj', site: pool };
  }

  poolWorker(pool: ObjectSite): ObjectSite {
    return this.implicitSite(pool, 'worker', () => ({
      kind: 'process', role: 'pool-worker', node: pool.node, label: `${pool.label} worker`, multiplicity: pool.size ?? 'several',
      owner: pool, daemon: true, madeBy: pool.madeBy ?? this.ctx.proc.ref,
    }));
  }

  // ---- operations ----

  /** Records an operation of the current process. */
  record(kind: OpKind, obj: ObjectSite, call: ts.CallExpression, method: string, b: { blocking: boolean; fails?: 'returns' | 'throws' }, end?: 0 | 1): Op {
    const ctx = this.ctx;
    // A wait raced against something else (`Promise.race([ready.wait(), timer])`): the process
    // may go on without it, which the flow (one operation after another) cannot say.
    if (b.blocking && !ctx.detached && racedOrLeft(call) === 'raced') this.markOpaque(ctx.proc.ref, 'concurrent');
    // `lock.acquire();` with its promise dropped: the process goes on at once, without the lock
    // (it is taken some time later, or never): an acquire that may not have taken it.
    if (kind === 'acquire' && b.blocking && droppedPromise(call)) b = { blocking: false, fails: 'returns' };
    const fresh: Op = {
      proc: ctx.proc.ref, kind, obj, call, method, count: 0,
      blocking: ctx.detached ? false : b.blocking, guarded: true,
    };
    // In a summarized loop every pass runs the same operations: the same objects each pass, so
    // what they return (tested by branches, held in variables) is the same value from pass to pass.
    let op = fresh;
    if (ctx.actKey !== '' && this.occurrences) {
      const base = `${ctx.proc.id}|${nodeKey(call)}|${kind}|${this.sites.indexOf(obj)}|${end ?? ''}|${ctx.actKey}|${ctx.stack.map(nodeKey).join(',')}`;
      const n = this.occurrences.get(base) ?? 0;
      this.occurrences.set(base, n + 1);
      const key = `${base}#${n}`;
      const known = this.stableOps.get(key);
      if (known) {
        for (const k of Object.keys(known) as (keyof Op)[]) delete known[k];
        op = Object.assign(known, fresh);
      } else {
        this.stableOps.set(key, fresh);
      }
    }
    if (b.fails && !ctx.detached) op.fails = b.fails;
    if (ctx.top) op.top = ctx.top;
    if (ctx.callback) op.callback = true;
    if (end !== undefined) op.end = end;
    if (ctx.proc.dry) {
      if (ctx.fork === 0 && ctx.mult === 1 && !ctx.detached) this.dryReached.add(call);
      return op;
    }
    ctx.out.push({ k: 'op', op });
    if (b.fails === 'throws') ctx.mayThrow = true;
    return op;
  }

  /** A method call on a shim object. */
  operation(site: ObjectSite, end: 0 | 1 | undefined, method: string, e: ts.CallExpression, args: Value[]): Value {
    const ctx = this.ctx;
    if (site.kind === 'manager') {
      const factory = MANAGER_FACTORIES[method];
      if (factory) {
        const proxy = this.allocate(e, () => {
          const s: ObjectSite = { kind: factory.kind, node: e, label: nameOf(e) ?? `${method}()`, multiplicity: 1, owner: site };
          if (factory.variant) s.variant = factory.variant;
          const first = args[0];
          if (factory.kind === 'queue') s.maxsize = first?.t === 'const' && typeof first.v === 'number' ? first.v : 0;
          if (factory.kind === 'barrier' || factory.kind === 'semaphore') {
            s.size = first?.t === 'const' && typeof first.v === 'number' ? first.v : factory.kind === 'semaphore' ? 1 : 'several';
          }
          if (factory.kind === 'barrier' && given(args, 2)) s.timed = true;
          return s;
        });
        return { t: 'obj', site: proxy };
      }
      if (method === 'shutdown') this.record('shutdown', site, e, method, { blocking: false });
      if (method === 'start') return { t: 'obj', site };
      return UNKNOWN;
    }
    // A cell changed by a method the analysis does not follow (setSlice, a raw view's writes…):
    // what it holds is no longer known.
    if ((site.kind === 'value' || site.kind === 'array') && !['get', 'set', 'getLock', 'acquire', 'release', 'slice', 'toArray', 'toString'].includes(method)) delete site.initial;
    if ((site.kind === 'value' || site.kind === 'array') && !site.owner && (method === 'getLock' || method === 'acquire' || method === 'release')) {
      // The value's lock, which the program can now take itself; `v.acquire()` is `v.getLock().acquire()`.
      const lock = this.accessLock(site);
      if (!lock) return UNKNOWN;
      this.unexposedLocks.delete(lock);
      return method === 'getLock' ? { t: 'obj', site: lock } : this.operation(lock, undefined, method, e, args);
    }
    if ((site.kind === 'value' || site.kind === 'array' || site.kind === 'condition') && method === 'getLock') {
      const lock = this.implicitSite(site, 'lock', () => ({
        kind: 'lock', variant: 'RLock', node: site.node, label: `${site.label}.lock`, multiplicity: site.multiplicity, owner: site,
        ...(site.madeBy ? { madeBy: site.madeBy } : {}),
      }));
      return { t: 'obj', site: lock };
    }
    if (site.kind === 'pool' && POOL_SUBMIT.has(method)) return this.submit(site, method, e, args);
    if ((site.kind === 'lock' || site.kind === 'semaphore' || site.kind === 'condition') && method === 'withLock') {
      // `withLock(fn)`: acquire, run fn, release even when it throws.
      this.record('acquire', site, e, method, { blocking: true });
      const fn = args[0];
      let result: Value = UNKNOWN;
      this.withLockHeld.push(site);
      let body;
      try {
        body = this.collect(() => { if (fn?.t === 'fn') result = this.invoke(fn, [], undefined, e); else this.callbacks(args); });
      } finally {
        this.withLockHeld.pop();
      }
      const release = this.collect(() => { this.record('release', site, e, method, { blocking: false }); });
      ctx.out.push({ k: 'try', body: body.flow, handler: undefined, finalizer: release.flow });
      if (body.abrupt) throw body.abrupt;
      return result;
    }
    const kind = opKind(site, method);
    if (!kind) {
      if (method === 'isAlive' && this.unstarted(site)) return FALSE;
      return UNKNOWN;
    }
    const b = blockingOf(site, kind, method, args, (v, k) => this.getProp(v, k));
    // `cond.waitFor(predicate)` is `while (!predicate()) await cond.wait()`: when the predicate
    // is a test of values the checker follows (shared memory read, a received value), it is
    // written out as that loop, so that the checker tests it before waiting and after each wake.
    if (kind === 'wait' && site.kind === 'condition' && method === 'waitFor' && b.blocking && args[0]?.t === 'fn') {
      const fn = args[0];
      let pred: Value = UNKNOWN;
      const probe = this.collect(() => { pred = this.invoke(fn, [], undefined, e); });
      const test = probe.abrupt ? undefined : asTest(pred);
      if (test) {
        this.loop(() => { const v = asTest(this.invoke(fn, [], undefined, e)); return v ? not(v) : UNKNOWN; }, () => {
          this.record(kind, site, e, method, b, end).retest = true;
        }, { node: e });
        return TRUE;
      }
      this.record(kind, site, e, method, b, end);
      this.ctx.out.push(probe.flow);
      if (probe.abrupt) throw probe.abrupt;
      return TRUE;
    }
    // An RLock its own withLock callback holds is taken again at once: no step of the program's.
    let lock = kind === 'read' || kind === 'write' ? this.accessLock(site) : null;
    if (lock && lock.variant === 'RLock' && !ctx.detached && this.withLockHeld.includes(lock)) lock = null;
    if (lock) this.record('acquire', lock, e, method, { blocking: true }).access = site;
    const op = this.record(kind, site, e, method, b, end);
    if (lock) this.record('release', lock, e, method, { blocking: false }).access = site;
    if ((kind === 'read' || kind === 'write') && site.kind !== 'value' && args[0]) (op as Op & { slotValue?: Value }).slotValue = args[0];
    if (kind === 'put' || kind === 'send') {
      const arg = args[0] ?? UNDEFINED;
      (op as Op & { argValue?: Value }).argValue = arg;
      if (e.arguments[0]) op.argNode = e.arguments[0];
      const from = received(arg);
      if (from && !from.typeOf) op.argFrom = { source: from.source, path: from.path, ...(from.map ? { map: from.map } : {}), ...(from.sources ? { sources: from.sources } : {}) };
    }
    if (kind === 'start') {
      this.store.set(this.lifecycle, site, TRUE);
      this.start(site);
    }
    if (kind === 'write' && method === 'set' && (site.kind === 'dict' || site.kind === 'list')) {
      // What a manager dict key or list item is set to, when the analysis knows it: a constant
      // written is no update of what was read (a cache filled on a miss with the key's value).
      (op as Op & { argValue?: Value }).argValue = args[1] ?? UNDEFINED;
    }
    if (kind === 'write' && method === 'set' && (site.kind === 'value' || site.kind === 'array')) {
      // What a shared Value or SharedArray cell is set to: a constant, or a function of a value read
      // or received (`state.get(0) + 1`), followed by the checker like what a put carries.
      const arg = (site.kind === 'value' ? args[0] : args[1]) ?? UNDEFINED;
      (op as Op & { argValue?: Value }).argValue = arg;
      const from = received(arg);
      if (from && !from.typeOf) op.argFrom = { source: from.source, path: from.path, ...(from.map ? { map: from.map } : {}), ...(from.sources ? { sources: from.sources } : {}) };
    }
    if (kind === 'notify' && method === 'notify' && args[0] !== undefined) {
      // notify(n) wakes n waiters; an n the analysis cannot tell is taken as all of them (fewer
      // woken could only make waiters wait: never claimed without knowing it).
      const n = args[0];
      op.wakes = n.t === 'const' && n.v === undefined ? 1 : n.t === 'const' && typeof n.v === 'number' ? Math.max(0, Math.floor(n.v)) : 'all';
    }
    if (kind === 'wait' && site.kind === 'condition' && method === 'waitFor' && args[0]?.t === 'fn') this.invoke(args[0], [], undefined, e);
    if (kind === 'get' || kind === 'recv') return { t: 'recv', source: op, path: [] };
    if (kind === 'acquire') return b.blocking ? TRUE : { t: 'recv', source: op, path: [] };
    if (kind === 'wait') {
      if (site.kind === 'barrier') return { t: 'recv', source: op, path: [] };
      return b.blocking ? TRUE : { t: 'recv', source: op, path: [] };
    }
    // What a shared Value or SharedArray cell holds: a value branches can test, like a received one.
    // An event's isSet() too: the checker answers it from the event's state.
    if (kind === 'read') return (method === 'get' && (site.kind === 'value' || site.kind === 'array')) || (method === 'isSet' && site.kind === 'event') ? { t: 'recv', source: op, path: [] } : UNKNOWN;
    return UNDEFINED;
  }

  /** Runs a pool callback, marking the operations it makes (`Op.callback`). */
  private asCallback(run: () => void): void {
    const ctx = this.ctx;
    const saved = ctx.callback;
    ctx.callback = true;
    try {
      run();
    } finally {
      ctx.callback = saved;
    }
  }

  private asyncResultCall(r: { t: 'pending'; pool: ObjectSite; submit: ts.CallExpression; task: number }, method: string, e: ts.CallExpression, args: Value[]): Value {
    if (method === 'get' || method === 'wait') {
      const op = this.record('result', r.pool, e, method, blockingOf(r.pool, 'result', method, args, (v, k) => this.getProp(v, k)));
      op.submits = [r.submit];
      op.tasks = [r.task];
      return UNKNOWN;
    }
    if (method === 'ready' || method === 'successful') this.escapedResults.add(r.submit);
    return UNKNOWN;
  }

  /** `p.start()`: the child will run its target with copies of its arguments (after this process). */
  /** A process object not started on this path, and not handed to code that could start it. */
  private unstarted(site: ObjectSite): boolean {
    const v = this.lifecycle.get(site);
    return site.kind === 'process' && v?.t === 'const' && v.v === false && !this.escaped.has(site);
  }

  private start(site: ObjectSite): void {
    const ctx = this.ctx;
    if (ctx.proc.dry) return;
    const info = this.processInfo.get(site);
    if (!info) return;
    if (this.started.has(site) && site.multiplicity === 1) return;
    this.started.add(site);
    const args = [...info.args, ...(info.kwargs ? [info.kwargs] : [])].map((a) => this.copy(a));
    const self = info.self ? this.copy(info.self, true) : undefined;
    if (info.fns.length === 0) this.escape(info.args);
    const job: Started = { site, fns: info.fns, args, parent: ctx.proc };
    if (self) job.self = self;
    // A summary started again in a later pass of its loop replaces the earlier job.
    this.enqueue("start", job, site);
  }

  /** `pool.map(fn, items)` and friends: fn runs in the pool's workers with the items as arguments. */
  private submit(pool: ObjectSite, method: string, e: ts.CallExpression, args: Value[]): Value {
    const submitOp = this.record('submit', pool, e, method, { blocking: false });
    const fn = args[0];
    const worker = this.poolWorker(pool);
    // Each submission is numbered (in a summarized loop, one number stands for its passes): the
    // results read name it, and the checker runs its tasks.
    const idKey = `${nodeKey(e)}|${this.ctx.actKey}|${this.ctx.proc.id}`;
    let id = this.ctx.mult === 1 ? this.taskSeq++ : this.taskIds.get(idKey);
    if (id === undefined) this.taskIds.set(idKey, (id = this.taskSeq++));
    if (fn?.t === 'fn') {
      const items = this.listOf(args[1] ?? UNKNOWN);
      // One task per item of a list the interpreter knows (each with its own arguments); one task
      // standing for all of them otherwise.
      // Per task, the tasks of the pool it stands for per run of the submit (one per item, or
      // all the items of a list too long or not known).
      const tasks: { args: Value[]; once: boolean; count: Multiplicity }[] = [];
      const once = this.ctx.mult === 1 && !this.ctx.detached;
      if (method === 'apply' || method === 'applyAsync') tasks.push({ args: items ?? [], once, count: 1 });
      else if (items && items.length <= 64) {
        for (const item of items) tasks.push({ args: method.startsWith('starmap') ? this.listOf(item) ?? [UNKNOWN] : [item], once, count: 1 });
      } else if (method.startsWith('starmap')) {
        tasks.push({ args: items ? this.listOf(join(items)) ?? [] : [], once: false, count: items ? items.length : 'several' });
      } else {
        tasks.push({ args: [items ? join(items) : this.elementOf(args[1] ?? UNKNOWN)], once: false, count: items ? items.length : 'several' });
      }
      if (!this.ctx.proc.dry) {
        tasks.forEach((t, i) => {
          const key = `${nodeKey(e)}|${i}|${this.ctx.actKey}|${this.ctx.proc.id}|${id}`;
          const job: Started = {
            site: worker, fns: [fn], args: t.args.map((a) => this.copy(a)), parent: this.ctx.proc, poolTask: true, once: t.once, key,
            submission: { op: submitOp, id, tasks: t.count },
          };
          this.enqueue(key, job, undefined);
        });
      }
    } else {
      this.escape(args.slice(1));
    }
    if (method.endsWith('Async')) {
      const opts = args[2];
      const callback = opts ? this.getProp(opts, 'callback') : UNKNOWN;
      const errorCallback = opts ? this.getProp(opts, 'errorCallback') : UNKNOWN;
      // Each task's argument list, where the interpreter knows them.
      const argLists = fn?.t !== 'fn' ? undefined
        : method === 'applyAsync' ? [this.listOf(args[1] ?? UNDEFINED) ?? []]
        : ((items) => (items && items.length <= 64 ? items.map((item) => (method.startsWith('starmap') ? this.listOf(item) ?? [UNKNOWN] : [item])) : undefined))(this.listOf(args[1] ?? UNKNOWN));
      const onResult = (): void => {
        if (callback.t !== 'fn') return;
        // The callback gets the task's result (the list of results, for mapAsync): what the
        // task's function returns, where it computes it without operations of its own.
        let result: Value = UNKNOWN;
        if (fn?.t === 'fn' && argLists) {
          result = method === 'applyAsync' ? this.returnOf(fn, argLists[0]!) : this.newArray(argLists.map((a) => this.returnOf(fn, a)));
        }
        this.asCallback(() => this.invoke(callback, [result], undefined, e));
      };
      const onError = (): void => {
        if (errorCallback.t === 'fn') this.asCallback(() => this.invoke(errorCallback, [UNKNOWN], undefined, e));
      };
      // One of the two runs: the callback when every task returned, the error callback when one
      // threw. A task that throws on its arguments (an explicit throw, an operation that fails)
      // never calls the callback; one that may throw calls one or the other.
      const outcome = fn?.t === 'fn' && argLists ? this.taskOutcome(fn, argLists) : undefined;
      if (outcome === 'returns') onResult();
      else if (outcome === 'throws') onError();
      else if (outcome === 'either') this.fork([onResult, onError]);
      else {
        onResult();
        onError();
      }
      return { t: 'pending', pool, submit: e, task: id };
    }
    // apply/map/starmap wait for their results; imap yields them as they come.
    if (!method.startsWith('imap')) this.record('result', pool, e, method, { blocking: true }).tasks = [id];
    const results = method.startsWith('map') || method.startsWith('starmap') || method.startsWith('imap') ? this.newArray([], UNKNOWN) : UNKNOWN;
    if (method.startsWith('imap') && fn?.t === 'fn' && results.t === 'ref' && !this.ctx.proc.dry && this.ctx.mult === 1) {
      const items = this.listOf(args[1] ?? UNKNOWN);
      if (items && items.length <= 64) this.imapResults.set(results.o, { pool, e, method, id, fn, argLists: items.map((item) => [item]) });
    }
    return results;
  }

  /**
   * Whether pool tasks of `fn`, run aside on each argument list (effects undone, flows dropped),
   * all return, one surely throws, or may throw: only explicit throws and operations that fail
   * count (code the analysis cannot see is taken to return, so that no error callback is assumed).
   */
  private taskOutcome(fn: FnVal, argLists: readonly Value[][]): 'returns' | 'throws' | 'either' {
    if ((fn.decl as ts.FunctionLikeDeclaration).asteriskToken) return 'either';
    let out: 'returns' | 'throws' | 'either' = 'returns';
    for (const args of argLists) {
      const m = this.store.mark();
      let r: { flow: RFlow; abrupt?: Abrupt };
      try {
        r = this.collect(() => { this.invoke(fn, args.map((a) => this.copy(a)), undefined, undefined); });
        this.store.undo(m);
      } finally {
        this.store.close(m);
      }
      if (r.abrupt?.exits.has('t')) return 'throws';
      if (flowThrows(r.flow)) out = 'either';
    }
    return out;
  }

  /**
   * What `fn(args)` returns, computed aside (its effects undone, its flow dropped): known only when
   * it runs no shim operation, makes no object and returns normally; unknown otherwise. For what a
   * pool task hands its callback, which runs in another process.
   */
  private returnOf(fn: FnVal, args: Value[]): Value {
    if ((fn.decl as ts.FunctionLikeDeclaration).asteriskToken) return UNKNOWN;
    const m = this.store.mark();
    const sites = this.sites.length;
    let v: Value = UNKNOWN;
    let r: { flow: RFlow; abrupt?: Abrupt };
    try {
      r = this.collect(() => { v = this.invoke(fn, args.map((a) => this.copy(a)), undefined, undefined); });
      this.store.undo(m);
    } finally {
      this.store.close(m);
    }
    if (r.abrupt || hasOps(r.flow) || this.sites.length !== sites) return UNKNOWN;
    v = plain(v);
    // Only plain data crosses to the callback (objects and functions of the task stay there).
    return v.t === 'const' ? v : UNKNOWN;
  }

  /** An operation on a shim object the analysis could not follow: recorded on an unknown site. */
  private unknownReceiver(e: ts.CallExpression, method: string, args: Value[]): void {
    const callee = skipOuter(e.expression);
    if (!ts.isPropertyAccessExpression(callee)) return;
    const cls = this.shim.classOfMethod(callee);
    if (!cls) return;
    const kind = classKind(cls);
    if (!kind) return;
    const site = this.implicitSite('unknown', cls, () => ({
      kind, node: e, label: `unknown ${cls}`, multiplicity: 'several', unknown: true, variant: cls,
    }));
    if (kind === 'process' && method === 'start' && !this.ctx.proc.dry) {
      // Any process made so far and not known to be started may be the one started here: it and
      // what it was given are used by code the analysis did not run (its puts, its sets).
      for (const [made, info] of this.processInfo) {
        if (this.started.has(made)) continue;
        this.escaped.add(made);
        this.escape([...info.args, ...(info.kwargs ? [info.kwargs] : []), ...(info.self ? [info.self] : [])]);
      }
    }
    this.operation(site, undefined, method, e, args);
  }

  /** Values handed to code the analysis cannot see into: the objects (and AsyncResults) in them escape. */
  escape(values: readonly Value[]): void {
    const seen = new Set<object>();
    const visit = (v: Value, depth: number): void => {
      if (depth > 6) return;
      switch (v.t) {
        case 'obj': this.escaped.add(v.site); return;
        case 'pending': this.escapedResults.add(v.submit); return;
        case 'union': v.alts.forEach((a) => visit(a, depth)); return;
        case 'ref':
          if (seen.has(v.o)) return;
          seen.add(v.o);
          for (const x of v.o.props.values()) visit(x, depth + 1);
          return;
        case 'fn':
          if (v.self) visit(v.self, depth + 1);
          return;
        default:
      }
    };
    values.forEach((v) => visit(v, 0));
  }

  /**
   * A copy of a value as another process receives it (structured clone): plain data copied, shim
   * objects shared, functions and class instances as they are (the rules judge whether they can
   * be sent).
   */
  copy(v: Value, keepClass = false, memo = new Map<HeapObj, Value>(), depth = 0): Value {
    switch (v.t) {
      case 'ref': {
        const known = memo.get(v.o);
        if (known) return known;
        if (depth > 8) return UNKNOWN;
        // Structured clone keeps data, not prototypes: a class instance arrives as a plain object
        // (a Process subclass's own instance is rebuilt from its class in the child).
        const kind = v.o.kind === 'statics' || (v.o.kind === 'instance' && !keepClass) ? 'object' : v.o.kind;
        const o: HeapObj = { id: nextId++, kind, props: new Map(), born: this.store.tick(), summary: v.o.summary };
        if (v.o.home) o.home = v.o.home;
        if (v.o.cls && keepClass) o.cls = v.o.cls;
        this.store.own(o);
        const out: Value = { t: 'ref', o };
        memo.set(v.o, out);
        for (const [k, x] of v.o.props) o.props.set(k, this.copy(x, keepClass, memo, depth + 1));
        return out;
      }
      case 'union': return join(v.alts.map((a) => this.copy(a, keepClass, memo, depth)));
      default: return v;
    }
  }

  /** A file read or write through Node's fs: an operation on the site of its path. */
  fileOp(e: ts.CallExpression, kind: 'read' | 'write', pathValue: Value): void {
    if (this.ctx.proc.dry) return;
    const file = filePath(pathValue);
    if (!file) return;
    let site = this.files.get(file.key);
    if (!site) {
      const first = e.arguments[0];
      const node = file.node ?? (first && this.constInitializer(first)) ?? first ?? e;
      site = { kind: 'file', node, label: file.label, multiplicity: 1, madeBy: this.ctx.proc.ref, madeGuarded: true };
      if (file.path !== undefined) site.path = file.path;
      this.files.set(file.key, site);
      this.sites.push(site);
    }
    const callee = skipOuter(e.expression);
    const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText();
    this.record(kind, site, e, method, { blocking: false });
  }

  /** The initializer of the `const` a name refers to (`const DB = 'db.json'`): where a file is named. */
  private constInitializer(e: ts.Expression): ts.Expression | undefined {
    const id = skipOuter(e);
    if (!ts.isIdentifier(id)) return undefined;
    const sym = symbolAt(this.checker, id);
    const target = sym && sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    const d = target?.declarations?.[0];
    return d && ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const ? d.initializer : undefined;
  }

  /** The code of `ref` is not followed exactly (the first reason is kept). */
  markOpaque(ref: ProcessRef, why: OpaqueWhy): void {
    if (!this.opaque.has(ref)) this.opaque.set(ref, why);
  }

  opaqueValue(label: string): Value {
    return { t: 'opaque', key: `${label}#${this.opaqueSeq++}` };
  }
}

// ---- helpers ----

const usingLists = new WeakMap<readonly ts.Statement[], boolean>();
const functionLists = new WeakMap<readonly ts.Statement[], ts.FunctionDeclaration[]>();

/** The function declarations of a block (hoisted), found once per block. */
function functionDeclarations(list: readonly ts.Statement[]): ts.FunctionDeclaration[] {
  let out = functionLists.get(list);
  if (!out) {
    out = list.filter((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && !!s.name && !!s.body);
    functionLists.set(list, out);
  }
  return out;
}

/**
 * What operations returned, as a branch can test it: one operation's result, or the latest of
 * several (`for (let x = await q.get(); x !== null; x = await q.get())` tests either get's item).
 */
function received(v: Value): { source: Op; path: readonly string[]; sources?: Op[]; typeOf?: true; map?: ValueMap } | undefined {
  if (v.t === 'recv') return { source: v.source, path: v.path, ...(v.typeOf ? { typeOf: v.typeOf } : {}), ...(v.map ? { map: v.map } : {}) };
  if (v.t !== 'union' || !v.alts.every((a) => a.t === 'recv')) return undefined;
  const rs = v.alts as Extract<Value, { t: 'recv' }>[];
  const path = rs[0]!.path;
  if (!rs.every((x) => x.path.join('.') === path.join('.') && x.typeOf === rs[0]!.typeOf && x.map?.key === rs[0]!.map?.key)) return undefined;
  return {
    source: rs[0]!.source, path, sources: rs.map((x) => x.source), ...(rs[0]!.typeOf ? { typeOf: true as const } : {}), ...(rs[0]!.map ? { map: rs[0]!.map } : {}),
  };
}

/**
 * `x % 7` of a received x and a constant: a function of the received value, which a branch can
 * test per message (the checker applies it to each constant put). Composes with further
 * operators; a union of received values keeps it only when they are alike.
 */
function derived(op: ts.SyntaxKind, a: Value, b: Value): Value | undefined {
  const r = received(a.t === 'const' ? b : a);
  const c = a.t === 'const' ? a : b.t === 'const' ? b : undefined;
  if (!r || r.typeOf || !c || typeof c.v === 'bigint') return undefined;
  const left = a.t !== 'const';
  const inner = r.map;
  const k = c.v;
  const map: ValueMap = {
    key: `${inner ? `${inner.key} ` : ''}${left ? `_${op}${JSON.stringify(k ?? null)}` : `${JSON.stringify(k ?? null)}${op}_`}`,
    f: (v) => {
      const x = inner ? inner.f(v) : { v };
      if (x === undefined || x === 'object') return undefined;
      const out = left ? applyOp(op, x.v as Prim, k as Prim) : applyOp(op, k as Prim, x.v as Prim);
      return out === NO || typeof out === 'bigint' ? undefined : { v: out as ConstValue };
    },
  };
  const base = { t: 'recv' as const, source: r.source, path: r.path, map };
  if (!r.sources) return base;
  return { t: 'union', alts: r.sources.map((source) => ({ ...base, source })) };
}

/** Values chosen by a condition worth running the rest of a block apart for: a few distinct objects. */
const MAX_SPLITS = 3;
/** Nested early exits whose rest runs on the way that stays (guard clauses one after another). */
const MAX_EARLY_EXITS = 12;

/**
 * What test `inner` says of a message where test `outer` holds, when that decides it: both test
 * the same value of the same operation (no function of it), and `outer` says it is a constant.
 */
function decidedBy(outer: Guard, inner: Guard): boolean | undefined {
  if (outer.map || inner.map || outer.source !== inner.source || outer.sources || inner.sources) return undefined;
  if (outer.path.length !== inner.path.length || outer.path.some((p, i) => p !== inner.path[i])) return undefined;
  const typeOf = (v: unknown): string => (v === null ? 'object' : typeof v);
  const nullish = (v: unknown): boolean => v === null || v === undefined;
  switch (outer.test) {
    case 'eq': {
      const v = outer.value;
      if (inner.test === 'eq') return v === inner.value;
      if (inner.test === 'nullish') return nullish(v);
      if (inner.test === 'truthy') return Boolean(v);
      return typeOf(v) === inner.value;
    }
    case 'typeof': {
      const t = outer.value;
      const neverNullish = t !== 'undefined' && t !== 'object';
      if (inner.test === 'typeof') return t === inner.value;
      if (inner.test === 'nullish') return t === 'undefined' ? true : neverNullish ? false : undefined;
      if (inner.test === 'eq') return typeOf(inner.value) !== t ? false : undefined;
      return t === 'undefined' ? false : undefined;
    }
    case 'nullish': {
      if (inner.test === 'nullish') return true;
      if (inner.test === 'truthy') return false;
      if (inner.test === 'eq') return nullish(inner.value) ? undefined : false;
      return inner.value === 'undefined' || inner.value === 'object' ? undefined : false;
    }
    case 'truthy':
      return inner.test === 'nullish' ? false : undefined;
    default:
      return undefined;
  }
}

/** A statement that always leaves its block: `return`, `throw`, `break`, `continue`, or a block or `if`/`else` that does. */
function leavesAlways(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s) || ts.isThrowStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) return true;
  if (ts.isBlock(s)) return s.statements.some(leavesAlways);
  if (ts.isIfStatement(s)) return s.elseStatement !== undefined && leavesAlways(s.thenStatement) && leavesAlways(s.elseStatement);
  return false;
}

/**
 * How many times a branch on `cond` can run the code of its `side` way: once, except that
 * `a && b` and `a || b` reach one of their ways from two places (the code after an early exit
 * runs once per place).
 */
function armRuns(cond: ts.Expression, side: boolean): number {
  const e = skipParens(cond);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) return armRuns(e.operand, !side);
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) {
      return side ? armRuns(e.left, true) * armRuns(e.right, true) : armRuns(e.left, false) + armRuns(e.left, true) * armRuns(e.right, false);
    }
    if (op === ts.SyntaxKind.BarBarToken) {
      return side ? armRuns(e.left, true) + armRuns(e.left, false) * armRuns(e.right, true) : armRuns(e.left, false) * armRuns(e.right, false);
    }
  }
  return 1;
}
function splittable(v: Value): Value[] | undefined {
  if (v.t !== 'union' || v.alts.length > 4) return undefined;
  const objects = v.alts.filter((a) => a.t === 'ref' || a.t === 'obj');
  return objects.length >= 2 && objects.length === v.alts.length ? v.alts : undefined;
}

/** The operations of a pool task submitted once. */
function markOnce(f: RFlow): void {
  switch (f.k) {
    case 'op': f.op.once = true; return;
    case 'seq': f.items.forEach(markOnce); return;
    case 'branch': f.alts.forEach(markOnce); return;
    case 'loop': case 'call': case 'block': markOnce(f.body); return;
    case 'unrolled': f.iterations.forEach(markOnce); if (f.tail) markOnce(f.tail); return;
    case 'try': markOnce(f.body); if (f.handler) markOnce(f.handler); if (f.finalizer) markOnce(f.finalizer); return;
    default:
  }
}

/** The operations of one alternative of a call on one of several objects. */
function markAlternative(f: RFlow): void {
  if (f.k === 'op') f.op.alternative = true;
  else if (f.k === 'seq') f.items.forEach(markAlternative);
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

/** A condition over constants, `const`s and parameters, which the path walkers may decide once per path. */
function isPlainCondition(e: ts.Expression): boolean {
  return !ts.isCallExpression(skipOuter(e)) && !ts.isAwaitExpression(e);
}

function isNullish(v: Value): boolean {
  return v.t === 'const' && (v.v === null || v.v === undefined);
}

function nullishOf(v: Value): boolean | undefined {
  let yes = 0;
  let no = 0;
  for (const a of alts(v)) {
    if (a.t === 'const') { if (a.v === null || a.v === undefined) yes++; else no++; }
    else if (a.t === 'ref' || a.t === 'obj' || a.t === 'fn' || a.t === 'class' || a.t === 'host' || a.t === 'pending') no++;
    else return undefined;
  }
  return no === 0 ? true : yes === 0 ? false : undefined;
}

function mayBeUndefined(v: Value): boolean {
  return alts(v).some((a) => (a.t === 'const' && a.v === undefined) || a.t === 'unknown' || a.t === 'recv');
}

/** A value a branch can test as a guard: a test, or a received (read) value taken for its truth. */
function asTest(v: Value): Extract<Value, { t: 'test' }> | undefined {
  if (v.t === 'test') return v;
  const r = received(v);
  if (!r || r.typeOf) return undefined;
  return { t: 'test', guard: { source: r.source, path: r.path, ...(r.sources ? { sources: r.sources } : {}), ...(r.map ? { map: r.map } : {}), test: 'truthy' }, negated: false };
}

function not(v: Value): Value {
  if (v.t === 'test') return { ...v, negated: !v.negated };
  const b = truthy(v);
  // `!(await lock.acquire(false))`, `!msg`: the negation of a received value's truth is a test of it.
  const t = b === undefined ? asTest(v) : undefined;
  if (t) return { ...t, negated: true };
  return b === undefined ? UNKNOWN : konst(!b);
}

function identical(x: Value, y: Value): boolean | undefined {
  if (x.t === 'const' && y.t === 'const') return x.v === y.v;
  if (x.t === 'const' || y.t === 'const') {
    const other = x.t === 'const' ? y : x;
    if (other.t === 'ref' || other.t === 'obj' || other.t === 'fn' || other.t === 'class' || other.t === 'pending') return false;
    return undefined;
  }
  if (x.t === 'obj' && y.t === 'obj') {
    if (x.site === y.site && x.end === y.end) return x.site.multiplicity === 1 ? true : undefined;
    return false;
  }
  if (x.t === 'ref' && y.t === 'ref') {
    if (x.o === y.o) return x.o.summary ? undefined : true;
    return false;
  }
  if (x.t === 'opaque' && y.t === 'opaque' && x.key === y.key) return true;
  return undefined;
}

/** Compares every pair of alternatives: a constant when all agree. */
function compareAll(a: Value, b: Value, cmp: (x: Value, y: Value) => boolean | undefined): Value {
  let t = 0;
  let f = 0;
  for (const x of alts(a)) {
    for (const y of alts(b)) {
      const r = cmp(x, y);
      if (r === undefined) return UNKNOWN;
      if (r) t++;
      else f++;
    }
  }
  return f === 0 ? TRUE : t === 0 ? FALSE : UNKNOWN;
}

const COMPOUND: Partial<Record<ts.SyntaxKind, ts.BinaryOperator>> = {
  [ts.SyntaxKind.PlusEqualsToken]: ts.SyntaxKind.PlusToken,
  [ts.SyntaxKind.MinusEqualsToken]: ts.SyntaxKind.MinusToken,
  [ts.SyntaxKind.AsteriskEqualsToken]: ts.SyntaxKind.AsteriskToken,
  [ts.SyntaxKind.SlashEqualsToken]: ts.SyntaxKind.SlashToken,
  [ts.SyntaxKind.PercentEqualsToken]: ts.SyntaxKind.PercentToken,
  [ts.SyntaxKind.AsteriskAsteriskEqualsToken]: ts.SyntaxKind.AsteriskAsteriskToken,
  [ts.SyntaxKind.LessThanLessThanEqualsToken]: ts.SyntaxKind.LessThanLessThanToken,
  [ts.SyntaxKind.GreaterThanGreaterThanEqualsToken]: ts.SyntaxKind.GreaterThanGreaterThanToken,
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken]: ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  [ts.SyntaxKind.AmpersandEqualsToken]: ts.SyntaxKind.AmpersandToken,
  [ts.SyntaxKind.BarEqualsToken]: ts.SyntaxKind.BarToken,
  [ts.SyntaxKind.CaretEqualsToken]: ts.SyntaxKind.CaretToken,
};

function toNumber(v: Value): Value {
  return mapConst(v, (x) => (typeof x === 'bigint' ? x : Number(x)));
}

function mapConst(v: Value, f: (x: Prim) => Prim): Value {
  const out: Value[] = [];
  for (const a of alts(v)) {
    if (a.t !== 'const') return UNKNOWN;
    try { out.push(konst(f(a.v))); } catch { return UNKNOWN; }
  }
  return join(out);
}

/** A binary operator on constants, computed as JavaScript does; unknown otherwise. */
export function arith(op: ts.SyntaxKind, a: Value, b: Value): Value {
  const d = derived(op, a, b);
  if (d) return d;
  const out: Value[] = [];
  const as = alts(a);
  const bs = alts(b);
  if (as.length * bs.length > 16) return stringish(op, a, b);
  for (const x of as) {
    for (const y of bs) {
      if (x.t !== 'const' || y.t !== 'const') return stringish(op, a, b);
      const r = applyOp(op, x.v, y.v);
      if (r === NO) return UNKNOWN;
      out.push(konst(r as Prim));
    }
  }
  return join(out);
}

/** Whether no statement runs after `s` in its function or module (declarations aside). */
function lastToRun(s: ts.Statement): boolean {
  let n: ts.Node = s;
  for (;;) {
    const p = n.parent;
    if (!p || ts.isFunctionLike(p)) return true;
    if (ts.isSourceFile(p) || ts.isBlock(p) || ts.isModuleBlock(p)) {
      const list = p.statements;
      const after = list.slice(list.indexOf(n as ts.Statement) + 1);
      if (after.some((x) => !(ts.isFunctionDeclaration(x) || ts.isClassDeclaration(x) || ts.isInterfaceDeclaration(x) || ts.isTypeAliasDeclaration(x)
        || ts.isImportDeclaration(x) || ts.isEmptyStatement(x) || (ts.isExportDeclaration(x))))) return false;
      if (ts.isSourceFile(p)) return true;
    } else if (!(ts.isIfStatement(p) || ts.isTryStatement(p) || ts.isLabeledStatement(p))) {
      // In a loop (it runs again) or elsewhere: not the last.
      return false;
    }
    n = p;
  }
}

function isAsync(decl: ts.Node): boolean {
  return ts.canHaveModifiers(decl) && (ts.getModifiers(decl) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

/**
 * How the promise of a call is waited for: 'awaited' (at once: `await f()`, `return f()`, the body
 * of an arrow, the only element of Promise.all), 'raced' (an argument of Promise.race or
 * Promise.any), 'left' (anything else: a statement of its own, one of several in Promise.all, kept
 * in a variable, chained with then).
 */
function racedOrLeft(call: ts.Expression): 'awaited' | 'raced' | 'left' {
  let n: ts.Node = call;
  while (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isNonNullExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isAwaitExpression(p) || ts.isReturnStatement(p) || (ts.isArrowFunction(p) && p.body === n)) return 'awaited';
  // `main();` (or `void main()`) with nothing after it in its function or module: nothing runs beside it.
  if (ts.isVoidExpression(p) && ts.isExpressionStatement(p.parent) && lastToRun(p.parent)) return 'awaited';
  if (ts.isExpressionStatement(p) && lastToRun(p)) return 'awaited';
  // `const served = serve(); await served;`: kept in a variable that the next statement awaits.
  if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isIdentifier(p.name) && ts.isVariableDeclarationList(p.parent)
    && ts.isVariableStatement(p.parent.parent) && p.parent.declarations.length === 1) {
    const stmt = p.parent.parent;
    const list = ts.isBlock(stmt.parent) || ts.isSourceFile(stmt.parent) ? stmt.parent.statements : undefined;
    const next = list?.[list.indexOf(stmt) + 1];
    const name = p.name.text;
    if (next && ts.isExpressionStatement(next) && ts.isAwaitExpression(next.expression) && ts.isIdentifier(next.expression.expression) && next.expression.expression.text === name) return 'awaited';
  }
  // `.then(…)`/`.catch(…)` on it: what the chain's promise does.
  if (ts.isPropertyAccessExpression(p) && p.expression === n && ts.isCallExpression(p.parent) && ['then', 'catch', 'finally'].includes(p.name.text)) {
    return racedOrLeft(p.parent);
  }
  if (ts.isArrayLiteralExpression(p) && ts.isCallExpression(p.parent) && ts.isPropertyAccessExpression(p.parent.expression)
    && ts.isIdentifier(p.parent.expression.expression) && p.parent.expression.expression.text === 'Promise') {
    const how = p.parent.expression.name.text;
    if (how === 'race' || how === 'any') return 'raced';
    if (p.elements.length === 1) return racedOrLeft(p.parent) === 'raced' ? 'raced' : 'awaited';
    return racedOrLeft(p.parent) === 'raced' ? 'raced' : 'left';
  }
  return 'left';
}

/** `dir + '/db.json'` with an opaque `dir`: an opaque value too (the same in every process). */
function stringish(op: ts.SyntaxKind, a: Value, b: Value): Value {
  if (op !== ts.SyntaxKind.PlusToken) return UNKNOWN;
  const part = (v: Value): string | undefined => (v.t === 'opaque' ? `{${v.key}}` : v.t === 'const' && typeof v.v === 'string' ? JSON.stringify(v.v) : undefined);
  const pa = part(a);
  const pb = part(b);
  if (pa === undefined || pb === undefined || (a.t !== 'opaque' && b.t !== 'opaque')) return UNKNOWN;
  return { t: 'opaque', key: `${pa}+${pb}` };
}

const NO = Symbol('no');

function applyOp(op: ts.SyntaxKind, x: Prim, y: Prim): Prim | typeof NO {
  try {
    const X = x as never;
    const Y = y as never;
    switch (op) {
      case ts.SyntaxKind.PlusToken: return (X as number) + (Y as number);
      case ts.SyntaxKind.MinusToken: return (X as number) - (Y as number);
      case ts.SyntaxKind.AsteriskToken: return (X as number) * (Y as number);
      case ts.SyntaxKind.SlashToken: return (X as number) / (Y as number);
      case ts.SyntaxKind.PercentToken: return (X as number) % (Y as number);
      case ts.SyntaxKind.AsteriskAsteriskToken: return (X as number) ** (Y as number);
      case ts.SyntaxKind.LessThanToken: return (X as number) < (Y as number);
      case ts.SyntaxKind.GreaterThanToken: return (X as number) > (Y as number);
      case ts.SyntaxKind.LessThanEqualsToken: return (X as number) <= (Y as number);
      case ts.SyntaxKind.GreaterThanEqualsToken: return (X as number) >= (Y as number);
      case ts.SyntaxKind.AmpersandToken: return (X as number) & (Y as number);
      case ts.SyntaxKind.BarToken: return (X as number) | (Y as number);
      case ts.SyntaxKind.CaretToken: return (X as number) ^ (Y as number);
      case ts.SyntaxKind.LessThanLessThanToken: return (X as number) << (Y as number);
      case ts.SyntaxKind.GreaterThanGreaterThanToken: return (X as number) >> (Y as number);
      case ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken: return (X as number) >>> (Y as number);
      case ts.SyntaxKind.EqualsEqualsEqualsToken: return x === y;
      case ts.SyntaxKind.ExclamationEqualsEqualsToken: return x !== y;
      default: return NO;
    }
  } catch {
    return NO;
  }
}

function mulCount(a: EdgeCount, b: EdgeCount): EdgeCount {
  if (a === 'loop' || b === 'loop') return 'several';
  if (a === 'several' || b === 'several') return 'several';
  return a * b;
}

const nodeIds = new WeakMap<ts.Node, number>();
let nextNodeId = 1;
export function nodeKey(n: ts.Node): number {
  let id = nodeIds.get(n);
  if (id === undefined) nodeIds.set(n, (id = nextNodeId++));
  return id;
}

function flowExits(f: RFlow, how: 'break' | 'continue', id: number): boolean {
  switch (f.k) {
    case 'exit': return f.how === how && f.target === id;
    case 'seq': return f.items.some((x) => flowExits(x, how, id));
    case 'branch': return f.alts.some((x) => flowExits(x, how, id));
    case 'loop': case 'call': case 'block': return flowExits(f.body, how, id);
    case 'unrolled': return f.iterations.some((x) => flowExits(x, how, id));
    case 'try': return flowExits(f.body, how, id) || (!!f.handler && flowExits(f.handler, how, id)) || (!!f.finalizer && flowExits(f.finalizer, how, id));
    default: return false;
  }
}

/**
 * The places the watched tests move from a constant to one other constant: each way of each test
 * that touches the place either keeps it, moves it (a constant: the same one everywhere), or, being
 * a way around a nested test that moves it, holds one or the other. Anything else (a way that
 * changes it otherwise, a move under a test the analysis cannot tie to a message) disqualifies it.
 */
function moves(watch: Watch, loopId: number): Move[] {
  const places = new Map<Map<unknown, Value>, Map<unknown, { from: Value; touches: { e: Watch['events'][number]; vals: (Value | typeof ABSENT | undefined)[] }[] }>>();
  for (const e of watch.events) {
    for (const [map, before] of e.before) {
      let keys = places.get(map);
      if (!keys) places.set(map, (keys = new Map()));
      for (const [key, from] of before) {
        if (!from) continue;
        const vals = e.diffs.map((d) => { const k = d.get(map); return k && k.has(key) ? k.get(key)! : undefined; });
        const p = keys.get(key);
        if (p) {
          // Touched after it changed in this iteration: not a place that moves once.
          if (!sameValue(p.from, from)) p.from = UNKNOWN;
          p.touches.push({ e, vals });
        } else keys.set(key, { from, touches: [{ e, vals }] });
      }
    }
  }
  const out: Move[] = [];
  for (const [map, keys] of places) {
    for (const [key, { from, touches }] of keys) {
      // Booleans set on each way of a test are that test already (see fork).
      if (from.t !== 'const' || typeof from.v === 'boolean') continue;
      let to: Value | undefined;
      let ok = true;
      const arms = new Map<object, number>();
      const around: { branch: RFlow; arm: number; v: Value }[] = [];
      for (const { e, vals } of touches) {
        vals.forEach((v, i) => {
          if (!ok || v === undefined || (v !== ABSENT && sameValue(v, from))) return;
          if (v === ABSENT) ok = false;
          else if (v.t === 'const') {
            if (to && !sameValue(to, v)) ok = false;
            to = v;
            // The way that moves it goes on with the loop: ends its iteration, continues, or leaves
            // only something inside the iteration (a `switch`: its targets are numbered after the loop).
            if ([...e.exits[i]!].some((x) => x !== `c${loopId}` && !(/^[bc]\d+$/.test(x) && Number(x.slice(1)) > loopId))) ok = false;
            const tag = (e.branch as { tag?: object }).tag;
            if (tag) arms.set(tag, i);
            else ok = false;
          } else around.push({ branch: e.branch, arm: i, v });
        });
      }
      if (!ok || !to || arms.size === 0) continue;
      const moved = to;
      if (!around.every((a) => a.branch.k === 'branch' && alts(a.v).every((x) => sameValue(x, from) || sameValue(x, moved)) && hasTag(a.branch.alts[a.arm]!, arms))) continue;
      out.push({ map, key, from, to, arms });
    }
  }
  return out;
}

/** Whether `f` contains a branch with one of the tags. */
function hasTag(f: RFlow, tags: ReadonlyMap<object, number>): boolean {
  switch (f.k) {
    case 'branch': return (f.tag !== undefined && tags.has(f.tag)) || f.alts.some((a) => hasTag(a, tags));
    case 'seq': return f.items.some((x) => hasTag(x, tags));
    case 'loop': case 'call': case 'block': return hasTag(f.body, tags);
    case 'unrolled': return f.iterations.some((x) => hasTag(x, tags)) || (!!f.tail && hasTag(f.tail, tags));
    case 'try': return hasTag(f.body, tags) || (!!f.handler && hasTag(f.handler, tags)) || (!!f.finalizer && hasTag(f.finalizer, tags));
    default: return false;
  }
}

/**
 * The loop's own place of a place an iteration changed: the same, or (a variable, whose key is
 * its symbol) the loop scope's copy (a `for` loop's `let` lives in a copy per iteration).
 */
function headPlace(d: Diff, map: Map<unknown, Value>, key: unknown): Map<unknown, Value> | undefined {
  if (typeof key === 'string' || typeof key === 'number') return d.get(map)?.has(key) ? map : undefined;
  // The iteration's copy was changed by the test's way; the loop's own scope, by the copy back.
  let own: Map<unknown, Value> | undefined;
  for (const [m, keys] of d) if (keys.has(key) && (own === undefined || own === map)) own = m;
  return own;
}

/**
 * After a pass of a stage (see `stages`): the counter must move on exactly one way of one test,
 * from the pinned value, to the same value each pass; every other way keeps it pinned.
 */
function pinCounter(pin: Pin, watch: Watch, diff: Diff, loopId: number): void {
  const found = moves(watch, loopId).filter((m) => m.key === pin.key && (m.map === pin.map || (typeof m.key !== 'string' && typeof m.key !== 'number')));
  const mv = found[0];
  if (found.length !== 1 || !mv || !sameValue(mv.from, pin.value) || (pin.move && !sameValue(pin.move.to, mv.to))) {
    pin.failed = true;
    return;
  }
  const end = diff.get(pin.map)?.get(pin.key);
  if (end !== undefined && (end === ABSENT || !alts(end).every((x) => sameValue(x, pin.value) || sameValue(x, mv.to)))) {
    pin.failed = true;
    return;
  }
  pin.move = mv;
  diff.get(pin.map)?.set(pin.key, pin.value);
}

/**
 * A stage's body: `f` where each way that moves the counter (`arms`, per branch tag) goes on with
 * what follows its branch in the iteration (`after`) and then leaves the stage; a `continue` on
 * such a way leaves it too. Undefined when such a branch is not on the iteration's own path
 * (inside a call, a try or a nested loop) or inside another moving way. `found`: the tags placed.
 */
function moveOut(f: RFlow, arms: ReadonlyMap<object, number>, loopId: number, stageId: number, after: RFlow, found: Set<object>): RFlow | undefined {
  if (!hasTag(f, arms)) return f;
  switch (f.k) {
    case 'branch': {
      const arm = f.tag !== undefined ? arms.get(f.tag) : undefined;
      if (arm !== undefined) found.add(f.tag!);
      const out: RFlow[] = [];
      for (let i = 0; i < f.alts.length; i++) {
        const a = f.alts[i]!;
        if (i === arm) {
          if (hasTag(a, arms)) return undefined;
          out.push(rseq([continueLeaves(a, loopId, stageId), continueLeaves(after, loopId, stageId), { k: 'exit', how: 'break', target: stageId }]));
        } else {
          const y = moveOut(a, arms, loopId, stageId, after, found);
          if (!y) return undefined;
          out.push(y);
        }
      }
      return { ...f, alts: out };
    }
    case 'seq': {
      const items: RFlow[] = [];
      for (let i = 0; i < f.items.length; i++) {
        const y = moveOut(f.items[i]!, arms, loopId, stageId, rseq([...f.items.slice(i + 1), after]), found);
        if (!y) return undefined;
        items.push(y);
      }
      return rseq(items);
    }
    // A `switch`: its breaks go on after it (the rest of its way is pushed into the others).
    case 'block': return moveOut(absorb(f.body, 'break', f.id, EMPTY), arms, loopId, stageId, after, found);
    default: return undefined;
  }
}

/** `f` where a `continue` of loop `loopId` leaves stage `stageId` instead. */
function continueLeaves(f: RFlow, loopId: number, stageId: number): RFlow {
  if (!flowExits(f, 'continue', loopId)) return f;
  switch (f.k) {
    case 'exit': return f.how === 'continue' && f.target === loopId ? { k: 'exit', how: 'break', target: stageId } : f;
    case 'seq': return { k: 'seq', items: f.items.map((x) => continueLeaves(x, loopId, stageId)) };
    case 'branch': return { ...f, alts: f.alts.map((x) => continueLeaves(x, loopId, stageId)) };
    case 'call': case 'block': return { ...f, body: continueLeaves(f.body, loopId, stageId) };
    case 'try': return {
      k: 'try', body: continueLeaves(f.body, loopId, stageId),
      handler: f.handler && continueLeaves(f.handler, loopId, stageId), finalizer: f.finalizer && continueLeaves(f.finalizer, loopId, stageId),
    };
    default: return f;
  }
}

/** Whether some way through `f` throws: an explicit throw, or an operation that fails by throwing. */
function flowThrows(f: RFlow): boolean {
  switch (f.k) {
    case 'op': return f.op.fails === 'throws';
    case 'exit': return f.how === 'throw';
    case 'seq': return f.items.some(flowThrows);
    case 'branch': return f.alts.some(flowThrows);
    case 'loop': case 'call': case 'block': return flowThrows(f.body);
    case 'unrolled': return f.iterations.some(flowThrows) || (!!f.tail && flowThrows(f.tail));
    // A throw its handler catches stays inside (the handler may throw again).
    case 'try': return (f.handler ? flowThrows(f.handler) : flowThrows(f.body)) || (!!f.finalizer && flowThrows(f.finalizer));
  }
}

function isEmptyFlow(f: RFlow): boolean {
  return f.k === 'seq' && f.items.length === 0;
}

/** `f` with `inc` run before each `continue` to loop `id` (a for loop's update). */
function beforeContinue(f: RFlow, id: number, inc: RFlow): RFlow {
  if (!flowExits(f, 'continue', id)) return f;
  switch (f.k) {
    case 'exit': return f.how === 'continue' && f.target === id ? rseq([inc, f]) : f;
    case 'seq': return { k: 'seq', items: f.items.map((x) => beforeContinue(x, id, inc)) };
    case 'branch': return { ...f, alts: f.alts.map((x) => beforeContinue(x, id, inc)) };
    case 'loop': case 'call': case 'block': return { ...f, body: beforeContinue(f.body, id, inc) };
    case 'unrolled': return { ...f, iterations: f.iterations.map((x) => beforeContinue(x, id, inc)), ...(f.tail ? { tail: beforeContinue(f.tail, id, inc) } : {}) };
    case 'try': return {
      k: 'try', body: beforeContinue(f.body, id, inc),
      handler: f.handler && beforeContinue(f.handler, id, inc), finalizer: f.finalizer && beforeContinue(f.finalizer, id, inc),
    };
    default: return f;
  }
}

/** Control that only continues the current loop (the iteration is over, the loop goes on). */
function isContinueOnly(a: Abrupt, ctx: Ctx): boolean {
  const t = ctx.targets[ctx.targets.length - 1];
  return !!t && a.exits.size === 1 && a.exits.has(`c${t.id}`);
}

/** After an iteration: the loop's variables take the iteration's values (for the next test). */
function copyBack(store: Store, from: Scope, to: Scope, perIteration: boolean): void {
  if (!perIteration || from === to) return;
  for (const [k, v] of from.vars) if (to.vars.has(k) && to.vars.get(k) !== v) store.set(to.vars as Map<unknown, Value>, k, v);
}

/** Whether a statement assigns a variable (then its loop count is not the bounds'). */
function assigns(s: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
      && ts.isIdentifier(n.left) && checker.getSymbolAtLocation(n.left) === sym) found = true;
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand) && checker.getSymbolAtLocation(n.operand) === sym) found = true;
    ts.forEachChild(n, visit);
  };
  visit(s);
  return found;
}

function targetExpression(e: ts.NewExpression | ts.CallExpression): ts.Expression | undefined {
  const options = e.arguments?.[0] ? skipOuter(e.arguments[0]) : undefined;
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  for (const p of options.properties) {
    if (propertyName(p.name) !== 'target') continue;
    if (ts.isPropertyAssignment(p)) return skipOuter(p.initializer);
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

function isConsole(e: ts.CallExpression): boolean {
  const c = skipOuter(e.expression);
  return ts.isPropertyAccessExpression(c) && ts.isIdentifier(c.expression) && c.expression.text === 'console';
}

/** A path the program reads or writes, when it is a constant or an opaque value made once. */
function filePath(v: Value): { key: string; label: string; path?: string; node?: ts.Node } | undefined {
  if (v.t === 'const' && typeof v.v === 'string') {
    const p = v.v;
    return { key: `=${p}`, label: p.split('/').pop() || p, path: p };
  }
  if (v.t === 'opaque') {
    return { key: `@${v.key}`, label: v.label ?? lastPart(v.key), ...(v.node ? { node: v.node } : {}) };
  }
  return undefined;
}

function lastPart(key: string): string {
  const m = /"([^"]*)"\)?$/.exec(key);
  if (m && m[1]) return m[1].split('/').pop() || m[1];
  return 'file';
}

export { constOf };
