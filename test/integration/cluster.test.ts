/**
 * The local control plane is real: version, CRDs with server-side defaults and CEL, Jobs run by
 * kwok to completion and to failure, printer columns through kubectl, and RBAC that refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../dev/cluster/crds.js';
import { OUTCOME_ENV } from '../../dev/cluster/kwok-stages.js';
import { VERSIONS } from '../../dev/cluster/versions.js';
import { KIND_NAMES, NAMES } from '../../shared/api.js';
import { example } from '../fixtures/load.js';
import { eventually, testCluster } from '../support/testing.js';

const cluster = testCluster();
let ns = '';

beforeAll(async () => {
  await installCrds(cluster);
  ns = await cluster.newNamespace('cluster');
});
afterAll(() => cluster.deleteNamespaces());

const group = 'thurkube.thurbeen.eu';
const version = 'v1alpha1';

async function createExample(kind: (typeof KIND_NAMES)[number], variant: 'minimal' | 'full', name?: string) {
  const body = example(kind, variant);
  if (name) body.metadata.name = name;
  return (await cluster.custom.createNamespacedCustomObject({
    group,
    version,
    namespace: ns,
    plural: NAMES[kind].plural,
    body,
  })) as { spec: Record<string, unknown>; metadata: { name: string } };
}

describe('local control plane', () => {
  it('reports the pinned Kubernetes version on /version', async () => {
    const { stdout } = await cluster.kubectl(['version', '-o', 'json']);
    const parsed = JSON.parse(stdout) as {
      serverVersion: { gitVersion: string };
      clientVersion: { gitVersion: string };
    };
    expect(parsed.serverVersion.gitVersion).toBe(VERSIONS.kubernetes);
    expect(parsed.clientVersion.gitVersion).toBe(VERSIONS.kubernetes);
  });

  it('serves all eight CRDs from crds/ as Established, listed by `kubectl get thurkube`', async () => {
    const crds = await cluster.apiext.listCustomResourceDefinition({
      labelSelector: 'app.kubernetes.io/part-of=thurkube',
    });
    expect(crds.items.map((c) => c.spec.names.kind).sort()).toEqual([...KIND_NAMES].sort());
    // Discovery of a new CRD's category can lag its Established condition by a moment.
    const res = await eventually('`kubectl get thurkube` to know the category', async () => {
      const r = await cluster.kubectl(['get', 'thurkube', '-n', ns]);
      return r.code === 0 ? r : undefined;
    });
    expect(res.stderr).toBe(`No resources found in ${ns} namespace.\n`);
  });

  for (const kind of KIND_NAMES) {
    it(`round-trips the minimal and full ${kind} examples`, async () => {
      const minimal = await createExample(kind, 'minimal', `${NAMES[kind].shortName}-min`);
      const full = await createExample(kind, 'full', `${NAMES[kind].shortName}-full`);
      const fullExample = example(kind, 'full').spec;
      for (const [key, value] of Object.entries(fullExample)) {
        // Quantities come back as written (the API server keeps int-or-string values as given).
        expect(full.spec[key], `${kind}.spec.${key}`).toEqual(value);
      }
      expect(minimal.metadata.name).toBe(`${NAMES[kind].shortName}-min`);
    });
  }

  it('applies the schema defaults in the API server itself (AgentSkill ref reads back main)', async () => {
    const skill = (await cluster.custom.getNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural: 'agentskills',
      name: 'ask-min',
    })) as { spec: { ref: string } };
    expect(skill.spec.ref).toBe('main');
    const job = (await cluster.custom.getNamespacedCustomObject({
      group,
      version,
      namespace: ns,
      plural: 'agentjobs',
      name: 'aj-min',
    })) as { spec: Record<string, unknown> };
    expect(job.spec).toMatchObject({
      timezone: 'Etc/UTC',
      suspend: false,
      timeoutSeconds: 3600,
      persist: false,
      mcpServerRefs: [],
      repositoryRefs: [],
      env: [],
      envFrom: [],
    });
  });

  it('enforces the CEL rules without any webhook', async () => {
    const both = await cluster.kubectl(
      ['apply', '-n', ns, '-f', '-'],
      JSON.stringify({
        apiVersion: `${group}/${version}`,
        kind: 'McpServer',
        metadata: { name: 'both' },
        spec: { command: 'npx', url: 'https://example.com' },
      }),
    );
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('set exactly one of command (a local server) or url (a remote server)');

    const long = example('AgentJob', 'minimal');
    long.metadata.name = 'a'.repeat(47);
    const tooLong = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(long));
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toContain(
      'metadata.name: a one-shot AgentJob names its Job N-<16 hex digits>, so its name may have at most 46 characters',
    );
    const scheduled = example('AgentJob', 'full');
    scheduled.metadata.name = 'b'.repeat(53);
    const tooLongScheduled = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(scheduled));
    expect(tooLongScheduled.stderr).toContain('so its name may have at most 52 characters');
    scheduled.metadata.name = 'b'.repeat(52);
    const fits = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(scheduled));
    expect(fits.stderr).toBe('');

    const empty = await cluster.kubectl(
      ['apply', '-n', ns, '-f', '-'],
      JSON.stringify({
        apiVersion: `${group}/${version}`,
        kind: 'ClusterAccess',
        metadata: { name: 'none' },
        spec: { rules: [] },
      }),
    );
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('spec.rules');
  });

  it('prints the AgentJob printer columns with the built kubectl', async () => {
    const res = await cluster.kubectl(['get', 'aj', '-n', ns]);
    expect(res.code, res.stderr).toBe(0);
    const [header, ...rows] = res.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'SCHEDULE',
      'SUSPENDED',
      'PHASE',
      'LAST RUN',
      'LAST RESULT',
    ]);
    // No controller runs here, so PHASE, LAST RUN and LAST RESULT are empty.
    expect(rows.find((r) => r.startsWith('aj-full'))?.trimEnd()).toMatch(
      /^aj-full\s+0 \*\/6 \* \* \*\s+false$/,
    );
    const wide = await cluster.kubectl(['get', 'aj', '-n', ns, '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual([
      'NAME',
      'SCHEDULE',
      'SUSPENDED',
      'PHASE',
      'LAST RUN',
      'LAST RESULT',
      'DURATION',
      'RUNS',
      'RUNTIME',
      'NEXT RUN',
      'MESSAGE',
      'AGE',
    ]);
  });
});

describe('Jobs through kwok', () => {
  const job = (name: string, env: { name: string; value: string }[] = []) => ({
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'example.invalid/agent:1', env }],
        },
      },
    },
  });

  const conditionOf = async (name: string) => {
    const live = await cluster.batch.readNamespacedJob({ name, namespace: ns });
    return live.status?.conditions?.find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    )?.type;
  };

  it('runs a plain Job to Complete', async () => {
    await cluster.batch.createNamespacedJob({ namespace: ns, body: job('plain') });
    expect(await eventually('Job plain to finish', () => conditionOf('plain'), 60_000)).toBe('Complete');
  });

  it(`fails a Job whose pod sets ${OUTCOME_ENV}=fail`, async () => {
    await cluster.batch.createNamespacedJob({
      namespace: ns,
      body: job('doomed', [{ name: OUTCOME_ENV, value: 'fail' }]),
    });
    expect(await eventually('Job doomed to finish', () => conditionOf('doomed'), 60_000)).toBe('Failed');
    const pods = await cluster.core.listNamespacedPod({
      namespace: ns,
      labelSelector: 'batch.kubernetes.io/job-name=doomed',
    });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
  });
});

describe('RBAC', () => {
  it('forbids a ServiceAccount without rights to list AgentJobs, and allows it once bound', async () => {
    await cluster.core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: 'nobody' } },
    });
    const as = `system:serviceaccount:${ns}:nobody`;
    const denied = await cluster.kubectl(['get', 'agentjobs', '-n', ns, '--as', as]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('forbidden');

    await cluster.rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'aj-reader' },
        rules: [{ apiGroups: [group], resources: ['agentjobs'], verbs: ['list'] }],
      },
    });
    await cluster.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'aj-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'aj-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: ns }],
      },
    });
    const allowed = await eventually('the binding to take effect', async () => {
      const res = await cluster.kubectl(['get', 'agentjobs', '-n', ns, '--as', as]);
      return res.code === 0 ? res : undefined;
    });
    expect(allowed.stdout).toContain('aj-min');
  });
});
