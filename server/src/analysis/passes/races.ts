// What unsynchronized-update and shared-file-race share: read-modify-write sequences on one shared
// slot (a Value, an element or key of a shared array, manager dict or list, or a file path) by
// processes that can run at the same time, where no one lock is held across both sequences.
// The sequences come from process-paths.ts: a read, then on the same path a write of a value that
// is not a constant, with the locks held across both.
import type ts from 'typescript';
import type { Finding } from '../../../../common/model';
import type { ObjectSite, ProcessRef } from '../facts';
import type { RuleContext } from '../rule-context';
import { concurrent, ordered, singleObject, type Rmw } from './process-paths';
import { finding, hasOpaqueCode, processName } from '../rule-helpers';

export function raceFindings(ctx: RuleContext, rule: 'unsynchronized-update' | 'shared-file-race', files: boolean): Finding[] {
  if (hasOpaqueCode(ctx)) return [];
  const pp = ctx.passes.processPaths;
  const events = pp.rmw.filter((e) => pp.done.has(e.proc) && (e.site.kind === 'file') === files && e.key !== '?'
    && (files || singleObject(e.site)));
  const bySlot = new Map<string, Rmw[]>();
  for (const e of events) {
    const key = `${pp.siteIndex.get(e.site)}:${e.key}`;
    const list = bySlot.get(key) ?? [];
    list.push(e);
    bySlot.set(key, list);
  }
  const findings: Finding[] = [];
  for (const list of bySlot.values()) {
    let race: [Rmw, Rmw] | undefined;
    for (let i = 0; i < list.length && !race; i++) {
      for (let j = i; j < list.length && !race; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.protect.some((l) => b.protect.includes(l))) continue;
        // A pool task submitted once runs once: it does not race with itself.
        if (a === b && a.read.once) continue;
        if (concurrent(pp, a, b) && !ordered(pp, { proc: a.proc, before: a.writeSync }, { proc: b.proc, after: b.readSync }, false)
          && !ordered(pp, { proc: b.proc, before: b.writeSync }, { proc: a.proc, after: a.readSync }, false)) race = [a, b];
      }
    }
    if (!race) continue;
    const [a, b] = byPosition(race[0], race[1]);
    const site = a.site;
    const slot = describeSlot(site, a.key);
    const other = a.proc === b.proc ? `another instance of ${processName(b.proc)}` : processName(b.proc);
    const related: { message: string; at: ts.Node }[] = [{ message: `${processName(a.proc)} reads ${slot} here`, at: a.read.call }];
    if (b !== a) {
      related.push({ message: `${other} reads ${slot} here`, at: b.read.call });
      if (b.write.call !== a.write.call) related.push({ message: `${other} writes it here`, at: b.write.call });
    } else {
      related.push({ message: `${other} runs the same code at the same time`, at: b.proc.kind === 'main' ? a.write.call : b.proc.node });
    }
    const who = a.proc === b.proc ? `The ${instances(a.proc)} ${a.proc.kind === 'main' ? 'main' : a.proc.label} processes`
      : processName(a.proc) === processName(b.proc) ? `Two ${processName(a.proc)} processes` : `${processName(a.proc)} and ${processName(b.proc)}`;
    const what = files
      ? `${who} can each read then write the file ${site.path ?? site.label} without holding one common lock: one process's write overwrites another's update`
      : `${who} can each read then write ${slot} without holding one common lock: updates get lost`;
    findings.push(finding(ctx, {
      rule,
      severity: 'warning',
      message: what,
      at: a.write.call,
      related,
      sites: [site, a.proc, b.proc],
      ops: [a.read, a.write, b.read, b.write],
    }));
  }
  return findings;
}

function instances(p: ProcessRef): string {
  const m = p.kind === 'main' ? 1 : p.multiplicity;
  return m === 'several' ? 'several' : String(m);
}

function byPosition(a: Rmw, b: Rmw): [Rmw, Rmw] {
  const fa = a.write.call.getSourceFile();
  const fb = b.write.call.getSourceFile();
  const cmp = fa.fileName.localeCompare(fb.fileName) || a.write.call.getStart(fa) - b.write.call.getStart(fb);
  return cmp <= 0 ? [a, b] : [b, a];
}

function describeSlot(site: ObjectSite, key: string): string {
  if (site.kind === 'value' || key === '') return site.label;
  const k = JSON.parse(key) as string;
  if (site.kind === 'namespace') return `${site.label}.${k}`;
  return site.kind === 'dict' ? `${site.label}[${JSON.stringify(k)}]` : `${site.label}[${k}]`;
}
