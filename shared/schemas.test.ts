import { describe, expect, it } from 'vitest';
import { example, productPageManifests } from '../test/fixtures/load.js';
import { KIND_NAMES, type KindName } from './api.js';
import { buildCrd } from './crd/build.js';
import type { OpenApiSchema } from './crd/openapi.js';
import { parseSpec } from './objects.js';
import { formatIssues } from './validation.js';

function rootProps() {
  const crd = buildCrd('AgentJob').spec.versions as { schema: { openAPIV3Schema: OpenApiSchema } }[];
  return crd[0]?.schema.openAPIV3Schema.properties?.spec?.properties ?? {};
}

function issuesOf(kind: KindName, spec: unknown): string {
  const parsed = parseSpec(kind, spec);
  if (parsed.ok) throw new Error(`expected ${kind} spec to be rejected: ${JSON.stringify(spec)}`);
  return formatIssues(parsed.issues);
}

describe('every kind', () => {
  for (const kind of KIND_NAMES) {
    for (const variant of ['minimal', 'full'] as const) {
      it(`accepts the ${variant} ${kind} example`, () => {
        const parsed = parseSpec(kind, example(kind, variant).spec);
        expect(parsed.ok ? [] : parsed.issues).toEqual([]);
      });
    }
  }

  it('accepts the product page quickstart manifests unchanged', () => {
    const manifests = productPageManifests();
    expect(manifests.map((m) => m.kind).sort()).toEqual(['AgentJob', 'AgentJob', 'AgentRuntime']);
    for (const m of manifests) {
      const parsed = parseSpec(m.kind as KindName, m.spec);
      expect(parsed.ok ? [] : parsed.issues, `${m.kind}/${m.metadata.name}`).toEqual([]);
    }
  });
});

describe('AgentJob defaults', () => {
  it('fills the documented defaults into a minimal AgentJob', () => {
    const parsed = parseSpec('AgentJob', example('AgentJob', 'minimal').spec);
    if (!parsed.ok) throw new Error(formatIssues(parsed.issues));
    expect(parsed.value).toEqual({
      runtimeRef: 'claude-code',
      authRef: 'claude-oauth',
      roleRef: 'read-only',
      prompt: "Summarize today's incoming issues.",
      timezone: 'Etc/UTC',
      suspend: false,
      mcpServerRefs: [],
      repositoryRefs: [],
      timeoutSeconds: 3600,
      env: [],
      envFrom: [],
      persist: false,
      concurrencyPolicy: 'Forbid',
      successfulRunsHistoryLimit: 3,
      failedRunsHistoryLimit: 3,
      retries: 0,
    });
  });

  it('keeps values the user set over the defaults', () => {
    const parsed = parseSpec('AgentJob', example('AgentJob', 'full').spec);
    if (!parsed.ok) throw new Error(formatIssues(parsed.issues));
    expect(parsed.value.timezone).toBe('Europe/Paris');
    expect(parsed.value.timeoutSeconds).toBe(1800);
    expect(parsed.value.persist).toBe(true);
    expect(parsed.value.resources?.limits).toEqual({ cpu: 2, memory: '4Gi' });
  });
});

describe('run policies', () => {
  const base = () => example('AgentJob', 'minimal').spec;

  it('default to what the Rust original did, without being written into the CRD', () => {
    const spec = rootProps();
    for (const field of [
      'concurrencyPolicy',
      'successfulRunsHistoryLimit',
      'failedRunsHistoryLimit',
      'retries',
    ])
      expect(spec[field]?.default, field).toBeUndefined();
    expect(spec.concurrencyPolicy?.enum).toEqual(['Forbid', 'Allow', 'Replace']);
  });

  it('reject values the CronJob would not take, naming the field and what is allowed', () => {
    expect(issuesOf('AgentJob', { ...base(), concurrencyPolicy: 'Queue' })).toContain(
      'spec.concurrencyPolicy: must be Forbid, Allow or Replace',
    );
    expect(issuesOf('AgentJob', { ...base(), retries: -1, successfulRunsHistoryLimit: 1.5 })).toBe(
      'spec.successfulRunsHistoryLimit: must be a whole number; spec.retries: must be at least 0',
    );
    expect(issuesOf('AgentJob', { ...base(), startingDeadlineSeconds: 5 })).toBe(
      'spec.startingDeadlineSeconds: must be at least 10',
    );
  });
});

