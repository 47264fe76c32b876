// The facts extraction produces: allocation sites of shim objects, abstract values that say which
// sites a variable can hold, the operations each process performs, and each process's control
// flow over those operations (the input of the rules and the model checker).
import type ts from 'typescript';
import type { EdgeCount, Multiplicity, NodeKind, ProcessRole } from '../../../common/model';

/** Every model node kind; `file` sites stand for a constant file path the program reads or writes. */
export type SiteKind = NodeKind;

export interface ObjectSite {
  kind: SiteKind;
  /** The allocation expression (`new Queue()`); implicit sites use their owner's node. */
  node: ts.Node;
  label: string;
  /** How many instances the program creates at this site. */
  multiplicity: Multiplicity;
  /** Queue/lock class name (`JoinableQueue`, `RLock`, `ManagerQueue`…). */
  variant?: string;
  maxsize?: number;
  duplex?: boolean;
  /** Barrier parties, semaphore initial value, pool size. */
  size?: Multiplicity;
  /** A barrier made with a default timeout (`new Barrier(n, action, timeout)`): its waits time out. */
  timed?: boolean;
  /** Stands for objects the analysis could not follow (from `any`, a library callback…). */
  unknown?: boolean;
  /** The manager that hosts a proxy, the value that carries a lock, the pool of a pool worker. */
  owner?: ObjectSite;
  /** A condition made on a lock (`new Condition(lock)`): that lock, which it acquires and releases. */
  lock?: ObjectSite;
  // Processes only.
  role?: ProcessRole;
  /** The function(s) the process runs; several when the target is one of a list. */
  targets?: FnValue[];
  targetName?: string;
  args?: AbsValue[];
  kwargs?: AbsValue;
  daemon?: boolean;
  /** `this` of a Process subclass instance. */
  self?: AbsValue;
  /** The variable the object was stored in where it was made (`const a = new Process(…)`). */
  name?: string;
  /** The process whose code made the object, and whether that code ran under the main guard. */
  madeBy?: ProcessRef;
  madeGuarded?: boolean;
  /** The entry's top-level statement whose execution made the object (main only). */
  madeTop?: ts.Statement;
  /** `file` sites: the path read or written. */
  path?: string;
  /**
   * `value` and `array` sites: what each cell holds when made (`Value('i', 3)`: [3];
   * `SharedArray('i', 2)`: [0, 0]), when the analysis knows it exactly. Absent: unknown.
   */
  initial?: ConstValue[];
}

/** The main program of an entry file: the process that runs its top-level code. */
export interface MainProcess {
  kind: 'main';
  file: ts.SourceFile;
}

export type ProcessRef = ObjectSite | MainProcess;

export interface FnValue {
  t: 'fn';
  decl: ts.SignatureDeclaration & { body?: ts.ConciseBody };
  closure: Frame | undefined;
  self?: AbsValue;
}

export type ConstValue = string | number | boolean | null | undefined;

export interface CollValue {
  t: 'coll';
  items: AbsValue[];
  length: Multiplicity;
  /** Loop depth where the collection was made: pushes in deeper loops multiply. */
  depth: number;
}

export interface RecordValue {
  t: 'record';
  fields: Map<string, AbsValue>;
}

export type AbsValue =
  | { t: 'obj'; site: ObjectSite; end?: 0 | 1 }
  | CollValue
  | RecordValue
  | { t: 'const'; v: ConstValue }
  | FnValue
  | { t: 'pending'; pool: ObjectSite; submit: ts.CallExpression }
  | { t: 'union'; alts: AbsValue[] }
  | { t: 'unknown' };

export interface Frame {
  vars: Map<ts.Symbol, AbsValue>;
  parent: Frame | undefined;
  returns: AbsValue[];
  self?: AbsValue;
}

export type OpKind =
  | 'put' | 'get' | 'taskDone' | 'joinQueue' | 'closeQueue'
  | 'send' | 'recv' | 'closeEnd'
  | 'acquire' | 'release'
  | 'wait' | 'set' | 'clear' | 'notify' | 'abort'
  | 'read' | 'write'
  | 'submit' | 'result' | 'closePool' | 'terminatePool' | 'joinPool'
  | 'start' | 'join' | 'terminate'
  | 'shutdown';

