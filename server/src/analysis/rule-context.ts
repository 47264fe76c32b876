// What a rule is and what it is given. A rule is one object (`defineRule`) in rules/<id>.ts: its
// id, default severity, family, one-line summary, the path of its page under docs/rules/ and the
// function that finds it. Everything else about rules is derived from these objects: the registry
// (rule-registry.ts), the settings schema of `processTopology.rules` in package.json and the
// README's rule tables (scripts/generate-rules.mjs writes them; test/rules/registry.test.ts fails
// when they are stale).
import type ts from 'typescript';
import type { Finding, Severity } from '../../../common/model';
import type { Extraction } from './facts';
import type { Passes } from './passes';
import type { Locator, Topology } from './topology';

/** What every rule reads: one program's facts, its drawn topology, and the type checker. */
export interface RuleContext {
  checker: ts.TypeChecker;
  extraction: Extraction;
  topology: Topology;
  locator: Locator;
  /** What several rules read about the program, computed once per program by the driver (analyze.ts). */
  passes: Passes;
  /** Things the model should say about its own limits (a budget that ran out). */
  notes?: string[];
  /** States the deadlock checker may explore (per phase). */
  stateBudget?: number;
  /** Milliseconds the deadlock checker may take. */
  timeBudgetMs?: number;
  /** Budgets a program in phases may explore in all (explore.ts; default 3). */
  phaseBudgets?: number;
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

/** The families of the README's rule tables, in their order there. */
export const RULE_FAMILIES = ['blocking', 'lifecycle', 'hygiene', 'suppression'] as const;
export type RuleFamily = (typeof RULE_FAMILIES)[number];

export interface RuleDefinition {
  /** Kebab-case; also the name of the rule's file, its docs page and its test. */
  id: string;
  /** The severity its findings have unless a setting changes it. */
  severity: Severity;
  family: RuleFamily;
  /** One sentence: what it catches (settings, README table, docs). */
  summary: string;
  /** Its user-facing page, relative to the repository root: `docs/rules/<id>.md`. */
  docs: string;
  /**
   * The findings of one program. Absent for the two rules about suppression comments: those are
   * reported by analysis/suppressions.ts, once the findings of every program are known.
   */
  run?: (ctx: RuleContext) => Finding[];
}

export function defineRule(def: Omit<RuleDefinition, 'docs'>): RuleDefinition {
  return { ...def, docs: `docs/rules/${def.id}.md` };
}
