// The rule registry: every rule of rules.md that is implemented, by id.
import { deadlock } from './deadlock';
import { missingSentinel } from './missing-sentinel';
import { barrierPartiesMismatch } from './barrier-parties-mismatch';
import { boundedQueueFull } from './bounded-queue-full';
import { conditionNeverNotified } from './condition-never-notified';
import { eventNeverSet } from './event-never-set';
import { getWithoutProducer } from './get-without-producer';
import { poolJoinBeforeClose } from './pool-join-before-close';
import { poolResultsDropped } from './pool-results-dropped';
import { taskDoneExcess } from './task-done-excess';
import { taskDoneMissing } from './task-done-missing';
import { useAfterClose } from './use-after-close';
import { wrongPipeEnd } from './wrong-pipe-end';
import { daemonHasChildren } from './daemon-has-children';
import { doubleAcquire } from './double-acquire';
import { joinUnstarted } from './join-unstarted';
import { lockNotReleased } from './lock-not-released';
import { lockOrderInversion } from './lock-order-inversion';
import { processNotJoined } from './process-not-joined';
import { releaseUnheld } from './release-unheld';
import { sharedFileRace } from './shared-file-race';
import { startTwice } from './start-twice';
import { targetNotSpawnable } from './target-not-spawnable';
import { unguardedStart } from './unguarded-start';
import { unsendableValue } from './unsendable-value';
import { unsynchronizedUpdate } from './unsynchronized-update';
import type { Rule } from './context';

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
