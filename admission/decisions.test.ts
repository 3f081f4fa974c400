/**
 * The admission decisions as functions: a decoded request and an in-memory Lookups in, a verdict
 * or a patch out. The HTTP edge (edge.test.ts), the app with its caches (mutate/validate tests
 * through the harness) and the real control plane (test/integration) are tested elsewhere.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../shared/kube/client.js';
import { ANNOTATION_DEFAULT } from '../shared/labels.js';
import { capturedReview, clusterObjects, NS } from '../test/fixtures/admission/harness.js';
import { MemoryLookups } from '../test/fixtures/admission/memory-lookups.js';
import { mutate } from './mutate.js';
import { type AdmissionRequest, decodeReview } from './review.js';
import { validate } from './validate.js';
import type { Settings } from './verdict.js';

const signal = new AbortController().signal;
const deny: Settings = { missingRefs: 'deny' };

/** A captured review, decoded as the edge would, with its spec changed by `edit`. */
function request(
  fixture: string,
  edit: (spec: Record<string, unknown>) => void = () => {},
): AdmissionRequest {
  const review = capturedReview(fixture);
  if (review.request.object) edit(review.request.object.spec);
  const decoded = decodeReview(review);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.request;
}

const summarize = (edit?: (spec: Record<string, unknown>) => void) =>
  request('validate-agentjob-create-summarize', edit);

describe('validating an AgentJob', () => {
  it('admits one whose references exist, after looking up each of them, its Secret and its Job', async () => {
    const lookups = new MemoryLookups();
    const verdict = await validate(summarize(), lookups, deny, signal);
    expect(verdict).toEqual({ allowed: true, issues: [], warnings: [], forbidden: false });
    expect(lookups.asked).toEqual(
      expect.arrayContaining([
        `object AgentRuntime ${NS}/claude-code`,
        `object AgentAuth ${NS}/claude-oauth`,
        `object AgentRole ${NS}/read-only`,
        `secret ${NS}/claude-oauth`,
      ]),
    );
    expect(lookups.asked.filter((a) => a.startsWith('dry-run Job'))).toHaveLength(1);
  });

  it('refuses missing references with deny, each with its field, and asks no dry-run', async () => {
    const lookups = new MemoryLookups();
    const review = summarize((spec) => {
      spec.runtimeRef = 'no-such-runtime';
      spec.mcpServerRefs = ['ghost'];
    });
    const verdict = await validate(review, lookups, deny, signal);
    expect(verdict.allowed).toBe(false);
    expect(verdict.issues).toEqual([
      { path: 'spec.runtimeRef', message: `AgentRuntime "no-such-runtime" not found in namespace "${NS}"` },
      { path: 'spec.mcpServerRefs[0]', message: `McpServer "ghost" not found in namespace "${NS}"` },
    ]);
    expect(lookups.asked.some((a) => a.startsWith('dry-run'))).toBe(false);
  });

  it('admits missing references with warn, saying the controller waits for them', async () => {
    const review = summarize((spec) => {
      spec.roleRef = 'not-yet';
    });
    const verdict = await validate(review, new MemoryLookups(), { missingRefs: 'warn' }, signal);
    expect(verdict).toMatchObject({
      allowed: true,
      warnings: [
        `spec.roleRef: AgentRole "not-yet" not found in namespace "${NS}"; the controller waits for it`,
      ],
    });
  });

  it('warns, and still admits, when the auth Secret lacks the key', async () => {
    const objects = clusterObjects().map((o) =>
      o.kind === 'Secret' && o.metadata?.name === 'claude-oauth' ? { ...o, data: { other: 'eA==' } } : o,
    );
    const verdict = await validate(summarize(), new MemoryLookups({ objects }), deny, signal);
    expect(verdict.allowed).toBe(true);
    expect(verdict.warnings).toHaveLength(1);
    expect(verdict.warnings[0]).toContain('claude-oauth');
    expect(verdict.warnings[0]).toContain('token');
  });

  it('reports what the API server would refuse in the rendered Job, mapped back to the AgentJob', async () => {
    const refuse = (message: string) => new MemoryLookups({ dryRun: () => ({ ok: false, message }) });
    // The pod's env is HOME, CONFIG_DIR, then spec.env: its third entry is the user's first.
    const withEnv = summarize((spec) => {
      spec.env = [{ name: 'A=B', value: 'x' }];
    });
    const named = await validate(
      withEnv,
      refuse(
        'Job.batch "summarize-x" is invalid: spec.template.spec.containers[0].env[2].name: Invalid value: "A=B"',
      ),
      deny,
      signal,
    );
    expect(named.issues).toEqual([{ path: 'spec.env[0].name', message: 'Invalid value: "A=B"' }]);
    const unnamed = await validate(
      summarize(),
      refuse('Job.batch "summarize-x" is invalid: metadata.labels: Invalid value'),
      deny,
      signal,
    );
    expect(unnamed).toMatchObject({
      allowed: false,
      issues: [
        {
          path: 'spec',
          message: 'the Job the controller would create is refused: metadata.labels: Invalid value',
        },
      ],
    });
  });

  it('does not judge again an update that leaves the spec as it was, and asks nothing', async () => {
    const review = summarize();
    const update: AdmissionRequest = {
      ...review,
      operation: 'UPDATE',
      oldObject: structuredClone(review.object),
    };
    const lookups = new MemoryLookups();
    expect((await validate(update, lookups, deny, signal)).allowed).toBe(true);
    expect(lookups.asked).toEqual([]);
  });
});

