import { describe, expect, it } from 'vitest';
import { liveJobPatch } from './job-update.js';

const desired = {
  metadata: { name: 'a-1', labels: { 'app.kubernetes.io/managed-by': 'thurkube' } },
  spec: { suspend: true, backoffLimit: 0, activeDeadlineSeconds: 60, template: { spec: { containers: [] } } },
};

describe('liveJobPatch', () => {
  it('sends only the fields that differ, never the pod template', () => {
    const live = {
      metadata: { name: 'a-1', labels: { 'app.kubernetes.io/managed-by': 'thurkube' } },
      spec: { suspend: false, backoffLimit: 0, activeDeadlineSeconds: 60, parallelism: 1 },
    };
    expect(liveJobPatch(live, desired)).toEqual({ spec: { suspend: true } });
  });

  it('is undefined when the live Job already holds everything but the template', () => {
    const live = {
      metadata: desired.metadata,
      spec: { suspend: true, backoffLimit: 0, activeDeadlineSeconds: 60 },
    };
    expect(liveJobPatch(live, desired)).toBeUndefined();
  });

  it('restores our labels when they were changed', () => {
    const live = {
      metadata: { name: 'a-1', labels: {} },
      spec: { suspend: true, backoffLimit: 0, activeDeadlineSeconds: 60 },
    };
    expect(liveJobPatch(live, desired)).toEqual({ metadata: { labels: desired.metadata.labels } });
  });
});
