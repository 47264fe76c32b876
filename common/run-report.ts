// A wait report (RuntimeReport, docs/runtime-trace.md) as text for people: each process with its
// state and the calls it waits in (operation, object, the user's line), then the objects those waits
// are on. The command line prints it; the editor opens it as a document. Pure.
import type { RuntimeReport } from './trace';

function where(loc: { file: string; range: { start: { line: number; character: number } } } | null): string {
  return loc ? `${loc.file}:${loc.range.start.line + 1}:${loc.range.start.character + 1}` : 'an unknown place';
}

export function reportText(r: RuntimeReport): string {
  const lines = [r.kind === 'deadlock' ? 'Deadlock: every process of the program is blocked in a shim call that no other process can answer.'
    : r.kind === 'no-progress' ? 'No progress: processes are blocked and no shim operation completed for a while.' : 'Wait report:'];
  if (typeof r.stalledMs === 'number') lines.push(`(The last shim operation completed ${r.stalledMs} ms before.)`);
  lines.push('');
  for (const p of r.processes ?? []) {
    lines.push(`${p.name} (pid ${p.pid}${p.target ? `, target ${p.target}` : ''}): ${p.state}${p.state === 'exited' && p.exitcode !== null ? ` with code ${p.exitcode}` : ''}`);
    for (const w of p.waits ?? []) {
      const o = r.objects?.find((x) => x.id === w.object);
      lines.push(`    waits in ${w.op}() on ${w.on}${o ? ` '${o.label}'` : ''}, called at ${where(w.loc)}, for ${w.waitingMs} ms`);
    }
    for (const b of p.busy ?? []) lines.push(`    also waits for ${b}`);
  }
  const objects = r.objects ?? [];
  if (objects.length > 0) {
    lines.push('', 'Objects:');
    for (const o of objects) {
      const state = Object.entries(o.state ?? {}).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
      lines.push(`    ${o.variant ?? o.kind} '${o.label}'${o.loc ? ` (made at ${where(o.loc)})` : ''}${state ? `: ${state}` : ''}`);
    }
  }
  return lines.join('\n');
}
