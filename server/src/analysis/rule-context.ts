import type ts from 'typescript';
import type { Finding } from '../../../common/model';
import type { Extraction } from './facts';
import type { Locator, Topology } from './topology';

/** What every rule reads: one program's facts, its drawn topology, and the type checker. */
export interface RuleContext {
  checker: ts.TypeChecker;
  extraction: Extraction;
  topology: Topology;
  locator: Locator;
  /** Things the model should say about its own limits (a budget that ran out). */
  notes?: string[];
  /** States the deadlock checker may explore. */
  stateBudget?: number;
  /** Where rules add up what they cost (benchmarks read it). */
  stats?: AnalysisStats;
  /** Polled by long computations (the deadlock checker): true once the analysis is no longer wanted. */
  shouldStop?: () => boolean;
}

export interface AnalysisStats {
  deadlockStates: number;
  deadlockMs: number;
  budgetExhausted: number;
  /** Milliseconds spent in extraction and in building the topology, over all programs. */
  extractMs?: number;
  topologyMs?: number;
  /** Milliseconds per rule id, over all programs. */
  ruleMs?: Record<string, number>;
}

export type Rule = (ctx: RuleContext) => Finding[];
