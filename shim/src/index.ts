// @process-topology/multiprocessing: Python's multiprocessing for TypeScript (see shim/README.md).
export { DeadlockError, Empty, Full, ProcessError } from './errors';
export { DEADLOCK_EXIT_CODE, waitReport, waitReportText } from './monitor';
export {
  formatReport,
  REPORT_VERSION,
  type Location as ReportLocation,
  type ReportKind,
  type RuntimeObject,
  type RuntimeProcess,
  type RuntimeReport,
  type RuntimeWait,
} from './report';
export {
  Process,
  activeChildren,
  cpuCount,
  currentProcess,
  isMainProcess,
  parentProcess,
  type ProcessOptions,
} from './process';
export { Queue } from './queue';
export { TimeoutError } from './errors';
export { AsyncResult, IMapIterator, type ResultCallbacks } from './async-result';
export { MaybeEncodingError, Pool, WorkerLostError, type MapOptions, type PoolOptions } from './pool';
export {
  DictProxy,
  ListProxy,
  Manager,
  NamespaceProxy,
  ValueProxy,
  type BarrierProxy,
  type BoundedSemaphoreProxy,
  type ConditionProxy,
  type EventProxy,
  type JoinableQueueProxy,
  type LockProxy,
  type QueueProxy,
  type RLockProxy,
  type SemaphoreProxy,
} from './manager';
export { BrokenBarrierError, EOFError, OwnerDiedError, type DeadOwner } from './errors';
export { JoinableQueue } from './queue';
export { SimpleQueue } from './simple-queue';
export { Pipe } from './pipe';
export { Connection, type BytesLike } from './connection';
export { Lock, RLock } from './lock';
export { BoundedSemaphore, Semaphore } from './semaphore';
export { Event } from './event';
export { Condition } from './condition';
export { Barrier } from './barrier';
export {
  RawArray,
  RawSharedArray,
  RawSharedValue,
  RawValue,
  SharedArray,
  SynchronizedArray,
  SynchronizedValue,
  Value,
  type CharTypecode,
  type CValue,
  type LockLike,
  type NumericTypecode,
  type SyncOptions,
  type Typecode,
} from './sharedctypes';
