// The rule registry: every rule of rules.md that is implemented, by id.
import { deadlock } from './rules/deadlock';
import { missingSentinel } from './rules/missing-sentinel';
import { barrierPartiesMismatch } from './rules/barrier-parties-mismatch';
import { boundedQueueFull } from './rules/bounded-queue-full';
import { conditionNeverNotified } from './rules/condition-never-notified';
import { eventNeverSet } from './rules/event-never-set';
import { getWithoutProducer } from './rules/get-without-producer';
import { poolJoinBeforeClose } from './rules/pool-join-before-close';
import { poolResultsDropped } from './rules/pool-results-dropped';
import { taskDoneExcess } from './rules/task-done-excess';
import { taskDoneMissing } from './rules/task-done-missing';
import { useAfterClose } from './rules/use-after-close';
import { wrongPipeEnd } from './rules/wrong-pipe-end';
import { daemonHasChildren } from './rules/daemon-has-children';
import { doubleAcquire } from './rules/double-acquire';
import { joinUnstarted } from './rules/join-unstarted';
import { lockNotReleased } from './rules/lock-not-released';
import { lockOrderInversion } from './rules/lock-order-inversion';
import { processNotJoined } from './rules/process-not-joined';
import { releaseUnheld } from './rules/release-unheld';
import { sharedFileRace } from './rules/shared-file-race';
import { startTwice } from './rules/start-twice';
import { targetNotSpawnable } from './rules/target-not-spawnable';
import { unguardedStart } from './rules/unguarded-start';
import { unsendableValue } from './rules/unsendable-value';
import { unsynchronizedUpdate } from './rules/unsynchronized-update';
import type { Rule } from './rule-context';

export const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['missing-sentinel', missingSentinel],
  ['get-without-producer', getWithoutProducer],
  ['bounded-queue-full', boundedQueueFull],
  ['task-done-missing', taskDoneMissing],
  ['task-done-excess', taskDoneExcess],
  ['event-never-set', eventNeverSet],
  ['condition-never-notified', conditionNeverNotified],
  ['barrier-parties-mismatch', barrierPartiesMismatch],
  ['use-after-close', useAfterClose],
  ['wrong-pipe-end', wrongPipeEnd],
  ['pool-join-before-close', poolJoinBeforeClose],
  ['pool-results-dropped', poolResultsDropped],
  ['double-acquire', doubleAcquire],
  ['lock-order-inversion', lockOrderInversion],
  ['join-unstarted', joinUnstarted],
  ['start-twice', startTwice],
  ['daemon-has-children', daemonHasChildren],
  ['unguarded-start', unguardedStart],
  ['target-not-spawnable', targetNotSpawnable],
  ['unsendable-value', unsendableValue],
  ['lock-not-released', lockNotReleased],
  ['release-unheld', releaseUnheld],
  ['process-not-joined', processNotJoined],
  ['unsynchronized-update', unsynchronizedUpdate],
  ['shared-file-race', sharedFileRace],
  ['deadlock', deadlock],
]);
