// Wiring of controlled scheduling (scheduler.ts) and steered replay (steer.ts): in the main process
// the gate on its hub, fed by the processes' own news (a wait without the hub begins or ends, a
// child is started or ends); in a child, that news sent to the main process as monitor frames
// ({o: 'sched'}, not counted among operations). Decisions and outcomes go to the trace and the
// report file.
import fs from 'node:fs';
import type { Hub, HubClient } from './hub';
import type { Monitor } from './monitor';
import { spawnHooks } from './process';
import { Scheduler, strategyOf } from './scheduler';
import type { Site } from './site';
import { Steering } from './steer';
import { sendEvent } from './trace';
import type { Header, SocketPort } from './transport';
import { localStepHooks, localWaitHooks } from './waits';

const where = (site: Site | null | undefined): string | null => (site ? `${site.file}:${site.line}` : null);

/** In the main process: the gate PT_MP_SCHEDULE or PT_MP_STEER asks for (none: nothing to do). */
export function controlRoot(hub: Hub, monitor: Monitor, report: (line: Record<string, unknown>) => void): void {
  const schedule = (process.env.PT_MP_SCHEDULE ?? '').trim();
  const steerFile = (process.env.PT_MP_STEER ?? '').trim();
  if (!schedule && !steerFile) return;
  let news: (client: HubClient, h: Header) => void;
  if (schedule) {
    const { strategy, seed } = strategyOf(schedule);
    const gate = new Scheduler(hub, strategy, seed);
    hub.gate = gate;
    gate.onDecision = (d) => sendEvent({ e: 'sched', step: d.step, key: d.key, pid: d.pid, op: d.op, obj: d.obj, of: d.of });
    news = (client, h) => {
      if (typeof h.w === 'number') gate.localWait(client, h.w);
      if (typeof h.spawn === 'number') gate.spawned(h.spawn);
      if (typeof h.exit === 'number') gate.exited(h.exit);
    };
    localWaitHooks.push((delta) => gate.localWait(hub.local, delta));
    spawnHooks.spawned.push((pid) => gate.spawned(pid));
    spawnHooks.exited.push((pid) => gate.exited(pid));
    const record = process.env.PT_MP_SCHEDULE_RECORD;
    process.on('exit', () => {
      report({ kind: 'schedule', seed, steps: gate.decisions.length, diverged: gate.diverged });
      if (record) fs.writeFileSync(record, gate.decisions.map((d) => JSON.stringify(d)).join('\n') + '\n');
    });
  } else {
    const gate = new Steering(hub, steerFile);
    hub.gate = gate;
    gate.onStep = (k, s) => sendEvent({ e: 'steer', step: k, pid: s.pid, op: s.op, text: s.text });
    gate.onOutcome = (o) => {
      report({ ...o });
      sendEvent({ e: 'steer', outcome: o.outcome, at: o.at, why: o.why, done: o.done, steps: o.steps });
    };
    monitor.onReport.push((r) => {
      if (r.kind === 'deadlock') gate.deadlocked(r);
    });
    news = (client, h) => {
      if (typeof h.w === 'number') gate.localWait(client, h.w);
      if (typeof h.spawn === 'number') gate.spawned(h.spawn);
      if (typeof h.spawn === 'number' && h.made && typeof h.made === 'object') gate.placed(h.spawn, h.made as Site);
      if (typeof h.exit === 'number') gate.exited(h.exit);
      if (typeof h.step === 'string') gate.localStep(client, h.step, typeof h.sl === 'string' ? h.sl : null);
    };
    localWaitHooks.push((delta, op, site) => {
      gate.localWait(hub.local, delta);
      if (delta === -1) gate.localStep(hub.local, op, where(site));
    });
    spawnHooks.spawned.push((pid, start, made) => {
      gate.spawned(pid);
      gate.placed(pid, made);
      gate.localStep(hub.local, 'start', where(start));
    });
    localStepHooks.push((op, site) => gate.localStep(hub.local, op, where(site)));
    spawnHooks.exited.push((pid) => gate.exited(pid));
    process.on('exit', () => gate.ended());
  }
  monitor.onControl = news;
}

/** In a child of a controlled run: tell the main process what its hub cannot see. */
export function controlChild(port: SocketPort): void {
  if (!process.env.PT_MP_SCHEDULE && !process.env.PT_MP_STEER) return;
  localWaitHooks.push((delta, op, site) => {
    port.control({ o: 'sched', t: 'hub', w: delta, ...(delta === -1 ? { step: op, sl: where(site) } : {}) });
  });
  spawnHooks.spawned.push((pid, start, made) => port.control({ o: 'sched', t: 'hub', spawn: pid, step: 'start', sl: where(start), ...(made ? { made } : {}) }));
  if (process.env.PT_MP_STEER) localStepHooks.push((op, site) => port.control({ o: 'sched', t: 'hub', step: op, sl: where(site) }));
  spawnHooks.exited.push((pid) => port.control({ o: 'sched', t: 'hub', exit: pid }));
}