describe('validating a ClusterAccess (the escalation guard)', () => {
  const clusterAccess = () => request('validate-clusteraccess-create');

  it('refuses, as forbidden, a user who lacks a permission the rules grant, naming the first one', async () => {
    const lookups = new MemoryLookups({ can: (_user, permission) => permission.verb === 'get' });
    const verdict = await validate(clusterAccess(), lookups, deny, signal);
    expect(verdict.allowed).toBe(false);
    expect(verdict.forbidden).toBe(true);
    expect(verdict.issues).toHaveLength(1);
    expect(verdict.issues[0]?.path).toMatch(/^spec\.rules\[\d+\]$/);
    expect(verdict.issues[0]?.message).toMatch(/lacks verb "(list|watch)"/);
    expect(lookups.asked.some((a) => a.startsWith('allowed '))).toBe(true);
  });

  it('admits a user who holds every permission it grants', async () => {
    const verdict = await validate(clusterAccess(), new MemoryLookups({ can: () => true }), deny, signal);
    expect(verdict).toMatchObject({ allowed: true, issues: [] });
  });
});

describe('mutating an AgentJob', () => {
  const withDefaultRuntime = (...names: string[]): KubeObject[] => [
    ...clusterObjects(),
    ...names.map((name) => ({
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentRuntime',
      metadata: { name, namespace: NS, annotations: { [ANNOTATION_DEFAULT]: 'true' } },
      spec: { image: 'i', authEnvVar: 'T', configPath: '/c', persistPath: '/p' },
    })),
  ];
  const omitted = () =>
    request('mutate-agentjob-create-summarize', (spec) => {
      delete spec.runtimeRef;
    });

  it("fills an omitted runtimeRef with the namespace's default runtime (the example claude-code)", async () => {
    const result = await mutate(omitted(), new MemoryLookups(), signal);
    expect(result).toEqual({
      allowed: true,
      patch: [{ op: 'add', path: '/spec/runtimeRef', value: 'claude-code' }],
    });
  });

  it('refuses to choose between two default runtimes, naming both', async () => {
    const lookups = new MemoryLookups({ objects: withDefaultRuntime('house') });
    const result = await mutate(omitted(), lookups, signal);
    expect(result).toEqual({
      allowed: false,
      message: `AgentJob "summarize" is invalid: spec.runtimeRef is omitted and namespace "${NS}" has 2 default AgentRuntimes (claude-code, house); keep one annotated ${ANNOTATION_DEFAULT}: "true" or set spec.runtimeRef`,
    });
    expect(lookups.asked).toEqual([`defaults AgentRuntime ${NS}`]);
  });
});
