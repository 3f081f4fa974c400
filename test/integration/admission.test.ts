/**
 * The admission webhook on the real control plane: served in-process over HTTPS on 127.0.0.1 with
 * a test CA, registered by URL with the shared webhook builders (for this file's namespaces only),
 * and driven through the pinned kubectl, as a user would.
 */
import { spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Admission, startAdmission } from '../../admission/main.js';
import { issueCertificate } from '../../certs/pki.js';
import { installCrds } from '../../dev/cluster/crds.js';
import { KubeClient } from '../../shared/kube/client.js';
import { connectionFromKubeconfig } from '../../shared/kube/config.js';
import { mergeSpec } from '../fixtures/admission/harness.js';
import { httpsText, type Registration, registerWebhooks, testPki } from '../fixtures/admission/loopback.js';
import { example, type Manifest } from '../fixtures/load.js';
import { eventually, testCluster } from '../support/testing.js';

const cluster = testCluster();
const pki = testPki();
const { certFile, keyFile } = pki;

const suffix = randomBytes(3).toString('hex');
const servers: Admission[] = [];
const registrations: Registration[] = [];

/** Starts a webhook server with `missingRefs` and returns a fresh namespace its webhooks see. */
async function webhookNamespace(missingRefs: 'deny' | 'warn'): Promise<{ ns: string; admission: Admission }> {
  const admission = await startAdmission({
    kubeconfig: cluster.kubeconfig,
    host: '127.0.0.1',
    port: 0,
    tlsCertFile: certFile,
    tlsKeyFile: keyFile,
    missingRefs,
    logLevel: 'silent',
  });
  servers.push(admission);
  const registration = await registerWebhooks(
    new KubeClient(connectionFromKubeconfig(cluster.kubeconfig)),
    `thurkube-it-${missingRefs}-${suffix}`,
    admission.port,
    pki.ca.certPem,
  );
  registrations.push(registration);
  const ns = await cluster.newNamespace(`adm-${missingRefs}`, { [registration.label]: 'true' });
  // The API server picks up new webhook configurations within a moment.
  await eventually(`webhooks for ${ns} to be active`, async () => {
    const r = await cluster.kubectl(
      ['apply', '-n', ns, '--dry-run=server', '-f', '-'],
      yamlOf(agentJob('probe', { runtimeRef: 'absent' })),
    );
    return r.stderr.includes('not found in namespace') || r.stderr.includes('Warning:');
  });
  return { ns, admission };
}

const yamlOf = (...objects: Manifest[]) => objects.map((o) => stringify(o)).join('---\n');

function agentJob(name: string, spec: Record<string, unknown> = {}): Manifest {
  const job = example('AgentJob', 'minimal');
  job.metadata.name = name;
  mergeSpec(job.spec, spec);
  return job;
}

const named = (manifest: Manifest, name: string, annotations?: Record<string, string>): Manifest => ({
  ...manifest,
  metadata: { name, ...(annotations ? { annotations } : {}) },
});

/** What the minimal AgentJob needs: its runtime, auth, role and the auth Secret. */
const references = (): Manifest[] => [
  example('AgentRuntime', 'minimal'),
  example('AgentAuth', 'minimal'),
  example('AgentRole', 'minimal'),
];

/** Created before the AgentAuth that names it, or the AgentAuth is admitted with a warning. */
const authSecret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'claude-oauth' },
  stringData: { token: 'not-a-real-token' },
} as unknown as Manifest;

const apply = (ns: string, objects: Manifest[], extra: string[] = []) =>
  cluster.kubectl(['apply', '-n', ns, ...extra, '-f', '-'], yamlOf(...objects));

let deny = '';
let warn = '';
beforeAll(async () => {
  await installCrds(cluster);
  deny = (await webhookNamespace('deny')).ns;
  warn = (await webhookNamespace('warn')).ns;
  const refs = await apply(deny, [authSecret, ...references()]);
  if (refs.code !== 0) throw new Error(refs.stderr);
});

