// Figures from judged programs: by injected rule, by reported rule and by feature axis (counts of
// programs, hangs, misses, suspected false alarms, generator-vs-shim disagreements), as Markdown
// for people and as JSON for comparing two runs (a program is identified by seed and index, so
// two reports of the same seed line up program by program).
import type { ProgramResult } from './evaluate';
import { describeExplanation } from './explain';
import type { Judgement } from './judge';
import type { Expect } from './types';

export interface Tally {
  programs: number;
  /** Programs the generator built with a bug. */
  buggy: number;
  /** Programs that hung in some run. */
  hung: number;
  /** Programs with an effect the analysis must report (a hang, a run-time error, a lost update). */
  effects: number;
  found: number;
  misses: number;
  /** Programs with at least one suspected false alarm. */
  falseAlarms: number;
  /** The same split by family: [blocking, run-time error, race]. */
  missesBy: [number, number, number];
  falseAlarmsBy: [number, number, number];
  generatorDisagreements: number;
  analysisErrors: number;
}

function emptyTally(): Tally {
  return { programs: 0, buggy: 0, hung: 0, effects: 0, found: 0, misses: 0, falseAlarms: 0, missesBy: [0, 0, 0], falseAlarmsBy: [0, 0, 0], generatorDisagreements: 0, analysisErrors: 0 };
}

/** What the analysis owed a program and what it gave, in one line of counts. */
export function classify(j: Judgement): { effects: number; found: number; misses: number; falseAlarm: boolean } {
  let effects = 0;
  let found = 0;
  let misses = 0;
  if (j.blocking === 'found' || j.blocking === 'miss') { effects++; if (j.blocking === 'found') found++; else misses++; }
  for (const r of j.runtime) {
    if (r.verdict === 'false-alarm') continue;
    effects++;
    if (r.verdict === 'found') found++;
    else misses++;
  }
  if (j.race === 'found' || j.race === 'miss') { effects++; if (j.race === 'found') found++; else misses++; }
  const falseAlarm = j.blocking === 'false-alarm' || j.race === 'false-alarm' || j.runtime.some((r) => r.verdict === 'false-alarm');
  return { effects, found, misses, falseAlarm };
}

function add(t: Tally, r: ProgramResult): void {
  const j = r.judgement;
  const c = classify(j);
  t.programs++;
  if (r.program.variant === 'bug') t.buggy++;
  if (j.observed.hung > 0) t.hung++;
  t.effects += c.effects;
  t.found += c.found;
  t.misses += c.misses;
  if (c.falseAlarm) t.falseAlarms++;
  if (j.blocking === 'miss') t.missesBy[0]++;
  t.missesBy[1] += j.runtime.filter((r) => r.verdict === 'miss').length;
  if (j.race === 'miss') t.missesBy[2]++;
  if (j.blocking === 'false-alarm') t.falseAlarmsBy[0]++;
  if (j.runtime.some((r) => r.verdict === 'false-alarm')) t.falseAlarmsBy[1]++;
  if (j.race === 'false-alarm') t.falseAlarmsBy[2]++;
  if (!j.generator.agrees) t.generatorDisagreements++;
  if (r.analysis.error) t.analysisErrors++;
}

export interface RuleRow {
  rule: string;
  /** Injected bugs of this rule whose effect the runs showed. */
  injected: number;
  observed: number;
  /** Reported by some rule of the right family. */
  found: number;
  /** Reported by this very rule. */
  foundByRule: number;
  misses: number;
  /** Programs reporting this rule. */
  reported: number;
  /** Of those, the runs showed the effect the rule claims. */
  confirmed: number;
  suspectedFalseAlarms: number;
  /** Reported where runs cannot judge (hygiene rules). */
  unjudged: number;
}

export interface Report {
  total: Tally;
  byScenario: Record<string, Tally>;
  byFeature: Record<string, Tally>;
  byRule: RuleRow[];
  /** Findings of rules the runs cannot judge, on programs the generator built correct. */
  otherOnCorrect: Record<string, number>;
  generatorDisagreements: { id: string; scenario: string; bug?: string; why: string }[];
  /** Disagreement classes found by the explainer (with --explain). */
  classes?: DisagreementClass[];
}

export interface DisagreementClass {
  /** `miss:blocking <- import:destructured`, or `... <- (core) scenario/bug`. */
  key: string;
  programs: number;
  examples: string[];
}

/**
 * Groups the explained disagreements: one class per (disagreement, way of writing that causes
 * it); a disagreement several axes explain alone counts in each of their classes.
 */