export interface Op {
  proc: ProcessRef;
  kind: OpKind;
  obj: ObjectSite;
  /** Pipe end the operation uses. */
  end?: 0 | 1;
  call: ts.CallExpression;
  /** The shim method called, as written. */
  method: string;
  /** How many times one instance of `proc` performs it. */
  count: EdgeCount;
  /** Can wait forever (no timeout, `block` not false). */
  blocking: boolean;
  /** An acquire or release that a get or set of this synchronized Value or SharedArray makes of its lock. */
  access?: ObjectSite;
  /**
   * A `waitFor(predicate)` written out as `while (!predicate()) wait()`: the flow around it tests
   * the predicate before it and after each wake, so it waits like `wait()`. Absent on a waitFor
   * whose predicate the analysis cannot test (it may return at once).
   */
  retest?: true;
  /** `notify(n)`: how many waiters it wakes ('all': an n the analysis cannot tell). Absent: one. */
  wakes?: number | 'all';
  /** Runs under the `isMainProcess()` guard (or in a child). */
  guarded: boolean;
  /** The value put or sent. */
  arg?: AbsValue;
  argNode?: ts.Expression;
  /**
   * What a non-blocking operation does when it cannot complete at once (a timeout passes, `block`
   * is false): it returns (false, or nothing) or it rejects (Empty, Full, TimeoutError).
   */
  fails?: 'returns' | 'throws';
  /** Reads and writes of a dict, list or array: the key or index, as the interpreter knows it. */
  slot?: AbsValue;
  /** An operation of a pool task submitted once (one item of a known list): it runs once in all. */
  once?: true;
  /** One of the objects a call's receiver can be (`(x ? a : b).acquire()`): the others are alternatives. */
  alternative?: true;
  /**
   * The value put or sent is what another operation returned (a received item passed on), or
   * `map` of it (`item + 1`): the checker follows what it carries from what came in. `sources`:
   * several operations whose latest result it is (the same variable set by each).
   */
  argFrom?: { source: Op; path: readonly string[]; map?: ValueMap; sources?: readonly Op[] };
  /** The entry's top-level statement whose execution performed the operation (main only). */
  top?: ts.Statement;
  /**
   * Made by a pool's `callback` or `errorCallback`: it runs when the task's result comes back, at
   * the earliest once the submitting code yields (its next `await`), not where the flow places it.
   */
  callback?: true;
  /** `result` ops of `res.get()`/`res.wait()`: the submit calls (`applyAsync`…) whose result is read. */
  submits?: ts.CallExpression[];
  /**
   * `result` ops: the submissions whose results are read (their `PoolTask.id`; one call submitting
   * in a loop makes several). Several: the result of any one of them (a variable set by each).
   */
  tasks?: number[];
  /**
   * A `result` of `imap`, which gives the results in the order of the items: the item (its task
   * within the submission) whose result this read waits for. An `imapUnordered` read takes any
   * finished task's.
   */
  item?: number;
}

/**
 * A pure function of a received value, as the program computes it before testing it
 * (`x % 7`, `item.price * 2 > 100`, `HANDLERS[msg.kind]`): applied to a constant, its result
 * ('object' for an object or a function; undefined when the analysis cannot name it). `key` tells
 * two such functions apart.
 */
export interface ValueMap {
  key: string;
  f: (v: ConstValue) => { v: ConstValue } | 'object' | undefined;
}

/**
 * A branch on what an operation returned: `if (item === null)`, `if (!item)`,
 * `switch (msg.kind) { case 'add': … }`, `if (!(await lock.acquire(true, 1)))`. The first
 * alternative runs exactly when the test holds of the value the `source` operation (a get, recv,
 * acquire, wait…) returned last in this process, at `path` inside it (`msg.kind`: ['kind']).
 */
export interface BranchGuard {
  source: Op;
  /** Several operations whose latest result the branch tests (the same variable set by each). */
  sources?: readonly Op[];
  path: readonly string[];
  /**
   * `eq`: the value is `value`; `nullish`: it is null or undefined; `truthy`: it is truthy;
   * `typeof`: its `typeof` is `value` (`typeof item === 'number'`).
   */
  test: 'eq' | 'nullish' | 'truthy' | 'typeof';
  value?: ConstValue;
  /** The test is of a function of that value (`if (x % 7 === 0)`): `map` of it. */
  map?: ValueMap;
}

