// Per-rule severity settings (workspace setting and CLI `--rule id=…`), applied after the rules ran.
import type { Finding, Severity } from '../../../common/model';

export type RuleSetting = Severity | 'off';
export const RULE_SETTINGS: readonly RuleSetting[] = ['off', 'hint', 'info', 'warning', 'error'];

export function applySeverities(findings: Finding[], settings: ReadonlyMap<string, RuleSetting>): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const s = settings.get(f.rule);
    if (s === 'off') continue;
    out.push(s ? { ...f, severity: s } : f);
  }
  return out;
}
