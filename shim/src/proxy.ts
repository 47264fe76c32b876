// How a proxy gets its ObjectRef. User code constructs proxies with Python's arguments
// (`new Lock()`, `new Queue(5)`), which make a fresh reference; a reference arriving from another
// process is revived through the same constructor, with the reference passed beside the call.
import { nextObjectId, traceObject } from './runtime';
import type { ObjectRef } from './serialize';

let reviving: ObjectRef | null = null;

/** The first thing a proxy constructor does: the reference being revived, or a fresh one. */
export function takeRef(kind: string, params: () => Record<string, unknown>): ObjectRef {
  const ref = reviving;
  reviving = null;
  if (ref) return ref;
  const fresh = { kind, id: nextObjectId(), params: params() };
  traceObject(fresh);
  return fresh;
}

/** Run `make` (a constructor call) so that the proxy it builds takes `ref`. */
export function reviveWith<T>(ref: ObjectRef, make: () => T): T {
  reviving = ref;
  try {
    return make();
  } finally {
    reviving = null;
  }
}
