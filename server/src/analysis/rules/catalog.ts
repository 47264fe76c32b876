// Every rule of rules.md: id, default severity, and the family it belongs to. The CLI's `--rule`,
// the settings and the docs use this list; `rules/index.ts` maps the implemented ones to code.
import type { Severity } from '../../../../common/model';

export type RuleFamily = 'blocking' | 'lifecycle' | 'hygiene' | 'suppression';

export interface RuleInfo {
  id: string;
  severity: Severity;
  family: RuleFamily;
  summary: string;
}

export const CATALOG: readonly RuleInfo[] = [
  { id: 'get-without-producer', severity: 'error', family: 'blocking', summary: 'A blocking get/recv on a queue or pipe end that nothing can ever put or send to.' },
  { id: 'missing-sentinel', severity: 'error', family: 'blocking', summary: 'Consumers loop until a sentinel, and fewer sentinels can be put than there are consumers.' },
  { id: 'bounded-queue-full', severity: 'error', family: 'blocking', summary: 'Puts into a bounded queue can exceed its size while nobody gets from it.' },
  { id: 'double-acquire', severity: 'error', family: 'blocking', summary: 'A process acquires a non-reentrant lock it already holds.' },
  { id: 'lock-order-inversion', severity: 'error', family: 'blocking', summary: 'Two processes take the same locks in opposite orders.' },
  { id: 'task-done-missing', severity: 'error', family: 'blocking', summary: 'JoinableQueue.join() waits while some item taken is never marked done.' },
  { id: 'event-never-set', severity: 'error', family: 'blocking', summary: 'Event.wait() without timeout where nothing can set the event.' },
  { id: 'condition-never-notified', severity: 'error', family: 'blocking', summary: 'Condition.wait() without timeout where no other process can notify.' },
  { id: 'barrier-parties-mismatch', severity: 'error', family: 'blocking', summary: 'Fewer processes can reach the barrier than its parties.' },
  { id: 'deadlock', severity: 'error', family: 'blocking', summary: 'Some interleaving reaches a state where processes wait on each other forever.' },
  { id: 'join-unstarted', severity: 'error', family: 'lifecycle', summary: 'join() on a process that may not have been started.' },
  { id: 'start-twice', severity: 'error', family: 'lifecycle', summary: 'start() can run twice on the same process.' },
  { id: 'daemon-has-children', severity: 'error', family: 'lifecycle', summary: 'A daemon process starts a process, pool or manager.' },
  { id: 'pool-join-before-close', severity: 'error', family: 'lifecycle', summary: 'pool.join() before close() or terminate().' },
  { id: 'use-after-close', severity: 'error', family: 'lifecycle', summary: 'A queue, connection, pool or manager proxy used after it was closed.' },
  { id: 'wrong-pipe-end', severity: 'error', family: 'lifecycle', summary: 'send on the receive-only end, or recv on the send-only end, of a one-way pipe.' },
  { id: 'unguarded-start', severity: 'error', family: 'lifecycle', summary: 'A process, pool or manager started at module top level outside the isMainProcess() guard.' },
  { id: 'target-not-spawnable', severity: 'error', family: 'lifecycle', summary: 'A target or pool function that is not an exported module-level function.' },
  { id: 'unsendable-value', severity: 'error', family: 'lifecycle', summary: 'A value structured clone cannot copy is sent to another process.' },
  { id: 'lock-not-released', severity: 'warning', family: 'hygiene', summary: 'An acquire whose release is skipped on some path.' },
  { id: 'release-unheld', severity: 'error', family: 'hygiene', summary: 'release() on a lock that is not held.' },
  { id: 'task-done-excess', severity: 'error', family: 'hygiene', summary: 'taskDone() called more often than items were taken.' },
  { id: 'process-not-joined', severity: 'warning', family: 'hygiene', summary: 'A started non-daemon process is never joined.' },
  { id: 'pool-results-dropped', severity: 'warning', family: 'hygiene', summary: 'Async pool results are never read and the pool is not closed and joined.' },
  { id: 'unsynchronized-update', severity: 'warning', family: 'hygiene', summary: 'Processes read then write shared state without a common lock: lost updates.' },
  { id: 'shared-file-race', severity: 'warning', family: 'hygiene', summary: 'Processes read then write the same file without a common lock.' },
  { id: 'suppression-without-reason', severity: 'hint', family: 'suppression', summary: 'A suppression comment without `-- reason`.' },
  { id: 'unused-suppression', severity: 'hint', family: 'suppression', summary: 'A suppression comment that suppresses nothing.' },
];

export const RULE_IDS: ReadonlySet<string> = new Set(CATALOG.map((r) => r.id));
