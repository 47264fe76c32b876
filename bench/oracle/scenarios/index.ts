// Every scenario the generator draws from, with its weight (scenario.weight).
import type { Scenario } from '../scenario';
import { bounded, joinable, joinOrder, pingpong, pipeline, rpc } from './channels';
import { lifecycle } from './lifecycle';
import { philosophers, reentrant, skipRelease, transfer } from './locks';
import { counter, pool } from './shared';
import { barrierPhases, conditionNotify, eventGate, slots } from './sync';
import { workqueue } from './workqueue';

export const SCENARIOS: readonly Scenario[] = [
  workqueue, pipeline, rpc, pingpong, joinOrder, bounded, joinable,
  philosophers, transfer, reentrant, skipRelease,
  eventGate, conditionNotify, barrierPhases, slots,
  counter, pool, lifecycle,
];