describe('pod placement fields', () => {
  it('accept core/v1 shapes on the AgentRuntime and the AgentJob', () => {
    const placement = {
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
          ],
        },
      },
      priorityClassName: 'agents-low',
    };
    const runtime = {
      ...example('AgentRuntime', 'minimal').spec,
      ...placement,
      imagePullSecrets: [{ name: 'registry' }],
      runtimeClassName: 'gvisor',
    };
    expect(parseSpec('AgentRuntime', runtime).ok).toBe(true);
    expect(parseSpec('AgentJob', { ...example('AgentJob', 'minimal').spec, ...placement }).ok).toBe(true);
  });

  it('reject a weight out of range and a toleration that is not an object', () => {
    const spec = {
      ...example('AgentJob', 'minimal').spec,
      tolerations: ['agents'],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 0, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } },
          ],
        },
      },
    };
    expect(issuesOf('AgentJob', spec)).toBe(
      'spec.tolerations[0]: must be an object, not "agents"; ' +
        'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: must be at least 1',
    );
  });
});

describe('other defaults', () => {
  it('defaults AgentSkill ref to main', () => {
    const parsed = parseSpec('AgentSkill', example('AgentSkill', 'minimal').spec);
    expect(parsed.ok && parsed.value.ref).toBe('main');
  });

  it('defaults AgentRuntime command and McpServer args to empty lists', () => {
    const runtime = parseSpec('AgentRuntime', example('AgentRuntime', 'minimal').spec);
    const mcp = parseSpec('McpServer', example('McpServer', 'minimal').spec);
    expect(runtime.ok && runtime.value.command).toEqual([]);
    expect(mcp.ok && mcp.value.args).toEqual([]);
  });
});

describe('rejections name the field', () => {
  it('reports every missing required AgentJob field at once', () => {
    expect(issuesOf('AgentJob', {})).toBe(
      'spec.runtimeRef: required; spec.authRef: required; spec.roleRef: required; spec.prompt: required',
    );
  });

  it('reports wrong types with the path into lists', () => {
    const spec = { ...example('AgentJob', 'full').spec, timeoutSeconds: 'soon', env: [{ value: 'x' }] };
    expect(issuesOf('AgentJob', spec)).toBe(
      'spec.timeoutSeconds: must be a number, not "soon"; spec.env[0].name: required',
    );
  });

  it('rejects a fractional or zero timeout', () => {
    const base = example('AgentJob', 'minimal').spec;
    expect(issuesOf('AgentJob', { ...base, timeoutSeconds: 1.5 })).toBe(
      'spec.timeoutSeconds: must be a whole number',
    );
    expect(issuesOf('AgentJob', { ...base, timeoutSeconds: 0 })).toBe(
      'spec.timeoutSeconds: must be at least 1',
    );
  });

  it('rejects a ClusterAccess with no rules', () => {
    expect(issuesOf('ClusterAccess', { rules: [] })).toBe('spec.rules: must hold at least one rule');
  });

  it('rejects a ClusterAccess rule without verbs', () => {
    expect(issuesOf('ClusterAccess', { rules: [{ resources: ['pods'] }] })).toBe(
      'spec.rules[0].verbs: required',
    );
  });

  it('rejects an McpServer with both or neither of command and url', () => {
    const message = 'spec: set exactly one of command (a local server) or url (a remote server)';
    expect(issuesOf('McpServer', { command: 'npx', url: 'https://x' })).toBe(message);
    expect(issuesOf('McpServer', {})).toBe(message);
  });

  it('rejects an AgentAuth whose secretRef lacks the key', () => {
    expect(issuesOf('AgentAuth', { secretRef: { name: 's' } })).toBe('spec.secretRef.key: required');
  });

  it('rejects a quantity that is neither string nor number', () => {
    const spec = { ...example('AgentJob', 'minimal').spec, resources: { limits: { cpu: true } } };
    expect(issuesOf('AgentJob', spec)).toBe(
      'spec.resources.limits.cpu: must be a quantity such as "500m", "2Gi" or 1',
    );
  });
});
