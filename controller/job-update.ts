/**
 * Changes to a Job that exists. Its pod template cannot change after creation, and a live Job's
 * template is not always the one we would render: Jobs created before a release added a field to
 * the pod (run reporting), and the Rust original's Jobs, adopted as they are. Applying the whole
 * desired Job would send our template and be refused as immutable, so what may change (suspend,
 * the time limit, labels) is sent alone, as a merge patch of the fields that differ.
 */

import { covers } from '../shared/equality.js';
import type { KubeObject } from '../shared/kube/client.js';

/** The part of `desired` that `live` lacks, leaving the pod template out; undefined when none. */
export function liveJobPatch(live: KubeObject, desired: KubeObject): Record<string, unknown> | undefined {
  const spec: Record<string, unknown> = {};
  const liveSpec = (live.spec ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries((desired.spec ?? {}) as Record<string, unknown>)) {
    if (key !== 'template' && !covers(liveSpec[key], value)) spec[key] = value;
  }
  const labels = desired.metadata?.labels;
  const patch: Record<string, unknown> = {};
  if (labels && !covers(live.metadata?.labels, labels)) patch.metadata = { labels };
  if (Object.keys(spec).length > 0) patch.spec = spec;
  return Object.keys(patch).length > 0 ? patch : undefined;
}
