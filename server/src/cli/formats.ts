// Output formats of the command line: findings as text or SARIF 2.1.0. The graph formats (DOT,
// Mermaid) are in common/graph-formats.ts, shared with the graph webview's export.
import { type Finding, type Location, type TopologyModel } from '../../../common/model';

/**
 * Findings one per line, then the model's notes (what the analysis could not settle, such as a
 * program too big for the deadlock checker: said, never taken for safety), then a count.
 */
export function formatText(findings: readonly Finding[], notes: readonly string[] = []): string {
  const lines = findings.map((f) => `${where(f.loc)}  ${f.severity}  ${f.message}${programsOf(f)}  [${f.rule}]`);
  for (const note of notes) lines.push(`note: ${note}`);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const total = findings.length;
  lines.push(total === 0 ? 'No problems found.'
    : `${total} problem${total === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})`);
  return lines.join('\n') + '\n';
}

/**
 * With several programs, which of them a finding is in, when its file does not say: a finding in
 * a module that some of the programs share.
 */
function programsOf(f: Finding): string {
  const programs = Array.isArray(f.programs) ? f.programs : [];
  if (programs.length === 0 || (programs.length === 1 && programs[0] === f.loc.file)) return '';
  return ` (in ${programs.join(', ')})`;
}

/** `file:line:col`, 1-based for people. */
export function where(loc: Location): string {
  return `${loc.file}:${loc.range.start.line + 1}:${loc.range.start.character + 1}`;
}

/**
 * A SARIF `artifactLocation` for a model file path: a relative path becomes a URI reference under
 * %SRCROOT% with each segment percent-encoded (spaces, `#`, `%` and non-ASCII are not allowed raw in
 * an RFC 3986 URI reference); an absolute path (another drive) becomes a `file:` URI of its own.
 */
export function sarifArtifactLocation(file: string): { uri: string; uriBaseId?: string } {
  if (/^[A-Za-z]:\//.test(file)) return { uri: `file:///${file.slice(0, 2)}${encodePath(file.slice(2))}` };
  if (file.startsWith('/')) return { uri: `file://${encodePath(file)}` };
  return { uri: encodePath(file), uriBaseId: '%SRCROOT%' };
}

function encodePath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

function sarifLocation(loc: Location, message?: string): Record<string, unknown> {
  return {
    physicalLocation: {
      artifactLocation: sarifArtifactLocation(loc.file),
      region: {
        startLine: loc.range.start.line + 1, startColumn: loc.range.start.character + 1,
        endLine: loc.range.end.line + 1, endColumn: loc.range.end.character + 1,
      },
    },
    ...(message ? { message: { text: message } } : {}),
  };
}

export function formatSarif(model: TopologyModel, version: string): string {
  const ruleIds = [...new Set(model.findings.map((f) => f.rule))].sort();
  const level = (s: Finding['severity']): string => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'process-topology', version, informationUri: 'https://github.com/process-topology/process-topology',
          rules: ruleIds.map((id) => ({ id, helpUri: `https://github.com/process-topology/process-topology/blob/main/docs/rules/${id}.md` })),
        },
      },
      originalUriBaseIds: { '%SRCROOT%': { uri: model.root.endsWith('/') ? model.root : `${model.root}/` } },
      // The model's notes (a program not checked for deadlocks, a budget that ran out).
      ...(model.notes && model.notes.length > 0 ? {
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: model.notes.map((text) => ({ level: 'note', message: { text } })) }],
      } : {}),
      results: model.findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: ruleIds.indexOf(f.rule),
        level: level(f.severity),
        message: { text: f.message },
        locations: [sarifLocation(f.loc)],
        relatedLocations: f.related.map((r, i) => ({ id: i + 1, ...sarifLocation(r.loc, r.message) })),
        // With several programs: the entries of those that report it.
        ...(f.programs && f.programs.length > 0 ? { properties: { programs: f.programs } } : {}),
        ...(f.trace && f.trace.length > 0 ? {
          codeFlows: [{ threadFlows: [{ locations: f.trace.map((s) => ({ location: sarifLocation(s.loc, `${s.process}: ${s.op}`) })) }] }],
        } : {}),
      })),
    }],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