/** Control flow of one process over its operations, in program order. */
export type Flow =
  | { k: 'op'; op: Op }
  | { k: 'seq'; items: Flow[] }
  /** `lost`: its condition reads a value a summarized loop lost (which way it goes is not the program's choice to report on). */
  | { k: 'branch'; alts: Flow[]; guard?: BranchGuard; cond?: ts.Expression; lost?: true }
  | { k: 'loop'; count: EdgeCount; body: Flow }
  | { k: 'try'; body: Flow; handler: Flow | undefined; finalizer: Flow | undefined }
  /**
   * A call of a function (its body, for stack and decisions). `detached`: an async function whose
   * promise the caller drops (`increment(c);`): its body goes on after the caller has moved on, so
   * it holds none of the caller's locks. `task`: one pool task run by a pool worker (see
   * `Extraction.poolTasks`): a call of its own, so nothing it read is known to the next task.
   */
  | { k: 'call'; body: Flow; detached?: true; task?: true }
  | { k: 'exit'; how: 'break' | 'continue' | 'return' | 'throw'; label?: string; node?: ts.Statement };

/**
 * What a pool's workers run for one submit operation (`pool.applyAsync(f, …)`, `pool.map(f, xs)`),
 * or, without one, the pool's initializer (each worker runs it once at its start).
 */
export interface PoolTask {
  submit: Op | undefined;
  /**
   * The submission's number, as the `tasks` of the results read name it (`map` over known items
   * makes one task per item, all with one number).
   */
  id?: number;
  /** Tasks one execution of the submit puts in the pool (one item: 1; `map` over n items at once: n). */
  tasks: Multiplicity;
  flow: Flow;
}

/**
 * Why a process's code is not followed exactly: the interpreter's step budget ran out; it runs code
 * made at run time; a generator it consumes runs operations (their order against the consuming
 * loop is not modelled); it runs waits side by side (async functions not awaited one at a time, a
 * wait raced against a timer).
 */
export type OpaqueWhy = 'budget' | 'eval' | 'generator' | 'concurrent';

export interface Extraction {
  entry: ts.SourceFile;
  main: MainProcess;
  /** False for a module analyzed on its own: it has no main process. */
  isEntry: boolean;
  /** Source files whose code the program runs (the entry and what it calls into). */
  reached: ReadonlySet<ts.SourceFile>;
  sites: ObjectSite[];
  ops: Op[];
  flows: Map<ProcessRef, Flow>;
  /** Processes whose code the analysis cannot follow exactly, and why. */
  opaque: ReadonlyMap<ProcessRef, OpaqueWhy>;
  /** The functions each process runs (its target and everything it calls), for rules that read code. */
  functionsRun: ReadonlyMap<ProcessRef, ReadonlySet<ts.Node>>;
  /**
   * Objects passed to code the analysis cannot see into (a library function, an unknown class, a
   * property of an unknown object, a call too deep or recursive to follow): that code may operate
   * on them. Absent: none.
   */
  escaped?: ReadonlySet<ObjectSite>;
  /**
   * Submit calls (`applyAsync`…) whose AsyncResult reached such code (it may read the result), or
   * whose readiness the program tests (`ready()`, `successful()`: which results it then reads, and
   * when, depends on what the analysis does not follow).
   */
  escapedResults?: ReadonlySet<ts.CallExpression>;
  /**
   * Per pool worker site, what its workers run, task by task (its flow in `flows` is any of them,
   * any number of times). Absent: no pool.
   */
  poolTasks?: ReadonlyMap<ObjectSite, readonly PoolTask[]>;
}

export const UNKNOWN: AbsValue = { t: 'unknown' };

export function valueSites(v: AbsValue): { site: ObjectSite; end?: 0 | 1 }[] {
  switch (v.t) {
    case 'obj': return [v.end === undefined ? { site: v.site } : { site: v.site, end: v.end }];
    case 'coll': return v.items.flatMap(valueSites);
    case 'union': return v.alts.flatMap(valueSites);
    default: return [];
  }
}

export function union(values: AbsValue[]): AbsValue {
  const flat: AbsValue[] = [];
  for (const v of values) {
    for (const x of v.t === 'union' ? v.alts : [v]) {
      // Unknown values are all alike (some only remember where they were made: see Extractor.origins).
      if (!flat.includes(x) && !(x.t === 'unknown' && flat.some((y) => y.t === 'unknown'))) flat.push(x);
    }
  }
  if (flat.length === 0) return UNKNOWN;
  if (flat.length === 1) return flat[0]!;
  return { t: 'union', alts: flat };
}

export function mulMultiplicity(a: Multiplicity, b: Multiplicity): Multiplicity {
  return a === 'several' || b === 'several' ? 'several' : a * b;
}

export function addMultiplicity(a: Multiplicity, b: Multiplicity): Multiplicity {
  return a === 'several' || b === 'several' ? 'several' : a + b;
}

export function processMultiplicity(p: ProcessRef): Multiplicity {
  return p.kind === 'main' ? 1 : p.multiplicity;
}
