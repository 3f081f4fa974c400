import { describe, expect, it } from 'vitest';
import { fullInput, minimalInput } from '../../test/fixtures/render.js';
import { desiredCronJob, render } from './children.js';

const podOf = (input = minimalInput()) => {
  const spec = render(input).jobSpec.template.spec;
  if (!spec) throw new Error('no pod spec');
  return spec;
};

const PLACEMENT_KEYS = [
  'imagePullSecrets',
  'nodeSelector',
  'tolerations',
  'affinity',
  'priorityClassName',
  'runtimeClassName',
];

describe('the pod as platform teams set it', () => {
  it('adds nothing when neither the runtime nor the AgentJob sets a placement field', () => {
    const pod = podOf();
    for (const key of PLACEMENT_KEYS) expect(pod, key).not.toHaveProperty(key);
  });

  it("takes the runtime's image pull Secrets, node selector, tolerations, affinity, priority and runtime class", () => {
    const input = minimalInput();
    Object.assign(input.refs.runtime.spec, {
      imagePullSecrets: [{ name: 'registry' }],
      nodeSelector: { pool: 'agents' },
      tolerations: [{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
      priorityClassName: 'agents-low',
      runtimeClassName: 'gvisor',
    });
    expect(podOf(input)).toMatchObject({
      imagePullSecrets: [{ name: 'registry' }],
      nodeSelector: { pool: 'agents' },
      tolerations: [{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
      priorityClassName: 'agents-low',
      runtimeClassName: 'gvisor',
    });
  });

  it('lets an AgentJob add node labels and tolerations and replace affinity and priority, not the runtime class', () => {
    const gpu = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
    };
    const input = minimalInput({
      nodeSelector: { gpu: 'true', pool: 'gpu-agents' },
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
      affinity: gpu,
      priorityClassName: 'agents-high',
    });
    Object.assign(input.refs.runtime.spec, {
      nodeSelector: { pool: 'agents', 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'agents', operator: 'Exists' }],
      affinity: { podAntiAffinity: {} },
      priorityClassName: 'agents-low',
      runtimeClassName: 'gvisor',
    });
    const pod = podOf(input);
    expect(pod.nodeSelector).toEqual({ pool: 'gpu-agents', 'kubernetes.io/arch': 'amd64', gpu: 'true' });
    expect(pod.tolerations).toEqual([
      { key: 'agents', operator: 'Exists' },
      { key: 'gpu', operator: 'Exists' },
    ]);
    expect(pod.affinity).toEqual(gpu);
    expect(pod.priorityClassName).toBe('agents-high');
    expect(pod.runtimeClassName).toBe('gvisor');
  });

  it('changes the configHash with each placement field, since a Job template cannot be edited', () => {
    const base = render(minimalInput()).configHash;
    const withRuntimeClass = minimalInput();
    withRuntimeClass.refs.runtime.spec.runtimeClassName = 'kata';
    expect(render(withRuntimeClass).configHash).not.toBe(base);
    expect(render(minimalInput({ nodeSelector: { pool: 'x' } })).configHash).not.toBe(base);
    expect(render(minimalInput({ priorityClassName: 'p' })).configHash).not.toBe(base);
    // An empty selector adds nothing to the pod, so nothing to the hash.
    expect(render(minimalInput({ nodeSelector: {}, tolerations: [] })).configHash).toBe(base);
  });
});

describe('how the agent reports a run', () => {
  it('keeps the log tail of a failed container (FallbackToLogsOnError) on every Job and CronJob', () => {
    expect(podOf().containers[0]?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    const input = fullInput();
    const cron = desiredCronJob(input.agentJob, render(input), input.spec);
    expect(cron.spec?.jobTemplate.spec?.template.spec?.containers[0]?.terminationMessagePolicy).toBe(
      'FallbackToLogsOnError',
    );
  });

  it('leaves the configHash of every AgentJob as it was before: an upgrade starts no run', () => {
    // Values of the release before run reporting and the optional pod fields existed.
    expect(render(minimalInput()).configHash).toBe('ee1a4899eb9814a8');
    expect(render(fullInput({ schedule: undefined })).configHash).toBe(render(fullInput()).configHash);
  });
});

describe('run policies', () => {
  it('give the CronJob Forbid, 3 and 3 and no starting deadline when unset, as the original did', () => {
    const input = fullInput();
    expect(desiredCronJob(input.agentJob, render(input), input.spec).spec).toMatchObject({
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(desiredCronJob(input.agentJob, render(input), input.spec).spec).not.toHaveProperty(
      'startingDeadlineSeconds',
    );
    expect(render(input).jobSpec.backoffLimit).toBe(0);
  });

  it('pass the AgentJob policies to the CronJob and retries to the backoff limit', () => {
    const input = fullInput({
      concurrencyPolicy: 'Replace',
      successfulRunsHistoryLimit: 1,
      failedRunsHistoryLimit: 5,
      startingDeadlineSeconds: 300,
      retries: 2,
    });
    const rendered = render(input);
    expect(desiredCronJob(input.agentJob, rendered, input.spec).spec).toMatchObject({
      concurrencyPolicy: 'Replace',
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 5,
      startingDeadlineSeconds: 300,
    });
    expect(rendered.jobSpec.backoffLimit).toBe(2);
    expect(rendered.configHash).not.toBe(render(fullInput()).configHash);
  });
});