afterAll(async () => {
  await Promise.all(registrations.map((r) => r.remove()));
  await Promise.all(servers.map((s) => s.stop()));
  await cluster.deleteNamespaces();
  pki.remove();
});

describe('admission webhook on the real control plane', () => {
  it('refuses an AgentJob with missing references, naming all of them', async () => {
    const res = await apply(deny, [
      agentJob('lonely', { runtimeRef: 'rt-x', authRef: 'auth-x', roleRef: 'role-x' }),
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      `admission webhook "validate.thurkube.thurbeen.eu" denied the request: AgentJob "lonely" is invalid: ` +
        `spec.runtimeRef: AgentRuntime "rt-x" not found in namespace "${deny}"; ` +
        `spec.authRef: AgentAuth "auth-x" not found in namespace "${deny}"; ` +
        `spec.roleRef: AgentRole "role-x" not found in namespace "${deny}"`,
    );
  });

  it('accepts one file holding the AgentJob and every object it refers to', async () => {
    const ns = await cluster.newNamespace('adm-file', { [registrations[0]?.label ?? '']: 'true' });
    const res = await apply(ns, [authSecret, ...references(), agentJob('all-in-one')]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('agentjob.thurkube.thurbeen.eu/all-in-one created');
  });

  it('fills omitted runtime, auth and role from the namespace defaults, and refuses two defaults', async () => {
    const ns = await cluster.newNamespace('adm-defaults', { [registrations[0]?.label ?? '']: 'true' });
    const isDefault = { 'thurkube.thurbeen.eu/default': 'true' };
    const [runtime, auth, role] = references() as [Manifest, Manifest, Manifest];
    const setup = await apply(ns, [
      authSecret,
      named(runtime, 'rt-default', isDefault),
      named(auth, 'auth-default', isDefault),
      named(role, 'role-default', isDefault),
      named(role, 'role-other'),
    ]);
    expect(setup.code).toBe(0);
    const job = agentJob('defaulted', {
      runtimeRef: undefined,
      authRef: undefined,
      roleRef: undefined,
      mcpServerRefs: [],
    });
    const res = await apply(ns, [job]);
    expect(res.stderr).toBe('');
    const got = await cluster.kubectl(['get', '-n', ns, 'agentjob', 'defaulted', '-o', 'json']);
    expect(JSON.parse(got.stdout).spec).toMatchObject({
      runtimeRef: 'rt-default',
      authRef: 'auth-default',
      roleRef: 'role-default',
    });

    await apply(ns, [named(role, 'role-second', isDefault)]);
    const two = await apply(ns, [
      agentJob('ambiguous', { roleRef: undefined, runtimeRef: 'rt-default', authRef: 'auth-default' }),
    ]);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toContain(
      `admission webhook "mutate.thurkube.thurbeen.eu" denied the request: AgentJob "ambiguous" is invalid: ` +
        `spec.roleRef is omitted and namespace "${ns}" has 2 default AgentRoles (role-default, role-second)`,
    );
  });

  it('removes duplicate MCP server and repository references, keeping their order', async () => {
    const [runtime, auth, role] = references() as [Manifest, Manifest, Manifest];
    const mcp = (name: string) => named(example('McpServer', 'minimal'), name);
    const res = await apply(deny, [
      runtime,
      auth,
      role,
      mcp('b'),
      mcp('a'),
      agentJob('dupes', { mcpServerRefs: ['b', 'a', 'b', 'a'] }),
    ]);
    expect(res.stderr).toBe('');
    const got = await cluster.kubectl([
      'get',
      '-n',
      deny,
      'agentjob',
      'dupes',
      '-o',
      'jsonpath={.spec.mcpServerRefs}',
    ]);
    expect(JSON.parse(got.stdout)).toEqual(['b', 'a']);
  });

  const rejected: [string, Manifest, string][] = [
    [
      'a schedule with minute 61',
      agentJob('bad-schedule', { schedule: '61 * * * *' }),
      'spec.schedule: "61 * * * *": minute 61 out of range 0-59',
    ],
    [
      'a seconds field',
      agentJob('six-fields', { schedule: '0 0 * * * *' }),
      'found 6 (a seconds field is not supported)',
    ],
    [
      'an unknown time zone',
      agentJob('bad-zone', { schedule: '@daily', timezone: 'Mars/Olympus' }),
      'spec.timezone: "Mars/Olympus" is not an IANA time zone',
    ],
    ['a scheduled name longer than 52', agentJob('n'.repeat(53), { schedule: '@daily' }), 'at most 52'],
    ['a one-shot name longer than 46', agentJob('o'.repeat(47)), 'at most 46'],
    [
      'an env name the API server refuses',
      agentJob('bad-env', { env: [{ name: 'BAD=NAME', value: 'x' }] }),
      'spec.env[0].name: Invalid value: "BAD=NAME"',
    ],
    [
      'a resource quantity the API server cannot read, naming its field',
      agentJob('bad-cpu', { resources: { limits: { cpu: 'lots' } } }),
      'AgentJob "bad-cpu" is invalid: spec.resources.limits.cpu: must be a quantity such as "500m", "2Gi" or 1',
    ],
  ];
  for (const [what, job, message] of rejected) {
    it(`refuses ${what}`, async () => {
      const res = await apply(deny, [job]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(message);
    });
  }

  it('prints warnings through kubectl: a missing Secret, a schedule that never fires', async () => {
    const auth = named(example('AgentAuth', 'minimal'), 'no-secret');
    (auth.spec.secretRef as { name: string }).name = 'nowhere';
    const res = await apply(deny, [
      auth,
      agentJob('warned', { authRef: 'no-secret', schedule: '0 0 30 2 *' }),
    ]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(
      `Warning: AgentAuth "no-secret": Secret "nowhere" not found in namespace "${deny}"`,
    );
    expect(res.stderr).toContain('Warning: spec.schedule: "0 0 30 2 *" never fires, so the agent never runs');
  });

  it('answers --dry-run=server without creating anything (sideEffects None)', async () => {
    const ok = await apply(deny, [agentJob('dry-ok')], ['--dry-run=server']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('agentjob.thurkube.thurbeen.eu/dry-ok created (server dry run)');
    expect((await cluster.kubectl(['get', '-n', deny, 'agentjob', 'dry-ok'])).code).not.toBe(0);
    const bad = await apply(deny, [agentJob('dry-bad', { runtimeRef: 'ghost' })], ['--dry-run=server']);
    expect(bad.stderr).toContain('AgentRuntime "ghost" not found');
  });

  it('refuses a namespace admin asking for * on * and admits a cluster admin', async () => {
    const user = `ns-admin-${suffix}`;
    for (const args of [
      ['create', 'rolebinding', 'admins', '-n', deny, '--clusterrole=admin', `--user=${user}`],
      [
        'create',
        'role',
        'thurkube-editor',
        '-n',
        deny,
        '--verb=*',
        '--resource=clusteraccesses.thurkube.thurbeen.eu,agentjobs.thurkube.thurbeen.eu',
      ],
      ['create', 'rolebinding', 'thurkube-editors', '-n', deny, '--role=thurkube-editor', `--user=${user}`],
    ])
      expect((await cluster.kubectl(args)).code).toBe(0);
    const everything: Manifest = {
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'ClusterAccess',
      metadata: { name: 'everything' },
      spec: { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    };
    const asAdmin = await apply(deny, [everything], [`--as=${user}`]);
    expect(asAdmin.code).not.toBe(0);
    expect(asAdmin.stderr).toContain(
      `ClusterAccess "everything" is forbidden: spec.rules[0]: user "${user}" lacks verb "*" on resource "*" in API group "*" cluster-wide`,
    );
    const asClusterAdmin = await apply(deny, [everything]);
    expect(asClusterAdmin.stderr).toBe('');
    expect(asClusterAdmin.code).toBe(0);
    // Referring to it is granting it, too.
    const job = await apply(
      deny,
      [agentJob('wants-everything', { clusterAccessRef: 'everything' })],
      [`--as=${user}`],
    );
    expect(job.stderr).toContain(
      `spec.clusterAccessRef: user "${user}" may not use ClusterAccess "everything"`,
    );
  });

  it('in warn mode admits an AgentJob with missing references, with warnings', async () => {
    const res = await apply(warn, [agentJob('early', { runtimeRef: 'later' })]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(
      `Warning: spec.runtimeRef: AgentRuntime "later" not found in namespace "${warn}"; the controller waits for it`,
    );
  });

  it('warns when a runtime still used by AgentJobs is deleted, naming them', async () => {
    const [runtime] = references() as [Manifest];
    expect(
      (await apply(deny, [named(runtime, 'shared-rt'), agentJob('user-1', { runtimeRef: 'shared-rt' })]))
        .code,
    ).toBe(0);
    // The AgentJob cache learns of user-1 from its watch.
    await eventually('the AgentJob cache to see user-1', async () => {
      const probe = await cluster.kubectl([
        'delete',
        '-n',
        deny,
        'agentruntime',
        'shared-rt',
        '--dry-run=server',
      ]);
      return probe.stderr.includes('AgentJob "user-1"');
    });
    const res = await cluster.kubectl(['delete', '-n', deny, 'agentruntime', 'shared-rt']);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(
      'Warning: AgentRuntime "shared-rt" is still used by AgentJob "user-1"; they cannot run until it is back',
    );
  });

  it('reloads the serving certificate when its files change, without a restart, and reports its expiry', async () => {
    const server = servers[0];
    if (!server) throw new Error('no server');
    const expiryMetric = async () =>
      /^thurkube_admission_certificate_expiry_timestamp_seconds (\d+)$/m.exec(
        await httpsText(server.port, '/metrics', pki.ca.certPem),
      )?.[1];
    const notAfter = (pem: string) => String(Date.parse(new X509Certificate(pem).validTo) / 1000);
    expect(await expiryMetric()).toBe(notAfter(pki.serving.certPem));
    const next = issueCertificate(pki.ca, {
      commonName: 'thurkube-admission',
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      // Half the first one's lifetime, so the expiry the metrics report must change.
      validityDays: 0.5,
    });
    writeFileSync(keyFile, next.keyPem);
    writeFileSync(certFile, next.certPem);
    const serial = new X509Certificate(next.certPem).serialNumber;
    await eventually(
      'the new certificate to be served',
      async () => (await servedSerial(server.port)) === serial,
    );
    expect(await expiryMetric()).toBe(notAfter(next.certPem));
    const res = await apply(deny, [agentJob('after-reload', { runtimeRef: 'ghost' })]);
    expect(res.stderr).toContain('AgentRuntime "ghost" not found');
  });
});

/** The serial number of the certificate the server presents, verified against the test CA. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('thurkube admission, the command', () => {
  it('serves until SIGTERM, then stops and exits 0', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'cmd/thurkube.ts',
        'admission',
        '--kubeconfig',
        cluster.kubeconfig,
        '--listen',
        '127.0.0.1:0',
        '--tls-cert-file',
        certFile,
        '--tls-key-file',
        keyFile,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: { msg?: string; port?: number }[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const port = await eventually(
      'the command to serve',
      () => lines.find((l) => l.msg === 'admission webhook serving')?.port,
      60_000,
    );
    expect(await httpsText(port, '/healthz', pki.ca.certPem)).toBe('ok');
    await eventually(
      'the caches to sync',
      async () => (await httpsText(port, '/readyz', pki.ca.certPem)) === 'ok',
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.map((l) => l.msg)).toContain('admission webhook stopped');
  });
});