export function disagreementClasses(results: readonly ProgramResult[]): DisagreementClass[] {
  const classes = new Map<string, DisagreementClass>();
  for (const r of results) {
    for (const e of r.explanations ?? []) {
      const keys = e.core
        ? [`${e.what} <- (core) ${r.program.scenario}${r.program.bug ? `/${r.program.bug.kind}` : ' (correct)'}`]
        : e.alone.length > 0
          ? e.alone.map((a) => `${e.what} <- ${a}`)
          : [`${e.what} <- ${e.together.join(' & ')}`];
      for (const key of keys) {
        let c = classes.get(key);
        if (!c) classes.set(key, (c = { key, programs: 0, examples: [] }));
        c.programs++;
        if (c.examples.length < 3) c.examples.push(r.program.id);
      }
    }
  }
  return [...classes.values()].sort((a, b) => b.programs - a.programs || a.key.localeCompare(b.key));
}

export function buildReport(results: readonly ProgramResult[]): Report {
  const total = emptyTally();
  const byScenario: Record<string, Tally> = {};
  const byFeature: Record<string, Tally> = {};
  const rules = new Map<string, RuleRow>();
  const row = (rule: string): RuleRow => {
    let x = rules.get(rule);
    if (!x) rules.set(rule, (x = { rule, injected: 0, observed: 0, found: 0, foundByRule: 0, misses: 0, reported: 0, confirmed: 0, suspectedFalseAlarms: 0, unjudged: 0 }));
    return x;
  };
  const otherOnCorrect: Record<string, number> = {};
  const disagreements: Report['generatorDisagreements'] = [];
  for (const r of results) {
    add(total, r);
    add((byScenario[r.program.scenario] ??= emptyTally()), r);
    for (const f of r.program.features) add((byFeature[f] ??= emptyTally()), r);
    const j = r.judgement;
    if (!j.generator.agrees) disagreements.push({ id: r.program.id, scenario: r.program.scenario, ...(r.program.bug ? { bug: r.program.bug.kind } : {}), why: j.generator.why ?? '' });
    const reported = new Set(r.analysis.findings.map((f) => f.rule));
    // By injected rule.
    if (r.program.bug) {
      const x = row(r.program.bug.rule);
      x.injected++;
      const c = classify(j);
      if (c.effects > 0) {
        x.observed++;
        if (c.misses === 0) x.found++;
        else x.misses++;
        if (reported.has(r.program.bug.rule)) x.foundByRule++;
      }
    }
    // By reported rule.
    for (const rule of reported) {
      const x = row(rule);
      x.reported++;
      const family = r.analysis.findings.find((f) => f.rule === rule)!.family;
      if (family === 'blocking') {
        if (j.blocking === 'found') x.confirmed++;
        else if (j.blocking === 'false-alarm') x.suspectedFalseAlarms++;
        else x.unjudged++;
      } else {
        const rt = j.runtime.find((v) => v.rule === rule);
        if (rt) {
          if (rt.verdict === 'found') x.confirmed++;
          else x.suspectedFalseAlarms++;
        } else if (rule === 'unsynchronized-update' || rule === 'shared-file-race') {
          if (j.race === 'found') x.confirmed++;
          else if (j.race === 'false-alarm') x.suspectedFalseAlarms++;
          else x.unjudged++;
        } else {
          x.unjudged++;
          if (r.program.variant === 'correct') otherOnCorrect[rule] = (otherOnCorrect[rule] ?? 0) + 1;
        }
      }
    }
  }
  return {
    total, byScenario, byFeature,
    byRule: [...rules.values()].sort((a, b) => a.rule.localeCompare(b.rule)),
    otherOnCorrect, generatorDisagreements: disagreements,
  };
}

const pct = (n: number, d: number) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)} %`);

function tallyTable(title: string, rows: [string, Tally][]): string[] {
  const out = [
    `### ${title}`, '',
    'Misses and suspected false alarms are split as blocking / run-time error / race (programs).', '',
    '| | programs | buggy | hung | effects | found | misses | miss % | misses b/e/r | programs with a suspected false alarm | false alarms b/e/r | generator ≠ shim |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [k, t] of rows) {
    out.push(`| ${k} | ${t.programs} | ${t.buggy} | ${t.hung} | ${t.effects} | ${t.found} | ${t.misses} | ${pct(t.misses, t.effects)} | ${t.missesBy.join(' / ')} | ${t.falseAlarms} | ${t.falseAlarmsBy.join(' / ')} | ${t.generatorDisagreements} |`);
  }
  return [...out, ''];
}

