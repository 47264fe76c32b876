// The passes several rules share, for one program: made by the driver (analyze.ts) before the rules
// run and handed to each in `RuleContext.passes`, so that a rule holds no cache of its own and a
// pass runs at most once per program. Each is computed on first use: a program no rule asks
// about locks or counts does not pay for the walks.
import type ts from 'typescript';
import type { Extraction, Flow, Op } from '../facts';
import { FlowSlices, maxAlongPaths, type Count } from './flow-paths';
import { FlowWalkMemo } from './flow-walk';
import { computeProcessPaths, type ProcessPaths } from './process-paths';

export class Passes {
  private paths: ProcessPaths | undefined;
  private readonly slices = new FlowSlices();
  private readonly walkMemo = new FlowWalkMemo();

  constructor(private readonly extraction: Extraction, private readonly checker: ts.TypeChecker) {}

  /** What each process does along its paths: locks held, processes started, reads then writes. */
  get processPaths(): ProcessPaths {
    return (this.paths ??= computeProcessPaths(this.extraction, this.checker, this.walkMemo));
  }

  /** See flow-paths.ts `maxAlongPaths`; the slices of a flow per predicate are kept for the program. */
  maxAlongPaths(flow: Flow, pred: (op: Op) => boolean, start = 0, threshold = Infinity): { max: Count; crossing?: Op } {
    return maxAlongPaths(this.slices, flow, pred, start, threshold);
  }
}