export function renderMarkdown(rep: Report, meta: { seed: number; count: number; from: number; runs: string; oracle: string }): string {
  const t = rep.total;
  const out: string[] = [
    `## Oracle: seed ${meta.seed}, programs ${meta.from}..${meta.from + meta.count - 1} (${meta.oracle}, ${meta.runs})`, '',
    `- programs: ${t.programs} (${t.buggy} with an injected bug), hung in some run: ${t.hung}`,
    `- effects the analysis must report (hangs, run-time errors, lost updates): ${t.effects}; found ${t.found}, **missed ${t.misses} (${pct(t.misses, t.effects)})**`,
    `- misses by family: blocking ${t.missesBy[0]}, run-time error ${t.missesBy[1]}, race ${t.missesBy[2]}`,
    `- programs with a suspected false alarm: **${t.falseAlarms}** (${pct(t.falseAlarms, t.programs)} of programs); blocking ${t.falseAlarmsBy[0]}, run-time error ${t.falseAlarmsBy[1]}, race ${t.falseAlarmsBy[2]}`,
    `- generator vs shim disagreements: ${t.generatorDisagreements}; analysis errors: ${t.analysisErrors}`, '',
    '### By rule', '',
    'Left: bugs injected for the rule (found = reported by a rule of the right family). Right: programs on which the rule was reported.', '',
    '| rule | injected | effect seen | found | by this rule | missed | miss % | reported | confirmed by runs | suspected false alarms | not judged by runs |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rep.byRule.map((r) => `| ${r.rule} | ${r.injected} | ${r.observed} | ${r.found} | ${r.foundByRule} | ${r.misses} | ${pct(r.misses, r.observed)} | ${r.reported} | ${r.confirmed} | ${r.suspectedFalseAlarms} | ${r.unjudged} |`),
    '',
    ...tallyTable('By scenario', Object.entries(rep.byScenario).sort()),
    ...tallyTable('By feature', Object.entries(rep.byFeature).sort()),
  ];
  const other = Object.entries(rep.otherOnCorrect).sort();
  if (other.length > 0) {
    out.push('### Findings the runs cannot judge, on programs built correct', '', ...other.map(([k, v]) => `- ${k}: ${v}`), '');
  }
  if (rep.classes && rep.classes.length > 0) {
    out.push(
      '### Disagreement classes (explainer: the way of writing whose plain form makes the disagreement go)', '',
      '| disagreement <- cause | programs | examples |', '|---|---|---|',
      ...rep.classes.map((c) => `| ${c.key.replace(/\|/g, '\\|')} | ${c.programs} | ${c.examples.join(', ')} |`), '',
    );
  }
  if (rep.generatorDisagreements.length > 0) {
    out.push('### Generator vs shim disagreements', '', ...rep.generatorDisagreements.map((d) => `- ${d.id} (${d.scenario}${d.bug ? `/${d.bug}` : ''}): ${d.why}`), '');
  }
  return out.join('\n');
}

/** One program's line in the JSON output (its files are regenerated from seed and index). */
export interface ProgramRecord {
  id: string;
  seed: number;
  index: number;
  scenario: string;
  variant: string;
  bug?: string;
  rule?: string;
  features: string[];
  expect: Expect;
  runs: { outcome: string; code: number | null; ms: number; errors: string[]; results: Record<string, number> }[];
  findings: { rule: string; at: string }[];
  notes: string[];
  analysisMs: number;
  analysisError?: string;
  verdict: Omit<Judgement, 'observed'> & { observed: Judgement['observed'] };
  explanations?: string[];
}

export function records(results: readonly ProgramResult[]): ProgramRecord[] {
  return results.map((r) => ({
    id: r.program.id, seed: r.program.seed, index: r.program.index, scenario: r.program.scenario, variant: r.program.variant,
    ...(r.program.bug ? { bug: r.program.bug.kind, rule: r.program.bug.rule } : {}),
    features: r.program.features, expect: r.program.expect,
    runs: r.runs.map((x) => ({ outcome: x.outcome, code: x.code, ms: x.ms, errors: x.errors, results: x.results })),
    findings: r.analysis.findings.map((f) => ({ rule: f.rule, at: f.at })),
    notes: r.analysis.notes,
    analysisMs: Math.round(r.analysis.ms),
    ...(r.analysis.error ? { analysisError: r.analysis.error.split('\n')[0]! } : {}),
    verdict: r.judgement,
    ...(r.explanations ? { explanations: r.explanations.map(describeExplanation) } : {}),
  }));
}

/** What changed between two JSON outputs, program by program (same seed and index). */
export function compareRecords(before: readonly ProgramRecord[], after: readonly ProgramRecord[]): string[] {
  const key = (p: ProgramRecord) => `${p.seed}:${p.index}:${p.variant}`;
  const old = new Map(before.map((p) => [key(p), p]));
  const out: string[] = [];
  const summary = (p: ProgramRecord) => {
    const v = p.verdict;
    return [`blocking ${v.blocking}`, ...v.runtime.map((r) => `${r.rule} ${r.verdict}`), `race ${v.race}`].join(', ');
  };
  for (const p of after) {
    const o = old.get(key(p));
    if (!o) continue;
    const a = summary(o);
    const b = summary(p);
    if (a !== b) out.push(`${p.id} (${p.scenario}${p.bug ? `/${p.bug}` : ''}): ${a}  ->  ${b}`);
  }
  return out;
}
